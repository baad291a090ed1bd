package models

import (
	"fmt"
	"math/rand/v2"
	"strconv"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/nn"
)

// ResNet-50/101 exactly as torchvision 0.14's resnet50/resnet101 (v1.5:
// the stride sits on the 3×3 conv), with torchvision's state-dict names
// (docs/architectures.md §4). It is the backbone of the ML-GCN baseline.
//
//	x [N,3,H,W]
//	conv1 7×7 s2 p3 (3→B) → bn1 → ReLU → MaxPool 3×3 s2 p1   [N, B, H/4, W/4]
//	layer1  planes B,  stride 1                               [N, 4B, H/4]
//	layer2  planes 2B, stride 2                               [N, 8B, H/8]
//	layer3  planes 4B, stride 2                               [N, 16B, H/16]
//	layer4  planes 8B, stride 2                               [N, 32B, H/32]   = features
//	avgpool → fc                                              [N, classes]
//
// B = 64 in torchvision; smaller B only serves reduced parity tests.
//
// Bottleneck (expansion 4):
//
//	out = ReLU(bn1(conv1_1×1(x)))                  Cin → P
//	out = ReLU(bn2(conv2_3×3(out; stride s, p1)))  P → P
//	out = bn3(conv3_1×1(out))                      P → 4P
//	y   = ReLU(out + downsample(x))                downsample = conv1×1 stride s + BN in each layer's first block
//
// BN: eps 1e-5, momentum 0.1, γ = 1, β = 0 (bn3 γ = 0 with ZeroInitResidual).

// ResNetConfig describes one ResNet.
type ResNetConfig struct {
	Name             string
	Layers           [4]int // blocks per layer: 50 → 3,4,6,3; 101 → 3,4,23,3
	Base             int    // stem width and layer1 planes (64)
	NumClasses       int    // 0: no classifier
	ZeroInitResidual bool   // torchvision's zero_init_residual (default false)
	Seed             uint64

	noInit bool // Options.NoInit: leave the weights zero
}

// ResNetVariant returns torchvision's resnet50 or resnet101 configuration
// (depth 50 or 101), without a classifier.
func ResNetVariant(depth int) (ResNetConfig, error) {
	c := ResNetConfig{Name: "resnet" + strconv.Itoa(depth), Base: 64}
	switch depth {
	case 50:
		c.Layers = [4]int{3, 4, 6, 3}
	case 101:
		c.Layers = [4]int{3, 4, 23, 3}
	case 152:
		c.Layers = [4]int{3, 8, 36, 3}
	default:
		return c, fmt.Errorf("models: ResNet depth %d: want 50, 101 or 152", depth)
	}
	return c, nil
}

// ResNetBottleneck is torchvision's Bottleneck.
type ResNetBottleneck struct {
	Conv1, Conv2, Conv3 *nn.Conv2d
	BN1, BN2, BN3       *nn.BatchNorm2d
	Downsample          nn.Sequential // {Conv2d 1×1 stride s, BatchNorm2d}, or nil
}

// bottleneckShape is the shape of one ResNet bottleneck: In channels to
// 4·Planes, with Stride (0 means 1) in its 3×3 conv and its downsample.
type bottleneckShape struct {
	In, Planes, Stride int
}

func newResNetBottleneck(rng *rand.Rand, bs bottleneckShape) *ResNetBottleneck {
	in, planes, stride := bs.In, bs.Planes, max(bs.Stride, 1)
	conv := func(s nn.ConvSpec) *nn.Conv2d { return newKaimingConv(rng, s) }
	bn := func(c int) *nn.BatchNorm2d { return nn.NewBatchNorm2d(c, 1e-5, 0.1) }
	b := &ResNetBottleneck{
		Conv1: conv(nn.ConvSpec{In: in, Out: planes, Kernel: 1}), BN1: bn(planes),
		Conv2: conv(nn.ConvSpec{In: planes, Out: planes, Kernel: 3, Stride: stride, Padding: 1}), BN2: bn(planes),
		Conv3: conv(nn.ConvSpec{In: planes, Out: 4 * planes, Kernel: 1}), BN3: bn(4 * planes),
	}
	if stride != 1 || in != 4*planes {
		b.Downsample = nn.Sequential{conv(nn.ConvSpec{In: in, Out: 4 * planes, Kernel: 1, Stride: stride}), bn(4 * planes)}
	}
	return b
}

// Forward runs the block on x [N, Cin, H, W].
func (b *ResNetBottleneck) Forward(c *nn.Ctx, x *ag.Tensor) *ag.Tensor {
	out := convBN(c, b.Conv1, b.BN1, x, ag.ActReLU, 0) // BN + ReLU in one op
	out = convBN(c, b.Conv2, b.BN2, out, ag.ActReLU, 0)
	out = convBN(c, b.Conv3, b.BN3, out, ag.ActNone, 0)
	sc := x
	if b.Downsample != nil {
		sc = b.Downsample.Forward(c, x)
	}
	return ag.Residual(out, sc, ag.ResidualOpts{Act: ag.ActReLU}) // ReLU(out + sc) in one op
}

// MACs of the block for an h×w input, and its output size.
func (b *ResNetBottleneck) MACs(h, w int) (int64, int, int) {
	oh, ow := b.Conv2.OutSize(h), b.Conv2.OutSize(w)
	m := b.Conv1.MACs(h, w) + b.Conv2.MACs(h, w) + b.Conv3.MACs(oh, ow)
	if b.Downsample != nil {
		m += b.Downsample[0].(*nn.Conv2d).MACs(h, w)
	}
	return m, oh, ow
}

