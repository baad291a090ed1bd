package models

import (
	"math"
	"math/rand/v2"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/nn"
)

// The three building blocks of EfficientNetV2 (torchvision 0.14
// models/efficientnet.py), each with its forward pass, its state-dict
// names and its MAC count. Tensors are NCHW throughout.
//
//	ConvBNAct    Conv(k, s, groups) → BN → SiLU?        torchvision Conv2dNormActivation
//	FusedMBConv  e = 1: ConvBNAct(3x3, s, Cin→Cout)
//	             e > 1: ConvBNAct(3x3, s, Cin→mid) → ConvBNAct(1x1, mid→Cout, no act)
//	MBConv       ConvBNAct(1x1, Cin→mid) → ConvBNAct(3x3 depthwise, s) → SE → ConvBNAct(1x1, mid→Cout, no act)
//
// Both MB blocks add the input back (after stochastic depth on the branch)
// when stride == 1 and Cin == Cout. Gradients come from the autograd ops
// they are made of (Conv2d, BatchNorm2d, SiLU, Sigmoid, Mul, Linear,
// DropPath, Add), each with its own backward rule; the block tests check
// the composition with finite differences.

// effBlock is one FusedMBConv or MBConv.
type effBlock interface {
	nn.Layer
	// macs returns the block's multiply-accumulates for one image of
	// spatial size h×w and the output size.
	macs(h, w int) (n int64, oh, ow int)
}

// convSpec is what ConvBNAct needs from the model configuration.
type convSpec struct {
	bnEps, bnMomentum float32
	tfSame            bool       // TF "SAME" padding on stride-2 convs (timm tf_ models)
	timmInit          bool       // timm's fan_out = k²·Cout/groups instead of PyTorch's k²·Cout
	rng               *rand.Rand // weight initialisation
	noInit            bool       // leave weights zero (shape-only models in tests)
}

// ConvBNAct is torchvision's Conv2dNormActivation as EfficientNetV2 uses it:
// a bias-free convolution, BatchNorm2d, then SiLU when Act is set. State
// dict: "0.weight" (conv), "1.*" (BN); the activation has no tensors.
type ConvBNAct struct {
	Conv *nn.Conv2d
	BN   *nn.BatchNorm2d
	Act  bool
}

// convShape is the shape of one ConvBNAct: a Kernel×Kernel conv from In
// to Out channels with the given Stride and Groups (0 means 1; Groups =
// In = Out is a depthwise conv), then BN, then SiLU when Act.
type convShape struct {
	In, Out        int
	Kernel         int
	Stride, Groups int
	Act            bool
}

// newConvBNAct builds the conv + BN (+ SiLU) of shape c with symmetric
// padding (k−1)/2, or TF SAME padding on stride-2 convs when s.tfSame
// (timm builds stride-1 convs with static symmetric padding, which equals
// SAME for odd k).
//
// Init: kaiming_normal_(fan_out): N(0, 2/fan_out). torchvision takes
// PyTorch's fan_out = Cout·k² (groups ignored); timm's _init_weight_goog
// divides by groups, which only changes the depthwise convs (fan_out = k²).
// BN starts at γ = 1, β = 0, running mean 0, var 1.
func newConvBNAct(s convSpec, c convShape) *ConvBNAct {
	stride, groups, k := max(c.Stride, 1), max(c.Groups, 1), c.Kernel
	conv := &nn.Conv2d{
		Weight:   ag.Zeros(c.Out, c.In/groups, k, k).AsParam(),
		Stride:   stride,
		Padding:  (k - 1) / 2,
		Dilation: 1,
		Groups:   groups,
		Same:     s.tfSame && stride > 1,
	}
	fanOut := c.Out * k * k
	if s.timmInit {
		fanOut /= groups
	}
	if !s.noInit {
		nn.Normal(conv.Weight, s.rng, 0, math.Sqrt(2/float64(fanOut)))
	}
	return &ConvBNAct{Conv: conv, BN: nn.NewBatchNorm2d(c.Out, s.bnEps, s.bnMomentum), Act: c.Act}
}

// Forward: x [N, Cin, H, W] → [N, Cout, H', W']. BN and SiLU run as one
// op (autograd.BatchNormOpts.Act): one pass over the conv output, and the
// pre-activation is never stored; in eval under NoGrad they fold into the
// convolution (convBN).
func (l *ConvBNAct) Forward(c *nn.Ctx, x *ag.Tensor) *ag.Tensor {
	act := ag.ActNone
	if l.Act {
		act = ag.ActSiLU
	}
	return convBN(c, l.Conv, l.BN, x, act, 0)
}

// Visit names the conv "0" and the BN "1", as in torchvision.
func (l *ConvBNAct) Visit(prefix string, fn func(string, *ag.Tensor, nn.Kind)) {
	l.Conv.Visit(nn.Join(prefix, "0"), fn)
	l.BN.Visit(nn.Join(prefix, "1"), fn)
}

func (l *ConvBNAct) macs(h, w int) (int64, int, int) {
	return l.Conv.MACs(h, w), l.Conv.OutSize(h), l.Conv.OutSize(w)
}

