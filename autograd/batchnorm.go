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
	block      int       // channels per pass of the plane-wise kernels
}

// bnBlock is the most channels one pass of the plane-wise kernels covers
// (their per-channel arguments are arrays on the stack).
const bnBlock = 64

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
	perChannel := max(1, p.n*p.hw)
	p.grain = max(1, 1<<14/perChannel)
	// A block's passes (two for the statistics, one to apply; two in the
	// backward) read the same values again: up to 64K of them (256 KB)
	// stay in L2 between passes, as one channel of a large plane did.
	p.block = min(bnBlock, max(1, 1<<16/perChannel))
	return p
}

// planes is the block of channels [c0, c1) of image i in s [N, C, H·W]:
// c1−c0 planes of H·W values, one after another.
func (p *bnPlan) planes(s []float32, i, c0, c1 int) []float32 {
	return s[(i*p.c+c0)*p.hw : (i*p.c+c1)*p.hw]
}

// eachBlock runs fn on the channels in blocks of at most p.block, the
// blocks spread over the threads.
func (p *bnPlan) eachBlock(fn func(c0, c1 int)) {
	ops.Parallel(p.c, p.grain, func(lo, hi int) {
		for c0 := lo; c0 < hi; c0 += p.block {
			fn(c0, min(hi, c0+p.block))
		}
	})
}

// forward computes each channel's statistics (batch or running) and
// writes y = act(x·scale + shift).
func (p *bnPlan) forward(x, y []float32) {
	p.eachBlock(func(c0, c1 int) {
		if p.Training {
			p.batchStats(x, c0, c1)
		} else {
			for ch := c0; ch < c1; ch++ {
				p.evalStats(ch)
			}
		}
		p.applyBlock(x, y, c0, c1)
	})
}

// apply writes y = act(x·scale + shift) with the statistics the forward
// saved: the forward's output again, bit for bit (recompute.go).
func (p *bnPlan) apply(x, y []float32) {
	p.eachBlock(func(c0, c1 int) { p.applyBlock(x, y, c0, c1) })
}

// applyBlock writes channels [c0, c1) of y = act(x·scale + shift).
func (p *bnPlan) applyBlock(x, y []float32, c0, c1 int) {
	var scale, shift [bnBlock]float32
	nb := c1 - c0
	for j := range nb {
		scale[j], shift[j] = p.affine(c0 + j)
	}
	a, b := scale[:nb], shift[:nb]
	for i := 0; i < p.n; i++ {
		yr, xr := p.planes(y, i, c0, c1), p.planes(x, i, c0, c1)
		switch p.Act {
		case ActNone:
			ops.ScaleShiftPlanes(yr, xr, p.hw, a, b)
		case ActSiLU:
			ops.ScaleShiftSiLUPlanes(yr, xr, p.hw, a, b)
		case ActReLU:
			ops.ScaleShiftLeakyPlanes(yr, xr, p.hw, a, b, 0)
		case ActLeakyReLU:
			ops.ScaleShiftLeakyPlanes(yr, xr, p.hw, a, b, p.Slope)
		}
	}
}

// evalStats sets channel ch's statistics from the running ones.
func (p *bnPlan) evalStats(ch int) {
	p.mean[ch] = p.RunningMean.Data[ch]
	p.rstd[ch] = float32(1 / math.Sqrt(float64(p.RunningVar.Data[ch])+float64(p.Eps)))
}

