package models

import (
	"fmt"
	"math"
	"math/rand/v2"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/nn"
)

// The graph layers of the label-graph heads (docs/method.md §3.3,
// docs/architectures.md §6) over N label nodes, with Â [N, N] from
// NormalizeAdj. Both take node features H [N, in] and give [N, out].

// GATLayer is one single-head graph-attention layer (pyGAT's
// GraphAttentionLayer, torchreid/models/gcn.py): W [in, out], a [2·out, 1]
// (state-dict names "W", "a"), no bias.
//
//	Z    = H·W                                   [N, out]
//	S_ij = (Z·a₁)_i + (Z·a₂)_j                    a₁ = a[:out], a₂ = a[out:]
//	E_ij = LeakyReLU_0.2(S_ij)     if Â_ij > 0, else −9e15 (masked)
//	α    = softmax_j(E)                           row i attends to its graph neighbours j
//	α    = Dropout_p(α)                           training only, p = 0.1
//	out  = ELU(α·Z)                               (Concat = true, both layers of the head)
//
// Only the sparsity pattern of Â is used. Self loops keep every row
// non-empty. Backward (docs/architectures.md §6.4) is the composition of the ops'
// rules: ∂Z gets αᵀG through the aggregation and ∂f1 a₁ᵀ + ∂f2 a₂ᵀ through
// the scores; a masked entry has α = 0 and MaskedFill passes it no
// gradient, so masking and the softmax Jacobian need no special case.
type GATLayer struct {
	W, A    *ag.Tensor
	Slope   float32 // LeakyReLU slope of the scores, 0.2
	Dropout float32 // attention dropout, 0.1
	Concat  bool    // apply ELU to the output
}

// NewGATLayer makes a GAT layer with Xavier-uniform (gain 1.414) W and a,
// as pyGAT.
func NewGATLayer(rng *rand.Rand, in, out int, dropout float32) *GATLayer {
	l := &GATLayer{W: ag.Zeros(in, out), A: ag.Zeros(2*out, 1), Slope: 0.2, Dropout: dropout, Concat: true}
	xavierUniform(l.W, rng, 1.414)
	xavierUniform(l.A, rng, 1.414)
	l.W.AsParam()
	l.A.AsParam()
	return l
}

// Forward applies the layer to h [N, in] on the graph aHat [N, N].
func (l *GATLayer) Forward(c *nn.Ctx, h, aHat *ag.Tensor) *ag.Tensor {
	n, out := h.Shape[0], l.W.Shape[1]
	if h.Dims() != 2 || h.Shape[1] != l.W.Shape[0] || !ag.SameShape(aHat.Shape, []int{n, n}) {
		panic(fmt.Sprintf("models.GATLayer: input %v, W %v, Â %v (need [N, in], [in, out], [N, N])", h.Shape, l.W.Shape, aHat.Shape))
	}
	z := ag.MatMul(h, l.W)                                             // [N, out]
	f1 := ag.MatMul(z, ag.Slice(l.A, 0, 0, out))                       // [N, 1]
	f2 := ag.Reshape(ag.MatMul(z, ag.Slice(l.A, 0, out, 2*out)), 1, n) // [1, N]
	e := ag.LeakyReLU(ag.Add(f1, f2), l.Slope)                         // [N, N]
	masked := make([]bool, n*n)
	for i, v := range aHat.Data {
		masked[i] = !(v > 0)
	}
	att := ag.Softmax(ag.MaskedFill(e, masked, -9e15), 1)
	att = ag.Dropout(att, l.Dropout, c.RNG, c.Training)
	y := ag.MatMul(att, z)
	if l.Concat {
		y = ag.ELU(y, 1)
	}
	return y
}

// Visit names the tensors "W" and "a".
func (l *GATLayer) Visit(prefix string, fn func(string, *ag.Tensor, nn.Kind)) {
	fn(nn.Join(prefix, "W"), l.W, nn.Param)
	fn(nn.Join(prefix, "a"), l.A, nn.Param)
}

// MACs of one forward on n nodes: H·W, the two score products, α·Z.
func (l *GATLayer) MACs(n int) int64 {
	in, out := int64(l.W.Shape[0]), int64(l.W.Shape[1])
	return int64(n)*in*out + 2*int64(n)*out + int64(n)*int64(n)*out
}

