package train

import (
	"math/rand/v2"
	"testing"
)

// TestSegmentsBlocks checks the cut: every element of every tensor in
// exactly one segment, in order; segments at most segmentLen long and
// inside one tensor; blocks of consecutive segments holding at least
// blockLen elements each, except the last.
func TestSegmentsBlocks(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	cases := [][]int{nil, {0}, {1}, {blockLen}, {blockLen + 1, 3}, {5 * segmentLen, 7, 0, 2*segmentLen + 9}}
	for range 20 {
		lens := make([]int, r.IntN(400))
		for i := range lens {
			if r.IntN(3) == 0 {
				lens[i] = r.IntN(6 * segmentLen)
			} else {
				lens[i] = r.IntN(600)
			}
		}
		cases = append(cases, lens)
	}
	for _, lens := range cases {
		s := segmentsOf(lens)
		k, next := 0, 0 // the tensor and element the next segment must start at
		for _, sg := range s.segs {
			for k < len(lens) && next == lens[k] {
				k, next = k+1, 0
			}
			if sg.k != k || sg.lo != next || sg.hi <= sg.lo || sg.hi > lens[k] || sg.hi-sg.lo > segmentLen {
				t.Fatalf("lens %v: segment %+v, want one starting at tensor %d, element %d", lens, sg, k, next)
			}
			next = sg.hi
		}
		for k < len(lens) && next == lens[k] {
			k, next = k+1, 0
		}
		if k != len(lens) {
			t.Fatalf("lens %v: the segments end at tensor %d, element %d", lens, k, next)
		}
		if s.start[0] != 0 || s.start[len(s.start)-1] != len(s.segs) {
			t.Fatalf("lens %v: block starts %v for %d segments", lens, s.start, len(s.segs))
		}
		for b := range s.blocks() {
			n := 0
			for _, sg := range s.block(b) {
				n += sg.hi - sg.lo
			}
			if len(s.block(b)) == 0 || (n < blockLen && b < s.blocks()-1) {
				t.Fatalf("lens %v: block %d of %d has %d segments, %d elements", lens, b, s.blocks(), len(s.block(b)), n)
			}
		}
	}
}

// TestSumSegmentsOrder checks that sumSegments adds the segments' terms
// in segment order, whatever goroutine computed each.
func TestSumSegmentsOrder(t *testing.T) {
	lens := []int{3, blockLen, 1, 2 * segmentLen, 17, 0, 5}
	s := segmentsOf(lens)
	term := func(sg segment) float64 { return 1e16 / float64(1+sg.k*1000+sg.lo) }
	var want float64
	for _, sg := range s.segs {
		want += term(sg)
	}
	for range 50 {
		if got := sumSegments(s, term); got != want {
			t.Fatalf("sumSegments = %v, want %v", got, want)
		}
	}
}
