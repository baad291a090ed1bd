package onnx

import (
	"fmt"
	"math"
	"strconv"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/models"
	"github.com/seed477ab429/multilabel/nn"
)

// The heads as ONNX ops, each mirroring its Forward in eval mode
// (models/mldecoder.go, gat.go, mlgcn.go, q2l.go, pooled.go). Sequence
// lengths (h·w, K queries, N labels) are static; only the batch is
// dynamic, so every Reshape keeps dimension 0 with a 0 in its shape.
// Image-independent tensors (the GAT gate, the ML-GCN classifier, the
// normalized cosine proxies) are computed here once and stored as
// constants.

// head emits h on the feature map f with c channels; the result is
// [batch, N].
func (b *builder) head(prefix string, h models.Head, f value, c int) (string, error) {
	switch h := h.(type) {
	case *models.PooledHead:
		return b.pooledClassifier(prefix, f.name, h.Pooling, h.Classifier), nil
	case *models.MLDecoder:
		return b.mlDecoder(prefix, h, f, c), nil
	case *models.GATHead:
		g := h.FrozenGate()
		if g == nil { // the eval gate, as FreezeGate computes it
			ag.NoGrad(func() { g = h.Gate(nn.Eval) })
		}
		x := b.mul(prefix+"/gated", f.name, b.weight(prefix+".gate", g.Data, 1, c, 1, 1))
		if h.Decoder != nil {
			return b.mlDecoder(prefix, h.Decoder, value{x, f.h, f.w}, c), nil
		}
		return b.pooledClassifier(prefix+".head", x, h.Config.Pooling, h.Head), nil
	case *models.MLGCN:
		var w *ag.Tensor // W [N, C], as FreezeClassifier computes it
		ag.NoGrad(func() { w = h.Classifier(nn.Eval) })
		n := w.Shape[0]
		p := b.op("Flatten", prefix+"/pool", []string{b.op("GlobalMaxPool", prefix+"/maxpool", []string{f.name})}, attrInt("axis", 1))
		return b.linear(prefix+".classifier", p, w.Data, nil, c, n), nil
	case *models.Query2Label:
		return b.query2Label(prefix, h, f), nil
	}
	return "", fmt.Errorf("onnx: export of head %T is not supported", h)
}

// pooledClassifier is GlobalPool then a Linear or a cosine classifier.
func (b *builder) pooledClassifier(prefix, f string, p models.Pooling, cls nn.Layer) string {
	var x string
	switch p {
	case models.PoolAvg:
		x = b.op("GlobalAveragePool", prefix+"/avgpool", []string{f})
	case models.PoolMax:
		x = b.op("GlobalMaxPool", prefix+"/maxpool", []string{f})
	default:
		x = b.add(prefix+"/pool", b.op("GlobalAveragePool", prefix+"/avgpool", []string{f}), b.op("GlobalMaxPool", prefix+"/maxpool", []string{f}))
	}
	x = b.op("Flatten", prefix+"/flatten", []string{x}, attrInt("axis", 1))
	switch l := cls.(type) {
	case *nn.Linear:
		in, out := l.Weight.Shape[1], l.Weight.Shape[0]
		var bias []float32
		if l.Bias != nil {
			bias = l.Bias.Data
		}
		return b.linear(prefix, x, l.Weight.Data, bias, in, out)
	case *models.AngleSimpleLinear:
		// c = clamp(⟨x/‖x‖, w_j/‖w_j‖⟩, −1, 1); the proxies are constants,
		// normalized here (columns of W [in, N]).
		in, out := l.Weight.Shape[0], l.Weight.Shape[1]
		wn := normalizeCols(l.Weight.Data, in, out)
		xn := b.l2Normalize(prefix+"/normalize", x, 1, 1e-12)
		c := b.matmul(prefix+"/cosine", xn, b.weight(prefix+".weight_normalized", wn, in, out))
		return b.clip(prefix, c, -1, 1)
	}
	panic(fmt.Sprintf("onnx: classifier %T", cls))
}

func (b *builder) clip(name, x string, lo, hi float32) string {
	return b.op("Clip", name, []string{x, b.weight(name+"/min", []float32{lo}), b.weight(name+"/max", []float32{hi})})
}

// normalizeCols divides each column of w [rows, cols] by max(‖column‖, 1e-12).
func normalizeCols(w []float32, rows, cols int) []float32 {
	out := make([]float32, len(w))
	for j := 0; j < cols; j++ {
		var s float64
		for i := 0; i < rows; i++ {
			v := float64(w[i*cols+j])
			s += v * v
		}
		inv := 1 / math.Max(math.Sqrt(s), 1e-12)
		for i := 0; i < rows; i++ {
			out[i*cols+j] = float32(float64(w[i*cols+j]) * inv)
		}
	}
	return out
}

