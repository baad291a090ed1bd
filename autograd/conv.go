package autograd

import (
	"fmt"

	"github.com/seed477ab429/multilabel/ops"
)

// Conv2dOpts configures Conv2d. Zero values mean stride 1, dilation 1,
// groups 1 and no padding, so Conv2dOpts{} is a plain "valid" convolution.
// Padding may differ per side (TF "SAME" puts the odd pixel bottom/right):
// use WithPad with SymPad or SamePad, e.g.
//
//	o := Conv2dOpts{StrideH: 2, StrideW: 2}.WithPad(SamePad(h, w, 3, 3, 2, 2, 1, 1))
type Conv2dOpts struct {
	StrideH, StrideW                     int
	PadTop, PadBottom, PadLeft, PadRight int
	DilationH, DilationW                 int
	Groups                               int
	// Epilogue, when set, maps each output value v of channel o to
	// Act(v·Scale[o] + Shift[o]) as the output tiles are computed, while
	// they are in cache: eval-mode batch norm and its activation folded into
	// the convolution (BatchNormEvalAffine gives Scale and Shift), the same
	// bits as the separate ops. Inference only: it panics when the
	// output would need a gradient.
	Epilogue *ConvEpilogue
}

// ConvEpilogue is a per-output-channel affine map and activation applied
// inside Conv2d (Conv2dOpts.Epilogue).
type ConvEpilogue struct {
	Scale, Shift []float32 // [O]
	Act          Activation
	Slope        float32 // ActLeakyReLU's negative slope
}

// WithPad returns o with the four paddings set.
func (o Conv2dOpts) WithPad(top, bottom, left, right int) Conv2dOpts {
	o.PadTop, o.PadBottom, o.PadLeft, o.PadRight = top, bottom, left, right
	return o
}

// SymPad is p on every side (PyTorch's padding=p).
func SymPad(p int) (top, bottom, left, right int) { return p, p, p, p }

// SamePad is TensorFlow's "SAME" padding (timm's pad_same): the output is
// ceil(in/stride) and the total padding along an axis is
//
//	pad = max((ceil(in/s) - 1)*s + (k-1)*d + 1 - in, 0)
//
// split as pad/2 before and the rest (one more when odd) after.
func SamePad(inH, inW, kH, kW, strideH, strideW, dilH, dilW int) (top, bottom, left, right int) {
	same := func(in, k, s, d int) (int, int) {
		p := max(((in+s-1)/s-1)*s+(k-1)*d+1-in, 0)
		return p / 2, p - p/2
	}
	top, bottom = same(inH, kH, strideH, dilH)
	left, right = same(inW, kW, strideW, dilW)
	return
}

func (o Conv2dOpts) withDefaults() Conv2dOpts {
	one := func(v *int) {
		if *v == 0 {
			*v = 1
		}
	}
	one(&o.StrideH)
	one(&o.StrideW)
	one(&o.DilationH)
	one(&o.DilationW)
	one(&o.Groups)
	return o
}

