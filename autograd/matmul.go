package autograd

import (
	"fmt"

	"github.com/seed477ab429/multilabel/ops"
)

// MatMul multiplies a [m,k] by b [k,n] into [m,n].
//
//	out = a·b
//	∂L/∂a = ∂L/∂out · bᵀ      ∂L/∂b = aᵀ · ∂L/∂out
//
// Both gradients accumulate into the inputs through Sgemm's beta = 1.
func MatMul(a, b *Tensor) *Tensor {
	if len(a.Shape) != 2 || len(b.Shape) != 2 || a.Shape[1] != b.Shape[0] {
		panic(fmt.Sprintf("autograd.MatMul: shapes %v and %v do not multiply (need [m,k]·[k,n])", a.Shape, b.Shape))
	}
	m, k, n := a.Shape[0], a.Shape[1], b.Shape[1]
	out := result("MatMul", []int{m, n}, a, b)
	ops.Sgemm(false, false, m, n, k, 1, a.Data, k, b.Data, n, 0, out.Data, n)
	if out.requiresGrad {
		out.backward = func() {
			g := out.Grad
			if a.requiresGrad {
				ops.Sgemm(false, true, m, k, n, 1, g, n, b.Data, n, 1, a.grad(), k)
			}
			if b.requiresGrad {
				ops.Sgemm(true, false, k, n, m, 1, a.Data, k, g, n, 1, b.grad(), n)
			}
		}
	}
	return out
}
