package models

import (
	"fmt"
	"math/rand/v2"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/nn"
)

// MLGCN is the ML-GCN baseline head (Chen et al. 2019; the "ML-GCN*" of
// the paper's tables as ported in deep-object-reid, docs/method.md §3.5): two
// graph convolutions turn the label embeddings into the classifier.
//
//	W = gc2( LeakyReLU_0.2( gc1(X, Â) ), Â )     X [N, E] → [N, C/2] → W [N, C]
//	f = max_{h,w} F[:, :, h, w]                   F [B, C, h, w] → f [B, C]
//	y = f · Wᵀ                                    [B, N]
//
// Nothing follows the last layer. W does not depend on the image, so
// FreezeClassifier computes it once for inference. State-dict names:
// gc1.weight [E, C/2], gc2.weight [C/2, C], inp [N, E], A [N, N] (the
// last two as buffers).
type MLGCN struct {
	Channels int
	GC1, GC2 *GraphConvolution
	Inp, A   *ag.Tensor

	w *ag.Tensor // frozen classifier [N, C], nil until FreezeClassifier
}

// NewMLGCN builds the head for channels C from embeddings emb [N, E]
// (row-major) and the label graph.
func NewMLGCN(rng *rand.Rand, channels int, emb []float32, embedDim int, graph *LabelGraph) (*MLGCN, error) {
	if graph == nil || graph.N <= 0 {
		return nil, fmt.Errorf("models: ML-GCN: empty label graph")
	}
	n := graph.N
	if channels < 2 || embedDim <= 0 || len(emb) != n*embedDim {
		return nil, fmt.Errorf("models: ML-GCN: %d embedding values for %d classes × %d dims, %d channels", len(emb), n, embedDim, channels)
	}
	m := &MLGCN{Channels: channels,
		GC1: NewGraphConvolution(rng, embedDim, channels/2),
		GC2: NewGraphConvolution(rng, channels/2, channels),
		Inp: ag.New(append([]float32(nil), emb...), n, embedDim),
		A:   ag.Zeros(n, n),
	}
	for i, v := range graph.A {
		m.A.Data[i] = float32(v)
	}
	return m, nil
}

// Classifier computes W [N, C] on the tape.
func (m *MLGCN) Classifier(c *nn.Ctx) *ag.Tensor {
	aHat := aHatTensor(m.A)
	x := ag.LeakyReLU(m.GC1.Forward(c, m.Inp, aHat), 0.2)
	return m.GC2.Forward(c, x, aHat)
}

// FreezeClassifier computes W once for eval forwards; a training forward
// drops it. Like FreezeGate it avoids the process-wide ag.NoGrad and keeps
// W as a plain leaf.
func (m *MLGCN) FreezeClassifier() {
	w := m.Classifier(nn.Eval)
	m.w = ag.New(w.Data, w.Shape...)
}

// Forward maps features [B, C, h, w] to [B, N] logits.
func (m *MLGCN) Forward(c *nn.Ctx, features *ag.Tensor) *ag.Tensor {
	if features.Dims() != 4 || features.Shape[1] != m.Channels {
		panic(fmt.Sprintf("models.MLGCN: features %v, head built for %d channels", features.Shape, m.Channels))
	}
	w := m.w
	if c.Training || w == nil {
		m.w = nil
		w = m.Classifier(c)
	}
	return ag.MatMulT(ag.GlobalMaxPool2d(features), w, false, true)
}

// Visit names the tensors as the reference.
func (m *MLGCN) Visit(prefix string, fn func(string, *ag.Tensor, nn.Kind)) {
	m.GC1.Visit(nn.Join(prefix, "gc1"), fn)
	m.GC2.Visit(nn.Join(prefix, "gc2"), fn)
	fn(nn.Join(prefix, "inp"), m.Inp, nn.Buffer)
	fn(nn.Join(prefix, "A"), m.A, nn.Buffer)
}

// NumParams returns the trainable count and the saved untrained count.
func (m *MLGCN) NumParams() (trainable, frozen int) { return countParams(m) }
