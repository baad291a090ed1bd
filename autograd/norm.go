package autograd

import (
	"fmt"
	"math"

	"github.com/seed477ab429/multilabel/ops"
)

// LayerNorm normalises each row of x over its last dim C (nn.LayerNorm(C)),
// then applies the optional per-channel affine w, b [C] (nil = none).
// With the row mean μ and biased variance σ² (llm.c layernorm_forward):
//
//	rstd = 1/√(σ² + eps)     n = (x − μ)·rstd     y = n·w + b
//
// The forward saves μ and rstd per row; the backward recomputes n from x
// (llm.c layernorm_backward). With dn = g·w and means over the row:
//
//	∂L/∂x += rstd·(dn − mean(dn) − n·mean(dn·n))
//	∂L/∂w += Σ_rows g·n      ∂L/∂b += Σ_rows g
//
// (the two subtracted means are the gradient flowing through μ and σ²).
func LayerNorm(x, w, b *Tensor, eps float32) *Tensor {
	r := len(x.Shape)
	if r < 1 || (w != nil && !SameShape(w.Shape, x.Shape[r-1:])) || (b != nil && !SameShape(b.Shape, x.Shape[r-1:])) {
		panic(fmt.Sprintf("autograd.LayerNorm: input %v, weight %v, bias %v (need [..., C], [C], [C])", x.Shape, shapeOrNil(w), shapeOrNil(b)))
	}
	c := x.Shape[r-1]
	rows := numel(x.Shape[:r-1])
	inputs := []*Tensor{x}
	for _, p := range []*Tensor{w, b} {
		if p != nil {
			inputs = append(inputs, p)
		}
	}
	out := result("LayerNorm", cloneShape(x.Shape), inputs...)
	mean := make([]float32, rows)
	rstd := make([]float32, rows)
	grain := max(1, 1<<13/max(1, c))
	ops.Parallel(rows, grain, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			xr := x.Data[i*c : (i+1)*c]
			// Two passes in float64: exact enough for any row length
			// and no cancellation between E[x²] and E[x]².
			var s float64
			for _, v := range xr {
				s += float64(v)
			}
			mu := s / float64(c)
			var ss float64
			for _, v := range xr {
				d := float64(v) - mu
				ss += d * d
			}
			rs := float32(1 / math.Sqrt(ss/float64(c)+float64(eps)))
			m := float32(mu)
			mean[i], rstd[i] = m, rs
			yr := out.Data[i*c : (i+1)*c]
			for j, v := range xr {
				n := (v - m) * rs
				if w != nil {
					n *= w.Data[j]
				}
				if b != nil {
					n += b.Data[j]
				}
				yr[j] = n
			}
		}
	})
	if !out.requiresGrad {
		return out
	}
	out.backward = func() {
		g := out.Grad
		if x.requiresGrad {
			gx := x.grad()
			ops.Parallel(rows, grain, func(lo, hi int) {
				for i := lo; i < hi; i++ {
					xr, gr := x.Data[i*c:(i+1)*c], g[i*c:(i+1)*c]
					m, rs := mean[i], rstd[i]
					// mean(dn) and mean(dn·n) over the row.
					var sdn, sdnn float32
					for j, v := range xr {
						dn := gr[j]
						if w != nil {
							dn *= w.Data[j]
						}
						sdn += dn
						sdnn += dn * (v - m) * rs
					}
					sdn /= float32(c)
					sdnn /= float32(c)
					gxr := gx[i*c : (i+1)*c]
					for j, v := range xr {
						dn := gr[j]
						if w != nil {
							dn *= w.Data[j]
						}
						n := (v - m) * rs
						gxr[j] += rs * (dn - sdn - n*sdnn)
					}
				}
			})
		}
		// w and b sum over rows, each element in row order: the columns
		// are cut into bands over the cores (the same sums whatever the cut;
		// serial, they were a stretch with one core idle).
		gw, gb := []float32(nil), []float32(nil)
		if w != nil && w.requiresGrad {
			gw = w.grad()
		}
		if b != nil && b.requiresGrad {
			gb = b.grad()
		}
		if gw != nil || gb != nil {
			ops.Parallel(c, max(16, (1<<14)/max(1, rows)), func(j0, j1 int) {
				for i := 0; i < rows; i++ {
					gr := g[i*c+j0 : i*c+j1]
					if gw != nil {
						xr := x.Data[i*c+j0 : i*c+j1]
						m, rs := mean[i], rstd[i]
						gwr := gw[j0:j1]
						for j, v := range xr {
							gwr[j] += gr[j] * (v - m) * rs
						}
					}
					if gb != nil {
						accumInto(gb[j0:j1], gr)
					}
				}
			})
		}
	}
	return out
}

