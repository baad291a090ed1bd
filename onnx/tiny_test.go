package onnx

import (
	"math/rand/v2"
	"strings"
	"testing"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/metrics"
	"github.com/seed477ab429/multilabel/models"
	"github.com/seed477ab429/multilabel/nn"
)

// Tiny classifiers, one per backbone family and head, for the export
// tests: the same code paths as the full-size models (every block type,
// SAME padding, the ML-Decoder's group slice, both decoder layer kinds of
// Q2L) at a size whose ONNX files are small enough to commit.

const (
	tinySize    = 64
	tinyClasses = 5
	tinyBatch   = 2
)

var tinyClassNames = []string{"cat", "dog", "car", "tree", "person"}

func tinyEffNet(t testing.TB, tf bool) models.Backbone {
	cfg := models.EffNetV2Config{Name: "tiny_effnet", Stem: 8, Head: 32, BNEps: 1e-3, BNMomentum: 0.1, TFSame: tf, Seed: 3,
		Stages: []models.EffNetV2Stage{
			{Block: models.FusedMBConvBlock, Expand: 1, Kernel: 3, Stride: 1, Out: 8, Repeats: 2},
			{Block: models.FusedMBConvBlock, Expand: 4, Kernel: 3, Stride: 2, Out: 16, Repeats: 2},
			{Block: models.MBConvBlock, Expand: 4, Kernel: 3, Stride: 2, Out: 24, Repeats: 2},
			{Block: models.MBConvBlock, Expand: 1, Kernel: 3, Stride: 2, Out: 24, Repeats: 1},
			{Block: models.MBConvBlock, Expand: 6, Kernel: 3, Stride: 2, Out: 32, Repeats: 1},
		}}
	m, err := models.NewEfficientNetV2(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func tinyResNet(t testing.TB) models.Backbone {
	m, err := models.NewResNetFromConfig(models.ResNetConfig{Name: "tiny_resnet", Layers: [4]int{2, 1, 1, 1}, Base: 4, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func tinyTResNet(t testing.TB, v2 bool) models.Backbone {
	m, err := models.NewTResNetFromConfig(models.TResNetConfig{Name: "tiny_tresnet", Layers: [4]int{2, 1, 1, 1}, Planes: 4, SEMin: 4, V2: v2, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

type tinyCase struct {
	name string
	make func(t testing.TB) *models.Classifier
}

// tinyCases lists the exported models: every head on the tiny
// EfficientNetV2, and the pooled head on the other backbones.
func tinyCases() []tinyCase {
	headOn := func(bb func(testing.TB) models.Backbone, head string, metric bool, scale float32) func(testing.TB) *models.Classifier {
		return func(t testing.TB) *models.Classifier {
			b := bb(t)
			rng := rand.New(rand.NewPCG(11, 13))
			c := b.FeatureChannels()
			dec := models.MLDecoderConfig{Classes: tinyClasses, Features: c, Groups: 2, Embed: 16, Heads: 2, FFN: 24, Dropout: 0.1, Metric: metric}
			emb := ag.RandN(rng, tinyClasses, 8).Data
			graph, err := models.NewLabelGraph([][]int{{0, 1}, {0, 1, 4}, {2}, {3, 4}, {1, 4}, {0}}, tinyClasses, models.DefaultTau, models.DefaultRho)
			if err != nil {
				t.Fatal(err)
			}
			var h models.Head
			switch head {
			case "pool-avg":
				h = models.NewPooledHead(rng, c, tinyClasses, models.PoolAvg, metric)
			case "pool-max":
				h = models.NewPooledHead(rng, c, tinyClasses, models.PoolMax, metric)
			case "pool":
				h = models.NewPooledHead(rng, c, tinyClasses, models.PoolAvgMax, metric)
			case "mldecoder":
				h = models.NewMLDecoder(rng, dec)
			case "gat", "gat+mldecoder":
				cfg := models.PaperGATConfig(c, tinyClasses)
				cfg.EmbedDim, cfg.Cosine = 8, metric
				if head == "gat+mldecoder" {
					cfg.Decoder = &dec
				}
				if h, err = models.NewGATHead(rng, cfg, emb, graph); err != nil {
					t.Fatal(err)
				}
			case "mlgcn":
				if h, err = models.NewMLGCN(rng, c, emb, 8, graph); err != nil {
					t.Fatal(err)
				}
			case "q2l":
				h = models.NewQuery2Label(rng, models.Q2LConfig{Classes: tinyClasses, Features: c, Hidden: 16, FFN: 16, Heads: 4, EncoderLayers: 1, DecoderLayers: 2, Dropout: 0.1})
			default:
				t.Fatalf("unknown head %q", head)
			}
			spec := models.Spec{Backbone: "tiny", Head: strings.TrimPrefix(head, "pool-"), Classes: tinyClassNames, Metric: metric, Size: tinySize, Scale: scale, Norm: "half"}
			net := &models.Classifier{Spec: spec, Backbone: b, Head: h}
			randomizeState(net, 17)
			net.Freeze()
			return net
		}
	}
	eff := func(t testing.TB) models.Backbone { return tinyEffNet(t, false) }
	effTF := func(t testing.TB) models.Backbone { return tinyEffNet(t, true) }
	res := func(t testing.TB) models.Backbone { return tinyResNet(t) }
	tres := func(t testing.TB) models.Backbone { return tinyTResNet(t, false) }
	tresV2 := func(t testing.TB) models.Backbone { return tinyTResNet(t, true) }
	return []tinyCase{
		{"effnet_mldecoder", headOn(eff, "mldecoder", false, 1)},
		{"effnet_mldecoder_metric", headOn(eff, "mldecoder", true, 8)},
		{"effnet_gat", headOn(eff, "gat", true, 8)},
		{"effnet_gat_mldecoder", headOn(eff, "gat+mldecoder", true, 8)},
		{"effnet_mlgcn", headOn(eff, "mlgcn", false, 1)},
		{"effnet_q2l", headOn(eff, "q2l", false, 1)},
		{"effnet_pool", headOn(eff, "pool", true, 8)},
		{"tfeffnet_pool_avg", headOn(effTF, "pool-avg", false, 1)},
		{"resnet_pool_max", headOn(res, "pool-max", false, 1)},
		{"tresnet_pool", headOn(tres, "pool", true, 8)},
		{"tresnetv2_mldecoder", headOn(tresV2, "mldecoder", false, 1)},
	}
}

// randomizeState gives every BatchNorm non-trivial statistics and affine
// parameters (so that folding them into the convolutions is tested) and
// every zero-initialized tensor (biases, TResNet's γ = 0 branches) small
// random values.
func randomizeState(m nn.Module, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 1))
	st := nn.StateMap(m)
	for _, nt := range nn.Tensors(m) {
		name, d := nt.Name, nt.Tensor.Data
		base, isBN := strings.CutSuffix(name, "running_var")
		switch {
		case isBN:
			for i := range d {
				d[i] = 0.5 + rng.Float32()
			}
			for i, v := range st[base+"running_mean"].Data {
				st[base+"running_mean"].Data[i] = v + 0.2*float32(rng.NormFloat64())
			}
			for i := range st[base+"weight"].Data {
				st[base+"weight"].Data[i] = 0.6 + 0.6*rng.Float32()
			}
			for i := range st[base+"bias"].Data {
				st[base+"bias"].Data[i] = 0.1 * float32(rng.NormFloat64())
			}
		case strings.HasSuffix(name, "bias") && allZero(d):
			for i := range d {
				d[i] = 0.05 * float32(rng.NormFloat64())
			}
		}
	}
}

func allZero(d []float32) bool {
	for _, v := range d {
		if v != 0 {
			return false
		}
	}
	return true
}

// tinyInput is the fixed input of the fixtures: [2, 3, 64, 64] N(0, 1).
func tinyInput() []float32 {
	return ag.RandN(rand.New(rand.NewPCG(23, 29)), tinyBatch, 3, tinySize, tinySize).Data
}

// goScores runs net in eval mode on x and returns σ(scale·output), as
// multilabel.Model.Scores does after preprocessing.
func goScores(net *models.Classifier, x []float32, batch int) []float32 {
	s := net.Spec.Size
	var out *ag.Tensor
	ag.NoGrad(func() { out = net.Forward(nn.Eval, ag.New(append([]float32(nil), x...), batch, 3, s, s)) })
	p := make([]float32, out.Numel())
	metrics.Sigmoid(p, out.Data, net.Spec.Scale)
	return p
}
