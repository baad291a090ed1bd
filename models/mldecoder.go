package models

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/nn"
)

// MultiheadAttention is nn.MultiheadAttention(E, H, dropout) with its
// state-dict layout (in_proj_weight [3E, E] = [W_q; W_k; W_v],
// in_proj_bias [3E], out_proj.weight [E, E], out_proj.bias [E]), but on
// batch-first tensors: query [B, Lq, E], key and value [B, Lk, E].
//
//	Q = q·W_qᵀ + b_q    K = k·W_kᵀ + b_k    V = v·W_vᵀ + b_v
//	per head h (features h·d:(h+1)·d, d = E/H):
//	  A_h = softmax_over_keys( Q_h K_hᵀ / √d )      [B, Lq, Lk]
//	  A_h = Dropout_p(A_h)                          training only
//	O = concat_h(A_h V_h) · W_oᵀ + b_o              [B, Lq, E]
//
// The backward is the ops' rules: MatMulT's two products, Softmax's
// Jacobian-vector product, the Linears.
type MultiheadAttention struct {
	InProjWeight, InProjBias *ag.Tensor
	OutProj                  *nn.Linear
	Heads                    int
	Dropout                  float32
}

// NewMultiheadAttention initialises as PyTorch: in_proj Xavier-uniform,
// in_proj_bias 0, out_proj.weight the Linear default, out_proj.bias 0.
func NewMultiheadAttention(rng *rand.Rand, embed, heads int, dropout float32) *MultiheadAttention {
	if heads <= 0 || embed%heads != 0 {
		panic(fmt.Sprintf("models.NewMultiheadAttention: embed %d not divisible by %d heads", embed, heads))
	}
	m := &MultiheadAttention{InProjWeight: ag.Zeros(3*embed, embed), InProjBias: ag.Zeros(3 * embed).AsParam(),
		OutProj: nn.NewLinear(rng, embed, embed, true), Heads: heads, Dropout: dropout}
	xavierUniform(m.InProjWeight, rng, 1)
	m.InProjWeight.AsParam()
	nn.Fill(m.OutProj.Bias, 0)
	return m
}

// Forward attends from query [B, Lq, E] to key/value [B, Lk, E].
func (m *MultiheadAttention) Forward(c *nn.Ctx, query, key, value *ag.Tensor) *ag.Tensor {
	e := m.InProjWeight.Shape[1]
	if query.Dims() != 3 || key.Dims() != 3 || !ag.SameShape(key.Shape, value.Shape) ||
		query.Shape[2] != e || key.Shape[2] != e || query.Shape[0] != key.Shape[0] {
		panic(fmt.Sprintf("models.MultiheadAttention: query %v, key %v, value %v (need [B, Lq, %d], [B, Lk, %d] twice)", query.Shape, key.Shape, value.Shape, e, e))
	}
	b, lq, lk, h := query.Shape[0], query.Shape[1], key.Shape[1], m.Heads
	d := e / h
	w := ag.Split(m.InProjWeight, 0, e, e, e)
	bias := ag.Split(m.InProjBias, 0, e, e, e)
	heads := func(x *ag.Tensor, l int) *ag.Tensor { // [B, L, E] → [B, H, L, d]
		return ag.Permute(ag.Reshape(x, b, l, h, d), 0, 2, 1, 3)
	}
	q := heads(ag.Linear(query, w[0], bias[0]), lq)
	k := heads(ag.Linear(key, w[1], bias[1]), lk)
	v := heads(ag.Linear(value, w[2], bias[2]), lk)
	s := ag.MulScalar(ag.MatMulT(q, k, false, true), float32(1/math.Sqrt(float64(d)))) // [B, H, Lq, Lk]
	a := ag.Dropout(ag.Softmax(s, 3), m.Dropout, c.RNG, c.Training)
	o := ag.Reshape(ag.Permute(ag.BatchMatMul(a, v), 0, 2, 1, 3), b, lq, e)
	return m.OutProj.Forward(c, o)
}

