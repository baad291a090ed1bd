package autograd

import (
	"fmt"
	"math"

	"github.com/seed477ab429/multilabel/ops"
)

// Activation is an element-wise activation fused into the op before it
// (BatchNormOpts.Act): applied in the same pass over memory, with its
// backward folded into that op's, so the pre-activation is never stored.
type Activation uint8

// The activations an op can fuse.
const (
	ActNone      Activation = iota
	ActReLU                 // max(z, 0)
	ActLeakyReLU            // z for z > 0, else Slope·z
	ActSiLU                 // z·σ(z)
)

var actNames = [...]string{"", "ReLU", "LeakyReLU", "SiLU"}

// String names the activation ("" for ActNone).
func (a Activation) String() string {
	if int(a) < len(actNames) {
		return actNames[a]
	}
	return fmt.Sprintf("Activation(%d)", a)
}

// BatchNormOpts are BatchNorm2d's parameters, buffers and mode.
type BatchNormOpts struct {
	// Weight and Bias are the affine γ, β [C]; nil both for affine=False.
	Weight, Bias *Tensor
	// RunningMean and RunningVar [C] are plain buffers, updated in place in
	// training and never differentiated. Eval needs them; training may go
	// without (track_running_stats=False).
	RunningMean, RunningVar *Tensor
	// Training selects batch statistics (and updates the running ones);
	// otherwise the running statistics normalise.
	Training bool
	// Momentum and Eps are used as given (PyTorch's defaults: 0.1, 1e-5).
	Momentum, Eps float32
	// Act applies an activation to the result in the same pass (timm's
	// BatchNormAct2d): y = Act(n·γ + β). Slope is ActLeakyReLU's negative
	// slope.
	Act   Activation
	Slope float32
}

// BatchNorm2d is nn.BatchNorm2d on x [N, C, H, W], optionally followed by
// an activation; any x [N, C, ...] works (so [N, C] and [N, C, L] give
// BatchNorm1d, see BatchNorm1d). Statistics are per channel c over the
// M = N·H·W values x[:, c, ...].
//
// Training (batch statistics, biased variance σ² to normalise):
//
//	μ = mean(x_c)   σ² = mean((x_c − μ)²)   rstd = 1/√(σ² + eps)
//	n = (x − μ)·rstd     z = n·γ + β     y = act(z)
//	runMean ← (1−m)·runMean + m·μ
//	runVar  ← (1−m)·runVar  + m·σ²·M/(M−1)   (unbiased, as PyTorch)
//
// The backward goes through the activation (gz = g·act'(z), z recomputed
// from x, not stored) and then through μ and σ² (like LayerNorm's, per
// channel), with dn = gz·γ and sums over the channel's M values:
//
//	∂L/∂x += rstd/M · (M·dn − Σdn − n·Σ(dn·n))
//	∂L/∂γ += Σ gz·n        ∂L/∂β += Σ gz
//
// Eval uses the running statistics, a per-channel affine map:
//
//	rstd = 1/√(runVar + eps)   n = (x − runMean)·rstd   z = n·γ + β
//	∂L/∂x += gz·γ·rstd      ∂L/∂γ += Σ gz·n      ∂L/∂β += Σ gz
//
// Channels are independent, so every loop runs in parallel over C, and
// each channel's sums run over its planes in a fixed order: the result
// does not depend on the number of threads.
func BatchNorm2d(x *Tensor, o BatchNormOpts) *Tensor {
	return batchNorm("BatchNorm2d", x, o)
}

// BatchNorm1d is nn.BatchNorm1d on x [N, C] or [N, C, L]: the same
// per-channel normalisation as BatchNorm2d, with L (or 1) in place of H·W.
func BatchNorm1d(x *Tensor, o BatchNormOpts) *Tensor {
	if len(x.Shape) != 2 && len(x.Shape) != 3 {
		panic(fmt.Sprintf("autograd.BatchNorm1d: input %v is not [N, C] or [N, C, L]", x.Shape))
	}
	return batchNorm("BatchNorm1d", x, o)
}

