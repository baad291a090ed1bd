package models

import (
	"math"
	"testing"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/autograd/gradcheck"
	"github.com/seed477ab429/multilabel/nn"
)

// The GAT head (paper config) and the released GCN variant match the
// PyTorch implementation of docs/method.md §3 (testdata/gen_heads.py): graph,
// gate and outputs, to 1e-5 relative.
func TestGATHeadMatchesPyTorch(t *testing.T) {
	for _, name := range []string{"gat_paper", "gcn_released"} {
		t.Run(name, func(t *testing.T) {
			fc := headFixture(t, name)
			graph, err := NewLabelGraph(fc.Labels, fc.Classes, DefaultTau, DefaultRho)
			if err != nil {
				t.Fatal(err)
			}
			headClose(t, "Â", ag.New(graph.AHat, fc.Classes, fc.Classes), fc.AHat, 1e-6)
			pool, err := ParsePooling(fc.Pooling)
			if err != nil {
				t.Fatal(err)
			}
			cfg := PaperGATConfig(fc.Channels, fc.Classes)
			cfg.EmbedDim, cfg.Pooling, cfg.Cosine = fc.Embed, pool, fc.Cosine
			if fc.Layer == "gcn" {
				cfg.Layer = LayerGCN
			}
			emb := make([]float32, fc.Classes*fc.Embed)
			h, err := NewGATHead(headRNG(1), cfg, emb, graph)
			if err != nil {
				t.Fatal(err)
			}
			headLoadState(t, h, fc.State) // also replaces inp and A by the fixture's
			headClose(t, "gate", h.Gate(nn.Eval), fc.Gate, 1e-5)
			out := h.Forward(nn.Eval, fc.Features.tensor())
			headClose(t, "output", out, fc.Out, 1e-5)

			// The frozen gate gives the same outputs without the graph.
			h.FreezeGate()
			if g := h.FrozenGate(); g == nil {
				t.Fatal("FreezeGate kept nothing")
			} else if g.RequiresGrad() || g.Op() != "" {
				t.Fatalf("frozen gate is not a plain leaf: requires grad %v, op %q", g.RequiresGrad(), g.Op())
			}
			frozen := h.Forward(nn.Eval, fc.Features.tensor())
			headClose(t, "output with frozen gate", frozen, fc.Out, 1e-5)
			h.Forward(nn.Train(1), fc.Features.tensor())
			if h.FrozenGate() != nil {
				t.Error("a training forward kept the stale frozen gate")
			}
		})
	}
}

// A node whose only neighbour is itself attends to itself alone: its GAT
// output is ELU(z_i), whatever the other nodes hold. This pins the mask
// (an unmasked softmax would mix in the other rows).
func TestGATLayerMasking(t *testing.T) {
	rng := headRNG(3)
	n, in, out := 4, 3, 5
	l := NewGATLayer(rng, in, out, 0.1)
	h := ag.RandN(rng, n, in)
	aHat := ag.Zeros(n, n)
	for i := 0; i < n; i++ {
		aHat.Data[i*n+i] = 1
	}
	aHat.Data[1*n+2], aHat.Data[2*n+1], aHat.Data[2*n+3] = 0.5, 0.5, 0.5
	y := l.Forward(nn.Eval, h, aHat)
	z := ag.MatMul(h, l.W)
	for _, i := range []int{0, 3} {
		for j := 0; j < out; j++ {
			v := z.Data[i*out+j]
			want := v
			if v < 0 {
				want = float32(math.Expm1(float64(v)))
			}
			if d := math.Abs(float64(y.Data[i*out+j] - want)); d > 1e-6 {
				t.Errorf("isolated node %d feature %d: %v, want ELU(z) = %v", i, j, y.Data[i*out+j], want)
			}
		}
	}
	// Node 2 mixes nodes 1, 2, 3 (its row of Â), so it is not ELU(z_2).
	var diff float64
	for j := 0; j < out; j++ {
		diff += math.Abs(float64(y.Data[2*out+j] - z.Data[2*out+j]))
	}
	if diff < 1e-4 {
		t.Error("node 2 with three neighbours equals its own projection: attention ignored the graph")
	}
}

