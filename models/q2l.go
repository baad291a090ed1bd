package models

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/nn"
)

// Query2Label (Liu et al. 2021) as the paper's "Q2L*" baseline
// (deep-object-reid torchreid/models/q2l.py + transformer.py, docs/method.md §8):
// a DETR-style post-norm transformer with one encoder layer and two decoder
// layers, 4 heads, width and FFN = the backbone's channels, the first
// decoder layer without self-attention, learnable label queries and a
// per-class linear output.
//
//	S   = Conv1x1(F)                      F [B, C, h, w] → tokens [B, hw, d]
//	P   = sine position encoding          [hw, d] (normalised, 2π scale, temperature 1e4)
//	M   = EncoderLayer(S, P)              q = k = S + P, v = S
//	T0  = 0,  Q = query_embed [N, d]
//	T1  = DecoderLayer0(T0, M)            cross-attention only: q = T + Q, k = M + P, v = M
//	T2  = DecoderLayer1(T1, M)            self-attention (q = k = T + Q, v = T), then cross
//	H   = LayerNorm(T2)                   decoder.norm
//	y_j = Σ_e W[j, e]·H[:, j, e] + b_j    GroupWiseLinear, W [1, N, d], b [1, N]
type Query2Label struct {
	Config      Q2LConfig
	InputProj   *nn.Conv2d
	QueryEmbed  *ag.Tensor // [N, d], trained
	Encoder     []*TransformerLayer
	Decoder     []*TransformerLayer
	DecoderNorm *nn.LayerNorm
	FCWeight    *ag.Tensor // [1, N, d]
	FCBias      *ag.Tensor // [1, N]
}

// Q2LConfig configures Query2Label; DefaultQ2LConfig gives the paper's.
type Q2LConfig struct {
	Classes, Features int
	Hidden, FFN       int // both = Features in the reference
	Heads             int
	EncoderLayers     int
	DecoderLayers     int
	Dropout           float32
}

// DefaultQ2LConfig: 1 encoder and 2 decoder layers, 4 heads, hidden and FFN
// equal to the backbone channels, dropout 0.1.
func DefaultQ2LConfig(features, classes int) Q2LConfig {
	return Q2LConfig{Classes: classes, Features: features, Hidden: features, FFN: features,
		Heads: 4, EncoderLayers: 1, DecoderLayers: 2, Dropout: 0.1}
}

// TransformerLayer is DETR's post-norm encoder or decoder layer. An
// encoder layer has SelfAttn, Norm1, Norm2 and the FFN; a decoder layer
// adds CrossAttn and Norm3, and the first decoder layer of Q2L drops
// SelfAttn and Norm1 (nil).
type TransformerLayer struct {
	SelfAttn, CrossAttn *MultiheadAttention
	Linear1, Linear2    *nn.Linear
	Norm1, Norm2, Norm3 *nn.LayerNorm
	Dropout             float32
}

// layerShape is the shape of one transformer layer: width, heads and
// FFN width, dropout, and which attentions it has.
type layerShape struct {
	Dim, Heads, FFN int
	Dropout         float32
	Self, Cross     bool // self-attention (+ Norm1); cross-attention (+ Norm3)
}

func newTransformerLayer(rng *rand.Rand, s layerShape) *TransformerLayer {
	d := s.Dim
	l := &TransformerLayer{Linear1: nn.NewLinear(rng, d, s.FFN, true), Linear2: nn.NewLinear(rng, s.FFN, d, true),
		Norm2: nn.NewLayerNorm(d, 1e-5), Dropout: s.Dropout}
	if s.Self {
		l.SelfAttn, l.Norm1 = NewMultiheadAttention(rng, d, s.Heads, s.Dropout), nn.NewLayerNorm(d, 1e-5)
	}
	if s.Cross {
		l.CrossAttn, l.Norm3 = NewMultiheadAttention(rng, d, s.Heads, s.Dropout), nn.NewLayerNorm(d, 1e-5)
	}
	// Transformer._reset_parameters: Xavier-uniform on every matrix.
	for _, w := range []*ag.Tensor{l.Linear1.Weight, l.Linear2.Weight} {
		xavierUniform(w, rng, 1)
	}
	for _, a := range []*MultiheadAttention{l.SelfAttn, l.CrossAttn} {
		if a != nil {
			xavierUniform(a.OutProj.Weight, rng, 1)
		}
	}
	return l
}

