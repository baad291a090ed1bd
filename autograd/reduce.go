package autograd

import (
	"fmt"

	"github.com/seed477ab429/multilabel/ops"
)

// Reductions over axes. Axes may be negative (counted from the end); an
// empty axes list means every axis. With keepdim the reduced dims stay as
// size 1 (so the result broadcasts back against the input), otherwise they
// are removed; reducing every axis without keepdim gives a scalar (shape []).

// Sum adds x over the given axes.
//
//	out[k] = Σ_{r} x[k, r]        (k: kept indices, r: reduced indices)
//	∂L/∂x[k, r] = ∂L/∂out[k]       (the gradient is broadcast back)
func Sum(x *Tensor, axes []int, keepdim bool) *Tensor {
	return sumOp("Sum", x, axes, keepdim, false)
}

// Mean averages x over the given axes: Sum divided by the number of
// elements reduced into each output, c.
//
//	out[k] = (1/c) Σ_r x[k, r]     ∂L/∂x[k, r] = ∂L/∂out[k] / c
func Mean(x *Tensor, axes []int, keepdim bool) *Tensor {
	return sumOp("Mean", x, axes, keepdim, true)
}

// SumAll is the sum of every element of x, as a scalar (shape []).
func SumAll(x *Tensor) *Tensor { return sumOp("SumAll", x, nil, false, false) }

// MeanAll is the mean of every element of x, as a scalar (shape []).
func MeanAll(x *Tensor) *Tensor { return sumOp("MeanAll", x, nil, false, true) }

func sumOp(op string, x *Tensor, axes []int, keepdim, mean bool) *Tensor {
	red, keepShape, outShape := reduceAxes(op, x.Shape, axes, keepdim)
	out := resultZeros(op, outShape, x)
	sumKernel(out.Data, x.Data, x.Shape, red)
	scale := float32(1)
	if mean {
		c := 1
		for d, r := range red {
			if r {
				c *= x.Shape[d]
			}
		}
		scale = 1 / float32(c) // c == 0 gives +Inf·0 = NaN, as torch.mean of nothing
		ops.Scale(scale, out.Data)
	}
	if out.requiresGrad {
		out.backward = func() {
			g := out.Grad
			if scale != 1 {
				g = out.arena.get(len(out.Grad))
				for i, v := range out.Grad {
					g[i] = v * scale
				}
				defer out.arena.put(g)
			}
			expandAdd(x.grad(), g, x.Shape, keepShape)
		}
	}
	return out
}

// reduceAxes validates axes for x's shape and returns which dims are
// reduced, the output shape with reduced dims kept as 1, and the output
// shape the op returns (keepdim or not).
func reduceAxes(op string, shape, axes []int, keepdim bool) (red []bool, keepShape, outShape []int) {
	red = make([]bool, len(shape))
	if len(axes) == 0 {
		for d := range red {
			red[d] = true
		}
	}
	for _, a := range axes {
		if a < -len(shape) || a >= len(shape) {
			panic(fmt.Sprintf("autograd.%s: axis %d out of range for shape %v", op, a, shape))
		}
		d := normAxis(op, a, len(shape))
		if red[d] {
			panic(fmt.Sprintf("autograd.%s: axis %d given twice in %v for shape %v", op, a, axes, shape))
		}
		red[d] = true
	}
	keepShape = make([]int, len(shape))
	outShape = []int{}
	for d, s := range shape {
		keepShape[d] = s
		if red[d] {
			keepShape[d] = 1
			if !keepdim {
				continue
			}
		}
		outShape = append(outShape, keepShape[d])
	}
	return red, keepShape, outShape
}

// sumKernel adds into dst the sums of src (the given shape) over the dims
// marked in red; dst is laid out row-major over the kept dims.
//
// Dims of size 1 are dropped and adjacent dims of the same kind merged, so
// the work is one of: [R] (sum everything), [K, R] (rows), [R, K] (add
// rows together), [R, K, R'] (per-channel sums over NCHW), ... The loop
// walks src in memory order, in runs along its innermost dim: a kept
// innermost dim adds a run into dst (Axpy), a reduced one adds the run's sum
// into one dst element. Work is split over the first kept dim, so workers
// write disjoint parts of dst; a full reduction is split into fixed blocks
// whose partial sums are added in order (same result for any thread count).
func sumKernel(dst, src []float32, shape []int, red []bool) {
	var size []int
	var isRed []bool
	for d, s := range shape {
		if s == 1 {
			continue
		}
		if k := len(size) - 1; k >= 0 && isRed[k] == red[d] {
			size[k] *= s
			continue
		}
		size = append(size, s)
		isRed = append(isRed, red[d])
	}
	n := numel(shape)
	switch {
	case n == 0:
		return
	case len(size) == 0: // a single element
		dst[0] += src[0]
		return
	case len(size) == 1 && isRed[0]:
		dst[0] += sumAllKernel(src)
		return
	}
	m := len(size)
	ss := make([]int, m) // src strides (contiguous)
	ds := make([]int, m) // dst strides (0 on reduced dims)
	sAcc, dAcc := 1, 1
	for d := m - 1; d >= 0; d-- {
		ss[d] = sAcc
		sAcc *= size[d]
		if !isRed[d] {
			ds[d] = dAcc
			dAcc *= size[d]
		}
	}
	part := 0 // the first kept dim: workers split it
	for isRed[part] {
		part++
	}
	grain := max(1, bcastGrain*size[part]/n)
	ops.Parallel(size[part], grain, func(lo, hi int) {
		start := make([]int, m)
		end := append([]int(nil), size...)
		start[part], end[part] = lo, hi
		idx := append([]int(nil), start...)
		in, l := m-1, end[m-1]-start[m-1] // innermost dim: one run
		for {
			si, di := 0, 0
			for d := range m {
				si += idx[d] * ss[d]
				di += idx[d] * ds[d]
			}
			if isRed[in] {
				dst[di] += ops.Sum(src[si : si+l])
			} else {
				ops.Axpy(1, src[si:si+l], dst[di:di+l])
			}
			d := in - 1 // odometer over the outer dims
			for ; d >= 0; d-- {
				if idx[d]++; idx[d] < end[d] {
					break
				}
				idx[d] = start[d]
			}
			if d < 0 {
				return
			}
		}
	})
}

