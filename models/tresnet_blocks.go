package models

import (
	"fmt"
	"math/rand/v2"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/nn"
)

// The building blocks of TResNet (docs/architectures.md §3.2, timm tresnet.py).
// Every unit is conv → BN (→ LeakyReLU) with no conv bias; TResNet never
// uses a strided convolution: a stride-2 unit convolves at stride 1 and
// then blurs at stride 2 (BlurPool2d), and a stride-2 shortcut average-pools
// before its 1×1 conv.

// TResNet's LeakyReLU slopes: 1e-2 in the stem, 1e-3 inside the blocks.
const (
	tresStemSlope  = 1e-2
	tresBlockSlope = 1e-3
)

// TResNetConvBN is timm's ConvNormAct / ConvNormActAa (MIIL conv2d_ABN),
// state-dict children "conv" and "bn":
//
//	y = BN(conv_{k×k, stride 1, pad k/2}(x))      [N, Cout, H, W]
//	y = LeakyReLU_slope(y)                         if Act
//	y = BlurPool2d(y)                              if AA != nil  → [N, Cout, H/2, W/2]
type TResNetConvBN struct {
	Conv  *nn.Conv2d
	BN    *nn.BatchNorm2d
	Act   bool
	Slope float32
	AA    *BlurPool2d
}

// tresUnit is the shape of one TResNetConvBN: a Kernel×Kernel conv from In
// to Out channels; LeakyReLU with Slope after BN when Act; a stride-2 blur
// after that when Blur.
type tresUnit struct {
	In, Out, Kernel int
	Act             bool
	Slope           float32
	Blur            bool
}

// newTResConvBN makes a unit with timm's init: conv kaiming_normal_
// (fan_out; its 'leaky_relu' gain with a = 0 is √2, as for ReLU), BN γ = 1,
// β = 0, eps 1e-5, momentum 0.1.
func newTResConvBN(rng *rand.Rand, s tresUnit) *TResNetConvBN {
	u := &TResNetConvBN{Conv: newKaimingConv(rng, nn.ConvSpec{In: s.In, Out: s.Out, Kernel: s.Kernel, Padding: s.Kernel / 2}), BN: nn.NewBatchNorm2d(s.Out, 1e-5, 0.1), Act: s.Act, Slope: s.Slope}
	if s.Blur {
		u.AA = NewBlurPool2d(s.Out)
	}
	return u
}

// Forward runs conv → BN (→ act) (→ blur); BN and the LeakyReLU run as
// one op (autograd.BatchNormOpts.Act).
func (u *TResNetConvBN) Forward(c *nn.Ctx, x *ag.Tensor) *ag.Tensor {
	act := ag.ActNone
	if u.Act {
		act = ag.ActLeakyReLU
	}
	y := convBN(c, u.Conv, u.BN, x, act, u.Slope)
	if u.AA != nil {
		y = u.AA.Forward(c, y)
	}
	return y
}

// MACs returns the unit's multiply-accumulates for an h×w input (conv and
// blur) and its output size.
func (u *TResNetConvBN) MACs(h, w int) (macs int64, oh, ow int) {
	macs = u.Conv.MACs(h, w)
	oh, ow = u.Conv.OutSize(h), u.Conv.OutSize(w)
	if u.AA != nil {
		macs += u.AA.MACs(oh, ow)
		oh, ow = u.AA.OutSize(oh), u.AA.OutSize(ow)
	}
	return macs, oh, ow
}

// Visit names the children "conv" and "bn" (the blur has no state).
func (u *TResNetConvBN) Visit(prefix string, fn func(string, *ag.Tensor, nn.Kind)) {
	u.Conv.Visit(nn.Join(prefix, "conv"), fn)
	u.BN.Visit(nn.Join(prefix, "bn"), fn)
}

// TResNetSE is timm's SEModule (MIIL FastSEModule) with an absolute
// reduction width rd, fc1/fc2 being 1×1 convs with bias:
//
//	s = mean_{H,W}(x)                 [N, C, 1, 1]
//	s = σ(fc2(ReLU(fc1(s))))          C → rd → C
//	y = x · s                         (broadcast over H, W)
type TResNetSE struct {
	FC1, FC2 *nn.Conv2d
}

