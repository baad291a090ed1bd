package models

import (
	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/nn"
)

// convBN runs conv → BN → act, the unit every backbone here is made of.
// In training (or whenever gradients are recorded) BN and the activation
// are one op after the convolution (autograd.BatchNormOpts.Act); in eval
// with no gradient to record (under NoGrad, or parameters and an input
// that require none, as the inference API runs a loaded model) they are
// folded into the convolution's epilogue (autograd.Conv2dOpts.Epilogue),
// applied to each output tile while it is in cache: the same bits, one
// pass over memory fewer.
func convBN(c *nn.Ctx, conv *nn.Conv2d, bn *nn.BatchNorm2d, x *ag.Tensor, act ag.Activation, slope float32) *ag.Tensor {
	if c.Training || len(x.Shape) != 4 || recordsGrad(x, conv.Weight, conv.Bias, bn.Weight, bn.Bias) {
		return bn.ForwardAct(c, conv.Forward(c, x), act, slope)
	}
	scale, shift := ag.BatchNormEvalAffine(bn.Opts(false, act, slope))
	o := conv.Opts(x.Shape[2], x.Shape[3])
	o.Epilogue = &ag.ConvEpilogue{Scale: scale, Shift: shift, Act: act, Slope: slope}
	return ag.Conv2d(x, conv.Weight, conv.Bias, o)
}

// recordsGrad reports whether an op on these inputs records a gradient:
// the process-wide switch is on (no NoGrad) and one of them requires one
// (nil ones do not count).
func recordsGrad(ts ...*ag.Tensor) bool {
	if !ag.GradEnabled() {
		return false
	}
	for _, t := range ts {
		if t != nil && t.RequiresGrad() {
			return true
		}
	}
	return false
}
