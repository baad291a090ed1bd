package ops

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// A fixed pool of worker goroutines, started once, shared by every kernel.
// Parallel splits a range into chunks and queues them; the calling goroutine
// works too, so GOMAXPROCS-1 workers plus the caller keep every core busy
// without oversubscription.

type job struct {
	fn     func(lo, hi int)
	lo, hi int
	g      *group
	linger time.Duration // see ParallelNLinger
}

// group tracks one Parallel call: the last chunk to finish sends on done,
// which the caller receives exactly once. Groups are recycled through a
// sync.Pool (done is empty again after that receive), so a call allocates
// nothing beyond the caller's closure.
type group struct {
	left atomic.Int32
	done chan struct{}
}

var groups = sync.Pool{New: func() any { return &group{done: make(chan struct{}, 1)} }}

func (j job) run() {
	j.fn(j.lo, j.hi)
	if j.g.left.Add(-1) == 0 {
		j.g.done <- struct{}{}
	}
}

var (
	poolOnce sync.Once
	poolCh   chan job
	nWorkers int
)

func startPool() {
	nWorkers = runtime.GOMAXPROCS(0)
	poolCh = make(chan job, 64*nWorkers)
	for i := 1; i < nWorkers; i++ {
		go func() {
			for j := range poolCh {
				j.run()
				if j.linger > 0 {
					lingerFor(j.linger)
				}
			}
		}()
	}
}

// lingerFor runs queued chunks as they come for d after the last one,
// polling instead of blocking (see ParallelNLinger).
func lingerFor(d time.Duration) {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		select {
		case j := <-poolCh:
			j.run()
			deadline = time.Now().Add(max(d, j.linger))
		default:
			runtime.Gosched()
		}
	}
}

// Threads returns the number of goroutines Parallel spreads work over
// (GOMAXPROCS when the pool started).
func Threads() int {
	poolOnce.Do(startPool)
	return nWorkers
}

// Parallel calls fn on disjoint sub-ranges [lo, hi) that together cover
// [0, n), and returns when every call has returned. Ranges are at least
// grain long (grain <= 0 means 1), so small loops run inline on the caller.
// fn must be safe to call concurrently on disjoint ranges.
//
// Nested calls cannot deadlock: a caller waiting for its chunks runs queued
// chunks (its own or anyone's) instead of sleeping while work is pending.
//
// The range is cut into up to parallelSplit chunks per thread, not one:
// the threads take them from the queue as they come free, so a thread that
// starts late (the pool worker's thread was asleep and takes tens of µs to
// wake, or the machine is busy) or runs slower leaves the other at most one
// small chunk to wait for, not half the work.
func Parallel(n, grain int, fn func(lo, hi int)) {
	ParallelN(n, grain, parallelSplit*Threads(), fn)
}

// parallelSplit is the number of chunks per thread Parallel cuts a range
// into (when grain allows).
const parallelSplit = 4

// ParallelCoarse is Parallel with one chunk per thread, for loops whose
// body runs parallel kernels itself (an SGEMM per item, which balances its
// own work over the threads) or takes a large scratch buffer per chunk.
// Cut finer, such a loop's queued chunks would be taken up by callers
// waiting inside the items' GEMMs, nesting chunk within chunk, each
// holding its scratch: more buffers at once than the free lists keep
// (scratch.go), so they would be allocated again every step.
func ParallelCoarse(n, grain int, fn func(lo, hi int)) {
	ParallelN(n, grain, Threads(), fn)
}

// ParallelN is Parallel with at most maxChunks chunks (so at most that many
// goroutines work on it). Tests use it to check that results do not depend
// on the thread count.
func ParallelN(n, grain, maxChunks int, fn func(lo, hi int)) {
	parallelN(n, grain, maxChunks, 0, fn)
}

// ParallelNLinger is ParallelN for calls that come back to back (SGEMM):
// a worker that ran one of its chunks keeps polling the queue for linger
// afterwards before it blocks, and the caller, done with its own chunk,
// polls for the others for up to linger before it blocks. A blocked worker's thread sleeps, and on the
// 2-vCPU KVM test machine waking it cost as much as a whole 256³ SGEMM on
// two cores: in timed calls the woken worker ran only after the caller had
// finished, or took the caller's core, so the product ran serially (256³
// on two threads: 141-154 GFLOPS blocking, 185-191 lingering 100 µs;
// docs/PERFORMANCE.md). A lingering worker burns at most linger of CPU
// after its last chunk, yielding to this process's other goroutines.
func ParallelNLinger(n, grain, maxChunks int, linger time.Duration, fn func(lo, hi int)) {
	parallelN(n, grain, maxChunks, linger, fn)
}

func parallelN(n, grain, maxChunks int, linger time.Duration, fn func(lo, hi int)) {
	if n <= 0 {
		return
	}
	if grain <= 0 {
		grain = 1
	}
	chunks := n / grain
	if chunks > maxChunks {
		chunks = maxChunks
	}
	if chunks <= 1 || Threads() == 1 {
		fn(0, n)
		return
	}
	step := (n + chunks - 1) / chunks
	chunks = (n + step - 1) / step
	g := groups.Get().(*group)
	g.left.Store(int32(chunks - 1))
	for c := 1; c < chunks; c++ {
		lo := c * step
		j := job{fn, lo, min(lo+step, n), g, linger}
		select {
		case poolCh <- j:
		default:
			j.run() // queue full: do it here
		}
	}
	fn(0, step)
	if linger > 0 {
		// Poll for the other chunks before blocking too: a caller that
		// parks has to be woken when they finish, the same cost again.
		deadline := time.Now().Add(linger)
		for time.Now().Before(deadline) {
			select {
			case <-g.done:
				groups.Put(g)
				return
			case j := <-poolCh:
				j.run()
			default:
			}
		}
	}
	for {
		select {
		case <-g.done:
			groups.Put(g)
			return
		case j := <-poolCh:
			j.run()
		}
	}
}
