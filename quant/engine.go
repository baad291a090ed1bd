package quant

import (
	"fmt"
	"math"

	"github.com/seed477ab429/multilabel/models"
	"github.com/seed477ab429/multilabel/nn"
	"github.com/seed477ab429/multilabel/ops"
)

// Engine runs the eval-mode forward of a backbone's features with every
// BatchNorm folded into the convolution before it, on raw NCHW []float32
// buffers (no autograd tape), in one of two modes:
//
//   - float32: the folded convolutions as SGEMMs (the reference of the
//     int8 mode, and what calibration runs);
//   - int8: every convolution that is a matrix product (all but the
//     depthwise ones) through ops.I8Gemm, its input quantized per tensor
//     with the calibrated range while it is packed, its output float32
//     with the folded bias and the activation applied right after.
//
// Depthwise convolutions (BN folded), squeeze-excitation gates and
// residual additions stay float32: they hold a few percent of the
// multiply-adds, and float32 keeps the quantization error to the
// products that gain from it.
type Engine struct {
	name   string
	blocks []block
	convs  []*conv // the matrix-product convolutions, in forward order
	int8   bool
	calib  bool // float32 mode recording the input range of each conv
}

// block is one step of the forward: a convolution, or a residual block.
type block interface {
	run(e *Engine, x tensor) tensor
}

// tensor is an NCHW batch. Intermediate tensors live in buffers of the
// ops scratch pool (buf), given back as soon as the forward is done with
// them, so a steady stream of batches allocates almost nothing.
type tensor struct {
	d          []float32
	n, c, h, w int
	buf        *[]float32 // nil: not ours (the caller's input)
}

func (t tensor) plane() int { return t.h * t.w }

// newTensor takes a buffer from the pool; its contents are arbitrary
// (every producer writes all of it).
func newTensor(n, c, h, w int) tensor {
	b := ops.GetScratch(n * c * h * w)
	return tensor{d: *b, n: n, c: c, h: h, w: w, buf: b}
}

// release gives t's buffer back to the pool, unless t is keep (the same
// buffer) or not ours.
func release(t, keep tensor) {
	if t.buf != nil && t.buf != keep.buf {
		ops.PutScratch(t.buf)
	}
}

// conv is a convolution with its BatchNorm folded in, and its activation.
type conv struct {
	name               string    // state-dict prefix of the conv (e.g. "backbone.features.1.0.block.0.0")
	w                  []float32 // folded weight [O, C/groups·k·k]
	b                  []float32 // folded bias [O]
	cin, cout, k       int
	stride, pad, group int
	same               bool // TF SAME padding (timm tf_ models), from the input size
	act                actKind

	// int8 (set by quantize)
	q  *ops.I8Weights
	qa ops.I8Act

	// calibration: the range of the input seen so far
	lo, hi float32
	seen   bool
}

type actKind int

const (
	actNone actKind = iota
	actSiLU
)

// fold returns the convolution c followed by BatchNorm bn (eval: running
// statistics) as one convolution: per output channel o,
//
//	s = γ[o] / sqrt(var[o] + eps)
//	w'[o, ...] = s · w[o, ...],   b'[o] = β[o] + s · (b[o] - mean[o])
//
// computed in float64 and rounded once.
func fold(name string, c *nn.Conv2d, bn *nn.BatchNorm2d, act actKind) *conv {
	ws := c.Weight.Shape
	O, per := ws[0], ws[1]*ws[2]*ws[3]
	f := &conv{name: name, w: make([]float32, O*per), b: make([]float32, O),
		cin: ws[1] * max(c.Groups, 1), cout: O, k: ws[2], stride: max(c.Stride, 1), pad: c.Padding,
		group: max(c.Groups, 1), same: c.Same, act: act}
	for o := 0; o < O; o++ {
		s, shift := 1.0, 0.0
		if bn != nil {
			s = float64(bn.Weight.Data[o]) / math.Sqrt(float64(bn.RunningVar.Data[o])+float64(bn.Eps))
			shift = float64(bn.Bias.Data[o]) - s*float64(bn.RunningMean.Data[o])
		}
		var b0 float64
		if c.Bias != nil {
			b0 = float64(c.Bias.Data[o])
		}
		for i := 0; i < per; i++ {
			f.w[o*per+i] = float32(s * float64(c.Weight.Data[o*per+i]))
		}
		f.b[o] = float32(shift + s*b0)
	}
	return f
}

