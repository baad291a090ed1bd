package models

import (
	"math"
	"testing"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/autograd/gradcheck"
	"github.com/seed477ab429/multilabel/nn"
)

func TestQuery2LabelGrad(t *testing.T) {
	rng := headRNG(13)
	cfg := Q2LConfig{Classes: 3, Features: 3, Hidden: 8, FFN: 6, Heads: 2, EncoderLayers: 1, DecoderLayers: 2, Dropout: 0.2}
	q := NewQuery2Label(rng, cfg)
	headRandParams(q, rng, 0.5)
	x := ag.RandN(rng, 2, 3, 2, 2).SetRequiresGrad(true)
	inputs := append([]*ag.Tensor{x}, headParamInputs(q)...)
	gradcheck.Check(t, func(in []*ag.Tensor) *ag.Tensor {
		return q.Forward(nn.Train(2), in[0])
	}, inputs, gradcheck.Options{MaxElems: 16})
}

// Parameter count of the reference layout, and the first decoder layer
// without self-attention.
func TestQuery2LabelParams(t *testing.T) {
	c, n := 64, 20
	q := NewQuery2Label(headRNG(1), DefaultQ2LConfig(c, n))
	d, f := c, c
	mha := 4*d*d + 4*d
	ffn := d*f + f + f*d + d
	want := c*d + d + n*d + // input_proj, queries
		mha + ffn + 4*d + // encoder
		mha + ffn + 4*d + // decoder 0: cross-attention, norm2, norm3
		2*mha + ffn + 6*d + // decoder 1
		2*d + n*d + n // decoder norm, fc
	if tr, fr := q.NumParams(); tr != want || fr != 0 {
		t.Errorf("%d trainable, %d frozen; want %d, 0", tr, fr, want)
	}
	m := nn.StateMap(q)
	for _, name := range []string{"transformer.decoder.layers.0.self_attn.in_proj_weight", "transformer.decoder.layers.0.norm1.weight"} {
		if m[name] != nil {
			t.Errorf("%s present: the first decoder layer keeps no self-attention", name)
		}
	}
	for _, name := range []string{"transformer.decoder.layers.1.self_attn.in_proj_weight", "transformer.encoder.layers.0.norm2.bias",
		"transformer.decoder.norm.weight", "input_proj.weight", "query_embed.weight", "fc.weight", "fc.bias"} {
		if m[name] == nil {
			t.Errorf("%s missing", name)
		}
	}
	if s := m["fc.weight"].Shape; len(s) != 3 || s[0] != 1 || s[1] != n || s[2] != d {
		t.Errorf("fc.weight shape %v, want [1 %d %d]", s, n, d)
	}
}

// DETR's normalised sine encoding at a few points.
func TestSinePositionEncoding(t *testing.T) {
	h, w, d := 2, 3, 8
	p := SinePositionEncoding(h, w, d)
	npf := d / 2
	for _, c := range []struct{ y, x, k int }{{0, 0, 0}, {1, 2, 1}, {1, 1, 2}, {0, 2, 3}} {
		yh := float64(c.y+1) / (float64(h) + 1e-6) * 2 * math.Pi
		xh := float64(c.x+1) / (float64(w) + 1e-6) * 2 * math.Pi
		tau := math.Pow(10000, float64(2*(c.k/2))/float64(npf))
		f := math.Sin
		if c.k%2 == 1 {
			f = math.Cos
		}
		row := p.Data[(c.y*w+c.x)*d:]
		if math.Abs(float64(row[c.k])-f(yh/tau)) > 1e-5 || math.Abs(float64(row[npf+c.k])-f(xh/tau)) > 1e-5 {
			t.Errorf("(%d,%d) k=%d: %v %v, want %v %v", c.y, c.x, c.k, row[c.k], row[npf+c.k], f(yh/tau), f(xh/tau))
		}
	}
}

// Query2Label matches a PyTorch implementation of the reference
// transformer (testdata/gen_heads.py, nn.MultiheadAttention, DETR's sine
// positions) to 1e-5 relative.
func TestQuery2LabelMatchesPyTorch(t *testing.T) {
	fc := headFixture(t, "q2l")
	cfg := Q2LConfig{Classes: fc.Classes, Features: fc.FeaturesDim, Hidden: fc.Embed, FFN: fc.FFN,
		Heads: fc.Heads, EncoderLayers: 1, DecoderLayers: 2, Dropout: 0.1}
	q := NewQuery2Label(headRNG(1), cfg)
	headLoadState(t, q, fc.State)
	headClose(t, "output", q.Forward(nn.Eval, fc.Features.tensor()), fc.Out, 1e-5)
}
