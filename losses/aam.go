package losses

import (
	"math"

	ag "github.com/seed477ab429/multilabel/autograd"
)

// AAM is the asymmetric angular margin loss of Prokofiev & Sovrasov
// (2022), exactly as the reference's AMBinaryLoss (docs/method.md §1.2). Its
// inputs are cosines c [B, N] between normalised features and class
// proxies (plus ML-Decoder's per-class bias). With
//
//	p⁺ = σ(s(c − m))     p⁻ = σ(−s(c + m))     p̃⁻ = min(1, p⁻ + clip)
//
//	L = −Σ_b Σ_j [ y·(k/s)·(p̃⁻)^γ⁺·log p⁺ + (1−y)·((1−k)/s)·(p⁺)^γ⁻·log p̃⁻ ]
//
// When γ⁺ = γ⁻ = 0 this is the AM loss: no focusing and no shift (p̃⁻ is
// p⁻). The focusing weights are not detached (gradients flow through
// them, as in the reference), the reduction is a plain sum, and log p⁺,
// log p⁻ are log-sigmoids so nothing underflows to log 0. Quirks kept on
// purpose: the positive weight uses the shifted p̃⁻, not 1 − p⁺; the
// negative weight uses the unshifted p⁺.
type AAM struct {
	S, M, K            float32 // scale (VOC 17, COCO 23), margin (0), balance (0.7)
	GammaPos, GammaNeg float32 // γ⁺, γ⁻ (paper VOC 1, 2; COCO 0, 1)
	Clip               float32 // shift of p⁻ when a γ > 0 (0.05)
	LabelSmoothing     float32
	Reduction          Reduction
}

// NewAM returns the AM loss (γ = 0) with scale s, m 0, k 0.7.
func NewAM(s float32) AAM { return AAM{S: s, K: 0.7, Clip: 0.05} }

// NewAAM returns the AAM loss with scale s, m 0, k 0.7 and the given γ.
func NewAAM(s, gammaPos, gammaNeg float32) AAM {
	return AAM{S: s, K: 0.7, GammaPos: gammaPos, GammaNeg: gammaNeg, Clip: 0.05}
}

// Loss returns the scalar loss of cosines [B, N] against targets.
func (l AAM) Loss(cos *ag.Tensor, targets []float32) *ag.Tensor {
	p := prepare("AAM", cos, targets, l.LabelSmoothing)
	s := l.S
	logPPos := ag.LogSigmoid(ag.MulScalar(ag.AddScalar(cos, -l.M), s)) // log p⁺
	logPNeg := ag.LogSigmoid(ag.MulScalar(ag.AddScalar(cos, l.M), -s)) // log p⁻
	posC := p.coef(func(y, v float32) float32 { return -v * y * l.K / s })
	negC := p.coef(func(y, v float32) float32 { return -v * (1 - y) * (1 - l.K) / s })
	if l.GammaPos > 0 || l.GammaNeg > 0 {
		pNegShift := ag.Clamp(ag.AddScalar(ag.Exp(logPNeg), l.Clip), float32(math.Inf(-1)), 1)
		logPNeg = ag.Log(pNegShift)
		posC = ag.Mul(posC, ag.Pow(pNegShift, l.GammaPos))
		negC = ag.Mul(negC, ag.Pow(ag.Exp(logPPos), l.GammaNeg))
	}
	e := ag.Add(ag.Mul(posC, logPPos), ag.Mul(negC, logPNeg))
	return reduce(l.Reduction, e, p)
}

// Scale is s: at evaluation the probability of class j is σ(s·c_j).
func (l AAM) Scale() float32 { return l.S }