// Conv2d is the 2-D cross-correlation of PyTorch's F.conv2d, with
// asymmetric zero padding:
//
//	x [N,C,H,W], w [O, C/G, KH, KW], b [O] or nil  ->  out [N, O, OH, OW]
//	OH = (H + PadTop + PadBottom - DilH*(KH-1) - 1)/StrideH + 1   (OW alike)
//
// Output channel o belongs to group g = o/(O/G) and sees input channels
// g*C/G ... (g+1)*C/G-1:
//
//	out[n,o,oh,ow] = b[o] + Σ_{c,kh,kw} w[o,c,kh,kw] · x[n, g*C/G+c, oh*SH-PT+kh*DH, ow*SW-PL+kw*DW]
//
// Written with the column matrix col = im2col(x[n, group g]) [C/G*KH*KW, OH*OW]
// (see ops/im2col.go) and the weight rows w_g [O/G, C/G*KH*KW], each image
// and group is one GEMM, and so is each gradient (G = ∂L/∂out[n, group g]):
//
//	out_g = w_g · col           ∂L/∂w_g += G · colᵀ
//	∂L/∂col = w_gᵀ · G          ∂L/∂x   += col2im(∂L/∂col)
//	∂L/∂b[o] += Σ_{n,oh,ow} G[n,o,oh,ow]
//
// These paths compute this:
//   - 1x1 kernels with stride 1 and no padding: col is x itself ([C, H*W]
//     in NCHW), so the GEMMs run on the input directly and col2im vanishes.
//   - depthwise (G == C == O): ops.DepthwiseForward/Backward, direct
//     vectorized loops over zero-padded planes; a GEMM with one row would
//     waste its time.
//   - the forward and the input gradient of 3x3 stride-1 convolutions with
//     at least 64 input and output channels: Winograd's F(2x2, 3x3)
//     (conv_winograd.go), 2.25 times fewer multiply-adds.
//   - the forward of other stride-1 convolutions: the product reads col's
//     rows at their offsets in a zero-padded copy of the image
//     (conv_implicit.go), with no im2col.
//   - otherwise im2col, one column tile at a time (ops.Im2colTile: a
//     bounded block of output pixels, about 1 MiB of columns), into a
//     per-worker scratch, then GEMM. The backward rebuilds col instead of
//     keeping it from the forward: memory stays one tile per worker.
//
// Images are spread over the worker pool; each worker owns its scratch
// and its partial weight gradient, summed at the end. Where an image has
// few output pixels, the products of several images run as one, their
// columns side by side (convPlan.batchImages), a better shaped GEMM.
func Conv2d(x, w, b *Tensor, o Conv2dOpts) *Tensor {
	o = o.withDefaults()
	if len(x.Shape) != 4 || len(w.Shape) != 4 {
		panic(fmt.Sprintf("autograd.Conv2d: input %v and weight %v must be 4-D (NCHW and OIHW)", x.Shape, w.Shape))
	}
	N, C, H, W := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	O, Cg, KH, KW := w.Shape[0], w.Shape[1], w.Shape[2], w.Shape[3]
	G := o.Groups
	if o.StrideH < 1 || o.StrideW < 1 || o.DilationH < 1 || o.DilationW < 1 || G < 1 ||
		o.PadTop < 0 || o.PadBottom < 0 || o.PadLeft < 0 || o.PadRight < 0 {
		panic(fmt.Sprintf("autograd.Conv2d: bad options %+v for input %v, weight %v", o, x.Shape, w.Shape))
	}
	if C%G != 0 || O%G != 0 {
		panic(fmt.Sprintf("autograd.Conv2d: groups %d must divide the input channels of %v and the output channels of weight %v", G, x.Shape, w.Shape))
	}
	if Cg != C/G {
		panic(fmt.Sprintf("autograd.Conv2d: input %v has %d channels but weight %v expects %d (x %d groups)", x.Shape, C, w.Shape, Cg, G))
	}
	if b != nil && (len(b.Shape) != 1 || b.Shape[0] != O) {
		panic(fmt.Sprintf("autograd.Conv2d: bias %v does not match weight %v (need [%d])", b.Shape, w.Shape, O))
	}
	OH := (H+o.PadTop+o.PadBottom-o.DilationH*(KH-1)-1)/o.StrideH + 1
	OW := (W+o.PadLeft+o.PadRight-o.DilationW*(KW-1)-1)/o.StrideW + 1
	if KH < 1 || KW < 1 || OH < 1 || OW < 1 || H+o.PadTop+o.PadBottom < o.DilationH*(KH-1)+1 || W+o.PadLeft+o.PadRight < o.DilationW*(KW-1)+1 {
		panic(fmt.Sprintf("autograd.Conv2d: input %v with padding %d/%d/%d/%d is smaller than the (dilated) kernel of weight %v",
			x.Shape, o.PadTop, o.PadBottom, o.PadLeft, o.PadRight, w.Shape))
	}
	c := &convPlan{
		n: N, groups: G, oc: O / G,
		g: ops.ConvGeom{C: Cg, H: H, W: W, KH: KH, KW: KW, StrideH: o.StrideH, StrideW: o.StrideW,
			PadT: o.PadTop, PadL: o.PadLeft, DilH: o.DilationH, DilW: o.DilationW, OH: OH, OW: OW},
	}
	c.depthwise = G == C && G == O
	c.direct = KH == 1 && KW == 1 && o.StrideH == 1 && o.StrideW == 1 &&
		o.PadTop == 0 && o.PadBottom == 0 && o.PadLeft == 0 && o.PadRight == 0

	inputs := []*Tensor{x, w}
	var bias []float32
	if b != nil {
		inputs = append(inputs, b)
		bias = b.Data
	}
	out := result("Conv2d", []int{N, O, OH, OW}, inputs...)
	var ep *ops.Epilogue
	if e := o.Epilogue; e != nil {
		if out.requiresGrad {
			panic(fmt.Sprintf("autograd.Conv2d: an epilogue is for inference; input %v and weight %v need a gradient (run under NoGrad)", x.Shape, w.Shape))
		}
		if len(e.Scale) != O || len(e.Shift) != O {
			panic(fmt.Sprintf("autograd.Conv2d: epilogue scale %d and shift %d for %d output channels", len(e.Scale), len(e.Shift), O))
		}
		ep = &ops.Epilogue{Scale: e.Scale, Shift: e.Shift, Act: ops.Act(e.Act), Slope: e.Slope}
	}
	if c.depthwise {
		c.depthwiseForward(x.Data, w.Data, bias, out.Data, ep)
	} else {
		c.gemmForward(x.Data, w.Data, bias, out.Data, ep)
	}
	if out.requiresGrad {
		lazyRead(x) // the backward reads x.Data when it runs (recompute.go)
		out.backward = func() {
			var gx, gw, gb []float32
			fresh := false // gx is new and unzeroed: write it (tape.go, "Gradient buffers")
			if x.requiresGrad {
				gx, fresh = x.gradWrite()
			}
			if w.requiresGrad {
				gw = w.grad()
			}
			if b != nil && b.requiresGrad {
				gb = b.grad()
			}
			if c.depthwise {
				c.depthwiseBackward(x.Data, w.Data, out.Grad, gx, gw, gb, fresh)
			} else {
				c.gemmBackward(out.arena, x.Data, w.Data, out.Grad, gx, gw, gb, fresh)
			}
		}
	}
	return out
}

