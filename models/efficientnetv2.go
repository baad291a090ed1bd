package models

import (
	"fmt"
	"math"
	"strconv"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/nn"
)

// EfficientNetV2 (Tan & Le 2021) as torchvision 0.14 builds it
// (models/efficientnet.py, class EfficientNet with the v2 configs), with
// switches for timm's variants:
//
//	features.0      stem: Conv3x3 s2 (3→C0) + BN + SiLU
//	features.1..K   K stages of FusedMBConv / MBConv blocks (EffNetV2Stage)
//	features.K+1    head: Conv1x1 (C_K→1280) + BN + SiLU     → Features, [N, 1280, H/32, W/32]
//	avgpool         global average → [N, 1280]
//	classifier      Dropout(p) → Linear(1280→classes)       (classifier.0, classifier.1)
//
// Block i of n (0-based over all stages) gets stochastic depth
// p_i = DropPath·i/n on its residual branch.
//
// timm: efficientnetv2_s/m/l are the same network with BN eps 1e-5 and
// timm's names (conv_stem, bn1, blocks.i.j.conv_pw, ...); tf_efficientnetv2_*
// use BN eps 1e-3 and TF "SAME" padding on the stride-2 convs. Both are
// EffNetV2Config switches (BNEps, TFSame, TimmNames).

// BlockKind selects the block type of a stage.
type BlockKind int

const (
	FusedMBConvBlock BlockKind = iota // 3x3 conv (+ 1x1 projection when expanded)
	MBConvBlock                       // 1x1 expand, 3x3 depthwise, SE, 1x1 project
)

// EffNetV2Stage is one row of a stage table (torchvision's
// FusedMBConvConfig / MBConvConfig). The first block has the stage's stride
// and input channels; the others have stride 1 and Cin = Out.
type EffNetV2Stage struct {
	Block   BlockKind
	Expand  int // expansion ratio e: mid = makeDivisible(Cin·e, 8)
	Kernel  int
	Stride  int
	Out     int // output channels
	Repeats int
}

// EffNetV2Config describes one EfficientNetV2 network.
type EffNetV2Config struct {
	Name       string
	Stem       int // stem output channels = first stage's input channels
	Stages     []EffNetV2Stage
	Head       int     // channels of the head conv = FeatureChannels (1280)
	NumClasses int     // 0: no classifier
	Dropout    float32 // before the classifier
	DropPath   float32 // stochastic-depth rate of the last block
	BNEps      float32 // torchvision and tf_: 1e-3; timm efficientnetv2_*: 1e-5
	BNMomentum float32 // PyTorch convention; 0.1
	TFSame     bool    // TF "SAME" padding on the stride-2 convs (timm tf_)
	TimmNames  bool    // state-dict names as timm's (conv_stem, blocks.i.j...) instead of torchvision's
	TimmInit   bool    // timm's depthwise fan_out (k², not k²·C); other inits are identical
	Seed       uint64  // weight initialisation

	noInit bool // tests: skip the random fill when only shapes matter
}

// The stage tables of torchvision's _efficientnet_conf (docs/architectures.md §2.3).
var (
	effNetV2SStages = []EffNetV2Stage{
		{FusedMBConvBlock, 1, 3, 1, 24, 2},
		{FusedMBConvBlock, 4, 3, 2, 48, 4},
		{FusedMBConvBlock, 4, 3, 2, 64, 4},
		{MBConvBlock, 4, 3, 2, 128, 6},
		{MBConvBlock, 6, 3, 1, 160, 9},
		{MBConvBlock, 6, 3, 2, 256, 15},
	}
	effNetV2MStages = []EffNetV2Stage{
		{FusedMBConvBlock, 1, 3, 1, 24, 3},
		{FusedMBConvBlock, 4, 3, 2, 48, 5},
		{FusedMBConvBlock, 4, 3, 2, 80, 5},
		{MBConvBlock, 4, 3, 2, 160, 7},
		{MBConvBlock, 6, 3, 1, 176, 14},
		{MBConvBlock, 6, 3, 2, 304, 18},
		{MBConvBlock, 6, 3, 1, 512, 5},
	}
	effNetV2LStages = []EffNetV2Stage{
		{FusedMBConvBlock, 1, 3, 1, 32, 4},
		{FusedMBConvBlock, 4, 3, 2, 64, 7},
		{FusedMBConvBlock, 4, 3, 2, 96, 7},
		{MBConvBlock, 4, 3, 2, 192, 10},
		{MBConvBlock, 6, 3, 1, 224, 19},
		{MBConvBlock, 6, 3, 2, 384, 25},
		{MBConvBlock, 6, 3, 1, 640, 7},
	}
)