// sumAllKernel returns Σ src, summed in fixed blocks of bcastGrain elements
// (float64 within a block) whose partial sums are then added in order.
func sumAllKernel(src []float32) float32 {
	nb := (len(src) + bcastGrain - 1) / bcastGrain
	if nb == 1 {
		return ops.Sum(src)
	}
	part := make([]float64, nb)
	ops.Parallel(nb, 1, func(lo, hi int) {
		for b := lo; b < hi; b++ {
			part[b] = float64(ops.Sum(src[b*bcastGrain : min((b+1)*bcastGrain, len(src))]))
		}
	})
	var s float64
	for _, v := range part {
		s += v
	}
	return float32(s)
}

// Max takes the largest element of x along axis.
//
//	out[o, i] = max_l x[o, l, i]      (x viewed as [outer, L, inner])
//	∂L/∂x[o, l, i] = ∂L/∂out[o, i] if l is the arg-max, else 0
//
// Ties go to the first maximal element, which alone receives the gradient
// (PyTorch's max(dim) picks one index too). A NaN wins, as in PyTorch.
func Max(x *Tensor, axis int, keepdim bool) *Tensor {
	return maxMinOp("Max", x, axis, keepdim, false)
}

// Min is Max for the smallest element (same tie and gradient rules).
func Min(x *Tensor, axis int, keepdim bool) *Tensor {
	return maxMinOp("Min", x, axis, keepdim, true)
}

// Argmax returns, for each position of x with axis removed (row-major),
// the index along axis of its largest element (first one on ties). It
// records nothing on the tape.
func Argmax(x *Tensor, axis int) []int {
	outer, l, inner := axisView("Argmax", x.Shape, axis)
	arg := make([]int32, outer*inner)
	val := make([]float32, outer*inner)
	argExtreme(val, arg, x.Data, outer, l, inner, false)
	res := make([]int, len(arg))
	for i, a := range arg {
		res[i] = int(a)
	}
	return res
}

func maxMinOp(op string, x *Tensor, axis int, keepdim, isMin bool) *Tensor {
	outer, l, inner := axisView(op, x.Shape, axis)
	if l == 0 {
		panic(fmt.Sprintf("autograd.%s: empty axis %d of shape %v", op, axis, x.Shape))
	}
	_, _, outShape := reduceAxes(op, x.Shape, []int{axis}, keepdim)
	out := result(op, outShape, x)
	arg := make([]int32, outer*inner) // saved for the backward
	argExtreme(out.Data, arg, x.Data, outer, l, inner, isMin)
	if out.requiresGrad {
		out.backward = func() {
			gx := x.grad()
			for o := range outer {
				for i := range inner {
					k := o*inner + i
					gx[(o*l+int(arg[k]))*inner+i] += out.Grad[k]
				}
			}
		}
	}
	return out
}

// axisView views shape as [outer, L, inner] around axis.
func axisView(op string, shape []int, axis int) (outer, l, inner int) {
	if len(shape) == 0 {
		panic(fmt.Sprintf("autograd.%s: axis %d of a scalar (shape %v)", op, axis, shape))
	}
	if axis < -len(shape) || axis >= len(shape) {
		panic(fmt.Sprintf("autograd.%s: axis %d out of range for shape %v", op, axis, shape))
	}
	a := normAxis(op, axis, len(shape))
	return numel(shape[:a]), shape[a], numel(shape[a+1:])
}

// argExtreme writes the max (or min) over l of x [outer, l, inner] into
// val [outer, inner] and its first index into arg. It walks each outer
// block row by row so the inner loop is contiguous.
func argExtreme(val []float32, arg []int32, x []float32, outer, l, inner int, isMin bool) {
	ops.Parallel(outer, max(1, bcastGrain/max(1, l*inner)), func(lo, hi int) {
		for o := lo; o < hi; o++ {
			v, a := val[o*inner:(o+1)*inner], arg[o*inner:(o+1)*inner]
			copy(v, x[o*l*inner:])
			clear(a)
			for j := 1; j < l; j++ {
				row := x[(o*l+j)*inner : (o*l+j+1)*inner]
				for i, r := range row {
					better := r > v[i]
					if isMin {
						better = r < v[i]
					}
					// NaN propagates: once v is NaN nothing replaces it.
					if better || (r != r && v[i] == v[i]) {
						v[i], a[i] = r, int32(j)
					}
				}
			}
		}
	})
}
