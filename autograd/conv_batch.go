package autograd

import "github.com/seed477ab429/multilabel/ops"

// Small images: side by side.
//
// Late stages see few output pixels per image (ResNet-50's last at 224 px:
// 7x7 = 49; EfficientNetV2-S's at 96 px: 3x3 = 9), and a product with N =
// 49 fills its 32-wide micro-tiles badly (32 + 16 + 1 columns) while
// reading all of the layer's weights for a few columns; at 1 thread
// 512x4608x49 ran at 126 GFLOPS against 161 for 49 x 8 columns. So where a
// whole image is one column tile, the products take the columns of several
// consecutive images as one matrix:
//
//	col = [col(x_n0) | col(x_n0+1) | ...]     [k, nb·p], rows nb·p apart
//	Y   = w · col                             [m, nb·p], copied out per image
//	∂L/∂col = wᵀ · [G_n0 | G_n0+1 | ...]      col2im per image
//	∂L/∂w  += [G_n0 | G_n0+1 | ...] · colᵀ    K = nb·p
//
// In the first two every output element is still the dot product of the
// same row and column in the same K blocks (the GEMM's K blocking depends
// on k only): the same bits as one image at a time. The weight gradient
// sums over the block's pixels in one product instead of one per image:
// a different order, fixed by the shapes (gemmBackwardBatched).

// batchImages is how many images the products take side by side: enough
// for about convBatchCols columns, within convBatchFloats of column matrix;
// 1 (one image at a time) for grouped convolutions, images split into
// tiles, and products with a single row or column, which the GEMM's thin
// path sums differently.
func (c *convPlan) batchImages() int {
	p, k := c.g.ColCols(), c.g.ColRows()
	if c.groups != 1 || c.depthwise || c.oc < 2 || p < 2 || c.tile() < p {
		return 1
	}
	return max(1, min(c.n, convBatchCols/p, convBatchFloats/(k*p)))
}

// convBatchCols and convBatchFloats bound batchImages (tests set them to
// run both paths). 256 columns: 512x4608 ran at 151 GFLOPS with 196
// columns and 161 with 392 at 1 thread (Zen 5), against 126 with 49.
var convBatchCols, convBatchFloats = 256, 1 << 20

// imageBlocks splits the batch into blocks of at most ib consecutive
// images, as even as they come: block i is images [i*n/nb, (i+1)*n/nb).
func (c *convPlan) imageBlocks(ib int) (nb int, block func(i int) (n0, n1 int)) {
	nb = (c.n + ib - 1) / ib
	return nb, func(i int) (int, int) { return i * c.n / nb, (i + 1) * c.n / nb }
}

// colInto writes the column matrix of image xg into the first p columns of
// dst, whose rows are ld apart.
func (c *convPlan) colInto(xg, dst []float32, ld int) {
	p := c.g.ColCols()
	if !c.direct {
		ops.Im2colTileLD(c.g, xg, 0, p, dst, ld)
		return
	}
	for r := 0; r < c.g.C; r++ {
		copy(dst[r*ld:r*ld+p], xg[r*p:(r+1)*p])
	}
}

// gemmForwardBatched is gemmForward for blocks of up to ib images side by
// side (see "Small images" above); blocks are spread over the pool.
func (c *convPlan) gemmForwardBatched(x, w, bias, out []float32, ep *ops.Epilogue, ib int) {
	k, m, p := c.g.ColRows(), c.oc, c.g.ColCols()
	nb, block := c.imageBlocks(ib)
	loop, sgemm := itemLoop(nb)
	loop(nb, 1, func(lo, hi int) {
		buf := ops.GetScratch((k + m) * ib * p)
		defer ops.PutScratch(buf)
		for bi := lo; bi < hi; bi++ {
			n0, n1 := block(bi)
			ld := (n1 - n0) * p
			col, y := (*buf)[:k*ld], (*buf)[k*ld:(k+m)*ld]
			for n := n0; n < n1; n++ {
				c.colInto(x[n*c.inGroup():(n+1)*c.inGroup()], col[(n-n0)*p:], ld)
			}
			beta := float32(0)
			if bias != nil {
				for i := 0; i < m; i++ {
					row := y[i*ld : (i+1)*ld]
					for j := range row {
						row[j] = bias[i]
					}
				}
				beta = 1
			}
			sgemm(false, false, m, ld, k, 1, w, k, col, ld, beta, y, ld)
			for i := 0; i < m; i++ {
				if ep != nil {
					ep.Apply(y[i*ld:(i+1)*ld], i)
				}
				for n := n0; n < n1; n++ {
					copy(out[n*c.outGroup()+i*p:n*c.outGroup()+(i+1)*p], y[i*ld+(n-n0)*p:])
				}
			}
		}
	})
}

