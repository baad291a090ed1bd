package autograd

import (
	"fmt"

	"github.com/seed477ab429/multilabel/ops"
)

// Shape ops: they move elements around without arithmetic, so each
// backward is the same movement run in reverse, adding (never writing)
// into the input's gradient.
//
// Permute, Transpose and BroadcastTo are all one loop: walk the output in
// row-major order and read the input at offset Σ idx[d]·stride[d], where
// stride is the input's stride of the output dimension d (0 for a
// broadcast dimension). The backward walks the same offsets and adds.

// Permute returns a copy of x with its dimensions reordered: output
// dimension i is input dimension dims[i] (torch.permute followed by
// .contiguous()). dims must be a permutation of 0..rank-1; negative entries
// count from the end.
//
//	out[i_0, ..., i_{r-1}] = x[j]   with j_{dims[d]} = i_d
//	∂L/∂x[j] += ∂L/∂out[i]          (the inverse permutation)
func Permute(x *Tensor, dims ...int) *Tensor {
	r := len(x.Shape)
	if len(dims) != r {
		panic(fmt.Sprintf("autograd.Permute: %d dims %v for input %v", len(dims), dims, x.Shape))
	}
	seen := make([]bool, r)
	perm := make([]int, r)
	for i, d := range dims {
		if d < 0 {
			d += r
		}
		if d < 0 || d >= r || seen[d] {
			panic(fmt.Sprintf("autograd.Permute: dims %v are not a permutation for input %v", dims, x.Shape))
		}
		seen[d] = true
		perm[i] = d
	}
	inStride := shapeStrides(x.Shape)
	shape := make([]int, r)
	strides := make([]int, r) // input stride of each output dimension
	for i, d := range perm {
		shape[i] = x.Shape[d]
		strides[i] = inStride[d]
	}
	out := result("Permute", shape, x)
	ops.Parallel(len(out.Data), 1<<14, func(lo, hi int) {
		stridedGather(out.Data, x.Data, shape, strides, lo, hi)
	})
	if out.requiresGrad {
		out.backward = func() {
			gx := x.grad()
			// A permutation touches each input element once, so
			// disjoint output ranges add into disjoint input elements.
			ops.Parallel(len(out.Grad), 1<<14, func(lo, hi int) {
				stridedScatterAdd(gx, out.Grad, shape, strides, lo, hi)
			})
		}
	}
	return out
}

// Transpose swaps dimensions d0 and d1 of x (a copy, like
// x.transpose(d0, d1).contiguous()). Negative dims count from the end.
func Transpose(x *Tensor, d0, d1 int) *Tensor {
	r := len(x.Shape)
	d0, d1 = normAxis("Transpose", d0, r), normAxis("Transpose", d1, r)
	dims := make([]int, r)
	for i := range dims {
		dims[i] = i
	}
	dims[d0], dims[d1] = d1, d0
	return Permute(x, dims...)
}

// BroadcastTo returns x expanded to shape under NumPy/PyTorch broadcasting:
// x's dims are aligned with the trailing dims of shape and each must equal
// the target or be 1 (then repeated). Unlike torch.expand the result is a
// copy.
//
//	out[i] = x[i with broadcast dims set to 0]
//	∂L/∂x[j] += Σ over the out[i] that read x[j] of ∂L/∂out[i]
func BroadcastTo(x *Tensor, shape ...int) *Tensor {
	r := len(shape)
	if len(x.Shape) > r {
		panic(fmt.Sprintf("autograd.BroadcastTo: cannot broadcast %v to %v", x.Shape, shape))
	}
	checkShape("BroadcastTo", shape)
	inStride := shapeStrides(x.Shape)
	strides := make([]int, r)
	off := r - len(x.Shape)
	for i := off; i < r; i++ {
		d := x.Shape[i-off]
		switch {
		case d == shape[i]:
			strides[i] = inStride[i-off]
		case d == 1:
			strides[i] = 0
		default:
			panic(fmt.Sprintf("autograd.BroadcastTo: cannot broadcast %v to %v", x.Shape, shape))
		}
	}
	shape = cloneShape(shape)
	out := result("BroadcastTo", shape, x)
	ops.Parallel(len(out.Data), 1<<14, func(lo, hi int) {
		stridedGather(out.Data, x.Data, shape, strides, lo, hi)
	})
	if out.requiresGrad {
		out.backward = func() {
			// Many outputs add into one input element: serial.
			stridedScatterAdd(x.grad(), out.Grad, shape, strides, 0, len(out.Grad))
		}
	}
	return out
}