// Visit names the tensors as nn.MultiheadAttention.
func (m *MultiheadAttention) Visit(prefix string, fn func(string, *ag.Tensor, nn.Kind)) {
	fn(nn.Join(prefix, "in_proj_weight"), m.InProjWeight, nn.Param)
	fn(nn.Join(prefix, "in_proj_bias"), m.InProjBias, nn.Param)
	m.OutProj.Visit(nn.Join(prefix, "out_proj"), fn)
}

// MLDecoderConfig configures an ML-Decoder (docs/method.md §4,
// docs/architectures.md §5). DefaultMLDecoderConfig gives the paper's values.
type MLDecoderConfig struct {
	Classes  int // N
	Features int // F, channels of the feature map
	Groups   int // queries before capping at N; ≤ 0 means 100 (num_of_groups = −1)
	Embed    int // decoder width D, 768
	Heads    int // 8
	FFN      int // 2048
	Dropout  float32
	// Metric is the metric-learning variant (GroupASL, for AM/AAM):
	// LeakyReLU 0.2 after the input projection, and the group projection
	// normalises both h_i and each class proxy (a cosine), then adds the bias.
	Metric bool
}

// DefaultMLDecoderConfig: K = min(N, 100), D = 768, 8 heads, FFN 2048,
// dropout 0.1.
func DefaultMLDecoderConfig(features, classes int, metric bool) MLDecoderConfig {
	return MLDecoderConfig{Classes: classes, Features: features, Groups: -1, Embed: 768, Heads: 8, FFN: 2048, Dropout: 0.1, Metric: metric}
}

// Queries returns K = min(Groups or 100, N) and the duplicate factor
// r = ⌈N/K⌉ (the reference's int(N/K + 0.999)).
func (c MLDecoderConfig) Queries() (k, dup int) {
	k = c.Groups
	if k <= 0 {
		k = 100
	}
	k = min(k, c.Classes)
	return k, (c.Classes + k - 1) / k
}

// DecoderLayerOptimal is ML-Decoder's TransformerDecoderLayerOptimal: a
// post-norm decoder layer whose self-attention is replaced by a residual
// of the queries with themselves.
//
//	t = LN1( q + Dropout(q) )                        eval: LN1(2q)
//	t = LN2( t + Dropout( MHA(t, mem, mem) ) )
//	t = LN3( t + Dropout( W2·Dropout(ReLU(W1·t + b1)) + b2 ) )
type DecoderLayerOptimal struct {
	Norm1, Norm2, Norm3 *nn.LayerNorm
	Attn                *MultiheadAttention
	Linear1, Linear2    *nn.Linear
	Dropout             float32
}

func newDecoderLayerOptimal(rng *rand.Rand, s layerShape) *DecoderLayerOptimal {
	e := s.Dim
	return &DecoderLayerOptimal{
		Norm1: nn.NewLayerNorm(e, 1e-5), Norm2: nn.NewLayerNorm(e, 1e-5), Norm3: nn.NewLayerNorm(e, 1e-5),
		Attn:    NewMultiheadAttention(rng, e, s.Heads, s.Dropout),
		Linear1: nn.NewLinear(rng, e, s.FFN, true), Linear2: nn.NewLinear(rng, s.FFN, e, true),
		Dropout: s.Dropout,
	}
}

// Forward decodes queries tgt [B, K, E] against memory [B, L, E].
func (l *DecoderLayerOptimal) Forward(c *nn.Ctx, tgt, mem *ag.Tensor) *ag.Tensor {
	drop := func(x *ag.Tensor) *ag.Tensor { return ag.Dropout(x, l.Dropout, c.RNG, c.Training) }
	t := l.Norm1.Forward(c, ag.Add(tgt, drop(tgt)))
	t = l.Norm2.Forward(c, ag.Add(t, drop(l.Attn.Forward(c, t, mem, mem))))
	ff := l.Linear2.Forward(c, drop(ag.ReLU(l.Linear1.Forward(c, t))))
	return l.Norm3.Forward(c, ag.Add(t, drop(ff)))
}

