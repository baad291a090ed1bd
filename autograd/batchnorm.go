package autograd

import (
	"fmt"
	"math"

	"github.com/seed477ab429/multilabel/ops"
)

// BatchNorm2d is nn.BatchNorm2d on x [N, C, H, W]; any x [N, C, ...] works
// (so [N, C] and [N, C, L] give BatchNorm1d, see BatchNorm1d). Statistics
// are per channel c over the M = N·H·W values x[:, c, ...]. w, b [C] are
// the affine γ, β (nil = affine=False); runMean, runVar [C] are plain
// buffers, updated in place, never differentiated.
//
// Training (batch statistics, biased variance σ² to normalise):
//
//	μ = mean(x_c)   σ² = mean((x_c − μ)²)   rstd = 1/√(σ² + eps)
//	n = (x − μ)·rstd                         y = n·γ + β
//	runMean ← (1−m)·runMean + m·μ
//	runVar  ← (1−m)·runVar  + m·σ²·M/(M−1)   (unbiased, as PyTorch)
//
// and the backward goes through μ and σ² (like LayerNorm's, per channel),
// with dn = g·γ and sums over the channel's M values:
//
//	∂L/∂x += rstd/M · (M·dn − Σdn − n·Σ(dn·n))
//	∂L/∂γ += Σ g·n        ∂L/∂β += Σ g
//
// runMean/runVar may be nil in training (track_running_stats=False).
//
// Eval uses the running statistics, a per-channel affine map:
//
//	rstd = 1/√(runVar + eps)   n = (x − runMean)·rstd   y = n·γ + β
//	∂L/∂x += g·γ·rstd      ∂L/∂γ += Σ g·n      ∂L/∂β += Σ g
//
// Channels are independent, so every loop runs in parallel over C.
func BatchNorm2d(x, w, b, runMean, runVar *Tensor, training bool, momentum, eps float32) *Tensor {
	if len(x.Shape) < 2 {
		panic(fmt.Sprintf("autograd.BatchNorm2d: input %v is not [N, C, ...]", x.Shape))
	}
	nb, c := x.Shape[0], x.Shape[1]
	hw := numel(x.Shape[2:])
	cs := []int{c}
	for _, p := range []*Tensor{w, b, runMean, runVar} {
		if p != nil && !SameShape(p.Shape, cs) {
			panic(fmt.Sprintf("autograd.BatchNorm2d: input %v with weight %v, bias %v, running mean %v, running var %v (need [C] each)",
				x.Shape, shapeOrNil(w), shapeOrNil(b), shapeOrNil(runMean), shapeOrNil(runVar)))
		}
	}
	if !training && (runMean == nil || runVar == nil) {
		panic(fmt.Sprintf("autograd.BatchNorm2d: eval mode on input %v needs running mean and variance", x.Shape))
	}
	cnt := nb * hw
	if training && cnt <= 1 {
		panic(fmt.Sprintf("autograd.BatchNorm2d: input %v has %d value per channel; training needs more than 1", x.Shape, cnt))
	}
	inputs := []*Tensor{x}
	for _, p := range []*Tensor{w, b} {
		if p != nil {
			inputs = append(inputs, p)
		}
	}
	out := result("BatchNorm2d", cloneShape(x.Shape), inputs...)
	mean := make([]float32, c)
	rstd := make([]float32, c)
	chw := c * hw
	plane := func(s []float32, i, ch int) []float32 { return s[i*chw+ch*hw : i*chw+(ch+1)*hw] }
	cntf := float64(cnt)
	grain := max(1, 1<<14/max(1, cnt))
	ops.Parallel(c, grain, func(lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			var mu, rs float32
			if training {
				// Corrected two-pass statistics, one (n, c) plane per
				// kernel call (float32 lanes inside, float64 across
				// planes): pass one gives μ = Σx/M; pass two gives
				// d1 = Σ(x−μ) and d2 = Σ(x−μ)² about the float32 μ, and
				// Σ(x−m)² = d2 − d1²/M about the exact mean m = μ + d1/M.
				// The channel's M values are still in L2 for pass two.
				var s float64
				for i := 0; i < nb; i++ {
					s1, _ := ops.SumSq(plane(x.Data, i, ch), 0)
					s += float64(s1)
				}
				mu = float32(s / cntf)
				var d1, d2 float64
				for i := 0; i < nb; i++ {
					a, b := ops.SumSq(plane(x.Data, i, ch), mu)
					d1 += float64(a)
					d2 += float64(b)
				}
				m64 := float64(mu) + d1/cntf
				ss := max(d2-d1*d1/cntf, 0)
				v64 := ss / cntf // biased, for normalising
				mu, rs = float32(m64), float32(1/math.Sqrt(v64+float64(eps)))
				if runMean != nil {
					runMean.Data[ch] = (1-momentum)*runMean.Data[ch] + momentum*mu
				}
				if runVar != nil {
					unbiased := float32(ss / float64(cnt-1))
					runVar.Data[ch] = (1-momentum)*runVar.Data[ch] + momentum*unbiased
				}
			} else {
				mu = runMean.Data[ch]
				rs = float32(1 / math.Sqrt(float64(runVar.Data[ch])+float64(eps)))
			}
			mean[ch], rstd[ch] = mu, rs
			// y = x·scale + shift, folding μ, rstd, γ, β per channel.
			scale, shift := rs, -mu*rs
			if w != nil {
				scale *= w.Data[ch]
				shift *= w.Data[ch]
			}
			if b != nil {
				shift += b.Data[ch]
			}
			for i := 0; i < nb; i++ {
				ops.ScaleShift(plane(out.Data, i, ch), plane(x.Data, i, ch), scale, shift)
			}
		}
	})
	if !out.requiresGrad {
		return out
	}
	out.backward = func() {
		g := out.Grad
		var gx, gw, gb []float32
		fresh := false // gx is a new, unzeroed buffer: write, do not add
		if x.requiresGrad {
			gx, fresh = gradToWrite(x)
		}
		if w != nil && w.requiresGrad {
			gw = w.grad()
		}
		if b != nil && b.requiresGrad {
			gb = b.grad()
		}
		ops.Parallel(c, grain, func(lo, hi int) {
			for ch := lo; ch < hi; ch++ {
				mu, rs := mean[ch], rstd[ch]
				gamma := float32(1)
				if w != nil {
					gamma = w.Data[ch]
				}
				// Σg and Σg·n = rstd·Σg·(x−μ) over the channel: they give
				// ∂γ, ∂β, and (times γ) Σdn and Σdn·n for the training ∂x.
				var sg, sgx float64
				for i := 0; i < nb; i++ {
					a, b := ops.SumDot(plane(g, i, ch), plane(x.Data, i, ch), mu)
					sg += float64(a)
					sgx += float64(b)
				}
				sgn := sgx * float64(rs)
				if gw != nil {
					gw[ch] += float32(sgn)
				}
				if gb != nil {
					gb[ch] += float32(sg)
				}
				if gx == nil {
					continue
				}
				// training: ∂x = γ·rstd·(g − mean(g) − n·mean(g·n))
				//              = k·g − k·rstd·mean(g·n)·(x−μ) − k·mean(g);
				// eval:     ∂x = k·g;  k = γ·rstd.
				k := gamma * rs
				for i := 0; i < nb; i++ {
					gr, xr, gxr := plane(g, i, ch), plane(x.Data, i, ch), plane(gx, i, ch)
					switch {
					case training && fresh:
						ops.Combine(gxr, gr, xr, k, -k*rs*float32(sgn/cntf), mu, -k*float32(sg/cntf))
					case training:
						ops.CombineAdd(gxr, gr, xr, k, -k*rs*float32(sgn/cntf), mu, -k*float32(sg/cntf))
					case fresh:
						ops.ScaleTo(gxr, gr, k)
					default:
						ops.Axpy(k, gr, gxr)
					}
				}
			}
		})
	}
	return out
}

// gradToWrite returns t's gradient buffer for an op whose backward covers
// every element, and whether the buffer is new: a new one comes from the
// arena unzeroed (saving a pass that clears it), so the op must write (=)
// rather than add (+=). An existing one holds other ops' terms: add.
// BatchNorm2d, unary's write forms (activation.go) and
// bcastGradLinear (broadcast.go) use it.
func gradToWrite(t *Tensor) (g []float32, fresh bool) {
	if t.Grad != nil {
		return t.Grad, false
	}
	t.Grad = t.arena.get(len(t.Data))
	return t.Grad, true
}

// BatchNorm1d is nn.BatchNorm1d on x [N, C] or [N, C, L]: the same
// per-channel normalisation as BatchNorm2d, with L (or 1) in place of H·W.
func BatchNorm1d(x, w, b, runMean, runVar *Tensor, training bool, momentum, eps float32) *Tensor {
	if len(x.Shape) != 2 && len(x.Shape) != 3 {
		panic(fmt.Sprintf("autograd.BatchNorm1d: input %v is not [N, C] or [N, C, L]", x.Shape))
	}
	out := BatchNorm2d(x, w, b, runMean, runVar, training, momentum, eps)
	out.op = "BatchNorm1d"
	return out
}
