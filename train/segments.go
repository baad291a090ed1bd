package train

import (
	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/ops"
)

// The per-step passes over all the weights (SAM's norm and perturbation,
// the optimizer, EMA, zeroing the gradients) are elementwise, or sums, over
// tens of millions of values: run on one core they leave the other idle
// for a noticeable share of the step. They run over segments: fixed runs
// of at most segmentLen elements of one tensor, cut the same way whatever
// the thread count, and spread over the cores by ops.Parallel. Elementwise
// work gives the same bits in any split; a sum is taken per segment, in
// order within it, and the segments' sums are added in segment order, so
// it too is the same on every machine and thread count.

const segmentLen = 1 << 15

// segment is elements [lo, hi) of tensor k of a list.
type segment struct {
	k, lo, hi int
}

// segmentsOf cuts tensors of the given lengths into segments.
func segmentsOf(lens []int) []segment {
	var segs []segment
	for k, n := range lens {
		for lo := 0; lo < n; lo += segmentLen {
			segs = append(segs, segment{k, lo, min(lo+segmentLen, n)})
		}
	}
	return segs
}

// forSegments calls fn on every segment, in parallel.
func forSegments(segs []segment, fn func(s segment)) {
	ops.Parallel(len(segs), 1, func(lo, hi int) {
		for _, s := range segs[lo:hi] {
			fn(s)
		}
	})
}

// sumSegments returns Σ over segments of fn(segment), each term computed
// in parallel and the terms added in segment order.
func sumSegments(segs []segment, fn func(s segment) float64) float64 {
	part := make([]float64, len(segs))
	ops.Parallel(len(segs), 1, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			part[i] = fn(segs[i])
		}
	})
	var sum float64
	for _, v := range part {
		sum += v
	}
	return sum
}

// paramList is the flat list of a groups' parameters with each one's
// group index, and its segments.
type paramList struct {
	params []*ag.Tensor
	group  []int
	segs   []segment
}

func newParamList(groups []Group) *paramList {
	pl := &paramList{}
	var lens []int
	for gi, g := range groups {
		for _, p := range g.Params {
			pl.params = append(pl.params, p)
			pl.group = append(pl.group, gi)
			lens = append(lens, len(p.Data))
		}
	}
	pl.segs = segmentsOf(lens)
	return pl
}