// convPlan is what the forward and backward of one Conv2d call share.
type convPlan struct {
	g         ops.ConvGeom // one image, one group
	n, groups int
	oc        int  // output channels per group
	direct    bool // 1x1, stride 1, no padding: col is x itself
	depthwise bool
}

// Sizes of one image / one group in the flat buffers.
func (c *convPlan) inGroup() int  { return c.g.C * c.g.H * c.g.W }  // x[n, group]
func (c *convPlan) outGroup() int { return c.oc * c.g.OH * c.g.OW } // out[n, group]
func (c *convPlan) wGroup() int   { return c.oc * c.g.ColRows() }   // w[group]

// chunks splits the batch of the backward pass into k = min(n,
// convGradChunks) chunks; chunk i gets images [i*n/k, (i+1)*n/k) and sums
// their weight gradient into a buffer of its own, and the k partial sums
// are added in chunk order. k must not depend on the thread count: with one
// chunk per thread the sum's order, and so the trained weights, changed
// with GOMAXPROCS.
func (c *convPlan) chunks() int { return max(1, min(c.n, convGradChunks)) }

// convGradChunks: enough chunks to keep a few threads busy on the batch
// (each chunk's GEMMs are parallel too), few enough that the partial
// weight gradients cost little memory and adding.
const convGradChunks = 4

// itemLoop picks how a loop of independent items (images, image blocks,
// gradient chunks) runs its products: with at least eight items per
// thread (a batch of small images, one product each) the items keep every
// thread busy, so each product runs on its item's thread alone
// (ops.SgemmSerial) and the loop cuts finer chunks for the balance
// (ops.Parallel); with fewer (large images, the backward's four gradient
// chunks) the products split their own work (ops.Sgemm) over a coarse
// loop, which balances few large items better. Both give the same bits.
// Nested, a product queued half its work and waited on the pool while the
// other thread ran its own item: EfficientNetV2-T's 3x3 128x288 products
// at 64 px ran at 90 GFLOPS that way and 145 alone. With two items per
// thread as the bar, TResNet-M's and ResNet-50's training steps at 224 px
// batch 8 lost 5-10% (their threads fell idle at the loops' ends).
func itemLoop(items int) (loop func(n, grain int, fn func(lo, hi int)), gemm gemmFunc) {
	if serialItems(items) {
		return ops.Parallel, ops.SgemmSerial
	}
	return ops.ParallelCoarse, ops.Sgemm
}

