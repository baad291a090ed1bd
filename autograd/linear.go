package autograd

import (
	"fmt"

	"github.com/seed477ab429/multilabel/ops"
)

// Linear is nn.Linear: x [..., in], w [out, in] (PyTorch layout), b [out]
// or nil, output [..., out]. With the leading dims of x flattened into M
// rows, X [M, in]:
//
//	Y = X·Wᵀ + b                 one Sgemm with transB
//	∂L/∂X += G·W                 [M,out]·[out,in]
//	∂L/∂W += Gᵀ·X                [out,M]·[M,in]
//	∂L/∂b += Σ_rows G
func Linear(x, w, b *Tensor) *Tensor {
	if len(x.Shape) < 1 || len(w.Shape) != 2 || x.Shape[len(x.Shape)-1] != w.Shape[1] ||
		(b != nil && (len(b.Shape) != 1 || b.Shape[0] != w.Shape[0])) {
		bs := "nil"
		if b != nil {
			bs = fmt.Sprint(b.Shape)
		}
		panic(fmt.Sprintf("autograd.Linear: input %v, weight %v, bias %s (need [..., in], [out, in], [out])", x.Shape, w.Shape, bs))
	}
	in, nOut := w.Shape[1], w.Shape[0]
	m := numel(x.Shape[:len(x.Shape)-1]) // rows
	shape := cloneShape(x.Shape)
	shape[len(shape)-1] = nOut
	inputs := []*Tensor{x, w}
	if b != nil {
		inputs = append(inputs, b)
	}
	out := result("Linear", shape, inputs...)
	// Start each row from the bias, then accumulate the product (beta 1):
	// one pass over the output instead of two.
	beta := float32(0)
	if b != nil {
		for r := 0; r < m; r++ {
			copy(out.Data[r*nOut:(r+1)*nOut], b.Data)
		}
		beta = 1
	}
	ops.Sgemm(false, true, m, nOut, in, 1, x.Data, in, w.Data, in, beta, out.Data, nOut)
	if out.requiresGrad {
		out.backward = func() {
			g := out.Grad
			if x.requiresGrad {
				ops.Sgemm(false, false, m, in, nOut, 1, g, nOut, w.Data, in, 1, x.grad(), in)
			}
			if w.requiresGrad {
				ops.Sgemm(true, false, nOut, in, m, 1, g, nOut, x.Data, in, 1, w.grad(), in)
			}
			if b != nil && b.requiresGrad {
				// Each element sums the rows in order; columns in bands
				// over the cores (the same sums whatever the cut).
				gb := b.grad()
				ops.Parallel(nOut, max(16, (1<<14)/max(1, m)), func(j0, j1 int) {
					for r := 0; r < m; r++ {
						accumInto(gb[j0:j1], g[r*nOut+j0:r*nOut+j1])
					}
				})
			}
		}
	}
	return out
}

// BatchMatMul multiplies a [..., m, k] by b [..., k, n] with the same
// leading (batch) dims, or by a shared b [k, n], giving [..., m, n]
// (torch.matmul for these cases). It is MatMulT without transposes.
func BatchMatMul(a, b *Tensor) *Tensor { return MatMulT(a, b, false, false) }