// Unsqueeze inserts a dimension of size 1 at position axis (a view);
// axis may be rank (append) or negative (counted from rank+1).
func Unsqueeze(x *Tensor, axis int) *Tensor {
	r := len(x.Shape)
	axis = normAxis("Unsqueeze", axis, r+1)
	shape := make([]int, 0, r+1)
	shape = append(shape, x.Shape[:axis]...)
	shape = append(shape, 1)
	shape = append(shape, x.Shape[axis:]...)
	return Reshape(x, shape...)
}

// Squeeze removes dimension axis, which must have size 1 (a view).
func Squeeze(x *Tensor, axis int) *Tensor {
	axis = normAxis("Squeeze", axis, len(x.Shape))
	if x.Shape[axis] != 1 {
		panic(fmt.Sprintf("autograd.Squeeze: dimension %d of %v is not 1", axis, x.Shape))
	}
	shape := make([]int, 0, len(x.Shape)-1)
	shape = append(shape, x.Shape[:axis]...)
	shape = append(shape, x.Shape[axis+1:]...)
	return Reshape(x, shape...)
}

// Concat joins tensors along axis; all other dimensions must agree
// (torch.cat). Viewed as [outer, size_axis·inner] matrices, each input
// contributes a block of columns; the backward hands each input back its
// block of the output gradient.
func Concat(axis int, xs ...*Tensor) *Tensor {
	if len(xs) == 0 {
		panic("autograd.Concat: no inputs")
	}
	r := len(xs[0].Shape)
	axis = normAxis("Concat", axis, r)
	shape := cloneShape(xs[0].Shape)
	shape[axis] = 0
	for _, x := range xs {
		ok := len(x.Shape) == r
		for d := 0; ok && d < r; d++ {
			ok = d == axis || x.Shape[d] == xs[0].Shape[d]
		}
		if !ok {
			panic(fmt.Sprintf("autograd.Concat: shapes %v and %v differ outside axis %d", xs[0].Shape, x.Shape, axis))
		}
		shape[axis] += x.Shape[axis]
	}
	outer, inner := numel(shape[:axis]), numel(shape[axis+1:])
	row := shape[axis] * inner // output elements per outer index
	out := result("Concat", shape, xs...)
	col := 0
	for _, x := range xs {
		w := x.Shape[axis] * inner
		for o := 0; o < outer; o++ {
			copy(out.Data[o*row+col:o*row+col+w], x.Data[o*w:(o+1)*w])
		}
		col += w
	}
	if out.requiresGrad {
		out.backward = func() {
			col := 0
			for _, x := range xs {
				w := x.Shape[axis] * inner
				if x.requiresGrad {
					gx := x.grad()
					for o := 0; o < outer; o++ {
						accumInto(gx[o*w:(o+1)*w], out.Grad[o*row+col:o*row+col+w])
					}
				}
				col += w
			}
		}
	}
	return out
}

// Slice returns x narrowed to [start, end) along axis
// (torch.narrow(x, axis, start, end-start)): a view sharing x's Data when
// the window is one contiguous range (every dimension before axis is 1),
// else a copy. The backward adds the output gradient into that window of
// x's gradient; the rest gets nothing. (A view of a parameter shares its
// gradient: tape.go, "Gradient buffers".)
func Slice(x *Tensor, axis, start, end int) *Tensor {
	axis = normAxis("Slice", axis, len(x.Shape))
	if start < 0 || end > x.Shape[axis] || start > end {
		panic(fmt.Sprintf("autograd.Slice: range [%d, %d) out of bounds for dimension %d of %v", start, end, axis, x.Shape))
	}
	shape := cloneShape(x.Shape)
	shape[axis] = end - start
	outer, inner := numel(x.Shape[:axis]), numel(x.Shape[axis+1:])
	inRow := x.Shape[axis] * inner
	w := (end - start) * inner
	off := start * inner
	if outer == 1 { // a contiguous range of x: a view (tape.go, "Gradient buffers")
		return view("Slice", x, shape, off, off+w)
	}
	out := result("Slice", shape, x)
	for o := 0; o < outer; o++ {
		copy(out.Data[o*w:(o+1)*w], x.Data[o*inRow+off:o*inRow+off+w])
	}
	if out.requiresGrad {
		out.backward = func() {
			gx := x.grad()
			for o := 0; o < outer; o++ {
				accumInto(gx[o*inRow+off:o*inRow+off+w], out.Grad[o*w:(o+1)*w])
			}
		}
	}
	return out
}

