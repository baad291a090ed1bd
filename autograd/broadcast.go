package autograd

import (
	"fmt"

	"github.com/seed477ab429/multilabel/ops"
)

// Broadcasting, NumPy/PyTorch rules: shapes are aligned at their trailing
// dims (the shorter one is padded with leading 1s); along each dim the sizes
// must be equal or one of them 1, and a size-1 dim is stretched to the
// other's size without copying:
//
//	a [2,3,4] ⊙ b [3,1]  →  out [2,3,4],  out[i,j,k] = a[i,j,k] ⊙ b[j,0]
//
// Backward: an input element used by many output elements receives the sum
// of their gradients, so an input's gradient is the output-shaped gradient
// summed over the dims along which it was stretched (sumTo).
//
// The element loops do not walk a full n-dim index. The output's dims are
// first coalesced: size-1 dims are dropped and adjacent dims merge when each
// operand is either contiguous across both or stretched across both. Equal
// shapes become one dim of numel elements (a flat loop); a per-channel
// [1,C,1,1] operand against [N,C,H,W] becomes [N, C, H·W] with b's strides
// (0, 1, 0). The loops then run along the innermost coalesced dim in "runs"
// where each operand's stride is 0 (stretched) or 1 (contiguous).

// broadcastShapes returns the shape of a ⊙ b, or panics naming op and both
// shapes when the rules do not allow it.
func broadcastShapes(op string, a, b []int) []int {
	n := max(len(a), len(b))
	out := make([]int, n)
	for i := 1; i <= n; i++ {
		da, db := 1, 1
		if i <= len(a) {
			da = a[len(a)-i]
		}
		if i <= len(b) {
			db = b[len(b)-i]
		}
		switch {
		case da == db || db == 1:
			out[n-i] = da
		case da == 1:
			out[n-i] = db
		default:
			panic(fmt.Sprintf("autograd.%s: shapes %v and %v do not broadcast (dim %d from the end: %d vs %d)", op, a, b, i, da, db))
		}
	}
	return out
}

// bcastPlan maps each element of out = broadcast(a, b) to its source
// elements in a and b.
type bcastPlan struct {
	out    []int // output shape
	n      int   // output elements
	size   []int // coalesced output dims, outermost first (at least one)
	sa, sb []int // element strides of a and b along each coalesced dim; 0 = stretched
	ia, ib int   // strides along the innermost coalesced dim (0 or 1)
}

// newBcastPlan builds the plan for a ⊙ b (panics, naming op, if the shapes
// do not broadcast).
func newBcastPlan(op string, a, b []int) *bcastPlan {
	out := broadcastShapes(op, a, b)
	p := &bcastPlan{out: out, n: numel(out)}
	// Strides of a and b in the output's index space (0 where stretched).
	stridesOf := func(s []int) []int {
		st := make([]int, len(out))
		acc := 1
		for i := 1; i <= len(s); i++ {
			d := s[len(s)-i]
			if d != 1 {
				st[len(out)-i] = acc
			}
			acc *= d
		}
		return st
	}
	fa, fb := stridesOf(a), stridesOf(b)
	for d, sz := range out {
		if sz == 1 {
			continue // contributes nothing to any index
		}
		if k := len(p.size) - 1; k >= 0 &&
			mergeable(p.sa[k], fa[d], sz) && mergeable(p.sb[k], fb[d], sz) {
			p.size[k] *= sz
			p.sa[k], p.sb[k] = fa[d], fb[d]
			continue
		}
		p.size = append(p.size, sz)
		p.sa = append(p.sa, fa[d])
		p.sb = append(p.sb, fb[d])
	}
	if len(p.size) == 0 { // every dim is 1: a single element
		p.size, p.sa, p.sb = []int{1}, []int{0}, []int{0}
	}
	p.ia, p.ib = p.sa[len(p.sa)-1], p.sb[len(p.sb)-1]
	return p
}

// mergeable reports whether an outer dim with stride outer can absorb the
// next dim (stride inner, size sz): both stretched, or contiguous across.
// The merged dim takes the inner stride.
func mergeable(outer, inner, sz int) bool {
	return (outer == 0 && inner == 0) || (inner != 0 && outer == inner*sz)
}