func batchNorm(op string, x *Tensor, o BatchNormOpts) *Tensor {
	p := newBNPlan(op, x, o)
	if o.Act != ActNone {
		op += "+" + o.Act.String()
	}
	inputs := []*Tensor{x}
	for _, t := range []*Tensor{o.Weight, o.Bias} {
		if t != nil {
			inputs = append(inputs, t)
		}
	}
	out := result(op, cloneShape(x.Shape), inputs...)
	p.forward(x.Data, out.Data)
	if out.requiresGrad {
		lazyRead(x)
		out.backward = func() { p.backward(x, out) }
		// out is one pass from x with the saved statistics, and the
		// backward reads x, not out (recompute.go).
		out.setRecompute(func(y []float32) { p.apply(x.Data, y) }, x)
	}
	return out
}

// BatchNormEvalAffine returns the per-channel scale and shift of
// eval-mode batch norm, z = x·scale + shift (o's running statistics,
// weight and bias), computed exactly as BatchNorm2d computes them: with
// Conv2dOpts.Epilogue the convolution then gives the bits of conv →
// BatchNorm2d → activation.
func BatchNormEvalAffine(o BatchNormOpts) (scale, shift []float32) {
	if o.RunningMean == nil || o.RunningVar == nil {
		panic("autograd.BatchNormEvalAffine: needs running mean and variance")
	}
	c := len(o.RunningMean.Data)
	p := &bnPlan{BatchNormOpts: o, c: c, mean: make([]float32, c), rstd: make([]float32, c)}
	scale, shift = make([]float32, c), make([]float32, c)
	for ch := range c {
		p.evalStats(ch)
		scale[ch], shift[ch] = p.affine(ch)
	}
	return scale, shift
}

// bnPlan is what the forward and backward of one batch norm share.
type bnPlan struct {
	BatchNormOpts
	n, c, hw   int       // x is [n, c, hw...]
	mean, rstd []float32 // per channel: the statistics that normalised
	grain      int       // channels per parallel chunk
}

// newBNPlan checks the shapes and options.
func newBNPlan(op string, x *Tensor, o BatchNormOpts) *bnPlan {
	if len(x.Shape) < 2 {
		panic(fmt.Sprintf("autograd.%s: input %v is not [N, C, ...]", op, x.Shape))
	}
	p := &bnPlan{BatchNormOpts: o, n: x.Shape[0], c: x.Shape[1], hw: numel(x.Shape[2:])}
	cs := []int{p.c}
	for _, t := range []*Tensor{o.Weight, o.Bias, o.RunningMean, o.RunningVar} {
		if t != nil && !SameShape(t.Shape, cs) {
			panic(fmt.Sprintf("autograd.%s: input %v with weight %v, bias %v, running mean %v, running var %v (need [C] each)",
				op, x.Shape, shapeOrNil(o.Weight), shapeOrNil(o.Bias), shapeOrNil(o.RunningMean), shapeOrNil(o.RunningVar)))
		}
	}
	if !o.Training && (o.RunningMean == nil || o.RunningVar == nil) {
		panic(fmt.Sprintf("autograd.%s: eval mode on input %v needs running mean and variance", op, x.Shape))
	}
	if cnt := p.n * p.hw; o.Training && cnt <= 1 {
		panic(fmt.Sprintf("autograd.%s: input %v has %d value per channel; training needs more than 1", op, x.Shape, cnt))
	}
	if o.Act > ActSiLU {
		panic(fmt.Sprintf("autograd.%s: unknown activation %v", op, o.Act))
	}
	p.mean, p.rstd = make([]float32, p.c), make([]float32, p.c)
	p.grain = max(1, 1<<14/max(1, p.n*p.hw))
	return p
}

// plane is the (i, ch) plane of H·W values of s [N, C, H·W].
func (p *bnPlan) plane(s []float32, i, ch int) []float32 {
	o := (i*p.c + ch) * p.hw
	return s[o : o+p.hw]
}

