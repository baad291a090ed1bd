package autograd

import (
	"fmt"

	"github.com/seed477ab429/multilabel/ops"
)

// Indexing ops pick elements by integer position. The forward is a gather;
// the backward is the matching scatter-add: an element picked k times
// receives the sum of k gradients (an embedding row used twice in a batch
// gets both rows' gradients).
//
// Indices are plain []int, not tensors: they carry no gradient. An index
// out of range is a programming error and panics naming the op.

// IndexSelect picks entries idx along axis (torch.index_select). With x
// viewed as [outer, n, inner], n = x.Shape[axis]:
//
//	out[o, i, :] = x[o, idx[i], :]            out: x.Shape with n → len(idx)
//	∂L/∂x[o, idx[i], :] += ∂L/∂out[o, i, :]
func IndexSelect(x *Tensor, axis int, idx []int) *Tensor {
	axis = normAxis("IndexSelect", axis, len(x.Shape))
	n := x.Shape[axis]
	checkIndices("IndexSelect", idx, n, x.Shape)
	shape := cloneShape(x.Shape)
	shape[axis] = len(idx)
	outer, inner := numel(x.Shape[:axis]), numel(x.Shape[axis+1:])
	k := len(idx)
	out := result("IndexSelect", shape, x)
	// One unit of work is one copied row of inner elements.
	ops.Parallel(outer*k, max(1, 1<<14/max(1, inner)), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			o, i := r/k, r%k
			src := (o*n + idx[i]) * inner
			copy(out.Data[r*inner:(r+1)*inner], x.Data[src:src+inner])
		}
	})
	if out.requiresGrad {
		out.backward = func() {
			gx := x.grad()
			g := out.Grad
			// Different o touch disjoint parts of gx; within one o,
			// repeated indices add into the same row, so that loop is
			// serial.
			ops.Parallel(outer, max(1, 1<<14/max(1, k*inner)), func(lo, hi int) {
				for o := lo; o < hi; o++ {
					for i, j := range idx {
						r := o*k + i
						dst := (o*n + j) * inner
						accumInto(gx[dst:dst+inner], g[r*inner:(r+1)*inner])
					}
				}
			})
		}
	}
	return out
}

// Embedding looks up rows of the table w [V, D] (nn.Embedding):
//
//	out[i, :] = w[ids[i], :]                 out: [len(ids), D]
//	∂L/∂w[ids[i], :] += ∂L/∂out[i, :]        (repeated ids accumulate)
func Embedding(w *Tensor, ids []int) *Tensor {
	if len(w.Shape) != 2 {
		panic(fmt.Sprintf("autograd.Embedding: table %v is not [V, D]", w.Shape))
	}
	checkIndices("Embedding", ids, w.Shape[0], w.Shape)
	out := IndexSelect(w, 0, ids)
	out.op = "Embedding"
	return out
}

// Gather picks along axis with a full index tensor (torch.gather): index
// has indexShape, of the same rank as x, with indexShape[d] <= x.Shape[d]
// for d != axis, and the output has indexShape. For rank 2, axis 1:
//
//	out[i][j] = x[i][index[i][j]]
//	∂L/∂x[i][index[i][j]] += ∂L/∂out[i][j]
//
// and in general the axis coordinate of each output position is replaced
// by the index stored there.
func Gather(x *Tensor, axis int, index []int, indexShape []int) *Tensor {
	r := len(x.Shape)
	axis = normAxis("Gather", axis, r)
	if len(indexShape) != r || numel(indexShape) != len(index) {
		panic(fmt.Sprintf("autograd.Gather: index of shape %v (%d values) for input %v", indexShape, len(index), x.Shape))
	}
	for d := 0; d < r; d++ {
		if indexShape[d] < 0 || (d != axis && indexShape[d] > x.Shape[d]) {
			panic(fmt.Sprintf("autograd.Gather: index shape %v exceeds input %v outside axis %d", indexShape, x.Shape, axis))
		}
	}
	checkIndices("Gather", index, x.Shape[axis], x.Shape)
	// Walk the index positions with x's strides for every dimension but
	// axis (stride 0 there); the index itself supplies the axis offset.
	xs := shapeStrides(x.Shape)
	strides := cloneShape(xs)
	strides[axis] = 0
	axStride := xs[axis]
	shape := cloneShape(indexShape)
	out := result("Gather", shape, x)
	stridedWalk(shape, strides, 0, len(index), func(i, off, n, st int) {
		for j := 0; j < n; j++ {
			out.Data[i+j] = x.Data[off+j*st+index[i+j]*axStride]
		}
	})
	if out.requiresGrad {
		out.backward = func() {
			gx, g := x.grad(), out.Grad
			stridedWalk(shape, strides, 0, len(index), func(i, off, n, st int) {
				for j := 0; j < n; j++ {
					gx[off+j*st+index[i+j]*axStride] += g[i+j]
				}
			})
		}
	}
	return out
}

func checkIndices(op string, idx []int, n int, shape []int) {
	for i, j := range idx {
		if j < 0 || j >= n {
			panic(fmt.Sprintf("autograd.%s: index %d at position %d out of range [0, %d) for input %v", op, j, i, n, shape))
		}
	}
}