// Visit uses the registration order and names of the reference.
func (l *DecoderLayerOptimal) Visit(prefix string, fn func(string, *ag.Tensor, nn.Kind)) {
	l.Norm1.Visit(nn.Join(prefix, "norm1"), fn)
	l.Attn.Visit(nn.Join(prefix, "multihead_attn"), fn)
	l.Linear1.Visit(nn.Join(prefix, "linear1"), fn)
	l.Linear2.Visit(nn.Join(prefix, "linear2"), fn)
	l.Norm2.Visit(nn.Join(prefix, "norm2"), fn)
	l.Norm3.Visit(nn.Join(prefix, "norm3"), fn)
}

// MLDecoder is the ML-Decoder head (Ridnik et al. 2023; Alibaba-MIIL
// ml_decoder.py, as ported in deep-object-reid):
//
//	M  = act( flatten(F)ᵀ · W_embᵀ + b_emb )        F [B, C, h, w] → M [B, hw, D]; act = ReLU, or LeakyReLU 0.2 (Metric)
//	t  = DecoderLayerOptimal(Q0, M)                 Q0 [K, D] frozen N(0,1) queries → t [B, K, D]
//	o[b, k·r + d] = Σ_e t[b,k,e] · P[k,e,d]         group FC, P [K, D, r]; first N of K·r kept
//	Metric:  o[b, k·r + d] = ⟨t[b,k]/‖·‖, P[k,:,d]/‖·‖⟩
//	y = o + bias                                    bias [N], initialised 0
//
// State-dict names are deep-object-reid's and MIIL's (docs/architectures.md
// §5.3): decoder.layers.0.*, decoder.embed_standart.*,
// decoder.query_embed.weight (a buffer: saved, never trained or decayed),
// decoder.duplicate_pooling, decoder.duplicate_pooling_bias. Load timm's
// copy through TimmMLDecoderName.
type MLDecoder struct {
	Config   MLDecoderConfig
	K, Dup   int
	Embed    *nn.Linear // embed_standart: F → D
	Queries  *ag.Tensor // query_embed.weight [K, D], buffer
	Layer    *DecoderLayerOptimal
	Pooling  *ag.Tensor // duplicate_pooling [K, D, r]
	PoolBias *ag.Tensor // duplicate_pooling_bias [N]
}

// NewMLDecoder builds an ML-Decoder with the reference's initialisation
// (queries N(0,1); P Xavier-normal; bias 0; Linears PyTorch default).
func NewMLDecoder(rng *rand.Rand, cfg MLDecoderConfig) *MLDecoder {
	if cfg.Classes <= 0 || cfg.Features <= 0 || cfg.Embed <= 0 {
		panic(fmt.Sprintf("models.NewMLDecoder: classes %d, features %d, embed %d must be positive", cfg.Classes, cfg.Features, cfg.Embed))
	}
	k, dup := cfg.Queries()
	m := &MLDecoder{Config: cfg, K: k, Dup: dup,
		Embed:    nn.NewLinear(rng, cfg.Features, cfg.Embed, true),
		Queries:  randN(rng, k, cfg.Embed),
		Layer:    newDecoderLayerOptimal(rng, layerShape{Dim: cfg.Embed, Heads: cfg.Heads, FFN: cfg.FFN, Dropout: cfg.Dropout, Cross: true}),
		Pooling:  ag.Zeros(k, cfg.Embed, dup),
		PoolBias: ag.Zeros(cfg.Classes).AsParam(),
	}
	xavierNormal(m.Pooling, rng, 1)
	m.Pooling.AsParam()
	return m
}

