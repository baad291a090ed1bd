package models

import (
	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/nn"
)

// convBN runs conv → BN → act, the unit every backbone here is made of.
// In training (or whenever gradients are recorded) BN and the activation
// are one op after the convolution (autograd.BatchNormOpts.Act); in eval
// under NoGrad they are folded into the convolution's epilogue
// (autograd.Conv2dOpts.Epilogue), applied to each output tile while it is
// in cache: the same bits, one pass over memory fewer.
func convBN(c *nn.Ctx, conv *nn.Conv2d, bn *nn.BatchNorm2d, x *ag.Tensor, act ag.Activation, slope float32) *ag.Tensor {
	if c.Training || ag.GradEnabled() || len(x.Shape) != 4 {
		return bn.ForwardAct(c, conv.Forward(c, x), act, slope)
	}
	scale, shift := ag.BatchNormEvalAffine(bn.Opts(false, act, slope))
	o := conv.Opts(x.Shape[2], x.Shape[3])
	o.Epilogue = &ag.ConvEpilogue{Scale: scale, Shift: shift, Act: act, Slope: slope}
	return ag.Conv2d(x, conv.Weight, conv.Bias, o)
}
