package autograd

import (
	"math"

	"github.com/seed477ab429/multilabel/ops"
)

// Softmax and LogSoftmax along one axis. x is viewed as [outer, L, inner]
// around the axis; each of the outer·inner "rows" (L elements, stride
// inner) is normalized on its own.
//
// Both subtract the row maximum m first: softmax(x) = softmax(x - m), and
// the shifted exponents are <= 0, so e^{x-m} never overflows, whatever
// the magnitude of x (logits of 1e4 are fine).

// Softmax: y_l = e^{x_l - m} / Σ_k e^{x_k - m}.
//
// Backward (Jacobian ∂y_l/∂x_k = y_l(δ_lk - y_k), applied to g = ∂L/∂y):
//
//	∂L/∂x_k = y_k · (g_k - Σ_l g_l y_l)
func Softmax(x *Tensor, axis int) *Tensor { return softmaxOp("Softmax", x, axis, false) }

// LogSoftmax: y_l = x_l - m - log Σ_k e^{x_k - m}.
//
// Backward (∂y_l/∂x_k = δ_lk - softmax_k, softmax = e^y):
//
//	∂L/∂x_k = g_k - e^{y_k} · Σ_l g_l
func LogSoftmax(x *Tensor, axis int) *Tensor { return softmaxOp("LogSoftmax", x, axis, true) }

func softmaxOp(op string, x *Tensor, axis int, logOut bool) *Tensor {
	outer, l, inner := axisView(op, x.Shape, axis)
	out := result(op, cloneShape(x.Shape), x)
	rows := outer * inner
	if l == 0 {
		rows = 0 // nothing to normalize
	}
	grain := max(1, unaryGrain/max(1, l))
	xd, y := x.Data, out.Data
	ops.Parallel(rows, grain, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			base := (r/inner)*l*inner + r%inner // element 0 of the row
			softmaxRow(y[base:], xd[base:], l, inner, logOut)
		}
	})
	if out.requiresGrad {
		out.backward = func() {
			gx, g := x.grad(), out.Grad
			ops.Parallel(rows, grain, func(lo, hi int) {
				for r := lo; r < hi; r++ {
					base := (r/inner)*l*inner + r%inner
					softmaxRowBackward(gx[base:], g[base:], y[base:], l, inner, logOut)
				}
			})
		}
	}
	return out
}

// softmaxRow normalizes the row x[0], x[s], ..., x[(l-1)s] into y (same
// positions); the sum runs in float64.
func softmaxRow(y, x []float32, l, s int, logOut bool) {
	m := x[0]
	for k := 1; k < l; k++ {
		m = max(m, x[k*s]) // a NaN makes the row NaN, as in PyTorch
	}
	var sum float64
	for k := range l {
		e := math.Exp(float64(x[k*s] - m))
		sum += e
		if !logOut {
			y[k*s] = float32(e)
		}
	}
	if logOut {
		lse := float32(math.Log(sum))
		for k := range l {
			y[k*s] = x[k*s] - m - lse
		}
		return
	}
	inv := float32(1 / sum)
	for k := range l {
		y[k*s] *= inv
	}
}

// softmaxRowBackward adds the row's input gradient into gx (positions as
// softmaxRow), given the output y and its gradient g.
func softmaxRowBackward(gx, g, y []float32, l, s int, logOut bool) {
	var dot float64 // Σ g·y (Softmax) or Σ g (LogSoftmax)
	for k := range l {
		if logOut {
			dot += float64(g[k*s])
		} else {
			dot += float64(g[k*s]) * float64(y[k*s])
		}
	}
	d := float32(dot)
	for k := range l {
		i := k * s
		if logOut {
			gx[i] += g[i] - float32(math.Exp(float64(y[i])))*d
		} else {
			gx[i] += y[i] * (g[i] - d)
		}
	}
}