// serialItems is itemLoop's rule: products one per thread.
func serialItems(items int) bool { return items >= 8*ops.Threads() }

// gemmFunc is ops.Sgemm's signature.
type gemmFunc func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)

// tile is the number of output pixels per column tile (ops.ConvTileCols):
// the whole image on the direct path, where col is x itself.
func (c *convPlan) tile() int {
	if c.direct {
		return c.g.ColCols()
	}
	return convTileCols(c.g.ColRows(), c.g.ColCols())
}

// convTileCols is ops.ConvTileCols; tests swap in tiny tiles so that their
// small images still run several tiles (conv_export_test.go).
var convTileCols = ops.ConvTileCols

// col returns columns [p0, p0+np) of the column matrix of image-group xg:
// xg itself on the direct path (where np is all of them), else im2col into
// scratch [k, np].
func (c *convPlan) col(xg []float32, p0, np int, scratch []float32) []float32 {
	if c.direct {
		return xg
	}
	ops.Im2colTile(c.g, xg, p0, np, scratch)
	return scratch[:c.g.ColRows()*np]
}

// gemmForward: one GEMM per (image, group, column tile), out[:, tile] =
// w_g · col[:, tile]. The work items are spread over the pool (tiles of one
// image write disjoint columns of out), so batch-1 inference on a large
// image still uses every worker.
func (c *convPlan) gemmForward(x, w, bias, out []float32, ep *ops.Epilogue) {
	if c.useWinograd() {
		c.gemmForwardWinograd(x, w, bias, out, ep)
		return
	}
	if ib := c.batchImages(); ib > 1 {
		c.gemmForwardBatched(x, w, bias, out, ep, ib)
		return
	}
	if c.useImplicit() {
		c.gemmForwardImplicit(x, w, bias, out, ep)
		return
	}
	k, m, p := c.g.ColRows(), c.oc, c.g.ColCols()
	tp := c.tile()
	tiles := (p + tp - 1) / tp
	items := c.n * c.groups * tiles
	loop, sgemm := itemLoop(items)
	loop(items, 1, func(lo, hi int) {
		var scratch *[]float32
		if !c.direct {
			scratch = ops.GetScratch(k * tp)
			defer ops.PutScratch(scratch)
		}
		for it := lo; it < hi; it++ {
			ng, t := it/tiles, it%tiles
			g := ng % c.groups
			p0 := t * tp
			np := min(tp, p-p0)
			og := out[ng*c.outGroup()+p0 : (ng+1)*c.outGroup()]
			beta := float32(0)
			if bias != nil { // start from the bias and accumulate
				for i := 0; i < m; i++ {
					bv := bias[g*m+i]
					row := og[i*p : i*p+np]
					for j := range row {
						row[j] = bv
					}
				}
				beta = 1
			}
			col := c.col(x[ng*c.inGroup():(ng+1)*c.inGroup()], p0, np, deref(scratch))
			sgemm(false, false, m, np, k, 1, w[g*c.wGroup():], k, col, np, beta, og, p)
			if ep != nil { // the tile is in cache: each row is one output channel
				for i := 0; i < m; i++ {
					ep.Apply(og[i*p:i*p+np], g*m+i)
				}
			}
		}
	})
}

// weightsT returns w_gᵀ [k, m] of every group in a temporary from ar.
// ∂L/∂col = w_gᵀ · G reads w_g transposed; transposed once per backward,
// the product's A is a plain row-major matrix, which the GEMM reads in
// place instead of packing w_gᵀ again for every image, tile and row of
// tiles (the same values in the same order: the same bits).
func (c *convPlan) weightsT(ar *Arena, w []float32) tempBuf {
	t := getTemp(ar, c.groups*c.wGroup())
	c.transposeGroups(t.b, w, c.oc, c.g.ColRows())
	return t
}

