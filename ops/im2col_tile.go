package ops

import "fmt"

// Tiled im2col: the column matrix of one image is C*KH*KW x OH*OW, which
// for a large image is far bigger than the product needs at once (224x224
// with 24 input channels and a 3x3 kernel: 216 x 50176 floats, 43 MB).
// A convolution can instead run over column tiles [p0, p0+np) of output
// pixels (in row-major (oh, ow) order):
//
//	out[:, p0:p0+np]  = w · col[:, p0:p0+np]
//	∂L/∂w            += G[:, p0:p0+np] · col[:, p0:p0+np]ᵀ
//	∂L/∂x            += col2im(wᵀ · G[:, p0:p0+np])   (that tile's columns)
//
// so the scratch memory is C*KH*KW x np, which ConvTileCols keeps near the
// size of L2 (the tile is written once and read right away by the GEMM's
// packing, so it never leaves the cache).

// ConvTileCols returns the number of output pixels per column tile for a
// column matrix of rows x cols: all of them when rows*cols floats fit in
// the budget, else the columns split into near-equal tiles that fit, a
// multiple of 32 wide (the widest GEMM micro-tile) and at least 128 so the
// GEMM keeps a good shape (very deep columns may then exceed the budget).
func ConvTileCols(rows, cols int) int {
	const budget = 1 << 18 // floats: 1 MiB, about L2
	if rows*cols <= budget {
		return cols
	}
	most := max(128, budget/rows&^31) // widest tile that fits
	tiles := (cols + most - 1) / most
	return min(cols, roundUp((cols+tiles-1)/tiles, 32))
}

func (g ConvGeom) checkTile(op string, x, col []float32, p0, np, ld int) {
	if g.StrideH < 1 || g.StrideW < 1 || g.DilH < 1 || g.DilW < 1 {
		panic(fmt.Sprintf("ops.%s: stride and dilation must be >= 1 in %+v", op, g))
	}
	if p0 < 0 || np < 0 || p0+np > g.ColCols() {
		panic(fmt.Sprintf("ops.%s: columns [%d, %d) outside the %d output pixels of %+v", op, p0, p0+np, g.ColCols(), g))
	}
	if ld < np {
		panic(fmt.Sprintf("ops.%s: row stride %d < %d columns", op, ld, np))
	}
	if need := (g.ColRows()-1)*ld + np; len(x) < g.C*g.H*g.W || len(col) < need {
		panic(fmt.Sprintf("ops.%s: x has %d elements (needs %d), col has %d (needs %d) for %d columns with row stride %d of %+v",
			op, len(x), g.C*g.H*g.W, len(col), need, np, ld, g))
	}
}

// Im2colTile fills col [C*KH*KW, np] with columns p0 ... p0+np-1 of the
// column matrix of x [C,H,W] (see the formula in im2col.go):
//
//	col[r, j] = im2col(x)[r, p0+j]
//
// Every element of col[:, :np] is written. Im2colTile(g, x, 0, OH*OW, col)
// fills the whole column matrix, as Im2colRef does.
func Im2colTile(g ConvGeom, x []float32, p0, np int, col []float32) {
	Im2colTileLD(g, x, p0, np, col, np)
}

// Im2colTileLD is Im2colTile into the first np columns of a matrix whose
// rows are ld >= np floats apart: col[r*ld + j] = im2col(x)[r, p0+j]. The
// columns of several images then sit side by side in one matrix (the
// convolution's small-image path), each written by the same copies as
// Im2colTile's. Elements j >= np of a row are not touched.
func Im2colTileLD(g ConvGeom, x []float32, p0, np int, col []float32, ld int) {
	g.checkTile("Im2colTileLD", x, col, p0, np, ld)
	hw := g.H * g.W
	flat := g.StrideH == 1 && g.StrideW == 1 && g.DilH == 1 && g.DilW == 1 && g.OW == g.W
	r := 0
	for c := 0; c < g.C; c++ {
		plane := x[c*hw : (c+1)*hw]
		for kh := 0; kh < g.KH; kh++ {
			for kw := 0; kw < g.KW; kw++ {
				row := col[r*ld : r*ld+np]
				r++
				if flat {
					im2colRowFlat(g, plane, row, p0, kh, kw)
					continue
				}
				offW := kw*g.DilW - g.PadL
				lo, hi := validOut(g.W, g.OW, g.StrideW, offW)
				// One output row (oh) at a time: columns [ow0, ow1) of it
				// land at row[j : j+ow1-ow0].
				for p, j := p0, 0; j < np; {
					oh, ow0 := p/g.OW, p%g.OW
					ow1 := min(g.OW, ow0+np-j)
					dst := row[j : j+ow1-ow0]
					p, j = p+ow1-ow0, j+ow1-ow0
					ih := oh*g.StrideH - g.PadT + kh*g.DilH
					if ih < 0 || ih >= g.H {
						clear(dst)
						continue
					}
					src := plane[ih*g.W : (ih+1)*g.W]
					a, b := max(lo, ow0), min(hi, ow1) // valid part, may be empty
					if a >= b {
						clear(dst)
						continue
					}
					clear(dst[:a-ow0])
					if g.StrideW == 1 {
						copy(dst[a-ow0:b-ow0], src[a+offW:b+offW])
					} else {
						gatherStrided(dst[a-ow0:b-ow0], src[a*g.StrideW+offW:], g.StrideW)
					}
					clear(dst[b-ow0:])
				}
			}
		}
	}
}

