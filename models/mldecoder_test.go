package models

import (
	"slices"
	"testing"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/autograd/gradcheck"
	"github.com/seed477ab429/multilabel/nn"
)

// ML-Decoder (plain, and metric with groups: K = 2, r = 3, N = 5, so the
// last group's third output is cut) matches the PyTorch implementation of
// docs/architectures.md §5.2 with nn.MultiheadAttention, to 1e-5 relative.
func TestMLDecoderMatchesPyTorch(t *testing.T) {
	for _, name := range []string{"mld_plain", "mld_metric_groups"} {
		t.Run(name, func(t *testing.T) {
			fc := headFixture(t, name)
			cfg := MLDecoderConfig{Classes: fc.Classes, Features: fc.FeaturesDim, Groups: fc.Groups,
				Embed: fc.Embed, Heads: fc.Heads, FFN: fc.FFN, Dropout: 0.1, Metric: fc.Metric}
			m := NewMLDecoder(headRNG(1), cfg)
			headLoadState(t, m, fc.State)
			headClose(t, "output", m.Forward(nn.Eval, fc.Features.tensor()), fc.Out, 1e-5)
		})
	}
}

// Trainable counts on EfficientNetV2-S features (docs/architectures.md §5.4):
// 6,514,708 for 20 classes and 6,560,848 for 80, plus K·768 frozen
// queries; head MACs 194.0 M and 458.1 M at 224 (7×7 tokens).
func TestMLDecoderParamCount(t *testing.T) {
	for _, c := range []struct {
		classes           int
		trainable, frozen int
		macs7             int64
	}{
		{20, 6514708, 15360, 193999872},
		{80, 6560848, 61440, 458084352},
	} {
		m := NewMLDecoder(headRNG(1), DefaultMLDecoderConfig(1280, c.classes, true))
		tr, fr := m.NumParams()
		if tr != c.trainable || fr != c.frozen {
			t.Errorf("%d classes: %d trainable, %d frozen; want %d, %d", c.classes, tr, fr, c.trainable, c.frozen)
		}
		if got := m.MACs(7, 7); got != c.macs7 {
			t.Errorf("%d classes: %d MACs at 7×7, want %d", c.classes, got, c.macs7)
		}
		if p := nn.Parameters(m); slices.ContainsFunc(p, func(nt nn.NamedTensor) bool { return nt.Name == "decoder.query_embed.weight" }) {
			t.Error("the queries are handed to the optimizer")
		}
	}
}

// The state-dict names are the reference's (docs/architectures.md §5.3), and
// timm's names map onto them.
func TestMLDecoderNames(t *testing.T) {
	m := NewMLDecoder(headRNG(1), MLDecoderConfig{Classes: 3, Features: 4, Groups: -1, Embed: 4, Heads: 2, FFN: 8})
	var names []string
	for _, nt := range nn.Tensors(m) {
		names = append(names, nt.Name)
	}
	want := []string{
		"decoder.layers.0.norm1.weight", "decoder.layers.0.norm1.bias",
		"decoder.layers.0.multihead_attn.in_proj_weight", "decoder.layers.0.multihead_attn.in_proj_bias",
		"decoder.layers.0.multihead_attn.out_proj.weight", "decoder.layers.0.multihead_attn.out_proj.bias",
		"decoder.layers.0.linear1.weight", "decoder.layers.0.linear1.bias",
		"decoder.layers.0.linear2.weight", "decoder.layers.0.linear2.bias",
		"decoder.layers.0.norm2.weight", "decoder.layers.0.norm2.bias",
		"decoder.layers.0.norm3.weight", "decoder.layers.0.norm3.bias",
		"decoder.embed_standart.weight", "decoder.embed_standart.bias",
		"decoder.query_embed.weight", "decoder.duplicate_pooling", "decoder.duplicate_pooling_bias",
	}
	if !slices.Equal(names, want) {
		t.Errorf("names\n%v\nwant\n%v", names, want)
	}
	for in, out := range map[string]string{
		"embed_standart.weight":         "decoder.embed_standart.weight",
		"query_embed.weight":            "decoder.query_embed.weight",
		"duplicate_pooling":             "decoder.duplicate_pooling",
		"duplicate_pooling_bias":        "decoder.duplicate_pooling_bias",
		"decoder.layers.0.linear1.bias": "decoder.layers.0.linear1.bias",
	} {
		if got, _ := TimmMLDecoderName(in); got != out {
			t.Errorf("TimmMLDecoderName(%q) = %q, want %q", in, got, out)
		}
	}
}

// Gradients of the whole decoder in training mode (dropout masks fixed by
// the seed) at a tiny width: embedding, attention (both projections,
// softmax, heads), FFN, the LayerNorms and the group FC with r = 2 and a
// cut, in both variants.
func TestMLDecoderGrad(t *testing.T) {
	for _, metric := range []bool{false, true} {
		rng := headRNG(8)
		m := NewMLDecoder(rng, MLDecoderConfig{Classes: 3, Features: 3, Groups: 2, Embed: 4, Heads: 2, FFN: 6, Dropout: 0.2, Metric: metric})
		headRandParams(m, rng, 0.5)
		x := ag.RandN(rng, 2, 3, 2, 2).SetRequiresGrad(true)
		inputs := append([]*ag.Tensor{x}, headParamInputs(m)...)
		gradcheck.Check(t, func(in []*ag.Tensor) *ag.Tensor {
			return m.Forward(nn.Train(5), in[0])
		}, inputs, gradcheck.Options{})
	}
}

// MultiheadAttention alone: query, key and value all distinct.
func TestMultiheadAttentionGrad(t *testing.T) {
	rng := headRNG(9)
	a := NewMultiheadAttention(rng, 4, 2, 0.25)
	headRandParams(a, rng, 0.5)
	q := ag.RandN(rng, 2, 3, 4).SetRequiresGrad(true)
	k := ag.RandN(rng, 2, 5, 4).SetRequiresGrad(true)
	v := ag.RandN(rng, 2, 5, 4).SetRequiresGrad(true)
	inputs := append([]*ag.Tensor{q, k, v}, headParamInputs(a)...)
	gradcheck.Check(t, func(in []*ag.Tensor) *ag.Tensor {
		return a.Forward(nn.Train(3), in[0], in[1], in[2])
	}, inputs, gradcheck.Options{})
}

// Queries: K = min(groups or 100, N), r = ⌈N/K⌉.
func TestMLDecoderQueries(t *testing.T) {
	for _, c := range []struct{ n, g, k, r int }{
		{20, -1, 20, 1}, {80, -1, 80, 1}, {500, -1, 100, 5}, {9605, 200, 200, 49}, {5, 2, 2, 3},
	} {
		k, r := MLDecoderConfig{Classes: c.n, Groups: c.g}.Queries()
		if k != c.k || r != c.r {
			t.Errorf("N=%d groups=%d: K=%d r=%d, want %d %d", c.n, c.g, k, r, c.k, c.r)
		}
	}
}