// transposeGroups writes the transpose of each group's [rows, cols] block
// of a into the same block of dst.
func (c *convPlan) transposeGroups(dst, a []float32, rows, cols int) {
	n := rows * cols
	for g := 0; g < c.groups; g++ {
		transposeInto(dst[g*n:(g+1)*n], a[g*n:(g+1)*n], rows, cols)
	}
}

// chunkGrad returns where chunk ch accumulates its weight gradient: dw,
// gw itself for chunk 0 and its zeroed partial for the others, and in the
// transposed form (dwtBuf not nil) dwt, a copy of (∂L/∂w_g)ᵀ [k, m] per
// group in dwtBuf that the chunk accumulates into instead and transposes
// back into dw at its end.
func (c *convPlan) chunkGrad(ch int, gw []float32, partials []tempBuf, dwtBuf *[]float32) (dw, dwt []float32) {
	dw = gw
	if ch > 0 && gw != nil {
		dw = partials[ch].b
	}
	if dwtBuf != nil {
		dwt = *dwtBuf
		c.transposeGroups(dwt, dw, c.oc, c.g.ColRows())
	}
	return dw, dwt
}

// newPartials returns the weight gradient's per-chunk accumulators for nc
// chunks: chunk 0 accumulates straight into gw (partials[0] is unused),
// the others into zeroed temporaries from ar (none when gw is nil).
func newPartials(ar *Arena, gw []float32, nc int) []tempBuf {
	if gw == nil {
		return nil
	}
	partials := make([]tempBuf, nc)
	for i := 1; i < nc; i++ {
		partials[i] = getTemp(ar, len(gw))
		clear(partials[i].b)
	}
	return partials
}

// combinePartials adds gw[j] += partial_1[j] + ... in chunk order for
// every j (the order that makes the sum independent of the thread count),
// spread over the cores (on one it was a serial stretch of every
// convolution's backward), and gives the partials back.
func combinePartials(gw []float32, partials []tempBuf) {
	if len(partials) <= 1 {
		return
	}
	ops.Parallel(len(gw), 1<<14, func(lo, hi int) {
		dst := gw[lo:hi]
		for _, p := range partials[1:] {
			ops.Add(dst, dst, p.b[lo:hi])
		}
	})
	for _, p := range partials[1:] {
		p.release()
	}
}