func newTResSE(rng *rand.Rand, c, rd int) *TResNetSE {
	se := &TResNetSE{FC1: nn.NewConv2d(rng, nn.ConvSpec{In: c, Out: rd, Kernel: 1, Bias: true}), FC2: nn.NewConv2d(rng, nn.ConvSpec{In: rd, Out: c, Kernel: 1, Bias: true})}
	// timm re-initialises every nn.Conv2d weight (the SE ones included)
	// with kaiming_normal_ fan_out; the biases keep PyTorch's default.
	nn.KaimingNormalFanOut(se.FC1.Weight, rng)
	nn.KaimingNormalFanOut(se.FC2.Weight, rng)
	return se
}

// Forward rescales each channel of x [N, C, H, W] by its gate.
func (se *TResNetSE) Forward(c *nn.Ctx, x *ag.Tensor) *ag.Tensor {
	n, ch := x.Shape[0], x.Shape[1]
	s := ag.Reshape(ag.GlobalAvgPool2d(x), n, ch, 1, 1)
	s = ag.ReLU(se.FC1.Forward(c, s))
	s = ag.Sigmoid(se.FC2.Forward(c, s))
	return ag.Mul(x, s)
}

// MACs counts the two 1×1 convs on the pooled 1×1 map.
func (se *TResNetSE) MACs() int64 { return se.FC1.MACs(1, 1) + se.FC2.MACs(1, 1) }

// Visit names the children "fc1" and "fc2".
func (se *TResNetSE) Visit(prefix string, fn func(string, *ag.Tensor, nn.Kind)) {
	se.FC1.Visit(nn.Join(prefix, "fc1"), fn)
	se.FC2.Visit(nn.Join(prefix, "fc2"), fn)
}

// TResNetDownsample is the shortcut of a layer's first block when the
// stride or the width changes: with Pool (stride 2)
// AvgPool2d(2, 2, ceil_mode, count_include_pad=False) then a 1×1 ConvBN,
// state-dict index "1" (index 0 is the pool); without (stride 1) just the
// 1×1 ConvBN at index "0".
type TResNetDownsample struct {
	Pool bool
	Unit *TResNetConvBN
}

var tresAvgPool = ag.PoolOpts{KernelH: 2, KernelW: 2, StrideH: 2, StrideW: 2, CeilMode: true, CountIncludePad: false}

// Forward maps x to the block's output shape.
func (d *TResNetDownsample) Forward(c *nn.Ctx, x *ag.Tensor) *ag.Tensor {
	if d.Pool {
		x = ag.AvgPool2d(x, tresAvgPool)
	}
	return d.Unit.Forward(c, x)
}

// MACs counts the 1×1 conv (pooling is not counted).
func (d *TResNetDownsample) MACs(h, w int) int64 {
	if d.Pool {
		h, w = (h+1)/2, (w+1)/2
	}
	m, _, _ := d.Unit.MACs(h, w)
	return m
}

// Visit names the conv unit "1" behind a pool, else "0".
func (d *TResNetDownsample) Visit(prefix string, fn func(string, *ag.Tensor, nn.Kind)) {
	idx := "0"
	if d.Pool {
		idx = "1"
	}
	d.Unit.Visit(nn.Join(prefix, idx), fn)
}

// newKaimingConv is the bias-free k×k conv of shape s (In, Out, Kernel,
// Stride, Padding; not grouped) with weights drawn from
// kaiming_normal_(mode=fan_out): N(0, 2/(Cout·k²)), the init of timm's
// TResNet and torchvision's ResNet. (Building the struct directly skips
// nn.NewConv2d's default draw, which would be overwritten.) A spec with a
// Bias or Groups is a programming error: these convs feed a BatchNorm.
func newKaimingConv(rng *rand.Rand, s nn.ConvSpec) *nn.Conv2d {
	if s.Bias || s.Groups > 1 {
		panic(fmt.Sprintf("models: newKaimingConv of %+v: a bias or groups is not supported", s))
	}
	k := s.Kernel
	c := &nn.Conv2d{Weight: ag.Zeros(s.Out, s.In, k, k).AsParam(), Stride: max(s.Stride, 1), Padding: s.Padding, Dilation: 1, Groups: 1}
	nn.KaimingNormalFanOut(c.Weight, rng)
	return c
}