// encode runs an encoder layer on src [B, L, d] with positions pos
// (broadcast over B).
func (l *TransformerLayer) encode(c *nn.Ctx, src, pos *ag.Tensor) *ag.Tensor {
	drop := func(x *ag.Tensor) *ag.Tensor { return ag.Dropout(x, l.Dropout, c.RNG, c.Training) }
	qk := ag.Add(src, pos)
	src = l.Norm1.Forward(c, ag.Add(src, drop(l.SelfAttn.Forward(c, qk, qk, src))))
	ff := l.Linear2.Forward(c, drop(ag.ReLU(l.Linear1.Forward(c, src))))
	return l.Norm2.Forward(c, ag.Add(src, drop(ff)))
}

// decode runs a decoder layer on tgt [B, N, d] with query positions qpos
// against memory [B, L, d] with positions pos.
func (l *TransformerLayer) decode(c *nn.Ctx, tgt, qpos, mem, pos *ag.Tensor) *ag.Tensor {
	drop := func(x *ag.Tensor) *ag.Tensor { return ag.Dropout(x, l.Dropout, c.RNG, c.Training) }
	if l.SelfAttn != nil {
		qk := ag.Add(tgt, qpos)
		tgt = l.Norm1.Forward(c, ag.Add(tgt, drop(l.SelfAttn.Forward(c, qk, qk, tgt))))
	}
	a := l.CrossAttn.Forward(c, ag.Add(tgt, qpos), ag.Add(mem, pos), mem)
	tgt = l.Norm2.Forward(c, ag.Add(tgt, drop(a)))
	ff := l.Linear2.Forward(c, drop(ag.ReLU(l.Linear1.Forward(c, tgt))))
	return l.Norm3.Forward(c, ag.Add(tgt, drop(ff)))
}

// Visit names the tensors as DETR's layers (self_attn, multihead_attn,
// linear1, linear2, norm1..3), in registration order.
func (l *TransformerLayer) Visit(prefix string, fn func(string, *ag.Tensor, nn.Kind)) {
	if l.SelfAttn != nil {
		l.SelfAttn.Visit(nn.Join(prefix, "self_attn"), fn)
	}
	if l.CrossAttn != nil {
		l.CrossAttn.Visit(nn.Join(prefix, "multihead_attn"), fn)
	}
	l.Linear1.Visit(nn.Join(prefix, "linear1"), fn)
	l.Linear2.Visit(nn.Join(prefix, "linear2"), fn)
	if l.Norm1 != nil {
		l.Norm1.Visit(nn.Join(prefix, "norm1"), fn)
	}
	l.Norm2.Visit(nn.Join(prefix, "norm2"), fn)
	if l.Norm3 != nil {
		l.Norm3.Visit(nn.Join(prefix, "norm3"), fn)
	}
}

// NewQuery2Label builds the head.
func NewQuery2Label(rng *rand.Rand, cfg Q2LConfig) *Query2Label {
	d := cfg.Hidden
	if d%4 != 0 || cfg.Heads <= 0 || d%cfg.Heads != 0 || cfg.Classes <= 0 {
		panic(fmt.Sprintf("models.NewQuery2Label: hidden %d must be a multiple of 4 and of %d heads; %d classes", d, cfg.Heads, cfg.Classes))
	}
	q := &Query2Label{Config: cfg,
		InputProj:   nn.NewConv2d(rng, nn.ConvSpec{In: cfg.Features, Out: d, Kernel: 1, Bias: true}),
		QueryEmbed:  randN(rng, cfg.Classes, d).AsParam(),
		DecoderNorm: nn.NewLayerNorm(d, 1e-5),
		FCWeight:    ag.Zeros(1, cfg.Classes, d),
		FCBias:      ag.Zeros(1, cfg.Classes),
	}
	shape := layerShape{Dim: d, Heads: cfg.Heads, FFN: cfg.FFN, Dropout: cfg.Dropout}
	for i := 0; i < cfg.EncoderLayers; i++ {
		enc := shape
		enc.Self = true
		q.Encoder = append(q.Encoder, newTransformerLayer(rng, enc))
	}
	for i := 0; i < cfg.DecoderLayers; i++ {
		dec := shape
		dec.Self, dec.Cross = i > 0, true // Q2L's first decoder layer has no self-attention
		q.Decoder = append(q.Decoder, newTransformerLayer(rng, dec))
	}
	// GroupWiseLinear.reset_parameters: U(−1/√d, 1/√d) for weight and bias.
	b := 1 / math.Sqrt(float64(d))
	nn.Uniform(q.FCWeight, rng, -b, b)
	nn.Uniform(q.FCBias, rng, -b, b)
	q.FCWeight.AsParam()
	q.FCBias.AsParam()
	return q
}