// EffNetV2Variant returns the torchvision configuration of "s", "m" or "l"
// (stem, stages, head 1280, dropout 0.2/0.3/0.4, drop path 0.2, BN eps
// 1e-3), or "t", our laptop-size variant (see efficientnetv2_t.go).
func EffNetV2Variant(size string) (EffNetV2Config, error) {
	c := EffNetV2Config{Head: 1280, DropPath: 0.2, BNEps: 1e-3, BNMomentum: 0.1}
	switch size {
	case "s":
		c.Stem, c.Stages, c.Dropout = 24, effNetV2SStages, 0.2
	case "m":
		c.Stem, c.Stages, c.Dropout = 24, effNetV2MStages, 0.3
	case "l":
		c.Stem, c.Stages, c.Dropout = 32, effNetV2LStages, 0.4
	case "t":
		c.Stem, c.Stages, c.Head, c.Dropout = effNetV2TStem, effNetV2TStages, effNetV2THead, 0.2
	default:
		return c, fmt.Errorf("models: EfficientNetV2 size %q: want s, m, l or t", size)
	}
	c.Name = "efficientnetv2_" + size
	return c, nil
}

// EfficientNetV2 is the network; see the top of this file.
type EfficientNetV2 struct {
	Config     EffNetV2Config
	Stem       *ConvBNAct   // features.0
	Stages     [][]effBlock // features.1..K
	Head       *ConvBNAct   // features.K+1
	Classifier *nn.Linear   // classifier.1; nil without a classifier

	names *EffNetV2Names // torchvision ↔ timm names
}

// NewEfficientNetV2 builds and initialises the network (torchvision's
// init: kaiming_normal_ fan_out convs, BN γ=1 β=0, classifier weight
// U(±1/√classes) and bias 0; see newConvBNAct for timm's depthwise
// variant). It returns an error for a configuration that cannot be built.
func NewEfficientNetV2(cfg EffNetV2Config) (*EfficientNetV2, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	s := convSpec{
		bnEps: cfg.BNEps, bnMomentum: cfg.BNMomentum, tfSame: cfg.TFSame, timmInit: cfg.TimmInit,
		rng: initRNG(cfg.noInit, cfg.Seed, 0xeff2), noInit: cfg.noInit,
	}
	m := &EfficientNetV2{Config: cfg}
	m.Stem = newConvBNAct(s, convShape{In: 3, Out: cfg.Stem, Kernel: 3, Stride: 2, Act: true})

	total := 0
	for _, st := range cfg.Stages {
		total += st.Repeats
	}
	in, id := cfg.Stem, 0
	for _, st := range cfg.Stages {
		var blocks []effBlock
		for j := range st.Repeats {
			stride := st.Stride
			if j > 0 {
				in, stride = st.Out, 1
			}
			p := cfg.DropPath * float32(id) / float32(total)
			bs := blockShape{In: in, Out: st.Out, Expand: st.Expand, Kernel: st.Kernel, Stride: stride, DropPath: p}
			if st.Block == FusedMBConvBlock {
				blocks = append(blocks, newFusedMBConv(s, bs))
			} else {
				blocks = append(blocks, newMBConv(s, bs))
			}
			id++
		}
		m.Stages = append(m.Stages, blocks)
		in = st.Out
	}
	m.Head = newConvBNAct(s, convShape{In: in, Out: cfg.Head, Kernel: 1, Act: true})
	if cfg.NumClasses > 0 {
		m.Classifier = &nn.Linear{Weight: ag.Zeros(cfg.NumClasses, cfg.Head).AsParam(), Bias: ag.Zeros(cfg.NumClasses).AsParam()}
		r := 1 / math.Sqrt(float64(cfg.NumClasses)) // note: out_features, as torchvision
		if !cfg.noInit {
			nn.Uniform(m.Classifier.Weight, s.rng, -r, r)
		}
	}
	m.buildTimmNames()
	return m, nil
}

func (cfg *EffNetV2Config) validate() error {
	bad := func(f string, a ...any) error {
		return fmt.Errorf("models: EfficientNetV2 %q: %s", cfg.Name, fmt.Sprintf(f, a...))
	}
	if cfg.Stem < 1 || cfg.Head < 1 || len(cfg.Stages) == 0 {
		return bad("needs stem and head channels and at least one stage")
	}
	if cfg.NumClasses < 0 || cfg.Dropout < 0 || cfg.Dropout > 1 || cfg.DropPath < 0 || cfg.DropPath > 1 {
		return bad("classes %d, dropout %v, drop path %v out of range", cfg.NumClasses, cfg.Dropout, cfg.DropPath)
	}
	if cfg.BNEps <= 0 {
		return bad("BN eps %v must be positive", cfg.BNEps)
	}
	for i, st := range cfg.Stages {
		if st.Expand < 1 || st.Kernel < 1 || st.Kernel%2 == 0 || st.Stride < 1 || st.Stride > 2 || st.Out < 1 || st.Repeats < 1 {
			return bad("stage %d %+v: need expand ≥ 1, odd kernel, stride 1 or 2, out ≥ 1, repeats ≥ 1", i, st)
		}
	}
	return nil
}

