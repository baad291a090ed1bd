package losses

import (
	ag "github.com/seed477ab429/multilabel/autograd"
)

// BCE is binary cross-entropy on logits x (torch BCEWithLogitsLoss):
//
//	ℓ = −[ y·log σ(x) + (1−y)·log σ(−x) ]
//
// computed as log-sigmoids, so no probability underflows to log 0.
// ∂ℓ/∂x = σ(x) − y. Ignored targets contribute nothing.
type BCE struct {
	Reduction      Reduction
	LabelSmoothing float32
}

// Loss returns the scalar loss of logits [B, N] against targets.
func (l BCE) Loss(logits *ag.Tensor, targets []float32) *ag.Tensor {
	p := prepare("BCE", logits, targets, l.LabelSmoothing)
	pos := p.coef(func(y, v float32) float32 { return -y * v })
	neg := p.coef(func(y, v float32) float32 { return -(1 - y) * v })
	e := ag.Add(ag.Mul(pos, ag.LogSigmoid(logits)), ag.Mul(neg, ag.LogSigmoid(ag.Neg(logits))))
	return reduce(l.Reduction, e, p)
}

// Scale is the factor applied to logits before the sigmoid at evaluation: 1.
func (BCE) Scale() float32 { return 1 }