// flatRun is what im2colRowFlat and col2imRowFlat share for tap (kh, kw)
// and the np pixels from p0: the tap's column offset offW, the shift from
// a pixel to the plane element it reads, and the pixels [ja, jb) (row
// indices) whose output rows read an input row inside the plane.
func (g ConvGeom) flatRun(np, p0, kh, kw int) (offW, shift, ja, jb int) {
	offW = kw - g.PadL
	shift = (kh-g.PadT)*g.W + offW
	// Output rows oh in [ohLo, ohHi) read input row oh+kh-PadT inside [0, H).
	ohLo, ohHi := max(0, g.PadT-kh), min(g.OH, g.H+g.PadT-kh)
	ja = min(max(ohLo*g.W-p0, 0), np)
	jb = min(max(ohHi*g.W-p0, ja), np)
	return offW, shift, ja, jb
}

// im2colRowFlat fills the column-matrix row of tap (kh, kw) for pixels
// p0 ... p0+len(row)-1 of a stride-1, undilated convolution whose output
// rows are as wide as its input rows (OW == W: "same" padding along W).
// Then pixel p = oh·W + ow reads plane[p + shift], shift = (kh-PadT)·W +
// kw-PadL, wherever (ih, iw) is inside the plane: the valid output rows
// are one run of the plane, copied at once, and only the taps that fall
// in the left or right padding (which that run reads from the next or
// previous row) are zeroed after, a few per output row. The general loop
// made two calls per output row, which for 14x14 and 7x7 maps cost more
// than the copying (ResNet-50's 7x7 stage: 0.67 floats/ns).
func im2colRowFlat(g ConvGeom, plane, row []float32, p0, kh, kw int) {
	w := g.W
	offW, shift, ja, jb := g.flatRun(len(row), p0, kh, kw)
	clear(row[:ja])
	clear(row[jb:])
	if ja == jb {
		return
	}
	// The run, clipped to the plane: what is clipped off is padding.
	d0, s0, s1 := ja, p0+ja+shift, p0+jb+shift
	if s0 < 0 {
		d0, s0 = d0-s0, 0
	}
	s1 = min(s1, len(plane))
	if s0 < s1 {
		copy(row[d0:d0+s1-s0], plane[s0:s1])
	}
	lo, hi := validOut(w, g.OW, 1, offW) // output columns that read inside the row
	if lo == 0 && hi == w {
		return // no tap in the padding (then nothing was clipped either)
	}
	// Zero the taps of output columns ow < lo (left padding) and ow >= hi
	// (right) in every output row of [ja, jb): per such column, one walk
	// down the rows, w apart (a 3x3 kernel has one such column per tap
	// row; the loop over every output row and column it replaces was most
	// of the copy's time on 14x14 and 7x7 maps).
	r := (p0 + ja) % w // output column of pixel ja
	row = row[:jb]
	for ow := 0; ow < w; ow++ {
		if ow == lo {
			ow = hi // skip the columns that read inside the row
			if ow >= w {
				break
			}
		}
		for j := ja + (ow-r+w)%w; j < len(row); j += w {
			row[j] = 0
		}
	}
}

// gatherStrided sets d[i] = s[i*stride] for every i (s long enough), four
// at a time with the bounds checked once per four: the strided convolutions'
// im2col runs, where an element-at-a-time loop with two index computations
// and two bounds checks per element took 40% of Im2colTile's time in the
// example's training step.
func gatherStrided(d, s []float32, stride int) {
	if len(d) == 0 {
		return
	}
	s = s[:(len(d)-1)*stride+1]
	i, k := 0, 0
	if stride == 2 && gatherStride2 != nil && len(d) > 16 {
		// 16 at a time in AVX-512, which reads s[:2n]: n < len(d) keeps
		// that inside s.
		n := (len(d) - 1) &^ 15
		gatherStride2(d[:n], s[:2*n])
		i, k = n, 2*n
	}
	if stride == 2 { // constant offsets: no bounds check inside the four
		for ; i+4 <= len(d); i, k = i+4, k+8 {
			q := s[k : k+7 : k+7]
			dd := d[i : i+4 : i+4]
			dd[0], dd[1], dd[2], dd[3] = q[0], q[2], q[4], q[6]
		}
	}
	for ; i+4 <= len(d); i, k = i+4, k+4*stride {
		q := s[k : k+3*stride+1]
		dd := d[i : i+4 : i+4]
		dd[0], dd[1], dd[2], dd[3] = q[0], q[stride], q[2*stride], q[3*stride]
	}
	for ; i < len(d); i, k = i+1, k+stride {
		d[i] = s[k]
	}
}