// tokens turns a feature map [B, C, h, w] into [B, h·w, C].
func (b *builder) tokens(name string, f value, c int) string {
	return b.transpose(name, b.reshape(name+"/flatten", f.name, 0, int64(c), int64(f.h*f.w)), 0, 2, 1)
}

// mha is MultiheadAttention on batch-first tensors: query [Bq, Lq, E]
// (Bq is the batch or 1 for a constant query), key and value [B, Lk, E];
// the result is [B, Lq, E].
func (b *builder) mha(name string, m *models.MultiheadAttention, q, k, v string, lq, lk int) string {
	e := m.InProjWeight.Shape[1]
	h := m.Heads
	d := e / h
	w, bias := m.InProjWeight.Data, m.InProjBias.Data
	proj := func(part int, x string, l int, suffix string) string {
		y := b.linear(name+"."+suffix, x, w[part*e*e:(part+1)*e*e], bias[part*e:(part+1)*e], e, e)
		return b.transpose(name+"/"+suffix+"_heads", b.reshape(name+"/"+suffix+"_split", y, 0, int64(l), int64(h), int64(d)), 0, 2, 1, 3) // [B, H, L, d]
	}
	qh := proj(0, q, lq, "q")
	kh := proj(1, k, lk, "k")
	vh := proj(2, v, lk, "v")
	kt := b.transpose(name+"/k_t", kh, 0, 1, 3, 2) // [B, H, d, Lk]
	s := b.matmul(name+"/scores", qh, kt)
	s = b.mul(name+"/scaled", s, b.weight(name+"/scale", []float32{float32(1 / math.Sqrt(float64(d)))}))
	a := b.op("Softmax", name+"/softmax", []string{s}, attrInt("axis", -1))
	o := b.matmul(name+"/attend", a, vh)                                                              // [B, H, Lq, d]
	o = b.reshape(name+"/merge", b.transpose(name+"/merge_t", o, 0, 2, 1, 3), 0, int64(lq), int64(e)) // [B, Lq, E]
	return b.linear(name+".out_proj", o, m.OutProj.Weight.Data, m.OutProj.Bias.Data, e, e)
}

func (b *builder) ln(name, x string, l *nn.LayerNorm) string {
	return b.layerNorm(name, x, l.Weight.Data, l.Bias.Data, l.Eps)
}

func (b *builder) ffn(name, x string, l1, l2 *nn.Linear) string {
	y := b.linear(name+".linear1", x, l1.Weight.Data, l1.Bias.Data, l1.Weight.Shape[1], l1.Weight.Shape[0])
	y = b.relu(name+".linear1/relu", y)
	return b.linear(name+".linear2", y, l2.Weight.Data, l2.Bias.Data, l2.Weight.Shape[1], l2.Weight.Shape[0])
}

// mlDecoder is the ML-Decoder on the feature map f [B, C, h, w].
func (b *builder) mlDecoder(prefix string, m *models.MLDecoder, f value, c int) string {
	cfg := m.Config
	d := prefix + ".decoder"
	e := cfg.Embed
	l := f.h * f.w
	mem := b.linear(d+".embed_standart", b.tokens(d+"/tokens", f, c), m.Embed.Weight.Data, m.Embed.Bias.Data, c, e)
	if cfg.Metric {
		mem = b.leakyRelu(d+".embed_standart/act", mem, 0.2)
	} else {
		mem = b.relu(d+".embed_standart/act", mem)
	}
	// TransformerDecoderLayerOptimal in eval: t = LN1(q + q) on the
	// constant queries [1, K, D] (broadcast over the batch from here on).
	ly := m.Layer
	lp := d + ".layers.0"
	q := b.weight(d+".query_embed.weight", m.Queries.Data, 1, m.K, e)
	t := b.ln(lp+".norm1", b.add(lp+"/double", q, q), ly.Norm1)
	t = b.ln(lp+".norm2", b.add(lp+"/attn_residual", t, b.mha(lp+".multihead_attn", ly.Attn, t, mem, mem, m.K, l)), ly.Norm2)
	t = b.ln(lp+".norm3", b.add(lp+"/ffn_residual", t, b.ffn(lp, t, ly.Linear1, ly.Linear2)), ly.Norm3)
	// Group FC: [K, B, D]·[K, D, r] → [K, B, r] → [B, K·r], first N kept.
	hk := b.transpose(d+"/groups", t, 1, 0, 2)
	p := m.Pooling.Data
	if cfg.Metric {
		hk = b.l2Normalize(d+"/groups_normalized", hk, 2, 1e-12)
		p = normalizeAxis1(p, m.K, e, m.Dup)
	}
	o := b.matmul(d+"/group_fc", hk, b.weight(d+".duplicate_pooling", p, m.K, e, m.Dup))
	o = b.reshape(d+"/group_fc_flat", b.transpose(d+"/group_fc_t", o, 1, 0, 2), 0, int64(m.K*m.Dup))
	if m.K*m.Dup != cfg.Classes {
		o = b.op("Slice", d+"/keep_classes", []string{o, b.int64s(d+"/starts", 0), b.int64s(d+"/ends", int64(cfg.Classes)), b.int64s(d+"/axes", 1)})
	}
	return b.add(d, o, b.weight(d+".duplicate_pooling_bias", m.PoolBias.Data, cfg.Classes))
}