// GraphConvolution is Kipf & Welling's layer as in ML-GCN: weight [in, out]
// (used as H·W, transposed with respect to nn.Linear), no bias.
//
//	out = Â·(H·W)          ∂W = Hᵀ·Âᵀ·G,  ∂H = Âᵀ·G·Wᵀ
type GraphConvolution struct {
	Weight *ag.Tensor
}

// NewGraphConvolution initialises the weight U(−1/√out, 1/√out).
func NewGraphConvolution(rng *rand.Rand, in, out int) *GraphConvolution {
	w := ag.Zeros(in, out)
	b := 1 / math.Sqrt(float64(out))
	nn.Uniform(w, rng, -b, b)
	return &GraphConvolution{Weight: w.AsParam()}
}

// Forward computes Â·(h·W) for h [N, in].
func (g *GraphConvolution) Forward(_ *nn.Ctx, h, aHat *ag.Tensor) *ag.Tensor {
	n := h.Shape[0]
	if h.Dims() != 2 || h.Shape[1] != g.Weight.Shape[0] || !ag.SameShape(aHat.Shape, []int{n, n}) {
		panic(fmt.Sprintf("models.GraphConvolution: input %v, weight %v, Â %v (need [N, in], [in, out], [N, N])", h.Shape, g.Weight.Shape, aHat.Shape))
	}
	return ag.MatMul(aHat, ag.MatMul(h, g.Weight))
}

// Visit names the weight "weight".
func (g *GraphConvolution) Visit(prefix string, fn func(string, *ag.Tensor, nn.Kind)) {
	fn(nn.Join(prefix, "weight"), g.Weight, nn.Param)
}

// MACs of one forward on n nodes.
func (g *GraphConvolution) MACs(n int) int64 {
	in, out := int64(g.Weight.Shape[0]), int64(g.Weight.Shape[1])
	return int64(n)*in*out + int64(n)*int64(n)*out
}

// GraphLayer is a GATLayer or a GraphConvolution.
type GraphLayer interface {
	nn.Module
	Forward(c *nn.Ctx, h, aHat *ag.Tensor) *ag.Tensor
	MACs(nodes int) int64
}

// GraphLayerType picks the layer of the graph branch (model.gcn.layer_type).
type GraphLayerType int

const (
	LayerGAT GraphLayerType = iota // "gan": the paper's method
	LayerGCN                       // "gcn": the released config's default
)

func newGraphLayer(rng *rand.Rand, t GraphLayerType, in, out int, dropout float32) GraphLayer {
	if t == LayerGCN {
		return NewGraphConvolution(rng, in, out)
	}
	return NewGATLayer(rng, in, out, dropout)
}

// aHatTensor recomputes Â from the stored A [N, N] as the reference's
// forward does (gen_adj on the parameter, detached): a constant.
func aHatTensor(a *ag.Tensor) *ag.Tensor {
	n := a.Shape[0]
	g := GraphFromA(a.Data, n)
	return ag.New(g.AHat, n, n)
}

// xavierUniform fills t with U(−b, b), b = gain·√(6/(fan_in + fan_out)),
// PyTorch's fans (nn.Fans).
func xavierUniform(t *ag.Tensor, rng *rand.Rand, gain float64) {
	fi, fo := nn.Fans(t.Shape)
	b := gain * math.Sqrt(6/float64(fi+fo))
	nn.Uniform(t, rng, -b, b)
}

// xavierNormal fills t with N(0, σ²), σ = gain·√(2/(fan_in + fan_out)).
func xavierNormal(t *ag.Tensor, rng *rand.Rand, gain float64) {
	fi, fo := nn.Fans(t.Shape)
	nn.Normal(t, rng, 0, gain*math.Sqrt(2/float64(fi+fo)))
}