// gemmBackward: per (image, group, column tile)
//
//	∂L/∂w_g += G[:, tile] · col[:, tile]ᵀ
//	∂L/∂x   += col2im_tile(w_gᵀ · G[:, tile])
//
// The weight gradient's product reads one operand transposed, and the GEMM
// transposes it while packing: col (k x tile) as written, or G (m x tile)
// in the equivalent form (∂L/∂w_g)ᵀ += col[:, tile] · G[:, tile]ᵀ, which
// packs k/m times fewer elements when m < k (nine times fewer for a 3x3
// convolution with as many input as output channels). Both forms compute every
// element as the same chain of fused multiply-adds over the tile's pixels
// (a·b = b·a exactly; the same K blocks), so they give the same bits; the
// transposed form accumulates into a transposed copy of the chunk's
// gradient, transposed back at the end of the chunk (dwTransposed).
//
// Workers take whole images: the col2im of neighbouring tiles adds onto
// the same input rows, so one image's tiles stay on one worker. With
// gxWrite (a new, unzeroed gradient buffer) ∂L/∂x is written: the direct
// path's GEMM runs with β = 0, and the im2col path clears the image-group
// just before its first col2im, while it is about to be in cache anyway,
// instead of a separate pass over the whole buffer.
//
// Its weight-sized temporaries (the chunks' partial weight gradients, the
// transposed weights) come from ar, the step's arena, when there is one:
// given back when the closure returns, their ranges then serve the
// gradients that follow, where scratch buffers would stay idle between
// convolutions in their own pool (ResNet-50's step kept 133 MB of them).
func (c *convPlan) gemmBackward(ar *Arena, x, w, gout, gx, gw, gb []float32, gxWrite bool) {
	k, m, p := c.g.ColRows(), c.oc, c.g.ColCols()
	if gb != nil {
		convBiasGrad(gout, gb, c.n, c.groups*m, p)
	}
	if gx != nil && c.useWinogradDX() {
		c.winogradDX(ar, w, gout, gx, gxWrite)
		gx, gxWrite = nil, false
	}
	if gw != nil && c.useWinogradDW() {
		c.winogradDW(ar, x, gout, gw)
		gw = nil
	}
	if gx == nil && gw == nil {
		return
	}
	if ib := c.batchImages(); ib > 1 {
		c.gemmBackwardBatched(ar, x, w, gout, gx, gw, gxWrite, ib)
		return
	}
	tp := c.tile()
	nc := c.chunks()
	// Chunk 0 accumulates straight into gw; the others into zeroed
	// partials that are added once all are done.
	partials := newPartials(ar, gw, nc)
	var wt []float32 // w_gᵀ for ∂L/∂col (weightsT)
	if gx != nil {
		wtBuf := c.weightsT(ar, w)
		defer wtBuf.release()
		wt = wtBuf.b
	}
	wT := gw != nil && dwTransposed(m, k, c.n/nc*p)
	loop, sgemm := itemLoop(nc)
	loop(nc, 1, func(lo, hi int) {
		var colBuf, dcolBuf, dwtBuf *[]float32
		if !c.direct {
			colBuf, dcolBuf = ops.GetScratch(k*tp), ops.GetScratch(k*tp)
			defer ops.PutScratch(colBuf)
			defer ops.PutScratch(dcolBuf)
		}
		if wT {
			dwtBuf = ops.GetScratch(len(gw))
			defer ops.PutScratch(dwtBuf)
		}
		for ch := lo; ch < hi; ch++ {
			dw, dwt := c.chunkGrad(ch, gw, partials, dwtBuf) // dwt: (∂L/∂w_g)ᵀ, [k, m] per group
			for n := ch * c.n / nc; n < (ch+1)*c.n/nc; n++ {
				for g := 0; g < c.groups; g++ {
					ng := n*c.groups + g
					gg := gout[ng*c.outGroup() : (ng+1)*c.outGroup()]
					var wtg []float32 // w_gᵀ [k, m]
					if gx != nil {
						wtg = wt[g*c.wGroup() : (g+1)*c.wGroup()]
					}
					xg := x[ng*c.inGroup() : (ng+1)*c.inGroup()]
					beta := float32(1)
					if gxWrite {
						beta = 0
						if !c.direct {
							clear(gx[ng*c.inGroup() : (ng+1)*c.inGroup()])
						}
					}
					for p0 := 0; p0 < p; p0 += tp {
						np := min(tp, p-p0)
						if dwt != nil { // (∂L/∂w_g)ᵀ += col[:, tile] · G[:, tile]ᵀ
							col := c.col(xg, p0, np, deref(colBuf))
							sgemm(false, true, k, m, np, 1, col, np, gg[p0:], p, 1, dwt[g*c.wGroup():], m)
						} else if dw != nil { // ∂L/∂w_g += G[:, tile] · col[:, tile]ᵀ
							col := c.col(xg, p0, np, deref(colBuf))
							sgemm(false, true, m, k, np, 1, gg[p0:], p, col, np, 1, dw[g*c.wGroup():], k)
						}
						if gx != nil { // ∂L/∂x += col2im(w_gᵀ · G[:, tile])
							dxg := gx[ng*c.inGroup() : (ng+1)*c.inGroup()]
							if c.direct {
								sgemm(false, false, k, p, m, 1, wtg, m, gg, p, beta, dxg, p)
							} else {
								dcol := (*dcolBuf)[:k*np]
								sgemm(false, false, k, np, m, 1, wtg, m, gg[p0:], p, 0, dcol, np)
								ops.Col2imTile(c.g, dcol, p0, np, dxg)
							}
						}
					}
				}
			}
			if dwt != nil {
				c.transposeGroups(dw, dwt, k, m)
			}
		}
	})
	combinePartials(gw, partials)
}

