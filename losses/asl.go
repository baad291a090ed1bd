package losses

import (
	"math"

	ag "github.com/seed477ab429/multilabel/autograd"
)

// ASL is the asymmetric loss of Ridnik et al. (2021), exactly as
// Alibaba-MIIL's AsymmetricLoss. With p = σ(x):
//
//	p⁺ = p                       p⁻ = min(1, 1 − p + clip)   (clip > 0)
//	ℓ = −[ y·log max(p⁺, eps) + (1−y)·log max(p⁻, eps) ] · w
//	w = (1 − p_t)^(γ⁺·y + γ⁻·(1−y)),  p_t = y·p⁺ + (1−y)·p⁻   (if any γ > 0)
//
// i.e. L⁺ = (1−p)^γ⁺ log p and L⁻ = p_m^γ⁻ log(1 − p_m) with the shifted
// probability p_m = max(p − clip, 0). The focusing weight w is a constant
// (detached, disable_torch_grad_focal_loss=True) unless FocusGrad is set,
// which gives the "optimized" variant deep-object-reid uses. Sum reduction.
type ASL struct {
	GammaNeg, GammaPos float32 // γ⁻ (4), γ⁺ (0)
	Clip               float32 // probability margin (0.05)
	Eps                float32 // log clamp (1e-8)
	FocusGrad          bool    // let gradients flow through w
	ScaleLogits        float32 // multiply logits before σ (deep-object-reid's scale); 0 means 1
	LabelSmoothing     float32
	Reduction          Reduction
}

// NewASL returns ASL with the paper's training values: γ⁻ 4, γ⁺ 0, clip
// 0.05, eps 1e-8, detached focusing weights, sum reduction.
func NewASL() ASL { return ASL{GammaNeg: 4, GammaPos: 0, Clip: 0.05, Eps: 1e-8} }

// Loss returns the scalar loss of logits [B, N] against targets.
func (l ASL) Loss(logits *ag.Tensor, targets []float32) *ag.Tensor {
	p := prepare("ASL", logits, targets, l.LabelSmoothing)
	x := logits
	if s := l.Scale(); s != 1 {
		x = ag.MulScalar(x, s)
	}
	inf := float32(math.Inf(1))
	pPos := ag.Sigmoid(x)
	pNeg := ag.ScalarSub(1, pPos)
	if l.Clip > 0 {
		pNeg = ag.Clamp(ag.AddScalar(pNeg, l.Clip), -inf, 1)
	}
	yc := p.coef(func(y, v float32) float32 { return y })
	nc := p.coef(func(y, v float32) float32 { return 1 - y })
	logPos := ag.Log(ag.Clamp(pPos, l.Eps, inf))
	logNeg := ag.Log(ag.Clamp(pNeg, l.Eps, inf))
	e := ag.Add(ag.Mul(yc, logPos), ag.Mul(nc, logNeg))
	if l.GammaNeg > 0 || l.GammaPos > 0 {
		focus := func() *ag.Tensor {
			pt := ag.Add(ag.Mul(yc, pPos), ag.Mul(nc, pNeg))
			gamma := p.coef(func(y, v float32) float32 { return l.GammaPos*y + l.GammaNeg*(1-y) })
			return powTensor(ag.ScalarSub(1, pt), gamma)
		}
		var w *ag.Tensor
		if l.FocusGrad {
			w = focus()
		} else {
			ag.NoGrad(func() { w = focus() })
		}
		e = ag.Mul(e, w)
	}
	e = ag.Mul(ag.Neg(e), p.valid)
	return reduce(l.Reduction, e, p)
}

// Scale is the factor applied to logits before the sigmoid.
func (l ASL) Scale() float32 {
	if l.ScaleLogits == 0 {
		return 1
	}
	return l.ScaleLogits
}

// powTensor is base^e element-wise with a per-element exponent e (no
// gradient), as torch.pow(base, e): base is clamped at 1e-30 before the
// log so base 0 gives 0^e = 0 for e > 0 and 1 for e = 0.
func powTensor(base, e *ag.Tensor) *ag.Tensor {
	inf := float32(math.Inf(1))
	return ag.Exp(ag.Mul(e, ag.Log(ag.Clamp(base, 1e-30, inf))))
}