// GATHeadConfig configures the label-graph re-weighting head. Start from
// PaperGATConfig; the released config differs in two fields (Layer =
// LayerGCN, Pooling = PoolAvg).
type GATHeadConfig struct {
	Classes  int // N label nodes
	Channels int // C, the backbone's feature channels (hidden = output = C)
	EmbedDim int // width of the label embeddings, 300 for GloVe

	Layer       GraphLayerType
	Pooling     Pooling
	Cosine      bool    // AngleSimpleLinear (AM/AAM losses) instead of nn.Linear (ASL/BCE)
	AttnDropout float32 // GAT attention dropout

	// Decoder, when set, sends the gated map into an ML-Decoder instead of
	// pooling and classifying ("GAN re-weighting + MLD", paper Tables 8-9;
	// not in the released code). Its Classes and Features must equal
	// Classes and Channels.
	Decoder *MLDecoderConfig
}

// PaperGATConfig is the paper's head B (docs/method.md §9): two GAT layers
// 300 → C → C, attention dropout 0.1, GAP + GMP, cosine classifier.
func PaperGATConfig(channels, classes int) GATHeadConfig {
	return GATHeadConfig{Classes: classes, Channels: channels, EmbedDim: 300,
		Layer: LayerGAT, Pooling: PoolAvgMax, Cosine: true, AttnDropout: 0.1}
}

// GATHead is the label-graph re-weighting branch with its classifier
// (deep-object-reid's Image_GCNN without the backbone, docs/method.md §3.3-§3.4):
//
//	H1 = LeakyReLU_0.2( gc1(X, Â) )          X [N, 300] label embeddings   → [N, C]
//	H2 = LeakyReLU_0.2( gc2(H1, Â) )                                        → [N, C]
//	g  = σ( max_i H2[i, :] )                 one gate per channel          [C]
//	F' = F ⊙ g                               F [B, C, h, w], gate broadcast over B, h, w
//	y  = head( pool(F') )                    or ML-Decoder(F') with Config.Decoder
//
// g does not depend on the image: FreezeGate computes it once, and eval
// forwards then cost the backbone, one multiply per feature and the
// classifier (what the reference's export_mode stores as gc_weights).
//
// State-dict names follow Image_GCNN: gc1.*, gc2.* (GAT: W, a; GCN:
// weight), inp [N, E] and A [N, N] (reference nn.Parameters that the
// optimizer never sees, kept here as buffers), head.weight (and head.bias
// for nn.Linear), or decoder.* with an ML-Decoder.
type GATHead struct {
	Config   GATHeadConfig
	GC1, GC2 GraphLayer
	Inp      *ag.Tensor // [N, E] label embeddings, buffer
	A        *ag.Tensor // [N, N] re-weighted adjacency (GenA), buffer
	Head     nn.Layer   // classifier, nil with a decoder
	Decoder  *MLDecoder

	gate *ag.Tensor // frozen gate [C], nil until FreezeGate
}

// NewGATHead builds the head from label embeddings emb [N, E] (row-major,
// rows in the class order of the labels) and the graph. Mismatched sizes
// are errors: they come from user files.
func NewGATHead(rng *rand.Rand, cfg GATHeadConfig, emb []float32, graph *LabelGraph) (*GATHead, error) {
	n, c := cfg.Classes, cfg.Channels
	if n <= 0 || c <= 0 || cfg.EmbedDim <= 0 {
		return nil, fmt.Errorf("models: GAT head: classes %d, channels %d, embedding dim %d must be positive", n, c, cfg.EmbedDim)
	}
	if len(emb) != n*cfg.EmbedDim {
		return nil, fmt.Errorf("models: GAT head: %d embedding values for %d classes × %d dims", len(emb), n, cfg.EmbedDim)
	}
	if graph == nil || graph.N != n {
		return nil, fmt.Errorf("models: GAT head: label graph for %d classes, head has %d", graphN(graph), n)
	}
	h := &GATHead{
		Config: cfg,
		GC1:    newGraphLayer(rng, cfg.Layer, cfg.EmbedDim, c, cfg.AttnDropout),
		GC2:    newGraphLayer(rng, cfg.Layer, c, c, cfg.AttnDropout),
		Inp:    ag.New(append([]float32(nil), emb...), n, cfg.EmbedDim),
		A:      ag.Zeros(n, n),
	}
	for i, v := range graph.A {
		h.A.Data[i] = float32(v)
	}
	if cfg.Decoder != nil {
		if cfg.Decoder.Classes != n || cfg.Decoder.Features != c {
			return nil, fmt.Errorf("models: GAT head: decoder for %d classes on %d features, head has %d on %d", cfg.Decoder.Classes, cfg.Decoder.Features, n, c)
		}
		h.Decoder = NewMLDecoder(rng, *cfg.Decoder)
	} else {
		h.Head = newClassifier(rng, c, n, cfg.Cosine)
	}
	return h, nil
}

