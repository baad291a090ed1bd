package autograd

import "github.com/seed477ab429/multilabel/ops"

// Stride-1 convolutions without im2col (an implicit GEMM).
//
// With the input of one image zero-padded to Hp x Wp (Hp = H + PadTop +
// PadBottom, Wp alike) and the output computed Wp wide instead of OW, the
// column-matrix row of tap (c, kh, kw) is the padded input itself from
// offset c·Hp·Wp + kh·DH·Wp + kw·DW on: output pixel (oh, ow) of that row
// reads xp[c·Hp·Wp + (oh + kh·DH)·Wp + ow + kw·DW], one run for the whole
// image. So the forward product reads B's rows where they are
// (ops.SgemmRowsB, one offset per row, read in place by the GEMM kernels)
// from a copy 1.0-1.1 times the input, instead of from an im2col tile nine
// times it (for 3x3) that is written and read once. The Wp − OW extra
// columns of each output row (2 for a 3x3 kernel: 3.6% more work at
// 56x56, 14% at 14x14) are computed and dropped when the rows are copied
// into the output.
//
// The product's K runs over (c, kh, kw) in im2col's row order, with the
// same K blocks (they depend on k alone), and SgemmRowsB computes every
// element as Sgemm does on the gathered matrix, so each kept output has
// the bits the im2col path gives it (TestConvImplicitSameBits). The
// backward keeps im2col and col2im.
//
// EfficientNetV2-T's 3x3 32 -> 128 at 32x32 (its first stages at 128 px):
// im2col writes 288 x 1024 floats per image (1.2 MB) and took a quarter
// of the product's time; the padded copy is 148 KB. Gathering B's panels
// from the offsets instead of reading them in place moved as many floats
// as im2col and was no faster (docs/PERFORMANCE.md).

// useImplicit reports whether gemmForward runs the implicit product: stride
// 1, one group, a kernel larger than 1x1 (1x1 without padding reads x
// directly already). gemmForward asks after batchImages: images small
// enough to go side by side keep im2col.
func (c *convPlan) useImplicit() bool {
	return convImplicit && !c.direct && c.groups == 1 && c.g.StrideH == 1 && c.g.StrideW == 1 &&
		c.g.KH*c.g.KW > 1
}

// convImplicit switches the implicit product on (tests run both paths).
var convImplicit = true

// convImplicitTileFloats bounds the wide output tile of one product
// (rows of the output, all channels): 256K floats, 1 MiB, about L2. Tests
// make it small to run several row tiles on small images.
var convImplicitTileFloats = 1 << 18

// implicitGeom is the padded input's geometry and B's row offsets.
type implicitGeom struct {
	hp, wp int
	size   int   // floats of the padded copy, slack for the last row's overhang included
	rows   []int // offset of column-matrix row (c, kh, kw) in the padded copy
	tileH  int   // output rows per product
}

func (c *convPlan) implicitGeom() implicitGeom {
	g := c.g
	ig := implicitGeom{hp: g.OH + g.DilH*(g.KH-1), wp: g.OW + g.DilW*(g.KW-1)}
	// The last output row's last tap reads DW·(KW−1) floats past the plane.
	ig.size = g.C*ig.hp*ig.wp + g.DilW*(g.KW-1)
	ig.rows = make([]int, 0, g.ColRows())
	for ch := 0; ch < g.C; ch++ {
		for kh := 0; kh < g.KH; kh++ {
			for kw := 0; kw < g.KW; kw++ {
				ig.rows = append(ig.rows, ch*ig.hp*ig.wp+kh*g.DilH*ig.wp+kw*g.DilW)
			}
		}
	}
	ig.tileH = max(1, min(g.OH, convImplicitTileFloats/max(1, c.oc*ig.wp)))
	return ig
}

// pad writes image xg [C, H, W] into xp [C, Hp, Wp] at (PadT, PadL), the
// border and the slack zero.
func (c *convPlan) pad(ig *implicitGeom, xg, xp []float32) {
	g := c.g
	xp = xp[:ig.size]
	plane := ig.hp * ig.wp
	for ch := 0; ch < g.C; ch++ {
		dst := xp[ch*plane : (ch+1)*plane]
		src := xg[ch*g.H*g.W : (ch+1)*g.H*g.W]
		clear(dst[:g.PadT*ig.wp])
		for ih := 0; ih < g.H; ih++ {
			row := dst[(g.PadT+ih)*ig.wp : (g.PadT+ih+1)*ig.wp]
			clear(row[:g.PadL])
			copy(row[g.PadL:g.PadL+g.W], src[ih*g.W:(ih+1)*g.W])
			clear(row[g.PadL+g.W:])
		}
		clear(dst[(g.PadT+g.H)*ig.wp:])
	}
	clear(xp[g.C*plane:])
}

// gemmForwardImplicit is gemmForward for useImplicit convolutions: per
// image, the padded copy, then per tile of output rows one product into a
// wide scratch tile, whose rows are copied into the output (and the
// epilogue applied) while in cache.
func (c *convPlan) gemmForwardImplicit(x, w, bias, out []float32, ep *ops.Epilogue) {
	g := c.g
	k, m, p := g.ColRows(), c.oc, g.ColCols()
	ig := c.implicitGeom()
	loop, _ := itemLoop(c.n)
	rowsB := ops.SgemmRowsB
	if serialItems(c.n) {
		rowsB = ops.SgemmRowsBSerial // the images keep every thread busy (itemLoop)
	}
	loop(c.n, 1, func(lo, hi int) {
		xpBuf := ops.GetScratch(ig.size)
		defer ops.PutScratch(xpBuf)
		cwBuf := ops.GetScratch(m * ig.tileH * ig.wp)
		defer ops.PutScratch(cwBuf)
		xp := *xpBuf
		for n := lo; n < hi; n++ {
			c.pad(&ig, x[n*c.inGroup():(n+1)*c.inGroup()], xp)
			on := out[n*c.outGroup() : (n+1)*c.outGroup()]
			for oh0 := 0; oh0 < g.OH; oh0 += ig.tileH {
				oh1 := min(g.OH, oh0+ig.tileH)
				nw := (oh1 - oh0) * ig.wp
				cw := (*cwBuf)[:m*nw]
				beta := float32(0)
				if bias != nil { // start from the bias and accumulate, as gemmForward
					for i := 0; i < m; i++ {
						row := cw[i*nw : (i+1)*nw]
						for j := range row {
							row[j] = bias[i]
						}
					}
					beta = 1
				}
				rowsB(m, nw, k, 1, w, k, xp[oh0*ig.wp:], ig.rows, beta, cw, nw)
				for i := 0; i < m; i++ {
					orow := on[i*p+oh0*g.OW : i*p+oh1*g.OW]
					for oh := 0; oh < oh1-oh0; oh++ {
						copy(orow[oh*g.OW:(oh+1)*g.OW], cw[i*nw+oh*ig.wp:])
					}
					if ep != nil {
						ep.Apply(orow, i)
					}
				}
			}
		}
	})
}