// residual applies stochastic depth to the branch y and adds the block
// input x (torchvision: result = stochastic_depth(result); result += input).
// StochasticDepth "row" mode keeps each sample's branch with probability
// 1−p and scales it by 1/(1−p); in eval it is the identity. One op
// (autograd.Residual): the dropped-path branch is never stored.
func residual(c *nn.Ctx, y, x *ag.Tensor, p float32) *ag.Tensor {
	return ag.Residual(y, x, ag.ResidualOpts{DropPath: p, RNG: c.RNG, Training: c.Training})
}

// FusedMBConv is EfficientNetV2's fused inverted residual: the 1x1
// expansion and the depthwise 3x3 of MBConv fused into one full 3x3 conv.
//
//	e = 1:  y = SiLU(BN(Conv3x3_s(x)))                  block.0
//	e > 1:  h = SiLU(BN(Conv3x3_s(x, Cin→mid)))         block.0
//	        y = BN(Conv1x1(h, mid→Cout))                block.1 (linear bottleneck: no activation)
//	y = DropPath(y, p) + x   if Skip
type FusedMBConv struct {
	Expand   *ConvBNAct // block.0; the only conv when e = 1
	Project  *ConvBNAct // block.1; nil when e = 1
	Skip     bool
	DropPath float32
}

// blockShape is the shape of one FusedMBConv or MBConv: In to Out
// channels, expansion ratio Expand, a Kernel×Kernel conv (full for
// FusedMBConv, depthwise for MBConv) with Stride (0 means 1), and the
// stochastic-depth probability DropPath of its residual branch.
type blockShape struct {
	In, Out, Expand int
	Kernel, Stride  int
	DropPath        float32
}

func newFusedMBConv(s convSpec, bs blockShape) *FusedMBConv {
	stride := max(bs.Stride, 1)
	b := &FusedMBConv{Skip: stride == 1 && bs.In == bs.Out, DropPath: bs.DropPath}
	mid := makeDivisible(float64(bs.In*bs.Expand), 8)
	if mid == bs.In {
		b.Expand = newConvBNAct(s, convShape{In: bs.In, Out: bs.Out, Kernel: bs.Kernel, Stride: stride, Act: true})
		return b
	}
	b.Expand = newConvBNAct(s, convShape{In: bs.In, Out: mid, Kernel: bs.Kernel, Stride: stride, Act: true})
	b.Project = newConvBNAct(s, convShape{In: mid, Out: bs.Out, Kernel: 1})
	return b
}

// Forward: x [N, Cin, H, W] → [N, Cout, H/s, W/s].
func (b *FusedMBConv) Forward(c *nn.Ctx, x *ag.Tensor) *ag.Tensor {
	y := b.Expand.Forward(c, x)
	if b.Project != nil {
		y = b.Project.Forward(c, y)
	}
	if b.Skip {
		y = residual(c, y, x, b.DropPath)
	}
	return y
}

// Visit names the layers block.0 and block.1.
func (b *FusedMBConv) Visit(prefix string, fn func(string, *ag.Tensor, nn.Kind)) {
	b.Expand.Visit(nn.Join(prefix, "block.0"), fn)
	if b.Project != nil {
		b.Project.Visit(nn.Join(prefix, "block.1"), fn)
	}
}

func (b *FusedMBConv) macs(h, w int) (int64, int, int) {
	n, h, w := b.Expand.macs(h, w)
	if b.Project != nil {
		m, _, _ := b.Project.macs(h, w)
		n += m
	}
	return n, h, w
}

// SqueezeExcitation is torchvision's SqueezeExcitation with SiLU inside:
// a per-channel gate computed from the global average of h [N, C, H, W].
//
//	s = mean_{H,W}(h)                [N, C]
//	z = SiLU(fc1(s))                 fc1: 1x1 conv C→sq (+bias)   [N, sq]
//	g = σ(fc2(z))                    fc2: 1x1 conv sq→C (+bias)   [N, C]
//	out = h ⊙ g (broadcast over H, W)
//
// A 1x1 conv on a 1x1 map is a Linear layer, so fc1/fc2 run as one GEMM
// over the batch on a [sq, C] view of the [sq, C, 1, 1] conv weight (the
// view passes its gradient straight back to the weight).
type SqueezeExcitation struct {
	FC1, FC2 *nn.Conv2d
}

// newSE builds the gate for C channels squeezed to sq. torchvision inits
// the 1x1 convs as every conv (kaiming fan_out) with zero bias.
func newSE(s convSpec, c, sq int) *SqueezeExcitation {
	mk := func(in, out int) *nn.Conv2d {
		conv := &nn.Conv2d{Weight: ag.Zeros(out, in, 1, 1).AsParam(), Bias: ag.Zeros(out).AsParam(), Stride: 1, Dilation: 1, Groups: 1}
		if !s.noInit {
			nn.Normal(conv.Weight, s.rng, 0, math.Sqrt(2/float64(out)))
		}
		return conv
	}
	return &SqueezeExcitation{FC1: mk(c, sq), FC2: mk(sq, c)}
}