// Gradient of the GAT layer in training mode (attention dropout with a
// fixed mask), on a graph with masked pairs: input, W and a.
func TestGATLayerGrad(t *testing.T) {
	rng := headRNG(4)
	n, in, out := 5, 4, 3
	l := NewGATLayer(rng, in, out, 0.3)
	h := ag.RandN(rng, n, in).SetRequiresGrad(true)
	g := GraphFromCounts([]int{3, 2, 1, 2, 2}, []int{
		0, 2, 0, 0, 1,
		2, 0, 0, 0, 0,
		0, 0, 0, 1, 0,
		0, 0, 1, 0, 2,
		1, 0, 0, 2, 0}, DefaultTau, DefaultRho)
	aHat := ag.New(g.AHat, n, n)
	masked := 0
	for _, v := range g.AHat {
		if v == 0 {
			masked++
		}
	}
	if masked == 0 {
		t.Fatal("test graph has no masked pairs")
	}
	gradcheck.Check(t, func(in []*ag.Tensor) *ag.Tensor {
		return l.Forward(nn.Train(7), in[0], aHat)
	}, []*ag.Tensor{h, l.W, l.A}, gradcheck.Options{})
}

func TestGraphConvolutionGrad(t *testing.T) {
	rng := headRNG(5)
	l := NewGraphConvolution(rng, 4, 3)
	h := ag.RandN(rng, 5, 4).SetRequiresGrad(true)
	aHat := ag.RandU(rng, 0, 1, 5, 5)
	gradcheck.Check(t, func(in []*ag.Tensor) *ag.Tensor {
		return l.Forward(nn.Eval, in[0], aHat)
	}, []*ag.Tensor{h, l.Weight}, gradcheck.Options{})
}

// The whole head in training mode: gradients reach the features, both
// graph layers and the classifier, through the gate, the pooling and the
// cosine. Every variant: GAT/GCN, pooling, cosine/linear, and the
// ML-Decoder fusion.
func TestGATHeadGrad(t *testing.T) {
	n, c, e := 4, 3, 5
	labels := [][]int{{0, 1}, {0, 1}, {1, 2}, {3}, {2, 3}, {0}}
	graph, err := NewLabelGraph(labels, n, DefaultTau, DefaultRho)
	if err != nil {
		t.Fatal(err)
	}
	dec := MLDecoderConfig{Classes: n, Features: c, Groups: -1, Embed: 4, Heads: 2, FFN: 6, Dropout: 0.1, Metric: true}
	for _, v := range []struct {
		name string
		mod  func(*GATHeadConfig)
	}{
		{"paper", func(*GATHeadConfig) {}},
		{"gcn_avg_linear", func(c *GATHeadConfig) { c.Layer, c.Pooling, c.Cosine = LayerGCN, PoolAvg, false }},
		{"gat_max", func(c *GATHeadConfig) { c.Pooling = PoolMax }},
		{"gat_mldecoder", func(c *GATHeadConfig) { c.Decoder = &dec }},
	} {
		t.Run(v.name, func(t *testing.T) {
			rng := headRNG(6)
			cfg := PaperGATConfig(c, n)
			cfg.EmbedDim = e
			v.mod(&cfg)
			emb := ag.RandN(rng, n, e).Data
			h, err := NewGATHead(rng, cfg, emb, graph)
			if err != nil {
				t.Fatal(err)
			}
			x := headSpaced(rng, 2, c, 2, 3)
			inputs := append([]*ag.Tensor{x}, headParamInputs(h)...)
			gradcheck.Check(t, func(in []*ag.Tensor) *ag.Tensor {
				return h.Forward(nn.Train(11), in[0])
			}, inputs, gradcheck.Options{})
		})
	}
}

func TestGATHeadErrors(t *testing.T) {
	g := GraphFromCounts([]int{1, 1}, []int{0, 1, 1, 0}, DefaultTau, DefaultRho)
	cfg := PaperGATConfig(4, 2)
	if _, err := NewGATHead(headRNG(1), cfg, make([]float32, 7), g); err == nil {
		t.Error("wrong embedding size accepted")
	}
	cfg3 := PaperGATConfig(4, 3)
	if _, err := NewGATHead(headRNG(1), cfg3, make([]float32, 900), g); err == nil {
		t.Error("graph of 2 labels accepted for 3 classes")
	}
}

// Parameter counts: GAT layers in·out + 2·out each, the cosine head C·N.
func TestGATHeadParams(t *testing.T) {
	n, c := 20, 64
	labels := [][]int{{0, 1}}
	g, _ := NewLabelGraph(labels, n, DefaultTau, DefaultRho)
	h, err := NewGATHead(headRNG(1), PaperGATConfig(c, n), make([]float32, n*300), g)
	if err != nil {
		t.Fatal(err)
	}
	tr, fr := h.NumParams()
	if want := 300*c + 2*c + c*c + 2*c + c*n; tr != want {
		t.Errorf("trainable %d, want %d", tr, want)
	}
	if want := n*300 + n*n; fr != want {
		t.Errorf("frozen %d, want %d", fr, want)
	}
}
