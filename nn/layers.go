package nn

import (
	"math"
	"math/rand/v2"
	"strconv"

	ag "github.com/seed477ab429/multilabel/autograd"
)

// Layer is a Module with a forward pass.
type Layer interface {
	Module
	Forward(c *Ctx, x *ag.Tensor) *ag.Tensor
}

// Sequential runs layers in order; its children are named "0", "1", ...
// like torch.nn.Sequential, so state-dict names match PyTorch's.
type Sequential []Layer

// Forward runs every layer in order.
func (s Sequential) Forward(c *Ctx, x *ag.Tensor) *ag.Tensor {
	for _, l := range s {
		x = l.Forward(c, x)
	}
	return x
}

// Visit visits each child under its index.
func (s Sequential) Visit(prefix string, fn func(string, *ag.Tensor, Kind)) {
	for i, l := range s {
		l.Visit(Join(prefix, strconv.Itoa(i)), fn)
	}
}

// Func wraps a parameter-free function (an activation) as a Layer. It
// still takes a slot in a Sequential, as nn.SiLU() does in PyTorch.
type Func func(x *ag.Tensor) *ag.Tensor

// Forward applies the function.
func (f Func) Forward(_ *Ctx, x *ag.Tensor) *ag.Tensor { return f(x) }

// Visit visits nothing: a function has no tensors.
func (Func) Visit(string, func(string, *ag.Tensor, Kind)) {}

// Linear is nn.Linear: y = x·Wᵀ + b with Weight [out, in], Bias [out].
type Linear struct {
	Weight, Bias *ag.Tensor
}

// NewLinear makes a Linear layer with PyTorch's default initialisation
// (weights and bias U(−1/√in, 1/√in)); bias false leaves Bias nil.
func NewLinear(rng *rand.Rand, in, out int, bias bool) *Linear {
	l := &Linear{Weight: ag.Zeros(out, in).AsParam()}
	KaimingUniformDefault(l.Weight, rng)
	if bias {
		l.Bias = ag.Zeros(out).AsParam()
		b := 1 / math.Sqrt(float64(in))
		Uniform(l.Bias, rng, -b, b)
	}
	return l
}

// Forward computes x·Wᵀ + b over the last dim of x.
func (l *Linear) Forward(_ *Ctx, x *ag.Tensor) *ag.Tensor { return ag.Linear(x, l.Weight, l.Bias) }

// Visit names the tensors "weight" and "bias".
func (l *Linear) Visit(prefix string, fn func(string, *ag.Tensor, Kind)) {
	visitParam(fn, prefix, "weight", l.Weight)
	visitParam(fn, prefix, "bias", l.Bias)
}

// BatchNorm2d is nn.BatchNorm2d over [N, C, ...]: batch statistics in
// training (updating the running ones), running statistics in eval.
type BatchNorm2d struct {
	Weight, Bias            *ag.Tensor // γ, β [C]
	RunningMean, RunningVar *ag.Tensor // buffers [C]
	NumBatchesTracked       *ag.Tensor // buffer [1]; PyTorch saves it, so we do
	Momentum, Eps           float32
}

// NewBatchNorm2d makes a BatchNorm2d with γ = 1, β = 0, running mean 0,
// running variance 1, and the given eps and momentum (PyTorch: 1e-5, 0.1).
func NewBatchNorm2d(c int, eps, momentum float32) *BatchNorm2d {
	return &BatchNorm2d{
		Weight:            ag.Ones(c).AsParam(),
		Bias:              ag.Zeros(c).AsParam(),
		RunningMean:       ag.Zeros(c),
		RunningVar:        ag.Ones(c),
		NumBatchesTracked: ag.Zeros(),
		Momentum:          momentum,
		Eps:               eps,
	}
}

// Forward normalises x; in training it also updates the running
// statistics (in place, not recorded on the tape).
func (b *BatchNorm2d) Forward(c *Ctx, x *ag.Tensor) *ag.Tensor {
	return b.ForwardAct(c, x, ag.ActNone, 0)
}

// ForwardAct is Forward followed by the activation act (slope: LeakyReLU's
// negative slope) in the same pass over memory; the pre-activation is
// never stored (autograd.BatchNormOpts.Act).
func (b *BatchNorm2d) ForwardAct(c *Ctx, x *ag.Tensor, act ag.Activation, slope float32) *ag.Tensor {
	if c.Training && b.NumBatchesTracked != nil {
		b.NumBatchesTracked.Data[0]++
	}
	return ag.BatchNorm2d(x, b.Opts(c.Training, act, slope))
}

// Opts returns the layer's tensors and settings as autograd.BatchNormOpts
// (for autograd.BatchNormEvalAffine, or a fused op).
func (b *BatchNorm2d) Opts(training bool, act ag.Activation, slope float32) ag.BatchNormOpts {
	return ag.BatchNormOpts{
		Weight: b.Weight, Bias: b.Bias,
		RunningMean: b.RunningMean, RunningVar: b.RunningVar,
		Training: training, Momentum: b.Momentum, Eps: b.Eps,
		Act: act, Slope: slope,
	}
}

// Visit names the tensors as PyTorch does.
func (b *BatchNorm2d) Visit(prefix string, fn func(string, *ag.Tensor, Kind)) {
	visitParam(fn, prefix, "weight", b.Weight)
	visitParam(fn, prefix, "bias", b.Bias)
	visitBuffer(fn, prefix, "running_mean", b.RunningMean)
	visitBuffer(fn, prefix, "running_var", b.RunningVar)
	visitBuffer(fn, prefix, "num_batches_tracked", b.NumBatchesTracked)
}

// LayerNorm is nn.LayerNorm over the last dim.
type LayerNorm struct {
	Weight, Bias *ag.Tensor
	Eps          float32
}

// NewLayerNorm makes a LayerNorm with weight 1, bias 0.
func NewLayerNorm(c int, eps float32) *LayerNorm {
	return &LayerNorm{Weight: ag.Ones(c).AsParam(), Bias: ag.Zeros(c).AsParam(), Eps: eps}
}

// Forward normalises over the last dim.
func (l *LayerNorm) Forward(_ *Ctx, x *ag.Tensor) *ag.Tensor {
	return ag.LayerNorm(x, l.Weight, l.Bias, l.Eps)
}

// Visit names the tensors "weight" and "bias".
func (l *LayerNorm) Visit(prefix string, fn func(string, *ag.Tensor, Kind)) {
	visitParam(fn, prefix, "weight", l.Weight)
	visitParam(fn, prefix, "bias", l.Bias)
}

// Dropout is nn.Dropout(p): active only in training, drawing from the
// context's RNG.
type Dropout struct{ P float32 }

// Forward applies dropout in training and is the identity in eval.
func (d Dropout) Forward(c *Ctx, x *ag.Tensor) *ag.Tensor {
	return ag.Dropout(x, d.P, c.RNG, c.Training)
}

// Visit visits nothing.
func (Dropout) Visit(string, func(string, *ag.Tensor, Kind)) {}