// L2Normalize divides x by its Euclidean norm along axis, clamped below by
// eps (torch.nn.functional.normalize(x, p=2, dim=axis, eps=eps)):
//
//	y = x / max(‖x‖, eps)
//
// Backward, per vector, with ⟨g, y⟩ the dot product along axis:
//
//	‖x‖ > eps:  ∂L/∂x += (g − y·⟨g, y⟩) / ‖x‖   (the radial part is removed)
//	otherwise:  ∂L/∂x += g / eps                  (a constant divisor)
func L2Normalize(x *Tensor, axis int, eps float32) *Tensor {
	axis = normAxis("L2Normalize", axis, len(x.Shape))
	d := x.Shape[axis]
	outer, inner := numel(x.Shape[:axis]), numel(x.Shape[axis+1:])
	out := result("L2Normalize", cloneShape(x.Shape), x)
	// denom[o*inner+i] = max(‖x[o, :, i]‖, eps), saved for the backward.
	denom := make([]float32, outer*inner)
	// Work on one outer slab [d, inner] at a time: the inner elements are
	// contiguous, so the sums run along rows of the slab.
	grain := max(1, 1<<13/max(1, d*inner))
	ops.Parallel(outer, grain, func(lo, hi int) {
		for o := lo; o < hi; o++ {
			base := o * d * inner
			dn := denom[o*inner : (o+1)*inner]
			clear(dn)
			for k := 0; k < d; k++ {
				xr := x.Data[base+k*inner : base+(k+1)*inner]
				for i, v := range xr {
					dn[i] += v * v
				}
			}
			for i, s := range dn {
				dn[i] = max(float32(math.Sqrt(float64(s))), eps)
			}
			for k := 0; k < d; k++ {
				xr := x.Data[base+k*inner : base+(k+1)*inner]
				yr := out.Data[base+k*inner : base+(k+1)*inner]
				for i, v := range xr {
					yr[i] = v / dn[i]
				}
			}
		}
	})
	if out.requiresGrad {
		out.backward = func() {
			gx, g := x.grad(), out.Grad
			ops.Parallel(outer, grain, func(lo, hi int) {
				dot := make([]float32, inner)
				for o := lo; o < hi; o++ {
					base := o * d * inner
					dn := denom[o*inner : (o+1)*inner]
					clear(dot)
					for k := 0; k < d; k++ {
						yr := out.Data[base+k*inner : base+(k+1)*inner]
						gr := g[base+k*inner : base+(k+1)*inner]
						for i, v := range yr {
							dot[i] += gr[i] * v
						}
					}
					// Where the clamp is active the norm is a constant:
					// drop the radial term.
					for i := range dot {
						if dn[i] <= eps {
							dot[i] = 0
						}
					}
					for k := 0; k < d; k++ {
						yr := out.Data[base+k*inner : base+(k+1)*inner]
						gr := g[base+k*inner : base+(k+1)*inner]
						gxr := gx[base+k*inner : base+(k+1)*inner]
						for i, v := range yr {
							gxr[i] += (gr[i] - v*dot[i]) / dn[i]
						}
					}
				}
			})
		}
	}
	return out
}

// shapeOrNil formats an optional tensor's shape for error messages.
func shapeOrNil(t *Tensor) string {
	if t == nil {
		return "nil"
	}
	return fmt.Sprint(t.Shape)
}