// geom is the convolution's geometry for an input of h×w.
func (c *conv) geom(h, w int) ops.ConvGeom {
	cin := c.cin / c.group
	pt, pl, ph, pw := c.pad, c.pad, c.pad, c.pad // top, left, bottom, right
	if c.same {
		same := func(in int) (int, int) {
			p := max(((in+c.stride-1)/c.stride-1)*c.stride+c.k-in, 0)
			return p / 2, p - p/2
		}
		pt, ph = same(h)
		pl, pw = same(w)
	}
	return ops.ConvGeom{C: cin, H: h, W: w, KH: c.k, KW: c.k, StrideH: c.stride, StrideW: c.stride,
		PadT: pt, PadL: pl, DilH: 1, DilW: 1,
		OH: (h+pt+ph-c.k)/c.stride + 1, OW: (w+pl+pw-c.k)/c.stride + 1}
}

func (c *conv) depthwise() bool { return c.group > 1 && c.group == c.cin && c.group == c.cout }

// run applies the convolution (and its activation) to x.
func (c *conv) run(e *Engine, x tensor) tensor {
	if x.c != c.cin {
		panic(fmt.Sprintf("quant: %s: input has %d channels, the convolution takes %d", c.name, x.c, c.cin))
	}
	g := c.geom(x.h, x.w)
	out := newTensor(x.n, c.cout, g.OH, g.OW)
	if c.depthwise() {
		g.C = c.cin // DepthwiseForward's geometry counts all channels
		ops.DepthwiseForward(g, x.n, x.d, c.w, c.b, out.d)
		c.activate(e, out.d)
		return out
	}
	if c.group != 1 {
		panic(fmt.Sprintf("quant: %s: grouped convolution (%d groups) is not supported", c.name, c.group))
	}
	if e.calib {
		c.observe(x.d)
	}
	k, p := g.ColRows(), g.ColCols()
	direct := c.k == 1 && c.stride == 1 && g.PadT == 0 && g.PadL == 0
	tp := p
	if !direct {
		tp = ops.ConvTileCols(k, p)
	}
	tiles := (p + tp - 1) / tp
	ops.ParallelCoarse(x.n*tiles, 1, func(lo, hi int) {
		var scratch []float32
		if !direct {
			sb := ops.GetScratch(k * tp)
			defer ops.PutScratch(sb)
			scratch = *sb
		}
		for it := lo; it < hi; it++ {
			img, t := it/tiles, it%tiles
			p0 := t * tp
			np := min(tp, p-p0)
			xi := x.d[img*x.c*x.plane() : (img+1)*x.c*x.plane()]
			src, ld := xi[p0:], p
			if !direct {
				ops.Im2colTile(g, xi, p0, np, scratch)
				src, ld = scratch, np
			}
			oi := out.d[img*c.cout*p : (img+1)*c.cout*p]
			if e.int8 {
				ops.I8Gemm(c.q, c.qa, src, ld, np, c.b, c.act == actSiLU, oi[p0:], p)
				continue
			} else {
				for o := 0; o < c.cout; o++ {
					row := oi[o*p+p0 : o*p+p0+np]
					for j := range row {
						row[j] = c.b[o]
					}
				}
				ops.Sgemm(false, false, c.cout, np, k, 1, c.w, k, src, ld, 1, oi[p0:], p)
			}
			if c.act != actNone {
				for o := 0; o < c.cout; o++ {
					c.activate(e, oi[o*p+p0:o*p+p0+np])
				}
			}
		}
	})
	return out
}

// activate applies the activation in place: the int8 path's SiLU
// (ops.SiLUI8) in int8 mode, vecmath's (as autograd) in float32 mode.
func (c *conv) activate(e *Engine, d []float32) {
	if c.act != actSiLU {
		return
	}
	silu := ops.SiLU
	if e.int8 {
		silu = ops.SiLUI8
	}
	ops.Parallel(len(d), 1<<14, func(lo, hi int) { silu(d[lo:hi], d[lo:hi]) })
}

// observe widens the calibration range with x.
func (c *conv) observe(x []float32) {
	lo, hi := x[0], x[0]
	for _, v := range x {
		lo, hi = min(lo, v), max(hi, v)
	}
	if !c.seen {
		c.lo, c.hi, c.seen = lo, hi, true
		return
	}
	c.lo, c.hi = min(c.lo, lo), max(c.hi, hi)
}

// se is torchvision's SqueezeExcitation (SiLU inside, sigmoid gate),
// float32, gating x in place.
type se struct {
	w1, b1, w2, b2 []float32 // fc1 [sq, C], fc2 [C, sq]
	c, sq          int
}