// gemmBackwardBatched is gemmBackward for blocks of up to ib images side
// by side (see "Small images" above). The blocks lie within the chunks of
// the weight gradient (chunks), and each block is one product per
// gradient, with the block's G gathered into one matrix:
//
//	∂L/∂w += [G_n0 | G_n0+1 | ...] · [col_n0 | col_n0+1 | ...]ᵀ    (K = the block's pixels)
//	∂L/∂col = wᵀ · [G_n0 | G_n0+1 | ...]                          col2im per image
//
// The weight gradient's K is then the block's pixels, cut into the GEMM's
// equal K blocks of at most 256 (a fixed order: the same bits on every
// machine and thread count, but not those of one product per image). On
// the direct path ∂L/∂x is the second product itself; accumulating, the
// block's current ∂L/∂x is gathered first and the product adds onto it
// with β = 1, as the per-image product does.
func (c *convPlan) gemmBackwardBatched(ar *Arena, x, w, gout, gx, gw []float32, gxWrite bool, ib int) {
	k, m, p := c.g.ColRows(), c.oc, c.g.ColCols()
	nc := c.chunks()
	partials := newPartials(ar, gw, nc)
	var wt []float32
	if gx != nil {
		wtBuf := c.weightsT(ar, w)
		defer wtBuf.release()
		wt = wtBuf.b
	}
	wT := gw != nil && dwTransposed(m, k, c.n/nc*p)
	// Scratch per block: G side by side, and the column matrix (for ∂L/∂w)
	// and its gradient (for ∂L/∂x) only where those are wanted (a frozen
	// layer needs no column matrix).
	kCol, kDcol := 0, 0
	if gw != nil {
		kCol = k
	}
	if gx != nil {
		kDcol = k
	}
	loop, sgemm := itemLoop(nc)
	loop(nc, 1, func(lo, hi int) {
		buf := ops.GetScratch((m + kCol + kDcol) * ib * p)
		defer ops.PutScratch(buf)
		var dwtBuf *[]float32
		if wT {
			dwtBuf = ops.GetScratch(len(gw))
			defer ops.PutScratch(dwtBuf)
		}
		for ch := lo; ch < hi; ch++ {
			dw, dwt := c.chunkGrad(ch, gw, partials, dwtBuf)
			c0, c1 := ch*c.n/nc, (ch+1)*c.n/nc
			nb := (c1 - c0 + ib - 1) / ib
			for bi := range nb {
				n0, n1 := c0+bi*(c1-c0)/nb, c0+(bi+1)*(c1-c0)/nb
				ld := (n1 - n0) * p
				gblk, col, dcol := (*buf)[:m*ld], (*buf)[m*ld:(m+kCol)*ld], (*buf)[(m+kCol)*ld:(m+kCol+kDcol)*ld]
				for n := n0; n < n1; n++ {
					gn := gout[n*c.outGroup() : (n+1)*c.outGroup()]
					for i := 0; i < m; i++ {
						copy(gblk[i*ld+(n-n0)*p:i*ld+(n-n0+1)*p], gn[i*p:(i+1)*p])
					}
				}
				if dw != nil {
					for n := n0; n < n1; n++ {
						c.colInto(x[n*c.inGroup():(n+1)*c.inGroup()], col[(n-n0)*p:], ld)
					}
					if dwt != nil { // (∂L/∂w)ᵀ += col · Gᵀ
						sgemm(false, true, k, m, ld, 1, col, ld, gblk, ld, 1, dwt, m)
					} else { // ∂L/∂w += G · colᵀ
						sgemm(false, true, m, k, ld, 1, gblk, ld, col, ld, 1, dw, k)
					}
				}
				if gx == nil {
					continue
				}
				beta := float32(0)
				if c.direct && !gxWrite {
					for n := n0; n < n1; n++ {
						gxn := gx[n*c.inGroup() : (n+1)*c.inGroup()]
						for r := 0; r < k; r++ {
							copy(dcol[r*ld+(n-n0)*p:r*ld+(n-n0+1)*p], gxn[r*p:(r+1)*p])
						}
					}
					beta = 1
				}
				sgemm(false, false, k, ld, m, 1, wt, m, gblk, ld, beta, dcol, ld)
				for n := n0; n < n1; n++ {
					gxn := gx[n*c.inGroup() : (n+1)*c.inGroup()]
					if c.direct {
						for r := 0; r < k; r++ {
							copy(gxn[r*p:(r+1)*p], dcol[r*ld+(n-n0)*p:])
						}
						continue
					}
					if gxWrite {
						clear(gxn)
					}
					ops.Col2imTileLD(c.g, dcol[(n-n0)*p:], ld, 0, p, gxn)
				}
			}
			if dwt != nil {
				c.transposeGroups(dw, dwt, k, m)
			}
		}
	})
	combinePartials(gw, partials)
}