// batchStats sets the batch mean and 1/√(σ² + eps) of channels [c0, c1)
// and updates their running statistics.
//
// Corrected two-pass statistics, one (n, c) plane at a time (float32
// lanes inside a plane, float64 across a channel's planes, in image
// order): pass one gives μ = Σx/M; pass two gives d1 = Σ(x−μ) and d2 =
// Σ(x−μ)² about the float32 μ, and Σ(x−m)² = d2 − d1²/M about the exact
// mean m = μ + d1/M. The block's values are still in L2 for pass two.
func (p *bnPlan) batchStats(x []float32, c0, c1 int) {
	cnt := float64(p.n * p.hw)
	nb := c1 - c0
	var s, d1, d2 [bnBlock]float64
	var t1, t2, mu [bnBlock]float32
	for i := 0; i < p.n; i++ {
		ops.SumSqPlanes(t1[:nb], t2[:nb], p.planes(x, i, c0, c1), p.hw, nil)
		for j := range nb {
			s[j] += float64(t1[j])
		}
	}
	for j := range nb {
		mu[j] = float32(s[j] / cnt)
	}
	for i := 0; i < p.n; i++ {
		ops.SumSqPlanes(t1[:nb], t2[:nb], p.planes(x, i, c0, c1), p.hw, mu[:nb])
		for j := range nb {
			d1[j] += float64(t1[j])
			d2[j] += float64(t2[j])
		}
	}
	m := p.Momentum
	for j := range nb {
		ch := c0 + j
		m64 := float64(mu[j]) + d1[j]/cnt
		ss := max(d2[j]-d1[j]*d1[j]/cnt, 0)
		mean := float32(m64)
		p.mean[ch], p.rstd[ch] = mean, float32(1/math.Sqrt(ss/cnt+float64(p.Eps))) // biased σ² normalises
		if p.RunningMean != nil {
			p.RunningMean.Data[ch] = (1-m)*p.RunningMean.Data[ch] + m*mean
		}
		if p.RunningVar != nil {
			unbiased := float32(ss / (cnt - 1))
			p.RunningVar.Data[ch] = (1-m)*p.RunningVar.Data[ch] + m*unbiased
		}
	}
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
	p.eachBlock(func(c0, c1 int) {
		nb := c1 - c0
		var sg, sgx [bnBlock]float64
		p.gradSums(&sg, &sgx, g, x.Data, c0, c1)
		var k, kb, mu, kd [bnBlock]float32
		for j := range nb {
			ch := c0 + j
			rs := p.rstd[ch]
			sgn := sgx[j] * float64(rs) // Σgz·n
			if gw != nil {
				gw[ch] += float32(sgn)
			}
			if gb != nil {
				gb[ch] += float32(sg[j])
			}
			k[j] = rs
			if p.Weight != nil {
				k[j] *= p.Weight.Data[ch]
			}
			kb[j], mu[j], kd[j] = -k[j]*rs*float32(sgn/cnt), p.mean[ch], -k[j]*float32(sg[j]/cnt)
		}
		if gx == nil {
			return
		}
		for i := 0; i < p.n; i++ {
			gr, xr, gxr := p.planes(g, i, c0, c1), p.planes(x.Data, i, c0, c1), p.planes(gx, i, c0, c1)
			switch {
			case p.Training && fresh:
				ops.CombinePlanes(gxr, gr, xr, p.hw, k[:nb], kb[:nb], mu[:nb], kd[:nb])
			case p.Training:
				ops.CombineAddPlanes(gxr, gr, xr, p.hw, k[:nb], kb[:nb], mu[:nb], kd[:nb])
			default:
				for j := range nb {
					o := j * p.hw
					if fresh {
						ops.ScaleTo(gxr[o:o+p.hw], gr[o:o+p.hw], k[j])
					} else {
						ops.Axpy(k[j], gr[o:o+p.hw], gxr[o:o+p.hw])
					}
				}
			}
		}
	})
}

// gradSums is the backward's pass one on channels [c0, c1): it turns g
// into gz = g·act'(z) in place (z recomputed from x) and sets sg[j] = Σgz
// and sgx[j] = Σgz·(x−μ) for channel c0+j, each plane's float32 sums
// added in float64 in image order.
func (p *bnPlan) gradSums(sg, sgx *[bnBlock]float64, g, x []float32, c0, c1 int) {
	nb := c1 - c0
	var scale, shift, mu, a, b [bnBlock]float32
	for j := range nb {
		scale[j], shift[j] = p.affine(c0 + j)
		mu[j] = p.mean[c0+j]
	}
	for i := 0; i < p.n; i++ {
		gr, xr := p.planes(g, i, c0, c1), p.planes(x, i, c0, c1)
		switch p.Act {
		case ActNone:
			ops.SumDotPlanes(a[:nb], b[:nb], gr, xr, p.hw, mu[:nb])
		case ActSiLU:
			ops.ScaleShiftSiLUGradPlanes(a[:nb], b[:nb], gr, gr, xr, p.hw, scale[:nb], shift[:nb], mu[:nb])
		case ActReLU:
			ops.ScaleShiftLeakyGradPlanes(a[:nb], b[:nb], gr, gr, xr, p.hw, scale[:nb], shift[:nb], 0, mu[:nb])
		case ActLeakyReLU:
			ops.ScaleShiftLeakyGradPlanes(a[:nb], b[:nb], gr, gr, xr, p.hw, scale[:nb], shift[:nb], p.Slope, mu[:nb])
		}
		for j := range nb {
			sg[j] += float64(a[j])
			sgx[j] += float64(b[j])
		}
	}
}