// runs calls fn for the output elements [lo, hi), split into runs along the
// innermost coalesced dim: fn(o, ia, ib, l) covers out[o : o+l], reading a
// from offset ia with stride p.ia and b from ib with stride p.ib.
func (p *bcastPlan) runs(lo, hi int, fn func(o, ia, ib, l int)) {
	if lo >= hi {
		return
	}
	m := len(p.size)
	inner := p.size[m-1]
	o := lo
	for o < hi {
		// Decompose o into its coalesced index (a few dims: cheap per run).
		r, j := o/inner, o%inner
		ia, ib := j*p.ia, j*p.ib
		for d := m - 2; d >= 0; d-- {
			k := r % p.size[d]
			r /= p.size[d]
			ia += k * p.sa[d]
			ib += k * p.sb[d]
		}
		l := min(inner-j, hi-o)
		fn(o, ia, ib, l)
		o += l
	}
}

// bcastGrain is the number of output elements below which a loop runs on
// the calling goroutine alone.
const bcastGrain = 1 << 14

// parallel runs fn over every output run, spread over the worker pool.
// Different calls of fn touch disjoint output ranges.
func (p *bcastPlan) parallel(fn func(o, ia, ib, l int)) {
	ops.Parallel(p.n, bcastGrain, func(lo, hi int) { p.runs(lo, hi, fn) })
}

// bcastGrad adds an input's share of the gradient into x.Grad. term fills
// dst[0:l] (zeroed or holding x's gradient, so it must add) with the
// per-output-element gradient of the run (o, ia, ib, l). When x has the
// output's shape, dst is x's own gradient; when x was stretched, the terms
// go to a scratch buffer that is then summed down to x's shape.
func bcastGrad(x, out *Tensor, p *bcastPlan, term, termTo func(dst []float32, o, ia, ib, l int)) {
	if len(x.Data) == p.n {
		if termTo != nil { // write a new gradient (tape.go, "Gradient buffers")
			gx, fresh := x.gradWrite()
			if fresh {
				term = termTo
			}
			p.parallel(func(o, ia, ib, l int) { term(gx[o:o+l], o, ia, ib, l) })
			return
		}
		gx := x.grad()
		p.parallel(func(o, ia, ib, l int) { term(gx[o:o+l], o, ia, ib, l) })
		return
	}
	tmp := out.arena.zeros(p.n)
	p.parallel(func(o, ia, ib, l int) { term(tmp[o:o+l], o, ia, ib, l) })
	sumTo(x.grad(), tmp, p.out, x.Shape)
	out.arena.put(tmp)
}

// planeScale reports whether the plan is a tensor times one value per run
// (x [N,C,H,W] times a squeeze-excitation gate [N,C,1,1]): two coalesced
// dims, one operand contiguous (its runs back to back) and the other one
// value per run, in run order; aPlanes says the contiguous one is a. The
// product and its gradients then go to the plane-wise kernels, a block of
// runs per call (scalePlanes, bcastGradMulRuns), rather than one kernel
// call per run: in a network's last stages a run is a few values.
func (p *bcastPlan) planeScale() (aPlanes, ok bool) {
	if len(p.size) != 2 {
		return false, false
	}
	inner := p.size[1]
	switch {
	case p.ia == 1 && p.ib == 0 && p.sa[0] == inner && p.sb[0] == 1:
		return true, true
	case p.ib == 1 && p.ia == 0 && p.sb[0] == inner && p.sa[0] == 1:
		return false, true
	}
	return false, false
}

// scalePlanes sets (add: adds to) run r of dst the run r of src times
// s[r], for a plan where planeScale holds: the forward of the product,
// and the gradient of its contiguous factor (g times the other factor).
// Each element is one product (and one sum), as ops.ScaleTo / ops.Axpy
// on the run give it.
func scalePlanes(dst, src, s []float32, p *bcastPlan, add bool) {
	inner := p.size[1]
	ops.Parallel(p.size[0], max(1, bcastGrain/inner), func(lo, hi int) {
		d, x := dst[lo*inner:hi*inner], src[lo*inner:hi*inner]
		if add {
			ops.AxpyPlanes(d, x, inner, s[lo:hi])
		} else {
			ops.ScaleToPlanes(d, x, inner, s[lo:hi])
		}
	})
}