// Forward gates h [N, C, H, W] channel-wise.
func (se *SqueezeExcitation) Forward(_ *nn.Ctx, h *ag.Tensor) *ag.Tensor {
	n, ch := h.Shape[0], h.Shape[1]
	sq := se.FC1.Weight.Shape[0]
	s := ag.GlobalAvgPool2d(h)                                                    // [N, C]
	z := ag.SiLU(ag.Linear(s, ag.Reshape(se.FC1.Weight, sq, ch), se.FC1.Bias))    // [N, sq]
	g := ag.Sigmoid(ag.Linear(z, ag.Reshape(se.FC2.Weight, ch, sq), se.FC2.Bias)) // [N, C]
	return ag.Mul(h, ag.Reshape(g, n, ch, 1, 1))
}

// Visit names the convs fc1 and fc2.
func (se *SqueezeExcitation) Visit(prefix string, fn func(string, *ag.Tensor, nn.Kind)) {
	se.FC1.Visit(nn.Join(prefix, "fc1"), fn)
	se.FC2.Visit(nn.Join(prefix, "fc2"), fn)
}

// macs counts both 1x1 convs on their 1x1 maps: 2·C·sq.
func (se *SqueezeExcitation) macs() int64 {
	return se.FC1.MACs(1, 1) + se.FC2.MACs(1, 1)
}

// MBConv is the inverted residual with squeeze-and-excitation (MobileNetV2
// + SE), used in EfficientNetV2's later, low-resolution stages.
//
//	h = SiLU(BN(Conv1x1(x, Cin→mid)))          block.0 (absent when mid == Cin)
//	h = SiLU(BN(DWConv3x3_s(h), groups=mid))   block.1
//	h = SE(h), sq = max(1, Cin/4)              block.2 (squeeze on the block INPUT channels)
//	y = BN(Conv1x1(h, mid→Cout))               block.3 (no activation)
//	y = DropPath(y, p) + x   if Skip
//
// Without the expansion conv the later layers shift down one index, as in
// torchvision (block.0 is then the depthwise conv).
type MBConv struct {
	Expand    *ConvBNAct // nil when mid == Cin
	Depthwise *ConvBNAct
	SE        *SqueezeExcitation
	Project   *ConvBNAct
	Skip      bool
	DropPath  float32
}

func newMBConv(s convSpec, bs blockShape) *MBConv {
	stride := max(bs.Stride, 1)
	b := &MBConv{Skip: stride == 1 && bs.In == bs.Out, DropPath: bs.DropPath}
	mid := makeDivisible(float64(bs.In*bs.Expand), 8)
	if mid != bs.In {
		b.Expand = newConvBNAct(s, convShape{In: bs.In, Out: mid, Kernel: 1, Act: true})
	}
	b.Depthwise = newConvBNAct(s, convShape{In: mid, Out: mid, Kernel: bs.Kernel, Stride: stride, Groups: mid, Act: true})
	b.SE = newSE(s, mid, max(1, bs.In/4))
	b.Project = newConvBNAct(s, convShape{In: mid, Out: bs.Out, Kernel: 1})
	return b
}

// Forward: x [N, Cin, H, W] → [N, Cout, H/s, W/s].
func (b *MBConv) Forward(c *nn.Ctx, x *ag.Tensor) *ag.Tensor {
	h := x
	if b.Expand != nil {
		h = b.Expand.Forward(c, h)
	}
	h = b.Depthwise.Forward(c, h)
	h = b.SE.Forward(c, h)
	y := b.Project.Forward(c, h)
	if b.Skip {
		y = residual(c, y, x, b.DropPath)
	}
	return y
}

// Visit names the layers block.0 .. block.3 (block.0 .. block.2 without
// the expansion).
func (b *MBConv) Visit(prefix string, fn func(string, *ag.Tensor, nn.Kind)) {
	i := 0
	next := func() string {
		s := "block." + string(rune('0'+i))
		i++
		return nn.Join(prefix, s)
	}
	if b.Expand != nil {
		b.Expand.Visit(next(), fn)
	}
	b.Depthwise.Visit(next(), fn)
	b.SE.Visit(next(), fn)
	b.Project.Visit(next(), fn)
}

func (b *MBConv) macs(h, w int) (int64, int, int) {
	var n int64
	if b.Expand != nil {
		m, _, _ := b.Expand.macs(h, w)
		n += m
	}
	m, h, w := b.Depthwise.macs(h, w)
	n += m + b.SE.macs()
	m, _, _ = b.Project.macs(h, w)
	return n + m, h, w
}

// makeDivisible is torchvision's _make_divisible(v, divisor): round v to
// the nearest multiple of divisor (at least divisor), and go one step up
// if that lost more than 10%.
func makeDivisible(v float64, divisor int) int {
	n := max(divisor, int(v+float64(divisor)/2)/divisor*divisor)
	if float64(n) < 0.9*v {
		n += divisor
	}
	return n
}