// normalizeAxis1 divides p [K, D, r] by its norm over D (F.normalize(dim=1)).
func normalizeAxis1(p []float32, k, d, r int) []float32 {
	out := make([]float32, len(p))
	for g := 0; g < k; g++ {
		blk := p[g*d*r : (g+1)*d*r]
		copy(out[g*d*r:], normalizeCols(blk, d, r))
	}
	return out
}

// query2Label is the Q2L transformer head on f [B, C, h, w].
func (b *builder) query2Label(prefix string, q *models.Query2Label, f value) string {
	cfg := q.Config
	d, n, l := cfg.Hidden, cfg.Classes, f.h*f.w
	src := b.conv(prefix+".input_proj", f, q.InputProj, nil)
	s := b.transpose(prefix+"/tokens", b.reshape(prefix+"/tokens_flat", src.name, 0, int64(d), int64(l)), 0, 2, 1) // [B, hw, d]
	pos := b.weight(prefix+"/pos", models.SinePositionEncoding(f.h, f.w, d).Data, 1, l, d)
	for i, ly := range q.Encoder {
		lp := prefix + ".transformer.encoder.layers." + strconv.Itoa(i)
		qk := b.add(lp+"/qk", s, pos)
		s = b.ln(lp+".norm1", b.add(lp+"/attn_residual", s, b.mha(lp+".self_attn", ly.SelfAttn, qk, qk, s, l, l)), ly.Norm1)
		s = b.ln(lp+".norm2", b.add(lp+"/ffn_residual", s, b.ffn(lp, s, ly.Linear1, ly.Linear2)), ly.Norm2)
	}
	qpos := b.weight(prefix+".query_embed.weight", q.QueryEmbed.Data, 1, n, d)
	memPos := b.add(prefix+"/memory_pos", s, pos)
	// The decoder input starts at zero: the first layer (no self-attention)
	// adds 0 in its residual, so its target is the attention output alone.
	var t string
	for i, ly := range q.Decoder {
		lp := prefix + ".transformer.decoder.layers." + strconv.Itoa(i)
		if ly.SelfAttn != nil {
			if t == "" {
				panic("onnx: Query2Label decoder starts with self-attention")
			}
			qk := b.add(lp+"/qk", t, qpos)
			t = b.ln(lp+".norm1", b.add(lp+"/self_residual", t, b.mha(lp+".self_attn", ly.SelfAttn, qk, qk, t, n, n)), ly.Norm1)
		}
		query := qpos
		if t != "" {
			query = b.add(lp+"/query", t, qpos)
		}
		a := b.mha(lp+".multihead_attn", ly.CrossAttn, query, memPos, s, n, l)
		if t != "" {
			a = b.add(lp+"/cross_residual", t, a)
		}
		t = b.ln(lp+".norm2", a, ly.Norm2)
		t = b.ln(lp+".norm3", b.add(lp+"/ffn_residual", t, b.ffn(lp, t, ly.Linear1, ly.Linear2)), ly.Norm3)
	}
	t = b.ln(prefix+".transformer.decoder.norm", t, q.DecoderNorm)
	y := b.mul(prefix+".fc/weighted", t, b.weight(prefix+".fc.weight", q.FCWeight.Data, 1, n, d))
	y = b.op("ReduceSum", prefix+".fc/sum", []string{y, b.int64s(prefix+".fc/axes", 2)}, attrInt("keepdims", 0))
	return b.add(prefix+".fc", y, b.weight(prefix+".fc.bias", q.FCBias.Data, 1, n))
}
