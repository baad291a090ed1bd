package ops

import (
	"sync/atomic"
	"testing"
	"time"
)

// Every index is visited exactly once, for many sizes and grains.
func TestParallelCoversRange(t *testing.T) {
	for _, n := range []int{0, 1, 2, 3, 7, 64, 1000, 1001} {
		for _, grain := range []int{0, 1, 3, 100, 5000} {
			hits := make([]int32, n)
			Parallel(n, grain, func(lo, hi int) {
				for i := lo; i < hi; i++ {
					atomic.AddInt32(&hits[i], 1)
				}
			})
			for i, h := range hits {
				if h != 1 {
					t.Fatalf("n=%d grain=%d: index %d visited %d times", n, grain, i, h)
				}
			}
		}
	}
}

// Parallel inside Parallel must not deadlock, even when every worker is
// busy with an outer chunk.
func TestParallelNested(t *testing.T) {
	var total atomic.Int64
	Parallel(16, 1, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			Parallel(100, 1, func(lo, hi int) {
				total.Add(int64(hi - lo))
			})
		}
	})
	if total.Load() != 1600 {
		t.Fatalf("nested total %d, want 1600", total.Load())
	}
}

func TestParallelNChunks(t *testing.T) {
	var calls atomic.Int32
	ParallelN(100, 1, 1, func(lo, hi int) {
		calls.Add(1)
		if lo != 0 || hi != 100 {
			t.Errorf("one chunk got [%d,%d)", lo, hi)
		}
	})
	if calls.Load() != 1 {
		t.Fatalf("ParallelN with 1 chunk made %d calls", calls.Load())
	}
}

// A parallel call allocates nothing of its own once the pool is warm.
func TestParallelAllocs(t *testing.T) {
	if Threads() < 2 || raceEnabled {
		t.Skip("one thread (Parallel runs inline) or the race detector (it allocates)")
	}
	var sink atomic.Int64
	fn := func(lo, hi int) { sink.Add(int64(hi - lo)) }
	Parallel(1000, 1, fn)
	if a := testing.AllocsPerRun(100, func() { Parallel(1000, 1, fn) }); a > 0 {
		t.Fatalf("%v allocations per call", a)
	}
}

// ParallelNLinger covers the range like ParallelN, and a lingering worker
// still runs later plain chunks (nothing is left queued).
func TestParallelNLinger(t *testing.T) {
	for _, n := range []int{0, 1, 7, 1000} {
		hits := make([]int32, n)
		ParallelNLinger(n, 1, 4, 200*time.Microsecond, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				atomic.AddInt32(&hits[i], 1)
			}
		})
		for i, h := range hits {
			if h != 1 {
				t.Fatalf("n=%d: index %d visited %d times", n, i, h)
			}
		}
	}
	var total atomic.Int64
	for range 50 {
		ParallelN(10, 1, 10, func(lo, hi int) { total.Add(int64(hi - lo)) })
	}
	if total.Load() != 500 {
		t.Fatalf("plain calls after lingering ones: total %d, want 500", total.Load())
	}
}
