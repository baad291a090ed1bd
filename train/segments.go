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
// the thread count, grouped into blocks of about the same number of
// elements and spread over the cores by ops.ParallelN. Elementwise
// work gives the same bits in any split; a sum is taken per segment, in
// order within it, and the segments' sums are added in segment order, so
// it too is the same on every machine and thread count.

const segmentLen = 1 << 15

// blockLen is the work of one parallel job: consecutive segments are
// grouped into blocks of at least blockLen elements (the last may hold
// fewer), so that a job neither costs less than its hand-off nor, with
// many small tensors (norm weights, biases: a third of a network's
// tensors), stands for a tenth of the elements another does. The blocks
// are queued one job each, so a core that finishes early takes the next
// block instead of waiting for the other's half. Like the segments, they
// depend on the tensors' lengths only, and which goroutine runs a block
// changes no bit: within a segment the order is fixed, and sums are added
// in segment order.
const blockLen = 1 << 16

// segment is elements [lo, hi) of tensor k of a list.
type segment struct {
	k, lo, hi int
}

// segments is a list of tensors cut into segments, and the segments
// grouped into blocks: block b is segs[start[b]:start[b+1]].
type segments struct {
	segs  []segment
	start []int
}

// segmentsOf cuts tensors of the given lengths into segments and groups
// them into blocks.
func segmentsOf(lens []int) segments {
	var s segments
	n := 0 // elements in the open block
	for k, l := range lens {
		for lo := 0; lo < l; lo += segmentLen {
			if n == 0 {
				s.start = append(s.start, len(s.segs))
			}
			hi := min(lo+segmentLen, l)
			s.segs = append(s.segs, segment{k, lo, hi})
			if n += hi - lo; n >= blockLen {
				n = 0
			}
		}
	}
	s.start = append(s.start, len(s.segs))
	return s
}

// blocks is the number of blocks.
func (s segments) blocks() int { return len(s.start) - 1 }

// block returns block b's segments.
func (s segments) block(b int) []segment { return s.segs[s.start[b]:s.start[b+1]] }

// forSegments calls fn on every segment, in parallel, a block per job.
func forSegments(s segments, fn func(s segment)) {
	nb := s.blocks()
	ops.ParallelN(nb, 1, nb, func(lo, hi int) {
		for b := lo; b < hi; b++ {
			for _, sg := range s.block(b) {
				fn(sg)
			}
		}
	})
}

// sumSegments returns Σ over segments of fn(segment), each term computed
// in parallel (a block per job) and the terms added in segment order.
func sumSegments(s segments, fn func(s segment) float64) float64 {
	part := make([]float64, len(s.segs))
	nb := s.blocks()
	ops.ParallelN(nb, 1, nb, func(lo, hi int) {
		for i := s.start[lo]; i < s.start[hi]; i++ {
			part[i] = fn(s.segs[i])
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
	segs   segments
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
