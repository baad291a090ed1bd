package models

import (
	"encoding/json"
	"fmt"
	"strings"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/nn"
)

// Head maps a backbone's feature map [B, C, h, w] to [B, N] class outputs
// (logits, or cosines for the metric-learning heads).
type Head interface {
	nn.Module
	Forward(c *nn.Ctx, features *ag.Tensor) *ag.Tensor
}

// Classifier is a multilabel model: a backbone and a head. Its state-dict
// names are "backbone.<backbone name>" and "head.<head name>".
type Classifier struct {
	Spec     Spec
	Backbone Backbone
	Head     Head
}

// Forward maps images [B, 3, S, S] to [B, N].
func (m *Classifier) Forward(c *nn.Ctx, x *ag.Tensor) *ag.Tensor {
	return m.Head.Forward(c, m.Backbone.Features(c, x))
}

// Visit visits the backbone under "backbone" and the head under "head".
func (m *Classifier) Visit(prefix string, fn func(string, *ag.Tensor, nn.Kind)) {
	m.Backbone.Visit(nn.Join(prefix, "backbone"), fn)
	m.Head.Visit(nn.Join(prefix, "head"), fn)
}

// MACs is the per-image multiply-accumulate count of the deployed model
// at size×size: the backbone plus the head with its image-independent
// parts (GAT gate, ML-GCN classifier) computed once and kept.
func (m *Classifier) MACs(size int) int64 {
	total := m.Backbone.MACs(size, size)
	if f, ok := m.Backbone.(interface{ FeatureSize(h, w int) (int, int) }); ok {
		h, w := f.FeatureSize(size, size)
		return total + headMACs(m.Head, h, w, m.Backbone.FeatureChannels(), len(m.Spec.Classes))
	}
	s := (size + 31) / 32
	return total + headMACs(m.Head, s, s, m.Backbone.FeatureChannels(), len(m.Spec.Classes))
}

func headMACs(h Head, fh, fw, channels, classes int) int64 {
	if mh, ok := h.(interface{ MACs(h, w int) int64 }); ok {
		return mh.MACs(fh, fw)
	}
	// A pooled linear/cosine classifier or ML-GCN's product: C·N.
	return int64(channels) * int64(classes)
}

// Freeze computes and keeps the image-independent parts of the head (the
// GAT gate, the ML-GCN classifier) for inference; call it after loading or
// training weights.
func (m *Classifier) Freeze() {
	switch h := m.Head.(type) {
	case *GATHead:
		h.FreezeGate()
	case *MLGCN:
		h.FreezeClassifier()
	}
}

// Spec describes a classifier completely enough to rebuild it (the run
// folder's model.json): with the same Spec, Build makes a model whose
// state dict has the same names and shapes.
type Spec struct {
	Backbone string   `json:"backbone"`
	Head     string   `json:"head"`    // pool, mldecoder, gat, gat+mldecoder, mlgcn, q2l
	Classes  []string `json:"classes"` // N class names in output order
	Metric   bool     `json:"metric"`  // cosine outputs for AM/AAM (scores σ(Scale·c))
	Pooling  string   `json:"pooling,omitempty"`
	Size     int      `json:"size"`  // input side the model was trained at
	Scale    float32  `json:"scale"` // score = σ(Scale·output)
	Norm     string   `json:"norm"`  // input normalisation (data.ParseNorm): "half" (mean=std=0.5), "imagenet", "unit" (0/1) or "m,m,m/s,s,s"
	EmbedDim int      `json:"embed_dim,omitempty"`
	// MLDecoder width/heads/FFN overrides (0: the paper's 768/8/2048);
	// small values make a laptop-size head.
	DecoderEmbed int `json:"decoder_embed,omitempty"`
	DecoderHeads int `json:"decoder_heads,omitempty"`
	DecoderFFN   int `json:"decoder_ffn,omitempty"`
}

// HeadNames lists the heads Build knows.
var HeadNames = []string{"mldecoder", "gat", "gat+mldecoder", "mlgcn", "q2l", "pool"}

// Graph is what the label-graph heads (gat, gat+mldecoder, mlgcn) need:
// the label embeddings [N, EmbedDim] and the label graph from the
// training labels. When rebuilding a saved model both are loaded from its
// state dict, so zero values of the right size do (see ZeroGraph).
type Graph struct {
	Embeddings []float32
	EmbedDim   int
	Labels     *LabelGraph
}

// ZeroGraph is a placeholder graph of the right sizes, for building a
// model whose buffers will be loaded from a file.
func ZeroGraph(classes, dim int) *Graph {
	return &Graph{Embeddings: make([]float32, classes*dim), EmbedDim: dim, Labels: GraphFromA(make([]float32, classes*classes), classes)}
}

// Build constructs the classifier of spec with initial weights from seed
// (a pretrained backbone is loaded afterwards). bo passes backbone options
// (dropout, stochastic depth); its NumClasses is ignored.
func Build(spec Spec, bo Options, g *Graph) (*Classifier, error) {
	if err := spec.Validate(); err != nil {
		return nil, fmt.Errorf("models: %w", err)
	}
	n := len(spec.Classes)
	bo.NumClasses = 0
	bb, err := NewBackbone(spec.Backbone, bo)
	if err != nil {
		return nil, err
	}
	rng := initRNG(bo.NoInit, bo.Seed, 0x68656164)
	ch := bb.FeatureChannels()
	dec := DefaultMLDecoderConfig(ch, n, spec.Metric)
	if spec.DecoderEmbed > 0 {
		dec.Embed = spec.DecoderEmbed
	}
	if spec.DecoderHeads > 0 {
		dec.Heads = spec.DecoderHeads
	}
	if spec.DecoderFFN > 0 {
		dec.FFN = spec.DecoderFFN
	}
	var head Head
	switch spec.Head {
	case "mldecoder":
		head = NewMLDecoder(rng, dec)
	case "q2l":
		head = NewQuery2Label(rng, DefaultQ2LConfig(ch, n))
	case "pool":
		pool := PoolAvgMax
		if spec.Pooling != "" {
			if pool, err = ParsePooling(spec.Pooling); err != nil {
				return nil, err
			}
		}
		head = NewPooledHead(rng, ch, n, pool, spec.Metric)
	case "gat", "gat+mldecoder", "mlgcn":
		if g == nil || g.Labels == nil {
			return nil, fmt.Errorf("models: head %q needs label embeddings and a label graph", spec.Head)
		}
		if spec.Head == "mlgcn" {
			head, err = NewMLGCN(rng, ch, g.Embeddings, g.EmbedDim, g.Labels)
		} else {
			cfg := PaperGATConfig(ch, n)
			cfg.EmbedDim = g.EmbedDim
			cfg.Cosine = spec.Metric
			if spec.Head == "gat+mldecoder" {
				cfg.Decoder = &dec
			}
			head, err = NewGATHead(rng, cfg, g.Embeddings, g.Labels)
		}
		if err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("models: unknown head %q (known: %s)", spec.Head, strings.Join(HeadNames, ", "))
	}
	return &Classifier{Spec: spec, Backbone: bb, Head: head}, nil
}

// MarshalSpec and UnmarshalSpec read and write model.json.
func MarshalSpec(s Spec) ([]byte, error) { return json.MarshalIndent(s, "", "  ") }

// UnmarshalSpec parses model.json, naming what is wrong.
func UnmarshalSpec(b []byte) (Spec, error) {
	var s Spec
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("model spec: %w", err)
	}
	return s, s.Validate()
}