// Split cuts x along axis into consecutive pieces of the given sizes,
// which must sum to x.Shape[axis] (torch.split with a list of sizes). Each
// piece is a Slice, so each has its own backward into x.
func Split(x *Tensor, axis int, sizes ...int) []*Tensor {
	axis = normAxis("Split", axis, len(x.Shape))
	total := 0
	for _, s := range sizes {
		if s < 0 {
			panic(fmt.Sprintf("autograd.Split: negative size in %v for %v", sizes, x.Shape))
		}
		total += s
	}
	if total != x.Shape[axis] {
		panic(fmt.Sprintf("autograd.Split: sizes %v sum to %d, dimension %d of %v is %d", sizes, total, axis, x.Shape, x.Shape[axis]))
	}
	parts := make([]*Tensor, len(sizes))
	start := 0
	for i, s := range sizes {
		parts[i] = Slice(x, axis, start, start+s)
		start += s
	}
	return parts
}

// shapeStrides returns the row-major strides of a contiguous tensor.
func shapeStrides(shape []int) []int {
	s := make([]int, len(shape))
	acc := 1
	for i := len(shape) - 1; i >= 0; i-- {
		s[i] = acc
		acc *= shape[i]
	}
	return s
}

// stridedGather writes dst[i] = src[Σ idx_d·strides[d]] for the flat
// output positions i in [lo, hi), where idx is i unravelled over shape.
// The innermost dimension runs as a tight loop; the index counter is
// advanced once per inner row, not recomputed per element.
func stridedGather(dst, src []float32, shape, strides []int, lo, hi int) {
	stridedWalk(shape, strides, lo, hi, func(i, off, n, st int) {
		d := dst[i : i+n]
		if st == 1 { // the innermost dim stays innermost: a plain copy
			copy(d, src[off:off+n])
			return
		}
		for j := range d {
			d[j] = src[off+j*st]
		}
	})
}

// stridedScatterAdd is the adjoint of stridedGather:
// dst[Σ idx_d·strides[d]] += src[i] for i in [lo, hi).
func stridedScatterAdd(dst, src []float32, shape, strides []int, lo, hi int) {
	stridedWalk(shape, strides, lo, hi, func(i, off, n, st int) {
		s := src[i : i+n]
		for j, v := range s {
			dst[off+j*st] += v
		}
	})
}

// stridedWalk calls run(i, off, n, st) for each run of n consecutive flat
// output positions starting at i, all within one innermost row, whose
// source offsets are off, off+st, ..., covering [lo, hi).
func stridedWalk(shape, strides []int, lo, hi int, run func(i, off, n, st int)) {
	if lo >= hi {
		return
	}
	r := len(shape)
	if r == 0 {
		run(0, 0, 1, 0)
		return
	}
	last := shape[r-1]
	st := strides[r-1]
	// Unravel lo into idx (outer dims) and the position in the inner row.
	idx := make([]int, r)
	rem := lo
	for d := r - 1; d >= 0; d-- {
		idx[d] = rem % shape[d]
		rem /= shape[d]
	}
	off := 0
	for d := 0; d < r; d++ {
		off += idx[d] * strides[d]
	}
	for i := lo; i < hi; {
		n := min(last-idx[r-1], hi-i)
		run(i, off, n, st)
		i += n
		// Move to the start of the next inner row.
		off -= idx[r-1] * st
		idx[r-1] = 0
		for d := r - 2; d >= 0; d-- {
			idx[d]++
			off += strides[d]
			if idx[d] < shape[d] {
				break
			}
			off -= idx[d] * strides[d]
			idx[d] = 0
		}
	}
}

// accumInto adds src into dst element-wise (equal lengths).
func accumInto(dst, src []float32) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] += v
	}
}
