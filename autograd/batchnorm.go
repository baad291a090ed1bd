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
	grain := max(1, 1<<14/max(1, cnt))
	ops.Parallel(c, grain, func(lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			var mu, rs float32
			if training {
				var s float64
				for i := 0; i < nb; i++ {
					for _, v := range x.Data[i*chw+ch*hw : i*chw+(ch+1)*hw] {
						s += float64(v)
					}
				}
				m64 := s / float64(cnt)
				var ss float64
				for i := 0; i < nb; i++ {
					for _, v := range x.Data[i*chw+ch*hw : i*chw+(ch+1)*hw] {
						d := float64(v) - m64
						ss += d * d
					}
				}
				v64 := ss / float64(cnt) // biased, for normalising
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
				o := i*chw + ch*hw
				xr, yr := x.Data[o:o+hw], out.Data[o:o+hw]
				for j, v := range xr {
					yr[j] = v*scale + shift
				}
			}
		}
	})
	if !out.requiresGrad {
		return out
	}
	out.backward = func() {
		g := out.Grad
		var gx, gw, gb []float32
		if x.requiresGrad {
			gx = x.grad()
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
				// Σg and Σg·n over the channel: they give ∂γ, ∂β, and
				// (times γ) Σdn and Σdn·n for the training ∂x.
				var sg, sgn float64
				for i := 0; i < nb; i++ {
					o := i*chw + ch*hw
					gr := g[o : o+hw]
					for j, v := range x.Data[o : o+hw] {
						sg += float64(gr[j])
						sgn += float64(gr[j] * (v - mu) * rs)
					}
				}
				if gw != nil {
					gw[ch] += float32(sgn)
				}
				if gb != nil {
					gb[ch] += float32(sg)
				}
				if gx == nil {
					continue
				}
				// training: ∂x = γ·rstd·(g − mean(g) − n·mean(g·n));
				// eval:     ∂x = γ·rstd·g.
				k := gamma * rs
				var mg, mgn float32
				if training {
					mg, mgn = float32(sg/float64(cnt)), float32(sgn/float64(cnt))
				}
				for i := 0; i < nb; i++ {
					o := i*chw + ch*hw
					gr, gxr := g[o:o+hw], gx[o:o+hw]
					for j, v := range x.Data[o : o+hw] {
						n := (v - mu) * rs
						gxr[j] += k * (gr[j] - mg - n*mgn)
					}
				}
			}
		})
	}
	return out
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