// dwTransposed reports whether gemmBackward computes the weight gradient
// of a group with m output channels and k column rows, over chunks of at
// least np pixels, in the transposed form, packing G instead of col; a
// variable so that tests can run both. The form saves transposing (k-m)
// elements per pixel while packing, and costs two transpositions of the
// m x k gradient per chunk: it pays where the chunk has many pixels.
// Measured on Zen 5 (forward + backward of one convolution, batch 8, 2
// threads, both with ops.Transpose): 3x3 128 -> 128 at 28x28 16% faster,
// 1x1 256 -> 64 at 56x56 21%, level at 14x14, and 3x3 512 -> 512 or 1x1
// 2048 -> 512 at 7x7 30-45% slower, which the rule leaves in the direct
// form. Products with a single row or column take the GEMM's thin path,
// whose summation differs between the two forms, so they keep the direct
// one.
var dwTransposed = func(m, k, np int) bool { return m > 1 && m < k && (k-m)*np > 8*m*k }

// transposeInto writes the transpose of a [rows, cols] into dst [cols, rows]
// (ops.Transpose), its column bands spread over the cores (a plain copy: the
// same bits however it is split).
func transposeInto(dst, a []float32, rows, cols int) {
	const b = 32
	bands := (cols + b - 1) / b
	// A band is rows*32 elements; at least 16K elements a chunk.
	ops.Parallel(bands, max(1, (1<<14)/max(1, rows*b)), func(lo, hi int) {
		j0, j1 := lo*b, min(hi*b, cols)
		ops.Transpose(dst[j0*rows:], rows, a[j0:], cols, rows, j1-j0)
	})
}

// depthwiseForward: ops.DepthwiseForward over the whole batch (workers
// take whole channels; see ops/depthwise_plan.go).
func (c *convPlan) depthwiseForward(x, w, bias, out []float32, ep *ops.Epilogue) {
	g := c.g
	g.C = c.groups
	ops.DepthwiseForwardEpilogue(g, c.n, x, w, bias, out, ep)
}

// depthwiseBackward: ops.DepthwiseBackward, whose workers own whole
// channels, so the kernel gradient of a channel is summed over the batch
// without races.
func (c *convPlan) depthwiseBackward(x, w, gout, gx, gw, gb []float32, gxWrite bool) {
	g := c.g
	g.C = c.groups
	if gb != nil {
		convBiasGrad(gout, gb, c.n, c.groups, g.OH*g.OW)
	}
	if gxWrite {
		ops.DepthwiseBackwardWrite(g, c.n, x, w, gout, gx, gw)
		return
	}
	ops.DepthwiseBackward(g, c.n, x, w, gout, gx, gw)
}

// convBiasGrad adds ∂L/∂b[o] = Σ_{n,p} G[n,o,p] for G [N, O, P] into gb.
func convBiasGrad(gout, gb []float32, N, O, P int) {
	ops.Parallel(O, convGrain(N*P), func(lo, hi int) {
		for o := lo; o < hi; o++ {
			var s float32
			for n := 0; n < N; n++ {
				for _, v := range gout[(n*O+o)*P : (n*O+o+1)*P] {
					s += v
				}
			}
			gb[o] += s
		}
	})
}

// convGrain is the number of items per parallel chunk so that a chunk
// does about 32k multiply-adds or more (smaller work is not worth a
// hand-off to another worker).
func convGrain(workPerItem int) int { return max(1, (1<<15)/max(1, workPerItem)) }

// tempBuf is a temporary buffer b from an arena (ar) or, without one,
// from the scratch pool (s).
type tempBuf struct {
	ar *Arena
	s  *[]float32
	b  []float32
}

// getTemp returns a temporary of n floats with arbitrary contents, from ar
// when it is not nil. Call it on the goroutine that owns ar, not in a
// parallel loop.
func getTemp(ar *Arena, n int) tempBuf {
	if ar != nil {
		return tempBuf{ar: ar, b: ar.get(n)}
	}
	s := ops.GetScratch(n)
	return tempBuf{s: s, b: *s}
}

// release gives the buffer back.
func (t tempBuf) release() {
	if t.ar != nil {
		t.ar.put(t.b)
	} else if t.s != nil {
		ops.PutScratch(t.s)
	}
}

// deref is the slice behind a scratch buffer from ops.GetScratch (nil for
// nil).
func deref(p *[]float32) []float32 {
	if p == nil {
		return nil
	}
	return *p
}