// forward computes each channel's statistics (batch or running) and
// writes y = act(x·scale + shift).
func (p *bnPlan) forward(x, y []float32) {
	ops.Parallel(p.c, p.grain, func(lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			if p.Training {
				p.mean[ch], p.rstd[ch] = p.batchStats(x, ch)
			} else {
				p.evalStats(ch)
			}
			p.applyChannel(x, y, ch)
		}
	})
}

// apply writes y = act(x·scale + shift) with the statistics the forward
// saved: the forward's output again, bit for bit (recompute.go).
func (p *bnPlan) apply(x, y []float32) {
	ops.Parallel(p.c, p.grain, func(lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			p.applyChannel(x, y, ch)
		}
	})
}

// applyChannel writes channel ch of y = act(x·scale + shift).
func (p *bnPlan) applyChannel(x, y []float32, ch int) {
	scale, shift := p.affine(ch)
	for i := 0; i < p.n; i++ {
		yr, xr := p.plane(y, i, ch), p.plane(x, i, ch)
		switch p.Act {
		case ActNone:
			ops.ScaleShift(yr, xr, scale, shift)
		case ActSiLU:
			ops.ScaleShiftSiLU(yr, xr, scale, shift)
		case ActReLU:
			ops.ScaleShiftLeaky(yr, xr, scale, shift, 0)
		case ActLeakyReLU:
			ops.ScaleShiftLeaky(yr, xr, scale, shift, p.Slope)
		}
	}
}

// evalStats sets channel ch's statistics from the running ones.
func (p *bnPlan) evalStats(ch int) {
	p.mean[ch] = p.RunningMean.Data[ch]
	p.rstd[ch] = float32(1 / math.Sqrt(float64(p.RunningVar.Data[ch])+float64(p.Eps)))
}

// batchStats returns channel ch's batch mean and 1/√(σ² + eps) and
// updates the running statistics.
//
// Corrected two-pass statistics, one (n, c) plane per kernel call
// (float32 lanes inside, float64 across planes): pass one gives μ = Σx/M;
// pass two gives d1 = Σ(x−μ) and d2 = Σ(x−μ)² about the float32 μ, and
// Σ(x−m)² = d2 − d1²/M about the exact mean m = μ + d1/M. The channel's
// M values are still in L2 for pass two.
func (p *bnPlan) batchStats(x []float32, ch int) (mean, rstd float32) {
	cnt := float64(p.n * p.hw)
	var s float64
	for i := 0; i < p.n; i++ {
		s1, _ := ops.SumSq(p.plane(x, i, ch), 0)
		s += float64(s1)
	}
	mu := float32(s / cnt)
	var d1, d2 float64
	for i := 0; i < p.n; i++ {
		a, b := ops.SumSq(p.plane(x, i, ch), mu)
		d1 += float64(a)
		d2 += float64(b)
	}
	m64 := float64(mu) + d1/cnt
	ss := max(d2-d1*d1/cnt, 0)
	mean, rstd = float32(m64), float32(1/math.Sqrt(ss/cnt+float64(p.Eps))) // biased σ² normalises
	m := p.Momentum
	if p.RunningMean != nil {
		p.RunningMean.Data[ch] = (1-m)*p.RunningMean.Data[ch] + m*mean
	}
	if p.RunningVar != nil {
		unbiased := float32(ss / (cnt - 1))
		p.RunningVar.Data[ch] = (1-m)*p.RunningVar.Data[ch] + m*unbiased
	}
	return mean, rstd
}

// affine folds μ, rstd, γ and β into z = x·scale + shift for channel ch.
// The backward recomputes z with the same two numbers.
func (p *bnPlan) affine(ch int) (scale, shift float32) {
	mu, rs := p.mean[ch], p.rstd[ch]
	scale, shift = rs, -mu*rs
	if p.Weight != nil {
		scale *= p.Weight.Data[ch]
		shift *= p.Weight.Data[ch]
	}
	if p.Bias != nil {
		shift += p.Bias.Data[ch]
	}
	return scale, shift
}