// Features runs the stem, the stages and the head conv:
// x [N, 3, H, W] → [N, Head, H/32, W/32].
func (m *EfficientNetV2) Features(c *nn.Ctx, x *ag.Tensor) *ag.Tensor {
	if len(x.Shape) != 4 || x.Shape[1] != 3 {
		panic(fmt.Sprintf("models.%s: input %v, want [N, 3, H, W]", m.Config.Name, x.Shape))
	}
	// Without gradients, what a block made is dead once it has returned
	// (the next block reads only its output): hand it back to the arena
	// at once, so inference holds one block's activations, not all of
	// them (Arena.ReleaseSince does nothing while gradients are recorded).
	ar := x.Arena()
	mark := ar.Mark()
	x = m.Stem.Forward(c, x)
	for _, st := range m.Stages {
		for _, b := range st {
			x = b.Forward(c, x)
			ar.ReleaseSince(mark, x)
		}
	}
	x = m.Head.Forward(c, x)
	ar.ReleaseSince(mark, x)
	return x
}

// Forward returns logits [N, classes], or the pooled features [N, Head]
// without a classifier.
func (m *EfficientNetV2) Forward(c *nn.Ctx, x *ag.Tensor) *ag.Tensor {
	f := ag.GlobalAvgPool2d(m.Features(c, x)) // avgpool + flatten: [N, Head]
	if m.Classifier == nil {
		return f
	}
	f = ag.Dropout(f, m.Config.Dropout, c.RNG, c.Training)
	return m.Classifier.Forward(c, f)
}

// FeatureChannels is the head conv's width.
func (m *EfficientNetV2) FeatureChannels() int { return m.Config.Head }

// NumClasses is the classifier size (0 without).
func (m *EfficientNetV2) NumClasses() int { return m.Config.NumClasses }

// MACs counts conv and linear multiply-accumulates of one h×w image.
func (m *EfficientNetV2) MACs(h, w int) int64 {
	n, h, w := m.Stem.macs(h, w)
	for _, st := range m.Stages {
		for _, b := range st {
			var k int64
			k, h, w = b.macs(h, w)
			n += k
		}
	}
	k, _, _ := m.Head.macs(h, w)
	n += k
	if m.Classifier != nil {
		n += int64(m.Config.Head) * int64(m.Config.NumClasses)
	}
	return n
}

// Visit reports every tensor under torchvision's names
// (features.0.0.weight, features.4.0.block.2.fc1.bias, classifier.1.weight,
// ...) or, with TimmNames, timm's (conv_stem.weight, blocks.3.0.se.conv_reduce.bias,
// classifier.weight, ...).
func (m *EfficientNetV2) Visit(prefix string, fn func(string, *ag.Tensor, nn.Kind)) {
	visit := fn
	if m.Config.TimmNames {
		visit = func(name string, t *ag.Tensor, k nn.Kind) {
			timm, _ := m.names.ToTimm(name)
			fn(nn.Join(prefix, timm), t, k)
		}
		prefix = ""
	}
	m.visitTorchvision(prefix, visit)
}

// visitTorchvision is Visit with torchvision's names.
func (m *EfficientNetV2) visitTorchvision(prefix string, fn func(string, *ag.Tensor, nn.Kind)) {
	feat := nn.Join(prefix, "features")
	m.Stem.Visit(nn.Join(feat, "0"), fn)
	for i, st := range m.Stages {
		for j, b := range st {
			b.Visit(nn.Join(feat, strconv.Itoa(i+1)+"."+strconv.Itoa(j)), fn)
		}
	}
	m.Head.Visit(nn.Join(feat, strconv.Itoa(len(m.Stages)+1)), fn)
	if m.Classifier != nil {
		m.Classifier.Visit(nn.Join(prefix, "classifier.1"), fn)
	}
}

// FeatureSize is the spatial size of Features for an h×w input (ceil(h/32)
// for both symmetric and SAME padding with 3x3 stride-2 convs).
func (m *EfficientNetV2) FeatureSize(h, w int) (int, int) {
	_, h, w = m.Stem.macs(h, w)
	for _, st := range m.Stages {
		for _, b := range st {
			_, h, w = b.macs(h, w)
		}
	}
	return h, w
}
