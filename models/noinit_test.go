package models

import (
	"math/rand/v2"
	"slices"
	"testing"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/nn"
)

// Options.NoInit builds the same network with its random weights left
// zero: loading a seeded model's state dict into it gives that model,
// output for output, on every head and backbone family. So nothing random
// outside the state dict survives the skip (a constant drawn at build
// time, say), and the skip really skips: whatever two seeds fill
// differently is zero.
func TestNoInit(t *testing.T) {
	classes := []string{"a", "b", "c"}
	graph := func(seed uint64) *Graph {
		r := rand.New(rand.NewPCG(seed, 3))
		g := &Graph{Embeddings: make([]float32, 3*8), EmbedDim: 8}
		for i := range g.Embeddings {
			g.Embeddings[i] = float32(r.NormFloat64())
		}
		a := make([]float32, 9)
		for i := range a {
			a[i] = float32(r.Float64())
		}
		g.Labels = GraphFromA(a, 3)
		return g
	}
	type tc struct{ backbone, head string }
	var cases []tc
	for _, h := range HeadNames {
		cases = append(cases, tc{"efficientnetv2_t", h})
	}
	cases = append(cases, tc{"tf_efficientnetv2_s", "pool"}, tc{"resnet50", "pool"}, tc{"tresnet_m", "mldecoder"})
	x := ag.RandN(rand.New(rand.NewPCG(1, 2)), 2, 3, 64, 64)
	for _, c := range cases {
		spec := Spec{Backbone: c.backbone, Head: c.head, Classes: classes, Metric: true, Size: 64, Scale: 17,
			DecoderEmbed: 32, DecoderHeads: 4, DecoderFFN: 64}
		graphHead := c.head == "gat" || c.head == "gat+mldecoder" || c.head == "mlgcn"
		var g1, g2, g0 *Graph
		if graphHead {
			spec.EmbedDim = 8
			g1, g2, g0 = graph(1), graph(2), ZeroGraph(3, 8)
		}
		seeded, err := Build(spec, Options{Seed: 1}, g1)
		if err != nil {
			t.Fatalf("%s+%s: %v", c.backbone, c.head, err)
		}
		other, err := Build(spec, Options{Seed: 2}, g2)
		if err != nil {
			t.Fatal(err)
		}
		bare, err := Build(spec, Options{NoInit: true}, g0)
		if err != nil {
			t.Fatal(err)
		}
		a, b := nn.StateMap(seeded), nn.StateMap(other)
		for name, z := range nn.StateMap(bare) {
			if !slices.Equal(a[name].Data, b[name].Data) && slices.ContainsFunc(z.Data, func(v float32) bool { return v != 0 }) {
				t.Fatalf("%s+%s: %s is drawn at random but NoInit filled it", c.backbone, c.head, name)
			}
		}
		sd := nn.NewStateDict()
		for _, nt := range nn.Tensors(seeded) {
			sd.Set(nt.Name, nt.Tensor.Detach())
		}
		if err := nn.LoadInto(nn.StateMap(bare), sd, true); err != nil {
			t.Fatal(err)
		}
		var want, got *ag.Tensor
		ag.NoGrad(func() {
			seeded.Freeze()
			bare.Freeze()
			want = seeded.Forward(nn.Eval, x)
			got = bare.Forward(nn.Eval, x)
		})
		if !slices.Equal(want.Data, got.Data) {
			t.Fatalf("%s+%s: NoInit + the seeded weights gives %v, the seeded model %v", c.backbone, c.head, got.Data, want.Data)
		}
	}
}
