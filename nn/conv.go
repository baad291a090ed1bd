package nn

import (
	"math"
	"math/rand/v2"

	ag "github.com/seed477ab429/multilabel/autograd"
)

// Conv2d is nn.Conv2d with square kernels: Weight [O, C/groups, k, k],
// optional Bias [O]. Padding is symmetric (PyTorch's padding=p) unless
// Same is set, in which case it is TensorFlow's "SAME" padding computed
// from each input's size (timm's Conv2dSame / tf_ models), which puts the
// odd pixel on the bottom/right.
type Conv2d struct {
	Weight, Bias *ag.Tensor
	Stride       int
	Padding      int
	Dilation     int
	Groups       int
	Same         bool
}

// ConvSpec is the shape of a new convolution: In and Out channels, a
// square Kernel, Stride (0 means 1), symmetric Padding, Groups (0 means 1)
// and whether it has a Bias.
type ConvSpec struct {
	In, Out, Kernel         int
	Stride, Padding, Groups int
	Bias                    bool
}

// NewConv2d makes a convolution of shape s with PyTorch's default
// initialisation. Models that initialise differently (torchvision's
// kaiming_normal_ fan_out) overwrite Weight afterwards.
func NewConv2d(rng *rand.Rand, s ConvSpec) *Conv2d {
	stride, groups := max(s.Stride, 1), max(s.Groups, 1)
	c := &Conv2d{Weight: ag.Zeros(s.Out, s.In/groups, s.Kernel, s.Kernel).AsParam(), Stride: stride, Padding: s.Padding, Dilation: 1, Groups: groups}
	KaimingUniformDefault(c.Weight, rng)
	if s.Bias {
		c.Bias = ag.Zeros(s.Out).AsParam()
		fanIn, _ := Fans(c.Weight.Shape)
		b := 1 / math.Sqrt(float64(fanIn))
		Uniform(c.Bias, rng, -b, b)
	}
	return c
}

// Opts returns the convolution options for an input of spatial size h×w.
func (c *Conv2d) Opts(h, w int) ag.Conv2dOpts {
	s, d := max(c.Stride, 1), max(c.Dilation, 1)
	o := ag.Conv2dOpts{StrideH: s, StrideW: s, DilationH: d, DilationW: d, Groups: max(c.Groups, 1)}
	k := c.Weight.Shape[2]
	if c.Same {
		return o.WithPad(ag.SamePad(h, w, k, c.Weight.Shape[3], s, s, d, d))
	}
	return o.WithPad(ag.SymPad(c.Padding))
}

// Forward convolves x [N, C, H, W].
func (c *Conv2d) Forward(_ *Ctx, x *ag.Tensor) *ag.Tensor {
	if len(x.Shape) != 4 {
		return ag.Conv2d(x, c.Weight, c.Bias, ag.Conv2dOpts{}) // let the op report the shape
	}
	return ag.Conv2d(x, c.Weight, c.Bias, c.Opts(x.Shape[2], x.Shape[3]))
}

// OutSize is the spatial output size for an input of size in (one axis).
func (c *Conv2d) OutSize(in int) int {
	s, d, k := max(c.Stride, 1), max(c.Dilation, 1), c.Weight.Shape[2]
	if c.Same {
		return (in + s - 1) / s
	}
	return (in+2*c.Padding-d*(k-1)-1)/s + 1
}

// MACs is the multiply-accumulate count of one image through the layer
// for an input of spatial size h×w (PyTorch-counting convention: the
// products of the convolution, bias adds not counted).
func (c *Conv2d) MACs(h, w int) int64 {
	oh, ow := c.OutSize(h), c.OutSize(w)
	o, cg, k1, k2 := c.Weight.Shape[0], c.Weight.Shape[1], c.Weight.Shape[2], c.Weight.Shape[3]
	return int64(oh) * int64(ow) * int64(o) * int64(cg*k1*k2)
}

// Visit names the tensors "weight" and "bias".
func (c *Conv2d) Visit(prefix string, fn func(string, *ag.Tensor, Kind)) {
	visitParam(fn, prefix, "weight", c.Weight)
	visitParam(fn, prefix, "bias", c.Bias)
}
