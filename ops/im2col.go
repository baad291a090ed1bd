package ops

import "fmt"

// im2col turns a convolution into a matrix product. For one image (or one
// group of its channels) x [C,H,W] and a kernel of size KH x KW, the column
// matrix col has one row per (c, kh, kw) and one column per output pixel
// (oh, ow):
//
//	col[(c*KH+kh)*KW+kw, oh*OW+ow] = x[c, ih, iw]   (0 when (ih, iw) is padding)
//	ih = oh*StrideH - PadT + kh*DilH
//	iw = ow*StrideW - PadL + kw*DilW
//
// so that, with the weight w [O, C*KH*KW] (OIHW flattened),
//
//	out[O, OH*OW] = w · col
//
// col2im is the adjoint (the transpose of the linear map im2col): it adds
// every col entry back onto the input pixel it was copied from. It turns
// the column gradient wᵀ·∂L/∂out into ∂L/∂x.

// ConvGeom is the geometry of a 2-D convolution over one image and one
// group of channels. The bottom/right padding does not appear: it only
// shows through OH and OW, which the caller computes as
//
//	OH = (H + PadT + PadBottom - DilH*(KH-1) - 1)/StrideH + 1
type ConvGeom struct {
	C, H, W          int // input channels (of one group), height, width
	KH, KW           int // kernel height, width
	StrideH, StrideW int // >= 1
	PadT, PadL       int // zero rows above / columns left of the input
	DilH, DilW       int // >= 1
	OH, OW           int // output height, width
}

// ColRows is the number of rows of the column matrix, C*KH*KW.
func (g ConvGeom) ColRows() int { return g.C * g.KH * g.KW }

// ColCols is the number of columns of the column matrix, OH*OW.
func (g ConvGeom) ColCols() int { return g.OH * g.OW }

// check panics when the buffers are too short for the geometry.
func (g ConvGeom) check(op string, x, col []float32) {
	if g.StrideH < 1 || g.StrideW < 1 || g.DilH < 1 || g.DilW < 1 {
		panic(fmt.Sprintf("ops.%s: stride and dilation must be >= 1 in %+v", op, g))
	}
	if len(x) < g.C*g.H*g.W || len(col) < g.ColRows()*g.ColCols() {
		panic(fmt.Sprintf("ops.%s: x has %d elements (needs %d), col has %d (needs %d) for %+v",
			op, len(x), g.C*g.H*g.W, len(col), g.ColRows()*g.ColCols(), g))
	}
}

// validOut returns the range [lo, hi) of output indices o in [0, out)
// whose input index o*stride + off falls inside [0, in). Everything
// outside reads padding. Computing it once per kernel tap turns the inner
// loops into branch-free copies.
func validOut(in, out, stride, off int) (lo, hi int) {
	if off < 0 {
		lo = (-off + stride - 1) / stride // ceil(-off/stride)
	}
	if last := in - 1 - off; last >= 0 {
		hi = last/stride + 1 // floor((in-1-off)/stride) + 1
	}
	hi = min(hi, out)
	lo = min(lo, hi)
	return lo, hi
}

// Im2colRef fills col [C*KH*KW, OH*OW] from x [C,H,W] (formula above),
// every element of col. It is the plain reference the tiled kernel
// Im2colTile is tested against: one bounds check per element, straight
// from the formula.
func Im2colRef(g ConvGeom, x, col []float32) {
	g.check("Im2colRef", x, col)
	for c := 0; c < g.C; c++ {
		for kh := 0; kh < g.KH; kh++ {
			for kw := 0; kw < g.KW; kw++ {
				r := (c*g.KH+kh)*g.KW + kw
				for oh := 0; oh < g.OH; oh++ {
					for ow := 0; ow < g.OW; ow++ {
						ih := oh*g.StrideH - g.PadT + kh*g.DilH
						iw := ow*g.StrideW - g.PadL + kw*g.DilW
						var v float32
						if ih >= 0 && ih < g.H && iw >= 0 && iw < g.W {
							v = x[(c*g.H+ih)*g.W+iw]
						}
						col[r*g.OH*g.OW+oh*g.OW+ow] = v
					}
				}
			}
		}
	}
}

// Col2imRef adds the column matrix col [C*KH*KW, OH*OW] back onto dx [C,H,W]:
//
//	dx[c, ih, iw] += col[(c*KH+kh)*KW+kw, oh*OW+ow]   for every tap that read (ih, iw)
//
// It accumulates (dx is not cleared); entries that fell on padding are
// dropped. It is the transpose of Im2colRef, and the plain reference the
// tiled kernel Col2imTile is tested against.
func Col2imRef(g ConvGeom, col, dx []float32) {
	g.check("Col2imRef", dx, col)
	for c := 0; c < g.C; c++ {
		for kh := 0; kh < g.KH; kh++ {
			for kw := 0; kw < g.KW; kw++ {
				r := (c*g.KH+kh)*g.KW + kw
				for oh := 0; oh < g.OH; oh++ {
					for ow := 0; ow < g.OW; ow++ {
						ih := oh*g.StrideH - g.PadT + kh*g.DilH
						iw := ow*g.StrideW - g.PadL + kw*g.DilW
						if ih >= 0 && ih < g.H && iw >= 0 && iw < g.W {
							dx[(c*g.H+ih)*g.W+iw] += col[r*g.OH*g.OW+oh*g.OW+ow]
						}
					}
				}
			}
		}
	}
}