// SinePositionEncoding is DETR's PositionEmbeddingSine(d/2, normalize=True)
// on an h×w grid, as tokens [h·w, d] (row-major over (y, x)). With
// npf = d/2, ŷ = (y+1)/(h + 1e-6)·2π, x̂ likewise, and
// τ_k = 10000^(2⌊k/2⌋/npf):
//
//	P[(y,x), k]       = sin(ŷ/τ_k) for even k, cos(ŷ/τ_k) for odd k     k < npf
//	P[(y,x), npf + k] = the same with x̂
func SinePositionEncoding(h, w, d int) *ag.Tensor {
	npf := d / 2
	p := ag.Zeros(h*w, d)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			row := p.Data[(y*w+x)*d : (y*w+x+1)*d]
			// float32 arithmetic, as the reference buffer.
			yh := float32(y+1) / (float32(h) + 1e-6) * float32(2*math.Pi)
			xh := float32(x+1) / (float32(w) + 1e-6) * float32(2*math.Pi)
			for k := 0; k < npf; k++ {
				tau := float32(math.Pow(10000, float64(2*(k/2))/float64(npf)))
				vy, vx := float64(yh/tau), float64(xh/tau)
				if k%2 == 0 {
					row[k], row[npf+k] = float32(math.Sin(vy)), float32(math.Sin(vx))
				} else {
					row[k], row[npf+k] = float32(math.Cos(vy)), float32(math.Cos(vx))
				}
			}
		}
	}
	return p
}

// Forward maps features [B, C, h, w] to [B, N] logits.
func (q *Query2Label) Forward(c *nn.Ctx, features *ag.Tensor) *ag.Tensor {
	cfg := q.Config
	if features.Dims() != 4 || features.Shape[1] != cfg.Features {
		panic(fmt.Sprintf("models.Query2Label: features %v, head built for %d channels", features.Shape, cfg.Features))
	}
	b, h, w, d, n := features.Shape[0], features.Shape[2], features.Shape[3], cfg.Hidden, cfg.Classes
	src := q.InputProj.Forward(c, features)                     // [B, d, h, w]
	src = ag.Permute(ag.Reshape(src, b, d, h*w), 0, 2, 1)       // [B, hw, d]
	pos := ag.Reshape(SinePositionEncoding(h, w, d), 1, h*w, d) // broadcast over B
	for _, l := range q.Encoder {
		src = l.encode(c, src, pos)
	}
	qpos := ag.BroadcastTo(ag.Reshape(q.QueryEmbed, 1, n, d), b, n, d)
	tgt := ag.Zeros(b, n, d)
	for _, l := range q.Decoder {
		tgt = l.decode(c, tgt, qpos, src, pos)
	}
	hs := q.DecoderNorm.Forward(c, tgt)
	return ag.Add(ag.Sum(ag.Mul(hs, q.FCWeight), []int{2}, false), q.FCBias)
}

// Visit names the tensors as the reference's Qeruy2Label (sic) without
// the backbone (whose position buffer is recomputed here, not stored).
func (q *Query2Label) Visit(prefix string, fn func(string, *ag.Tensor, nn.Kind)) {
	for i, l := range q.Encoder {
		l.Visit(nn.Join(prefix, "transformer.encoder.layers."+strconv.Itoa(i)), fn)
	}
	for i, l := range q.Decoder {
		l.Visit(nn.Join(prefix, "transformer.decoder.layers."+strconv.Itoa(i)), fn)
	}
	q.DecoderNorm.Visit(nn.Join(prefix, "transformer.decoder.norm"), fn)
	q.InputProj.Visit(nn.Join(prefix, "input_proj"), fn)
	fn(nn.Join(prefix, "query_embed.weight"), q.QueryEmbed, nn.Param)
	fn(nn.Join(prefix, "fc.weight"), q.FCWeight, nn.Param)
	fn(nn.Join(prefix, "fc.bias"), q.FCBias, nn.Param)
}

// NumParams returns the trainable count and the saved untrained count (0).
func (q *Query2Label) NumParams() (trainable, frozen int) { return countParams(q) }