// MatMulT is a (batched) matrix product with optional transposes, so that
// attention can form q·kᵀ without copying k:
//
//	out[i] = op(a[i])·op(b[i])        op(X) = Xᵀ if the flag is set
//
// a is [..., m, k] ([..., k, m] with transA), b is [..., k, n] ([..., n, k]
// with transB) with the same leading dims as a, or 2-D and then shared by
// every batch entry. Two 2-D inputs give a plain [m, n] product. The
// output is [..., m, n]. Per batch entry, with G = ∂L/∂out:
//
//	∂L/∂op(A) = G·op(B)ᵀ  →  ∂L/∂A = G·op(B)ᵀ, or op(B)·Gᵀ when transA
//	∂L/∂op(B) = op(A)ᵀ·G  →  ∂L/∂B = op(A)ᵀ·G, or Gᵀ·op(A) when transB
//
// A shared b sums its gradient over the batch.
func MatMulT(a, b *Tensor, transA, transB bool) *Tensor {
	ra, rb := len(a.Shape), len(b.Shape)
	bad := ra < 2 || rb < 2 || (rb != 2 && rb != ra)
	if !bad && rb == ra {
		bad = !SameShape(a.Shape[:ra-2], b.Shape[:rb-2])
	}
	var m, k, kb, n int
	if !bad {
		m, k = a.Shape[ra-2], a.Shape[ra-1]
		if transA {
			m, k = k, m
		}
		kb, n = b.Shape[rb-2], b.Shape[rb-1]
		if transB {
			kb, n = n, kb
		}
		bad = k != kb
	}
	if bad {
		panic(fmt.Sprintf("autograd.MatMulT: shapes %v and %v (transA=%v transB=%v) do not multiply (need [..., m, k]·[..., k, n] or a shared [k, n])", a.Shape, b.Shape, transA, transB))
	}
	batch := numel(a.Shape[:ra-2])
	shared := rb == 2 && ra > 2
	shape := append(cloneShape(a.Shape[:ra-2]), m, n)
	lda, ldb := k, n
	if transA {
		lda = m
	}
	if transB {
		ldb = k
	}
	sa, sb, sc := m*k, k*n, m*n // per-batch sizes
	if shared {
		sb = 0
	}
	out := result("MatMulT", shape, a, b)
	if shared && !transA {
		// The batch of a is just more rows: one product [batch·m, k]·[k, n].
		ops.Sgemm(false, transB, batch*m, n, k, 1, a.Data, lda, b.Data, ldb, 0, out.Data, n)
	} else {
		ops.ParallelCoarse(batch, 1, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				ops.Sgemm(transA, transB, m, n, k, 1, a.Data[i*sa:], lda, b.Data[i*sb:], ldb, 0, out.Data[i*sc:], n)
			}
		})
	}
	if !out.requiresGrad {
		return out
	}
	out.backward = func() {
		g := out.Grad
		if a.requiresGrad {
			ga := a.grad()
			if shared && !transA {
				ops.Sgemm(false, !transB, batch*m, k, n, 1, g, n, b.Data, ldb, 1, ga, lda)
			} else {
				ops.ParallelCoarse(batch, 1, func(lo, hi int) {
					for i := lo; i < hi; i++ {
						if transA { // ∂A [k, m] = op(B)·Gᵀ
							ops.Sgemm(transB, true, k, m, n, 1, b.Data[i*sb:], ldb, g[i*sc:], n, 1, ga[i*sa:], lda)
						} else { // ∂A [m, k] = G·op(B)ᵀ
							ops.Sgemm(false, !transB, m, k, n, 1, g[i*sc:], n, b.Data[i*sb:], ldb, 1, ga[i*sa:], lda)
						}
					}
				})
			}
		}
		if b.requiresGrad {
			gb := b.grad()
			switch {
			case shared && !transA && !transB: // ∂B [k, n] = Aᵀ·G over all rows
				ops.Sgemm(true, false, k, n, batch*m, 1, a.Data, lda, g, n, 1, gb, ldb)
			case shared && !transA && transB: // ∂B [n, k] = Gᵀ·A over all rows
				ops.Sgemm(true, false, n, k, batch*m, 1, g, n, a.Data, lda, 1, gb, ldb)
			case shared:
				// transA: every batch entry adds into the same ∂B, in turn.
				for i := 0; i < batch; i++ {
					matMulTGradB(transA, transB, m, n, k, a.Data[i*sa:], lda, g[i*sc:], gb, ldb)
				}
			default:
				ops.ParallelCoarse(batch, 1, func(lo, hi int) {
					for i := lo; i < hi; i++ {
						matMulTGradB(transA, transB, m, n, k, a.Data[i*sa:], lda, g[i*sc:], gb[i*sb:], ldb)
					}
				})
			}
		}
	}
	return out
}

// matMulTGradB adds one batch entry's gradient of B: op(A)ᵀ·G into a
// [k, n] B, or Gᵀ·op(A) into a [n, k] B when transB.
func matMulTGradB(transA, transB bool, m, n, k int, a []float32, lda int, g, gb []float32, ldb int) {
	if transB {
		ops.Sgemm(true, transA, n, k, m, 1, g, n, a, lda, 1, gb, ldb)
	} else {
		ops.Sgemm(!transA, false, k, n, m, 1, a, lda, g, n, 1, gb, ldb)
	}
}