// Visit names the children as torchvision does.
func (b *ResNetBottleneck) Visit(prefix string, fn func(string, *ag.Tensor, nn.Kind)) {
	b.Conv1.Visit(nn.Join(prefix, "conv1"), fn)
	b.BN1.Visit(nn.Join(prefix, "bn1"), fn)
	b.Conv2.Visit(nn.Join(prefix, "conv2"), fn)
	b.BN2.Visit(nn.Join(prefix, "bn2"), fn)
	b.Conv3.Visit(nn.Join(prefix, "conv3"), fn)
	b.BN3.Visit(nn.Join(prefix, "bn3"), fn)
	if b.Downsample != nil {
		b.Downsample.Visit(nn.Join(prefix, "downsample"), fn)
	}
}

// ResNet is the network; see the top of this file.
type ResNet struct {
	Config ResNetConfig
	Conv1  *nn.Conv2d
	BN1    *nn.BatchNorm2d
	Layers [4][]*ResNetBottleneck
	FC     *nn.Linear // nil without a classifier
}

// NewResNet builds torchvision's resnet{depth} (50 or 101; 152 too);
// numClasses 0 leaves out the classifier.
func NewResNet(depth, numClasses int, seed uint64) (*ResNet, error) {
	cfg, err := ResNetVariant(depth)
	if err != nil {
		return nil, err
	}
	cfg.NumClasses, cfg.Seed = numClasses, seed
	return NewResNetFromConfig(cfg)
}

// NewResNetFromConfig builds and initialises a ResNet with torchvision's
// init: convs kaiming_normal_ (fan_out, relu), BN γ = 1 and β = 0, fc
// PyTorch's default U(±1/√in) for weight and bias.
func NewResNetFromConfig(cfg ResNetConfig) (*ResNet, error) {
	for i, n := range cfg.Layers {
		if n < 1 {
			return nil, fmt.Errorf("models: ResNet %q: layer%d has %d blocks; need at least 1", cfg.Name, i+1, n)
		}
	}
	if cfg.Base < 1 || cfg.NumClasses < 0 {
		return nil, fmt.Errorf("models: ResNet %q: base width %d and classes %d out of range", cfg.Name, cfg.Base, cfg.NumClasses)
	}
	rng := initRNG(cfg.noInit, cfg.Seed, 0x7e50)
	m := &ResNet{Config: cfg, Conv1: newKaimingConv(rng, nn.ConvSpec{In: 3, Out: cfg.Base, Kernel: 7, Stride: 2, Padding: 3}), BN1: nn.NewBatchNorm2d(cfg.Base, 1e-5, 0.1)}
	in := cfg.Base
	for li := range 4 {
		planes := cfg.Base << li
		for j := range cfg.Layers[li] {
			stride := 1
			if li > 0 && j == 0 {
				stride = 2
			}
			b := newResNetBottleneck(rng, bottleneckShape{In: in, Planes: planes, Stride: stride})
			if cfg.ZeroInitResidual {
				nn.Fill(b.BN3.Weight, 0)
			}
			m.Layers[li] = append(m.Layers[li], b)
			in = 4 * planes
		}
	}
	if cfg.NumClasses > 0 {
		m.FC = nn.NewLinear(rng, in, cfg.NumClasses, true)
	}
	return m, nil
}

var resnetMaxPool = ag.PoolOpts{KernelH: 3, KernelW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1}

// Features maps x [N, 3, H, W] to layer4's output [N, 32B, ~H/32, ~W/32]
// (exactly H/32 when 32 divides H).
func (m *ResNet) Features(c *nn.Ctx, x *ag.Tensor) *ag.Tensor {
	if len(x.Shape) != 4 || x.Shape[1] != 3 {
		panic(fmt.Sprintf("models.ResNet %s: input %v, want [N, 3, H, W]", m.Config.Name, x.Shape))
	}
	mark := x.Arena().Mark()
	x = convBN(c, m.Conv1, m.BN1, x, ag.ActReLU, 0)
	return forwardStages(c, ag.MaxPool2d(x, resnetMaxPool), &m.Layers, mark)
}

// Forward returns logits [N, classes], or the pooled features [N, 32B]
// without a classifier.
func (m *ResNet) Forward(c *nn.Ctx, x *ag.Tensor) *ag.Tensor {
	f := ag.GlobalAvgPool2d(m.Features(c, x))
	if m.FC == nil {
		return f
	}
	return m.FC.Forward(c, f)
}

// FeatureChannels is 32B (2048).
func (m *ResNet) FeatureChannels() int { return 32 * m.Config.Base }

// NumClasses is the classifier size (0 without).
func (m *ResNet) NumClasses() int { return m.Config.NumClasses }

// MACs counts conv and linear multiply-accumulates of one h×w image.
func (m *ResNet) MACs(h, w int) int64 {
	n := m.Conv1.MACs(h, w)
	h, w = m.Conv1.OutSize(h), m.Conv1.OutSize(w)
	h, w = (h+2-3)/2+1, (w+2-3)/2+1 // max-pool 3×3 s2 p1
	k, _, _ := stagesMACs(&m.Layers, h, w)
	n += k
	if m.FC != nil {
		n += int64(m.FeatureChannels()) * int64(m.Config.NumClasses)
	}
	return n
}

// Visit reports every tensor under torchvision's names (conv1.weight,
// bn1.running_mean, layer2.0.downsample.0.weight, fc.bias, ...).
func (m *ResNet) Visit(prefix string, fn func(string, *ag.Tensor, nn.Kind)) {
	m.Conv1.Visit(nn.Join(prefix, "conv1"), fn)
	m.BN1.Visit(nn.Join(prefix, "bn1"), fn)
	visitStages(prefix, &m.Layers, fn)
	if m.FC != nil {
		m.FC.Visit(nn.Join(prefix, "fc"), fn)
	}
}