// backward adds the gradients of x, γ and β given out's gradient.
//
// Per channel, pass one forms gz = g·act'(z) (in place in out's gradient,
// which nothing reads after this closure; into a copy if out keeps its
// gradient) and the sums Σgz and Σgz·(x−μ), which give ∂γ, ∂β and, for
// training, mean(dn) and mean(dn·n). Pass two writes (new buffer) or adds
// ∂x:
//
//	training: ∂x = γ·rstd·(gz − mean(gz) − n·mean(gz·n))
//	             = k·gz − k·rstd·mean(gz·n)·(x−μ) − k·mean(gz)
//	eval:     ∂x = k·gz;   k = γ·rstd.
//
// Combine keeps x − μ apart, so nothing cancels when |μ| ≫ σ.
func (p *bnPlan) backward(x, out *Tensor) {
	g := out.Grad
	if p.Act != ActNone && out.retainGrad {
		g = out.arena.get(len(out.Grad))
		copy(g, out.Grad)
		defer out.arena.put(g)
	}
	var gx, gw, gb []float32
	fresh := false
	if x.requiresGrad {
		gx, fresh = x.gradWrite()
	}
	if p.Weight != nil && p.Weight.requiresGrad {
		gw = p.Weight.grad()
	}
	if p.Bias != nil && p.Bias.requiresGrad {
		gb = p.Bias.grad()
	}
	cnt := float64(p.n * p.hw)
	ops.Parallel(p.c, p.grain, func(lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			mu, rs := p.mean[ch], p.rstd[ch]
			sg, sgx := p.gradSums(g, x.Data, ch)
			sgn := sgx * float64(rs) // Σgz·n
			if gw != nil {
				gw[ch] += float32(sgn)
			}
			if gb != nil {
				gb[ch] += float32(sg)
			}
			if gx == nil {
				continue
			}
			k := rs
			if p.Weight != nil {
				k *= p.Weight.Data[ch]
			}
			for i := 0; i < p.n; i++ {
				gr, xr, gxr := p.plane(g, i, ch), p.plane(x.Data, i, ch), p.plane(gx, i, ch)
				switch {
				case p.Training && fresh:
					ops.Combine(gxr, gr, xr, k, -k*rs*float32(sgn/cnt), mu, -k*float32(sg/cnt))
				case p.Training:
					ops.CombineAdd(gxr, gr, xr, k, -k*rs*float32(sgn/cnt), mu, -k*float32(sg/cnt))
				case fresh:
					ops.ScaleTo(gxr, gr, k)
				default:
					ops.Axpy(k, gr, gxr)
				}
			}
		}
	})
}

// gradSums is the backward's pass one on channel ch: it turns g into gz =
// g·act'(z) in place (z recomputed from x) and returns Σgz and Σgz·(x−μ),
// each plane's float32 sums added in float64 in plane order.
func (p *bnPlan) gradSums(g, x []float32, ch int) (sg, sgx float64) {
	mu := p.mean[ch]
	scale, shift := p.affine(ch)
	for i := 0; i < p.n; i++ {
		gr, xr := p.plane(g, i, ch), p.plane(x, i, ch)
		var a, b float32
		switch p.Act {
		case ActNone:
			a, b = ops.SumDot(gr, xr, mu)
		case ActSiLU:
			a, b = ops.ScaleShiftSiLUGrad(gr, gr, xr, scale, shift, mu)
		case ActReLU:
			a, b = ops.ScaleShiftLeakyGrad(gr, gr, xr, scale, shift, 0, mu)
		case ActLeakyReLU:
			a, b = ops.ScaleShiftLeakyGrad(gr, gr, xr, scale, shift, p.Slope, mu)
		}
		sg += float64(a)
		sgx += float64(b)
	}
	return sg, sgx
}