// TResNetBasicBlock (expansion 1):
//
//	out = ConvBNAct_3×3(x; Cin→P, LeakyReLU 1e-3; stride 2 = conv s1 + blur)   conv1
//	out = ConvBN_3×3(out; P→P)                                                 conv2
//	out = SE(out; P → max(P/4, 64))                                            se (optional)
//	y   = ReLU(DropPath(out) + shortcut(x))
type TResNetBasicBlock struct {
	Conv1, Conv2 *TResNetConvBN
	SE           *TResNetSE         // nil: no SE
	Downsample   *TResNetDownsample // nil: identity shortcut
	DropPath     float32
}

// tresBlockShape is the shape of one TResNet block: In channels to Planes
// (×4 for a bottleneck) with Stride (0 means 1); an SE layer of width
// max(Planes/4 (basic) or 4·Planes/8 (bottleneck), SEMin) when SE; and the
// stochastic-depth probability DropPath of the residual branch.
type tresBlockShape struct {
	In, Planes, Stride int
	SE                 bool
	SEMin              int
	DropPath           float32
}

func newTResBasicBlock(rng *rand.Rand, bs tresBlockShape) *TResNetBasicBlock {
	in, planes, stride, dpr := bs.In, bs.Planes, max(bs.Stride, 1), bs.DropPath
	b := &TResNetBasicBlock{
		Conv1:    newTResConvBN(rng, tresUnit{In: in, Out: planes, Kernel: 3, Act: true, Slope: tresBlockSlope, Blur: stride == 2}),
		Conv2:    newTResConvBN(rng, tresUnit{In: planes, Out: planes, Kernel: 3}),
		DropPath: dpr,
	}
	nn.Fill(b.Conv2.BN.Weight, 0) // the branch starts as zero: the block is the identity
	if bs.SE {
		b.SE = newTResSE(rng, planes, max(planes/4, bs.SEMin))
	}
	if stride != 1 || in != planes {
		b.Downsample = &TResNetDownsample{Pool: stride == 2, Unit: newTResConvBN(rng, tresUnit{In: in, Out: planes, Kernel: 1})}
	}
	return b
}

// Forward runs the block on x [N, Cin, H, W].
func (b *TResNetBasicBlock) Forward(c *nn.Ctx, x *ag.Tensor) *ag.Tensor {
	out := b.Conv2.Forward(c, b.Conv1.Forward(c, x))
	if b.SE != nil {
		out = b.SE.Forward(c, out)
	}
	return tresResidual(c, out, x, b.Downsample, b.DropPath)
}

// MACs of the block for an h×w input, and its output size.
func (b *TResNetBasicBlock) MACs(h, w int) (int64, int, int) {
	m1, oh, ow := b.Conv1.MACs(h, w)
	m2, _, _ := b.Conv2.MACs(oh, ow)
	m := m1 + m2
	if b.SE != nil {
		m += b.SE.MACs()
	}
	if b.Downsample != nil {
		m += b.Downsample.MACs(h, w)
	}
	return m, oh, ow
}

// Visit names the children as timm does.
func (b *TResNetBasicBlock) Visit(prefix string, fn func(string, *ag.Tensor, nn.Kind)) {
	if b.Downsample != nil {
		b.Downsample.Visit(nn.Join(prefix, "downsample"), fn)
	}
	b.Conv1.Visit(nn.Join(prefix, "conv1"), fn)
	b.Conv2.Visit(nn.Join(prefix, "conv2"), fn)
	if b.SE != nil {
		b.SE.Visit(nn.Join(prefix, "se"), fn)
	}
}