func graphN(g *LabelGraph) int {
	if g == nil {
		return 0
	}
	return g.N
}

// Gate computes g = σ(max over labels of the branch output) [C], recorded
// on the tape (gradients reach gc1 and gc2).
func (h *GATHead) Gate(c *nn.Ctx) *ag.Tensor {
	aHat := aHatTensor(h.A)
	x := ag.LeakyReLU(h.GC1.Forward(c, h.Inp, aHat), 0.2)
	x = ag.LeakyReLU(h.GC2.Forward(c, x, aHat), 0.2)
	return ag.Sigmoid(ag.Max(x, 0, false))
}

// FreezeGate computes the eval-mode gate once and keeps it: later eval
// forwards reuse it (deployment, export). Call it again after loading
// weights; a training forward drops it. It does not use ag.NoGrad, whose
// switch is process-wide: loading a model must not turn gradient recording
// off for a training goroutine. The gate is kept as a plain leaf, so any
// graph recorded while computing it is dropped at once.
func (h *GATHead) FreezeGate() {
	g := h.Gate(nn.Eval)
	h.gate = ag.New(g.Data, g.Shape...) // a plain leaf, off any tape
}

// FrozenGate returns the kept gate, or nil.
func (h *GATHead) FrozenGate() *ag.Tensor { return h.gate }

// Forward maps features [B, C, h, w] to [B, N] logits or cosines.
func (h *GATHead) Forward(c *nn.Ctx, features *ag.Tensor) *ag.Tensor {
	if features.Dims() != 4 || features.Shape[1] != h.Config.Channels {
		panic(fmt.Sprintf("models.GATHead: features %v, head built for %d channels", features.Shape, h.Config.Channels))
	}
	g := h.gate
	if c.Training || g == nil {
		h.gate = nil
		g = h.Gate(c)
	}
	weighted := ag.Mul(features, ag.Reshape(g, 1, h.Config.Channels, 1, 1))
	if h.Decoder != nil {
		return h.Decoder.Forward(c, weighted)
	}
	return h.Head.Forward(c, GlobalPool(weighted, h.Config.Pooling))
}

// Visit names the tensors as Image_GCNN does.
func (h *GATHead) Visit(prefix string, fn func(string, *ag.Tensor, nn.Kind)) {
	h.GC1.Visit(nn.Join(prefix, "gc1"), fn)
	h.GC2.Visit(nn.Join(prefix, "gc2"), fn)
	fn(nn.Join(prefix, "inp"), h.Inp, nn.Buffer)
	fn(nn.Join(prefix, "A"), h.A, nn.Buffer)
	if h.Decoder != nil {
		h.Decoder.Visit(prefix, fn)
	} else {
		h.Head.Visit(nn.Join(prefix, "head"), fn)
	}
}

// NumParams returns the trainable count and the saved untrained count
// (embeddings, adjacency, decoder queries).
func (h *GATHead) NumParams() (trainable, frozen int) { return countParams(h) }

// GraphMACs is the cost of the graph branch (computed once when frozen).
func (h *GATHead) GraphMACs() int64 {
	return h.GC1.MACs(h.Config.Classes) + h.GC2.MACs(h.Config.Classes)
}

// MACs is the per-image cost of the head with a frozen gate on a h×w map:
// the classifier (the gating multiply and pooling are not MACs by the
// convention of docs/architectures.md §0), or the ML-Decoder's cost.
func (h *GATHead) MACs(hh, ww int) int64 {
	if h.Decoder != nil {
		return h.Decoder.MACs(hh, ww)
	}
	return int64(h.Config.Channels) * int64(h.Config.Classes)
}