// Forward maps features [B, F, h, w] to [B, N] logits (cosines + bias in
// the metric variant).
func (m *MLDecoder) Forward(c *nn.Ctx, features *ag.Tensor) *ag.Tensor {
	cfg := m.Config
	if features.Dims() != 4 || features.Shape[1] != cfg.Features {
		panic(fmt.Sprintf("models.MLDecoder: features %v, decoder built for %d channels", features.Shape, cfg.Features))
	}
	b, hw := features.Shape[0], features.Shape[2]*features.Shape[3]
	tokens := ag.Permute(ag.Reshape(features, b, cfg.Features, hw), 0, 2, 1) // [B, hw, F]
	mem := m.Embed.Forward(c, tokens)
	if cfg.Metric {
		mem = ag.LeakyReLU(mem, 0.2)
	} else {
		mem = ag.ReLU(mem)
	}
	tgt := ag.BroadcastTo(ag.Reshape(m.Queries, 1, m.K, cfg.Embed), b, m.K, cfg.Embed)
	t := m.Layer.Forward(c, tgt, mem) // [B, K, D]
	return m.groupFC(t)
}

// groupFC applies the per-query projections to t [B, K, D]: one batched
// product over the K groups, [K, B, D]·[K, D, r] → [K, B, r].
func (m *MLDecoder) groupFC(t *ag.Tensor) *ag.Tensor {
	b := t.Shape[0]
	h := ag.Permute(t, 1, 0, 2) // [K, B, D]
	p := m.Pooling
	if m.Config.Metric {
		h = ag.L2Normalize(h, 2, 1e-12)
		p = ag.L2Normalize(p, 1, 1e-12)
	}
	o := ag.Reshape(ag.Permute(ag.BatchMatMul(h, p), 1, 0, 2), b, m.K*m.Dup)
	if m.K*m.Dup != m.Config.Classes {
		o = ag.Slice(o, 1, 0, m.Config.Classes)
	}
	return ag.Add(o, m.PoolBias)
}

// Visit names the tensors as deep-object-reid's MLDecoder (the backbone
// excluded).
func (m *MLDecoder) Visit(prefix string, fn func(string, *ag.Tensor, nn.Kind)) {
	d := nn.Join(prefix, "decoder")
	m.Layer.Visit(nn.Join(d, "layers.0"), fn)
	m.Embed.Visit(nn.Join(d, "embed_standart"), fn)
	fn(nn.Join(d, "query_embed.weight"), m.Queries, nn.Buffer)
	fn(nn.Join(d, "duplicate_pooling"), m.Pooling, nn.Param)
	fn(nn.Join(d, "duplicate_pooling_bias"), m.PoolBias, nn.Param)
}

// NumParams returns the trainable count (docs/architectures.md §5.4: F·D + D +
// 4D² + 4D + 2·D·FFN + FFN + D + 6D + K·D·r + N) and the frozen queries
// (K·D).
func (m *MLDecoder) NumParams() (trainable, frozen int) { return countParams(m) }

// MACs of one image with an h×w map (docs/architectures.md §5.4, L = h·w):
// L·F·D + 2·K·D² + 2·L·D² + 2·K·L·D + 2·K·D·FFN + K·D·r.
func (m *MLDecoder) MACs(h, w int) int64 {
	l, f, d := int64(h*w), int64(m.Config.Features), int64(m.Config.Embed)
	k, r, ffn := int64(m.K), int64(m.Dup), int64(m.Config.FFN)
	return l*f*d + 2*k*d*d + 2*l*d*d + 2*k*l*d + 2*k*d*ffn + k*d*r
}

// TimmMLDecoderName maps timm's ML-Decoder names (timm/layers/ml_decoder.py,
// where embed_standart, query_embed, duplicate_pooling and
// duplicate_pooling_bias sit directly under the head) to this package's
// (under decoder.), for nn.ApplyRenames on a state dict with the head's
// prefix already removed. Other names pass unchanged.
func TimmMLDecoderName(name string) (string, bool) {
	for _, p := range []string{"embed_standart.", "query_embed.", "duplicate_pooling"} {
		if strings.HasPrefix(name, p) {
			return "decoder." + name, true
		}
	}
	return name, true
}
