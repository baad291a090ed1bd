package models

import (
	"fmt"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/nn"
)

// TResNet (Ridnik et al. 2021) as timm's tresnet.py, with timm's
// state-dict names (docs/architectures.md §3):
//
//	x [N,3,H,W]  (H, W divisible by 32; timm feeds [0,1] pixels: mean 0, std 1)
//	body.s2d     SpaceToDepth(4)                          [N, 48, H/4, W/4]
//	body.conv1   ConvBN 3×3 48→P + LeakyReLU(0.01)       [N, P, H/4, W/4]     (no max-pool)
//	body.layer1  stride 1, SE   Basic (v2: Bottleneck)   [N, P·e, H/4]
//	body.layer2  stride 2, SE   Basic (v2: Bottleneck)   [N, 2P·e, H/8]
//	body.layer3  stride 2, SE   Bottleneck               [N, 16P, H/16]
//	body.layer4  stride 2, no SE  Bottleneck             [N, 32P, H/32]       = features
//	head         mean over H,W → Dropout → head.fc       [N, classes]
//
// with P = int(64·width) (v2: rounded down to a multiple of 8) and e the
// block expansion (1 Basic, 4 Bottleneck). Every downsampling is
// anti-aliased (conv at stride 1, then a reflect-padded blur at stride 2);
// the shortcut of a stride-2 block average-pools before its 1×1 conv.
//
// Which "TResNet-L": tresnet_l is the paper's (width 1.2, 2432 features);
// tresnet_v2_l is the ML-Decoder repository's "TResNet-L" (all Bottleneck,
// 2048 features), the body of its COCO checkpoints. MIIL's own checkpoints
// load through MIILRename / FromMIIL (tresnet_miil.go).

// TResNetConfig describes one TResNet.
type TResNetConfig struct {
	Name   string
	Layers [4]int  // blocks per layer
	Width  float64 // width factor: P = int(64·Width)
	V2     bool    // Bottleneck in layer1/2 and P rounded down to a multiple of 8 (tresnet_v2_l)
	// Planes, when positive, sets P directly, overriding Width (reduced
	// test models with P = 3 or 4).
	Planes int
	// SEMin is the floor of the SE reduction width, max(·, SEMin): 64 in
	// TResNet. Only reduced test models change it (a width-8 model with a
	// 64-wide SE would be mostly SE).
	SEMin      int
	NumClasses int     // 0: no classifier
	Dropout    float32 // before the classifier (timm drop_rate, default 0)
	DropPath   float32 // stochastic depth: linspace(0, DropPath) over all blocks (default 0)
	Seed       uint64

	noInit bool // Options.NoInit: leave the weights zero
}

// TResNetVariant returns timm's configuration of "tresnet_m", "tresnet_l",
// "tresnet_xl" or "tresnet_v2_l" (no classifier; set NumClasses).
func TResNetVariant(name string) (TResNetConfig, error) {
	c := TResNetConfig{Name: name, Width: 1, SEMin: 64}
	switch name {
	case "tresnet_m":
		c.Layers = [4]int{3, 4, 11, 3}
	case "tresnet_l":
		c.Layers, c.Width = [4]int{4, 5, 18, 3}, 1.2
	case "tresnet_xl":
		c.Layers, c.Width = [4]int{4, 5, 24, 3}, 1.3
	case "tresnet_v2_l":
		c.Layers, c.V2 = [4]int{3, 4, 23, 3}, true
	default:
		return c, fmt.Errorf("models: unknown TResNet variant %q (want tresnet_m, tresnet_l, tresnet_xl or tresnet_v2_l)", name)
	}
	return c, nil
}

// BasePlanes is P, the width of layer1's convs.
func (cfg *TResNetConfig) BasePlanes() int {
	if cfg.Planes > 0 {
		return cfg.Planes
	}
	p := int(64 * cfg.Width)
	if cfg.V2 {
		p = p / 8 * 8
	}
	return p
}

func (cfg *TResNetConfig) validate() error {
	bad := func(f string, a ...any) error {
		return fmt.Errorf("models: TResNet %q: %s", cfg.Name, fmt.Sprintf(f, a...))
	}
	for i, n := range cfg.Layers {
		if n < 1 {
			return bad("layer%d has %d blocks; need at least 1", i+1, n)
		}
	}
	if cfg.BasePlanes() < 1 || cfg.SEMin < 1 {
		return bad("width %v (planes %d) and SE floor %d must give positive widths", cfg.Width, cfg.BasePlanes(), cfg.SEMin)
	}
	if cfg.NumClasses < 0 || cfg.Dropout < 0 || cfg.Dropout >= 1 || cfg.DropPath < 0 || cfg.DropPath >= 1 {
		return bad("classes %d, dropout %v, drop path %v out of range", cfg.NumClasses, cfg.Dropout, cfg.DropPath)
	}
	return nil
}

// TResNet is the network; see the top of this file.
type TResNet struct {
	Config TResNetConfig
	Conv1  *TResNetConvBN  // body.conv1
	Layers [4][]stageBlock // body.layer1..4
	FC     *nn.Linear      // head.fc; nil without a classifier
	feat   int             // channels of layer4's output
}