// TResNetBottleneck (expansion 4); the SE sits on the mid channels,
// between the 3×3 and the last 1×1:
//
//	out = ConvBNAct_1×1(x; Cin→P, LeakyReLU 1e-3)                                conv1
//	out = ConvBNAct_3×3(out; P→P, LeakyReLU 1e-3; stride 2 = conv s1 + blur)     conv2
//	out = SE(out; P → max(4P/8, 64))                                             se (optional; none in layer4)
//	out = ConvBN_1×1(out; P→4P)                                                  conv3
//	y   = ReLU(DropPath(out) + shortcut(x))
type TResNetBottleneck struct {
	Conv1, Conv2, Conv3 *TResNetConvBN
	SE                  *TResNetSE
	Downsample          *TResNetDownsample
	DropPath            float32
}

func newTResBottleneck(rng *rand.Rand, bs tresBlockShape) *TResNetBottleneck {
	in, planes, stride, dpr := bs.In, bs.Planes, max(bs.Stride, 1), bs.DropPath
	b := &TResNetBottleneck{
		Conv1:    newTResConvBN(rng, tresUnit{In: in, Out: planes, Kernel: 1, Act: true, Slope: tresBlockSlope}),
		Conv2:    newTResConvBN(rng, tresUnit{In: planes, Out: planes, Kernel: 3, Act: true, Slope: tresBlockSlope, Blur: stride == 2}),
		Conv3:    newTResConvBN(rng, tresUnit{In: planes, Out: 4 * planes, Kernel: 1}),
		DropPath: dpr,
	}
	nn.Fill(b.Conv3.BN.Weight, 0)
	if bs.SE {
		b.SE = newTResSE(rng, planes, max(planes*4/8, bs.SEMin))
	}
	if stride != 1 || in != 4*planes {
		b.Downsample = &TResNetDownsample{Pool: stride == 2, Unit: newTResConvBN(rng, tresUnit{In: in, Out: 4 * planes, Kernel: 1})}
	}
	return b
}

// Forward runs the block on x [N, Cin, H, W].
func (b *TResNetBottleneck) Forward(c *nn.Ctx, x *ag.Tensor) *ag.Tensor {
	out := b.Conv2.Forward(c, b.Conv1.Forward(c, x))
	if b.SE != nil {
		out = b.SE.Forward(c, out)
	}
	out = b.Conv3.Forward(c, out)
	return tresResidual(c, out, x, b.Downsample, b.DropPath)
}

// MACs of the block for an h×w input, and its output size.
func (b *TResNetBottleneck) MACs(h, w int) (int64, int, int) {
	m1, _, _ := b.Conv1.MACs(h, w)
	m2, oh, ow := b.Conv2.MACs(h, w)
	m3, _, _ := b.Conv3.MACs(oh, ow)
	m := m1 + m2 + m3
	if b.SE != nil {
		m += b.SE.MACs()
	}
	if b.Downsample != nil {
		m += b.Downsample.MACs(h, w)
	}
	return m, oh, ow
}

// Visit names the children as timm does.
func (b *TResNetBottleneck) Visit(prefix string, fn func(string, *ag.Tensor, nn.Kind)) {
	if b.Downsample != nil {
		b.Downsample.Visit(nn.Join(prefix, "downsample"), fn)
	}
	b.Conv1.Visit(nn.Join(prefix, "conv1"), fn)
	b.Conv2.Visit(nn.Join(prefix, "conv2"), fn)
	if b.SE != nil {
		b.SE.Visit(nn.Join(prefix, "se"), fn)
	}
	b.Conv3.Visit(nn.Join(prefix, "conv3"), fn)
}

// tresResidual is y = ReLU(DropPath(branch) + shortcut(x)).
func tresResidual(c *nn.Ctx, branch, x *ag.Tensor, ds *TResNetDownsample, dpr float32) *ag.Tensor {
	sc := x
	if ds != nil {
		sc = ds.Forward(c, x)
	}
	if !ag.SameShape(branch.Shape, sc.Shape) {
		panic(fmt.Sprintf("models.TResNet block: branch %v and shortcut %v differ (input %v)", branch.Shape, sc.Shape, x.Shape))
	}
	// One op (autograd.Residual): neither the dropped-path branch nor the
	// sum before the ReLU is stored.
	return ag.Residual(branch, sc, ag.ResidualOpts{DropPath: dpr, RNG: c.RNG, Training: c.Training, Act: ag.ActReLU})
}