// scatterAddStrided adds s[i] onto d[i*stride] for every i (d long
// enough), four at a time as gatherStrided: Col2imTile's strided runs.
// Each element of d gets one addition, so the order of the sums is
// Col2imTile's.
func scatterAddStrided(d, s []float32, stride int) {
	if len(s) == 0 {
		return
	}
	d = d[:(len(s)-1)*stride+1]
	i, k := 0, 0
	if stride == 2 {
		for ; i+4 <= len(s); i, k = i+4, k+8 {
			q := d[k : k+7 : k+7]
			ss := s[i : i+4 : i+4]
			q[0] += ss[0]
			q[2] += ss[1]
			q[4] += ss[2]
			q[6] += ss[3]
		}
	}
	for ; i < len(s); i, k = i+1, k+stride {
		d[k] += s[i]
	}
}

// col2imVecMin: runs of at least this many pixels are added by the vector
// kernel (Add's); shorter ones by a loop, cheaper than the call.
const col2imVecMin = 16

// Col2imTile adds col [C*KH*KW, np], columns p0 ... p0+np-1 of a column
// matrix, back onto dx [C,H,W] (the transpose of Im2colTile):
//
//	dx[c, ih, iw] += col[(c*KH+kh)*KW+kw, j]   for the pixel p0+j and every tap that read (ih, iw)
func Col2imTile(g ConvGeom, col []float32, p0, np int, dx []float32) {
	Col2imTileLD(g, col, np, p0, np, dx)
}

// Col2imTileLD is Col2imTile reading the first np columns of a matrix whose
// rows are ld >= np floats apart (the transpose of Im2colTileLD), with the
// same additions in the same order.
func Col2imTileLD(g ConvGeom, col []float32, ld, p0, np int, dx []float32) {
	g.checkTile("Col2imTileLD", dx, col, p0, np, ld)
	hw := g.H * g.W
	flat := col2imFlat && g.StrideH == 1 && g.StrideW == 1 && g.DilH == 1 && g.DilW == 1 && g.OW == g.W
	r := 0
	for c := 0; c < g.C; c++ {
		plane := dx[c*hw : (c+1)*hw]
		for kh := 0; kh < g.KH; kh++ {
			for kw := 0; kw < g.KW; kw++ {
				row := col[r*ld : r*ld+np]
				r++
				if flat {
					col2imRowFlat(g, row, plane, p0, kh, kw)
					continue
				}
				offW := kw*g.DilW - g.PadL
				lo, hi := validOut(g.W, g.OW, g.StrideW, offW)
				for p, j := p0, 0; j < np; {
					oh, ow0 := p/g.OW, p%g.OW
					ow1 := min(g.OW, ow0+np-j)
					src := row[j : j+ow1-ow0]
					p, j = p+ow1-ow0, j+ow1-ow0
					ih := oh*g.StrideH - g.PadT + kh*g.DilH
					a, b := max(lo, ow0), min(hi, ow1)
					if ih < 0 || ih >= g.H || a >= b {
						continue
					}
					dst := plane[ih*g.W : (ih+1)*g.W]
					if g.StrideW == 1 {
						d := dst[a+offW : b+offW]
						if b-a >= col2imVecMin { // d += src, eight lanes at a time: the same sums
							activeVec.add(d, d, src[a-ow0:b-ow0])
							continue
						}
						for i, v := range src[a-ow0 : b-ow0] {
							d[i] += v
						}
					} else {
						scatterAddStrided(dst[a*g.StrideW+offW:], src[a-ow0:b-ow0], g.StrideW)
					}
				}
			}
		}
	}
}

// col2imFlat turns col2imRowFlat on; tests turn it off to compare.
var col2imFlat = true

// col2imRowFlat adds the column-matrix row of tap (kh, kw), pixels p0 ...
// p0+len(row)-1, back onto plane, for the geometries of im2colRowFlat:
// pixel p's value goes to plane[p + shift] where the tap reads inside the
// plane. Each output row's valid run is added at once (no division per
// row, as the general loop does), and a tap with no horizontal padding
// adds all its valid rows as one run. Every element gets the same single
// addition as in the general loop, so the sums are the same bits.
func col2imRowFlat(g ConvGeom, row, plane []float32, p0, kh, kw int) {
	w := g.W
	offW, shift, ja, jb := g.flatRun(len(row), p0, kh, kw)
	if ja == jb {
		return
	}
	lo, hi := validOut(w, g.OW, 1, offW)
	add := func(d, s []float32) {
		if len(s) >= col2imVecMin {
			activeVec.add(d, d, s)
			return
		}
		d = d[:len(s)]
		for i, v := range s {
			d[i] += v
		}
	}
	if lo == 0 && hi == w { // every valid row whole: one run
		add(plane[p0+ja+shift:p0+jb+shift], row[ja:jb])
		return
	}
	if lo >= hi {
		return
	}
	for oh := (p0 + ja) / w; oh*w < p0+jb; oh++ {
		base := oh*w - p0 // row index of (oh, 0)
		a, b := max(base+lo, ja), min(base+hi, jb)
		if a < b {
			add(plane[p0+a+shift:p0+b+shift], row[a:b])
		}
	}
}