// bcastGradMulRuns adds into x.Grad the gradient of a factor x of a
// product x ⊙ o that is stretched along the runs (x's stride along the
// innermost coalesced dim is 0: a squeeze-excitation gate [N,C,1,1], a
// per-channel scale) while the other factor o is contiguous there:
//
//	∂L/∂x[i] += Σ over runs r reading x[i] of Σ_j g[r,j]·o[r,j]
//
// One ops.SumDot per run (work split over whole runs, sums kept per run,
// then added to x's elements in order), instead of writing every g·o into
// a zeroed output-sized scratch and summing it down. xIsA says which
// operand of the plan x is; out is the product (its arena lends the
// scratch).
func bcastGradMulRuns(x, o, out *Tensor, p *bcastPlan, g []float32, xIsA bool) {
	inner := p.size[len(p.size)-1]
	nRuns := p.n / inner
	sums := out.arena.get(nRuns)
	od := o.Data
	if _, ok := p.planeScale(); ok {
		// Run r reads x[r] and o's r-th run: SumDot on blocks of runs.
		ops.Parallel(nRuns, max(1, bcastGrain/inner), func(lo, hi int) {
			var sg, zero [64]float32
			for r0 := lo; r0 < hi; r0 += len(zero) {
				r1 := min(hi, r0+len(zero))
				ops.SumDotPlanes(sg[:r1-r0], sums[r0:r1], g[r0*inner:r1*inner], od[r0*inner:r1*inner], inner, zero[:r1-r0])
			}
		})
		gx := x.grad()
		for r, v := range sums[:nRuns] {
			gx[r] += v
		}
		out.arena.put(sums)
		return
	}
	ops.Parallel(nRuns, max(1, bcastGrain/inner), func(lo, hi int) {
		p.runs(lo*inner, hi*inner, func(off, ia, ib, l int) {
			io := ib
			if !xIsA {
				io = ia
			}
			_, sums[off/inner] = ops.SumDot(g[off:off+l], od[io:io+l], 0)
		})
	})
	gx := x.grad()
	p.runs(0, p.n, func(off, ia, ib, _ int) {
		ix := ia
		if !xIsA {
			ix = ib
		}
		gx[ix] += sums[off/inner]
	})
	out.arena.put(sums)
}

// bcastGradLinear adds c·g, summed down to x's shape, into x.Grad: the
// backward of an input that enters the output linearly (Add, Sub), where
// no per-element product has to be formed first.
func bcastGradLinear(x, out *Tensor, p *bcastPlan, g []float32, c float32) {
	if len(x.Data) == p.n {
		// x's term is g itself (c = 1): x takes out's buffer when it has
		// no gradient yet. Otherwise a new gradient buffer is written (a
		// copy of c·g), with no zeroing pass; an existing one is added to.
		// (The tape's "Gradient buffers" rules, tape.go.)
		if c == 1 && x.gradTake(out) {
			return
		}
		gx, fresh := x.gradWrite()
		ops.Parallel(p.n, bcastGrain, func(lo, hi int) {
			switch {
			case !fresh:
				ops.Axpy(c, g[lo:hi], gx[lo:hi])
			case c == 1:
				copy(gx[lo:hi], g[lo:hi])
			default:
				ops.ScaleTo(gx[lo:hi], g[lo:hi], c)
			}
		})
		return
	}
	if c == 1 {
		sumTo(x.grad(), g, p.out, x.Shape)
		return
	}
	tmp := out.arena.zeros(len(x.Data))
	sumTo(tmp, g, p.out, x.Shape)
	ops.Axpy(c, tmp, x.grad())
	out.arena.put(tmp)
}

// sumTo adds src (shape from) summed down to shape to into dst: the
// reverse of broadcasting to into from. to must broadcast to from.
func sumTo(dst, src []float32, from, to []int) {
	red := make([]bool, len(from))
	off := len(from) - len(to)
	for d := range from {
		red[d] = from[d] != 1 && (d < off || to[d-off] == 1)
	}
	sumKernel(dst, src, from, red)
}

// expandAdd adds src (shape small, which broadcasts to shape big) into dst
// (shape big): dst[i] += src[the element i was stretched from]. It is the
// backward of a sum over the stretched dims.
func expandAdd(dst, src []float32, big, small []int) {
	p := newBcastPlan("expandAdd", big, small)
	p.parallel(func(o, _, ib, l int) {
		if p.ib == 1 {
			ops.Axpy(1, src[ib:ib+l], dst[o:o+l])
			return
		}
		v := src[ib]
		for j := o; j < o+l; j++ {
			dst[j] += v
		}
	})
}