// NewTResNet builds the named variant (see TResNetVariant) with timm's
// initialisation; numClasses 0 leaves out the classifier.
func NewTResNet(variant string, numClasses int, seed uint64) (*TResNet, error) {
	cfg, err := TResNetVariant(variant)
	if err != nil {
		return nil, err
	}
	cfg.NumClasses, cfg.Seed = numClasses, seed
	return NewTResNetFromConfig(cfg)
}

// NewTResNetFromConfig builds and initialises a TResNet: convs
// kaiming_normal_ fan_out, BN γ = 1 and β = 0 except γ = 0 for the last BN
// of every residual branch (each block starts as the identity), classifier
// weight N(0, 0.01) and bias PyTorch's default U(±1/√in).
func NewTResNetFromConfig(cfg TResNetConfig) (*TResNet, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	rng := initRNG(cfg.noInit, cfg.Seed, 0x7e5)
	p := cfg.BasePlanes()
	m := &TResNet{Config: cfg, Conv1: newTResConvBN(rng, tresUnit{In: 3 * 16, Out: p, Kernel: 3, Act: true, Slope: tresStemSlope})}

	total := cfg.Layers[0] + cfg.Layers[1] + cfg.Layers[2] + cfg.Layers[3]
	id, in := 0, p
	for li := range 4 {
		planes := p << li // P, 2P, 4P, 8P
		stride := 2
		if li == 0 {
			stride = 1
		}
		bottleneck := li >= 2 || cfg.V2
		se := li < 3
		for j := range cfg.Layers[li] {
			s := stride
			if j > 0 {
				s = 1
			}
			// timm: torch.linspace(0, drop_path_rate, sum(layers)).
			var dpr float32
			if total > 1 {
				dpr = cfg.DropPath * float32(id) / float32(total-1)
			}
			bs := tresBlockShape{In: in, Planes: planes, Stride: s, SE: se, SEMin: cfg.SEMin, DropPath: dpr}
			if bottleneck {
				m.Layers[li] = append(m.Layers[li], newTResBottleneck(rng, bs))
				in = 4 * planes
			} else {
				m.Layers[li] = append(m.Layers[li], newTResBasicBlock(rng, bs))
				in = planes
			}
			id++
		}
	}
	m.feat = in
	if cfg.NumClasses > 0 {
		m.FC = nn.NewLinear(rng, in, cfg.NumClasses, true)
		nn.Normal(m.FC.Weight, rng, 0, 0.01)
	}
	return m, nil
}

// Features maps x [N, 3, H, W] (H, W divisible by 32) to layer4's output
// [N, FeatureChannels(), H/32, W/32].
func (m *TResNet) Features(c *nn.Ctx, x *ag.Tensor) *ag.Tensor {
	if len(x.Shape) != 4 || x.Shape[1] != 3 || x.Shape[2]%32 != 0 || x.Shape[3]%32 != 0 {
		panic(fmt.Sprintf("models.TResNet %s: input %v, want [N, 3, H, W] with H and W divisible by 32", m.Config.Name, x.Shape))
	}
	mark := x.Arena().Mark()
	return forwardStages(c, m.Conv1.Forward(c, ag.SpaceToDepth(x, 4)), &m.Layers, mark)
}

// Forward returns logits [N, classes], or the pooled features
// [N, FeatureChannels()] without a classifier.
func (m *TResNet) Forward(c *nn.Ctx, x *ag.Tensor) *ag.Tensor {
	f := ag.GlobalAvgPool2d(m.Features(c, x))
	if m.FC == nil {
		return f
	}
	if m.Config.Dropout > 0 {
		f = ag.Dropout(f, m.Config.Dropout, c.RNG, c.Training)
	}
	return m.FC.Forward(c, f)
}

// FeatureChannels is 32P: 2048 for M and v2-L, 2432 for L.
func (m *TResNet) FeatureChannels() int { return m.feat }

// NumClasses is the classifier size (0 without).
func (m *TResNet) NumClasses() int { return m.Config.NumClasses }

// MACs counts conv, blur and linear multiply-accumulates of one h×w image
// (the blur as a depthwise 3×3, as docs/architectures.md's totals do).
func (m *TResNet) MACs(h, w int) int64 {
	n, h, w := m.Conv1.MACs(h/4, w/4)
	k, _, _ := stagesMACs(&m.Layers, h, w)
	n += k
	if m.FC != nil {
		n += int64(m.feat) * int64(m.Config.NumClasses)
	}
	return n
}

// Visit reports every tensor under timm's names (body.conv1.conv.weight,
// body.layer3.0.se.fc1.bias, head.fc.weight, ...).
func (m *TResNet) Visit(prefix string, fn func(string, *ag.Tensor, nn.Kind)) {
	body := nn.Join(prefix, "body")
	m.Conv1.Visit(nn.Join(body, "conv1"), fn)
	visitStages(body, &m.Layers, fn)
	if m.FC != nil {
		m.FC.Visit(nn.Join(prefix, "head.fc"), fn)
	}
}