func (s *se) run(_ *Engine, x tensor) tensor {
	hw := x.plane()
	ops.ParallelCoarse(x.n, 1, func(lo, hi int) {
		m := make([]float32, s.c)
		z := make([]float32, s.sq)
		gate := make([]float32, s.c)
		for n := lo; n < hi; n++ {
			img := x.d[n*s.c*hw : (n+1)*s.c*hw]
			for ch := range m {
				var sum float64
				for _, v := range img[ch*hw : (ch+1)*hw] {
					sum += float64(v)
				}
				m[ch] = float32(sum / float64(hw))
			}
			for i := range z {
				z[i] = s.b1[i] + ops.Dot(s.w1[i*s.c:(i+1)*s.c], m)
			}
			ops.SiLU(z, z)
			for ch := range gate {
				gate[ch] = s.b2[ch] + ops.Dot(s.w2[ch*s.sq:(ch+1)*s.sq], z)
			}
			ops.Sigmoid(gate, gate)
			for ch, gv := range gate {
				ops.Scale(gv, img[ch*hw:(ch+1)*hw])
			}
		}
	})
	return x
}

// residual is a block y = body(x) (+ x when skip).
type residual struct {
	body []block
	skip bool
}

func (r *residual) run(e *Engine, x tensor) tensor {
	y := x
	for _, b := range r.body {
		next := b.run(e, y)
		if y.buf != x.buf {
			release(y, next) // an intermediate of the block (SE gates in place: next is y)
		}
		y = next
	}
	if r.skip {
		ops.Parallel(len(y.d), 1<<14, func(lo, hi int) { ops.Add(y.d[lo:hi], y.d[lo:hi], x.d[lo:hi]) })
	}
	return y
}

// NewEngine builds the folded float32 engine of a backbone's Features.
// Supported: EfficientNetV2 (every variant). Other backbones are an error
// that names them.
func NewEngine(b models.Backbone) (*Engine, error) {
	m, ok := b.(*models.EfficientNetV2)
	if !ok {
		return nil, fmt.Errorf("quant: backbone %T is not supported (EfficientNetV2 only)", b)
	}
	if m.Config.TimmNames {
		return nil, fmt.Errorf("quant: %s uses timm names; only torchvision-named EfficientNetV2 is supported", m.Config.Name)
	}
	e := &Engine{name: m.Config.Name}
	add := func(name string, l *models.ConvBNAct) *conv {
		act := actNone
		if l.Act {
			act = actSiLU
		}
		c := fold(name, l.Conv, l.BN, act)
		if !c.depthwise() {
			e.convs = append(e.convs, c)
		}
		return c
	}
	feat := func(i int) string { return fmt.Sprintf("backbone.features.%d", i) }
	e.blocks = append(e.blocks, add(feat(0)+".0", m.Stem))
	for si, st := range m.Stages {
		for bi, blk := range st {
			pre := fmt.Sprintf("%s.%d.block", feat(si+1), bi)
			switch bl := blk.(type) {
			case *models.FusedMBConv:
				r := &residual{skip: bl.Skip}
				r.body = append(r.body, add(pre+".0.0", bl.Expand))
				if bl.Project != nil {
					r.body = append(r.body, add(pre+".1.0", bl.Project))
				}
				e.blocks = append(e.blocks, r)
			case *models.MBConv:
				r := &residual{skip: bl.Skip}
				i := 0
				next := func() string { s := fmt.Sprintf("%s.%d", pre, i); i++; return s }
				if bl.Expand != nil {
					r.body = append(r.body, add(next()+".0", bl.Expand))
				}
				r.body = append(r.body, add(next()+".0", bl.Depthwise))
				sq, ch := bl.SE.FC1.Weight.Shape[0], bl.SE.FC1.Weight.Shape[1]
				r.body = append(r.body, &se{w1: bl.SE.FC1.Weight.Data, b1: bl.SE.FC1.Bias.Data,
					w2: bl.SE.FC2.Weight.Data, b2: bl.SE.FC2.Bias.Data, c: ch, sq: sq})
				next()
				r.body = append(r.body, add(next()+".0", bl.Project))
				e.blocks = append(e.blocks, r)
			default:
				return nil, fmt.Errorf("quant: %s: block %T is not supported", pre, blk)
			}
		}
	}
	e.blocks = append(e.blocks, add(feat(len(m.Stages)+1)+".0", m.Head))
	return e, nil
}

// Features runs the backbone on x [n, 3, h, w] and returns the feature
// map [n, C, h', w'] with its shape.
func (e *Engine) Features(x []float32, n, h, w int) (out []float32, c, oh, ow int) {
	t := tensor{d: x, n: n, c: 3, h: h, w: w}
	if len(x) != n*3*h*w {
		panic(fmt.Sprintf("quant: %d values for a [%d, 3, %d, %d] batch", len(x), n, h, w))
	}
	for _, b := range e.blocks {
		next := b.run(e, t)
		release(t, next)
		t = next
	}
	// The result leaves the engine: copy it out of the pool's buffer.
	out = append([]float32(nil), t.d...)
	release(t, tensor{})
	return out, t.c, t.h, t.w
}
