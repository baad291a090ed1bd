package autograd

import "github.com/seed477ab429/multilabel/ops"

// 3x3 stride-1 convolutions by Winograd's minimal filtering
// (ops/winograd.go, ops/winograd4.go have the math): F(2x2, 3x3) runs 16
// products of [O, C] x [C, T] over the 2x2 tiles T of a chunk of images
// instead of one [O, 9C] x [9C, OH·OW] per image, 2.25 times fewer
// multiply-adds; F(4x4, 3x3) 36 products over the 4x4 tiles, 4 times fewer;
// both plus transforms that cost O(C + O) per tile. winogradTile picks one
// per layer from the image's geometry.
//
// The forward, and the input gradient: for stride 1, ∂L/∂x is the
// convolution of ∂L/∂out, zero-padded by 2 − PadT on top (2 − PadL on the
// left, alike at the bottom and right), with the kernels flipped in both
// axes and their channels swapped (w'[c, o, a, b] = w[o, c, 2−a, 2−b]),
// which is again a 3x3 stride-1 convolution, C channels out of O. The
// weight gradient by the forward's adjoint (winogradDW: 16 or 36 products
// over the tiles instead of im2col's 9C-deep one per image). The paths
// agree to the float32 rounding, as any two algorithms do (F(4x4)'s
// coarser: its transformed values weigh inputs by up to 25; 64 channels at
// 28x28 against the float64 definition, rms relative error of the output
// 1.8e-6 against F(2x2)'s 2.7e-7 and the direct product's 2.5e-7, of the
// weight gradient 2.0e-6 against im2col's 2.5e-7).
//
// Only where the channels make the products the larger part
// (winogradMinChannels): with few channels the transforms and the
// smaller products cost more than they save. Not in bf16 (the transformed
// values are sums of up to 16 or 36 inputs; rounded to 8 bits they would
// lose more than the products gain), and not with groups.
//
// Per chunk of images (as many as keep V and M within winogradChunkFloats),
// with mt = 2 or 4 the tile side and nx = (mt+2)² the products:
//
//	xp  = each input plane zero-padded to (mt·TH+2) x (mt·TW+2)   (TH, TW: tiles per column, row)
//	V_ξ = input transforms, [C, T] for the nx ξ, one channel per work item
//	M_ξ = U_ξ · V_ξ, the nx products (in column blocks) one per work item
//	out = output transforms into a wide mt·TH-row buffer, one (image,
//	      channel) per work item, whose rows are copied into the output
//	      with the bias and the epilogue while in cache

// useWinograd reports whether gemmForward runs the Winograd product.
func (c *convPlan) useWinograd() bool {
	g := c.g
	return convWinograd && !c.direct && c.groups == 1 && g.KH == 3 && g.KW == 3 &&
		g.StrideH == 1 && g.StrideW == 1 && g.DilH == 1 && g.DilW == 1 &&
		g.C >= winogradMinChannels && c.oc >= winogradMinChannels &&
		ops.MatmulPrecision() == ops.Float32
}

// useWinogradDX reports whether gemmBackward computes ∂L/∂x with the
// Winograd product: as useWinograd, with the padding within the kernel's
// reach on every side (the transposed convolution's padding 2 − p ≥ 0).
func (c *convPlan) useWinogradDX() bool {
	g := c.g
	padB, padR := g.OH-g.H-g.PadT+2, g.OW-g.W-g.PadL+2
	return c.useWinograd() && g.PadT <= 2 && g.PadL <= 2 && padB >= 0 && padB <= 2 && padR >= 0 && padR <= 2
}

// winogradDX sets gx (write) or adds to it ∂L/∂x from gout = ∂L/∂out, by
// the Winograd forward of the transposed convolution (the file comment).
func (c *convPlan) winogradDX(ar *Arena, w, gout, gx []float32, write bool) {
	g := c.g
	O, C := c.oc, g.C
	t := &convPlan{n: c.n, groups: 1, oc: C, g: ops.ConvGeom{C: O, H: g.OH, W: g.OW, KH: 3, KW: 3,
		StrideH: 1, StrideW: 1, PadT: 2 - g.PadT, PadL: 2 - g.PadL, DilH: 1, DilW: 1, OH: g.H, OW: g.W}}
	wf := getTemp(ar, O*C*9)
	defer wf.release()
	ops.Parallel(C, 8, func(lo, hi int) {
		for ci := lo; ci < hi; ci++ {
			for o := 0; o < O; o++ {
				src, dst := w[(o*C+ci)*9:(o*C+ci)*9+9], wf.b[(ci*O+o)*9:(ci*O+o)*9+9]
				for i := range 9 {
					dst[i] = src[8-i]
				}
			}
		}
	})
	if write {
		t.gemmForwardWinograd(gout, wf.b, nil, gx, nil)
		return
	}
	tmp := getTemp(ar, len(gx))
	defer tmp.release()
	t.gemmForwardWinograd(gout, wf.b, nil, tmp.b, nil)
	ops.Parallel(len(gx), 1<<14, func(lo, hi int) { ops.Add(gx[lo:hi], gx[lo:hi], tmp.b[lo:hi]) })
}

// convWinograd switches the Winograd forward on (tests run both paths).
var convWinograd = true

// winogradMinChannels: the fewest input and output channels for the
// Winograd forward. Tests lower it to run small convolutions through it.
var winogradMinChannels = 64

// winogradMinCols: the fewest tiles in a column block of a product.
const winogradMinCols = 192

// winogradChunkFloats bounds V and M of one chunk of images (8 MiB each).
var winogradChunkFloats = 1 << 21

// winogradSpread is the distance in floats between consecutive transformed
// matrices of n floats each: n rounded up to 4 KiB, plus 64 bytes.
func winogradSpread(n int) int { return (n+1023)&^1023 + 16 }

// winogradGeom is one image's tiling.
type winogradGeom struct {
	mt     int // output tile side: 2 for F(2x2, 3x3), 4 for F(4x4, 3x3)
	nx     int // transformed values per tile, (mt+2)²: the products
	th, tw int // tiles per column, per row
	ldx    int // padded plane: mt·th+2 rows of ldx = mt·tw+2 floats
	plane  int
	t      int // tiles per image
	ldy    int // row stride of the wide output buffer: whole groups of 8 tiles
}

// winogradTile picks F(4x4, 3x3) or F(2x2, 3x3) for an oh x ow output,
// from the image's geometry alone (never the batch, so an image's result
// does not depend on the batch it is in). F(4x4) needs 36 multiply-adds per
// 4x4 tile against F(2x2)'s 16 per 2x2, but its transforms take 8 tiles of
// a tile row at a time (whole groups: a row of 4 tiles wastes half the
// lanes) and its weight transform writes 36 matrices instead of 16. It
// runs where a row has at least 6 tiles and an image at least 36, and its
// products are the fewer. Measured on Zen 3 (BenchmarkConvWinogradTrain,
// batch 8, forward and backward, two runs): 64 channels at 56x56 35-41 ms
// against 50-51, 128 at 28x28 36-39 against 37-43; 256 at 14x14 32-33
// against 29-30, 512 at 7x7 52-55 against 37-42 (4 and 2 tiles a row:
// F(2x2) there).
func winogradTile(oh, ow int) int {
	if winogradForceTile != 0 {
		return winogradForceTile
	}
	th4, tw4 := (oh+3)/4, (ow+3)/4
	f4 := 36 * th4 * tw4
	f2 := 16 * ((oh + 1) / 2) * ((ow + 1) / 2)
	if tw4 >= 6 && th4*tw4 >= 36 && f4 < f2 {
		return 4
	}
	return 2
}

// winogradForceTile, when not 0, is the tile side every Winograd
// convolution uses (tests run both algorithms on every shape).
var winogradForceTile = 0

func (c *convPlan) winogradGeom() winogradGeom {
	g := c.g
	mt := winogradTile(g.OH, g.OW)
	wg := winogradGeom{mt: mt, nx: (mt + 2) * (mt + 2), th: (g.OH + mt - 1) / mt, tw: (g.OW + mt - 1) / mt}
	wg.ldx = mt*wg.tw + 2
	wg.plane = (mt*wg.th + 2) * wg.ldx
	wg.t = wg.th * wg.tw
	wg.ldy = mt * ((wg.tw + 7) &^ 7)
	return wg
}

// gemmForwardWinograd is gemmForward for useWinograd convolutions.
func (c *convPlan) gemmForwardWinograd(x, w, bias, out []float32, ep *ops.Epilogue) {
	g := c.g
	C, O := g.C, c.oc
	wg := c.winogradGeom()
	us := ops.WinogradWeightsStride(O, C)
	nx, mt := wg.nx, wg.mt
	weights, input, output := ops.WinogradWeights, ops.WinogradInput, ops.WinogradOutput
	if mt == 4 {
		weights, input, output = ops.WinogradWeights4, ops.WinogradInput4, ops.WinogradOutput4
	}
	u := ops.GetScratch(nx * us)
	defer ops.PutScratch(u)
	weights(*u, w, O, C)

	cb := c.winogradChunk(wg)
	defer cb.release()
	nb, ldv, vs, ms, xp, v, m := cb.nb, cb.ldv, cb.vs, cb.ms, cb.xp, cb.v, cb.m
	for n0 := 0; n0 < c.n; n0 += nb {
		n1 := min(c.n, n0+nb)
		nT := (n1 - n0) * wg.t
		c.winogradInputs(x, n0, n1, wg, *xp, *v, ldv, vs, input)
		// M_ξ = U_ξ · V_ξ, each cut into column blocks of at least
		// winogradMinCols tiles, so that the threads finish together (a
		// column block's elements have the bits of the whole product's).
		pieces := max(1, min(8, nT/winogradMinCols))
		items := nx * pieces
		loop, sgemm := itemLoop(items)
		if serialItems(items) {
			loop = func(n, grain int, fn func(lo, hi int)) { ops.ParallelN(n, grain, n, fn) }
		}
		loop(items, 1, func(lo, hi int) {
			for it := lo; it < hi; it++ {
				xi, p := it/pieces, it%pieces
				c0, c1 := p*nT/pieces, (p+1)*nT/pieces
				sgemm(false, false, O, c1-c0, C, 1, (*u)[xi*us:], C, (*v)[xi*vs+c0:], ldv, 0, (*m)[xi*ms+c0:], ldv)
			}
		})
		// Outputs: one (image, channel) per item.
		ops.ParallelN((n1-n0)*O, 1, (n1-n0)*O, func(lo, hi int) {
			yb := ops.GetScratch(mt * wg.th * wg.ldy)
			defer ops.PutScratch(yb)
			y := *yb
			for it := lo; it < hi; it++ {
				img, oc := it/O, it%O
				for r := 0; r < wg.th; r++ {
					output(y[mt*r*wg.ldy:], wg.ldy, (*m)[oc*ldv+img*wg.t+r*wg.tw:], ms, wg.tw)
				}
				dst := out[((n0+img)*O+oc)*g.OH*g.OW : ((n0+img)*O+oc+1)*g.OH*g.OW]
				for oh := 0; oh < g.OH; oh++ {
					copy(dst[oh*g.OW:(oh+1)*g.OW], y[oh*wg.ldy:])
				}
				if bias != nil {
					bv := bias[oc]
					for i := range dst {
						dst[i] += bv
					}
				}
				if ep != nil {
					ep.Apply(dst, oc)
				}
			}
		})
	}
}

// winogradInputs sets V for images [n0, n1) of x: each input plane
// zero-padded into xp, then the input transforms (input, of wg's tile
// side) into v, whose nx matrices lie vs floats apart with rows ldv
// apart, tile t of image n0+i at column i·wg.t + t.
func (c *convPlan) winogradInputs(x []float32, n0, n1 int, wg winogradGeom, xp, v []float32, ldv, vs int,
	input func(v []float32, vs int, x []float32, ldx, tw int)) {
	g, C, mt := c.g, c.g.C, wg.mt
	// Pad every plane of the chunk.
	ops.Parallel((n1-n0)*C, 4, func(lo, hi int) {
		for it := lo; it < hi; it++ {
			img, ch := it/C, it%C
			dst := xp[it*wg.plane : (it+1)*wg.plane]
			clear(dst)
			src := x[((n0+img)*C+ch)*g.H*g.W:]
			for ih := 0; ih < g.H; ih++ {
				r := ih + g.PadT
				if r >= mt*wg.th+2 {
					break
				}
				n := min(g.W, wg.ldx-g.PadL)
				copy(dst[r*wg.ldx+g.PadL:r*wg.ldx+g.PadL+n], src[ih*g.W:ih*g.W+n])
			}
		}
	})
	clear(xp[(n1-n0)*C*wg.plane : (n1-n0)*C*wg.plane+32])
	// V: one channel per item, its tile rows in order (each call may
	// write up to 7 tiles into the next row's, which that row's call
	// then overwrites).
	ops.ParallelN(C, 1, C, func(lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			for img := 0; img < n1-n0; img++ {
				pl := xp[(img*C+ch)*wg.plane:]
				for r := 0; r < wg.th; r++ {
					input(v[ch*ldv+img*wg.t+r*wg.tw:], vs, pl[mt*r*wg.ldx:], wg.ldx, wg.tw)
				}
			}
		}
	})
}

// useWinogradDW reports whether gemmBackward computes ∂L/∂w by the
// forward's adjoint (winogradDW): wherever the forward runs Winograd.
func (c *convPlan) useWinogradDW() bool {
	return convWinogradDW && c.useWinograd()
}

// convWinogradDW switches the Winograd weight gradient on (tests run both
// paths).
var convWinogradDW = true

// winogradDW adds ∂L/∂w to gw from x and gout = ∂L/∂out by the adjoint of
// the forward's F(2x2, 3x3) or F(4x4, 3x3) (ops/winograd_grad.go,
// ops/winograd4_grad.go): per chunk of images (the forward's chunks, fixed
// by the geometry and the batch),
//
//	V_ξ    = the forward's input transforms of x, [C, T]
//	∂M_ξ   = A (∂L/∂out tile) Aᵀ, [O, T], one output channel per work item
//	∂U_ξ  += ∂M_ξ · V_ξᵀ, the 16 or 36 products one per work item
//
// and at the end gw += Gᵀ ∂U G per kernel. Each ∂U_ξ is summed by one
// product a chunk, over the chunk's tiles in the GEMM's fixed K blocks,
// the chunks in order: the same bits at any thread count.
func (c *convPlan) winogradDW(ar *Arena, x, gout, gw []float32) {
	g := c.g
	C, O := g.C, c.oc
	wg := c.winogradGeom()
	nx, mt := wg.nx, wg.mt
	cb := c.winogradChunk(wg) // the forward's chunks and layout; M holds ∂M
	defer cb.release()
	nb, ldv, vs, ms, xp, v, dm := cb.nb, cb.ldv, cb.vs, cb.ms, cb.xp, cb.v, cb.m
	us := ops.WinogradWeightsStride(O, C)
	du := getTemp(ar, nx*us)
	defer du.release()
	// ∂L/∂out's planes are read in place where whole groups of 8 tiles
	// cover them (the kernel's unit), else copied into a plane of whole
	// groups whose margins stay zero.
	input, outGrad, weightsGrad := ops.WinogradInput, ops.WinogradOutputGrad, ops.WinogradWeightsGrad
	ldy := mt * wg.tw // F(2x2)'s ∂M is plain Go, tile by tile
	if mt == 4 {
		input, outGrad, weightsGrad = ops.WinogradInput4, ops.WinogradOutputGrad4, ops.WinogradWeightsGrad4
		ldy = mt * ((wg.tw + 7) &^ 7)
	}
	inPlace := g.OH == mt*wg.th && g.OW == ldy
	for n0 := 0; n0 < c.n; n0 += nb {
		n1 := min(c.n, n0+nb)
		nT := (n1 - n0) * wg.t
		c.winogradInputs(x, n0, n1, wg, *xp, *v, ldv, vs, input)
		// ∂M: one output channel per item, its images and tile rows in
		// order (each call may write up to 7 tiles into the next row's,
		// which that row's call then overwrites; the last row's land in
		// ldv's slack).
		ops.ParallelN(O, 1, O, func(lo, hi int) {
			var pad []float32
			if !inPlace {
				buf := ops.GetScratch(mt * wg.th * ldy)
				defer ops.PutScratch(buf)
				pad = *buf
				clear(pad)
			}
			for oc := lo; oc < hi; oc++ {
				for img := 0; img < n1-n0; img++ {
					dy := gout[((n0+img)*O+oc)*g.OH*g.OW : ((n0+img)*O+oc+1)*g.OH*g.OW]
					if !inPlace {
						for oh := 0; oh < g.OH; oh++ {
							copy(pad[oh*ldy:oh*ldy+g.OW], dy[oh*g.OW:(oh+1)*g.OW])
						}
						dy = pad
					}
					for r := 0; r < wg.th; r++ {
						outGrad((*dm)[oc*ldv+img*wg.t+r*wg.tw:], ms, dy[mt*r*ldy:], ldy, wg.tw)
					}
				}
			}
		})
		beta := float32(1)
		if n0 == 0 {
			beta = 0
		}
		ops.ParallelN(nx, 1, nx, func(lo, hi int) {
			for xi := lo; xi < hi; xi++ {
				ops.SgemmSerial(false, true, O, C, nT, 1, (*dm)[xi*ms:], ldv, (*v)[xi*vs:], ldv, beta, du.b[xi*us:], C)
			}
		})
	}
	weightsGrad(gw, du.b, us, O, C)
}

// winogradChunk is the chunking and layout of a Winograd convolution's
// transformed matrices, which the forward and the weight gradient share:
// nb images a chunk (as many as keep V and M within winogradChunkFloats;
// fixed by the geometry and the batch, never the threads), rows of V and M
// ldv floats apart (room for the kernels' last group of 8 tiles), the nx
// matrices of V (of M) vs (ms) floats apart, and the scratch: padded input
// planes xp, V, M.
//
// vs and ms are C·ldv (O·ldv) rounded up to 4 KiB and 64 bytes more, so
// that the transforms' nx rows of a tile group fall in nx different sets
// of L1d (a distance that is a multiple of 4 KiB, as C·ldv·4 mostly is,
// puts them all in one set of 8 ways: the input transform of 128 channels
// at 28x28 took a quarter of the convolution's time, most of it missing
// L1).
type winogradChunk struct {
	nb, ldv, vs, ms int
	xp, v, m        *[]float32
}

func (c *convPlan) winogradChunk(wg winogradGeom) *winogradChunk {
	C, O := c.g.C, c.oc
	nb := max(1, min(c.n, winogradChunkFloats/(wg.nx*max(C, O)*wg.t+1)))
	ldv := nb*wg.t + 8
	cb := &winogradChunk{nb: nb, ldv: ldv, vs: winogradSpread(C * ldv), ms: winogradSpread(O * ldv)}
	cb.xp = ops.GetScratch(nb*C*wg.plane + 32)
	cb.v = ops.GetScratch(wg.nx * cb.vs)
	cb.m = ops.GetScratch(wg.nx * cb.ms)
	return cb
}

func (cb *winogradChunk) release() {
	ops.PutScratch(cb.xp)
	ops.PutScratch(cb.v)
	ops.PutScratch(cb.m)
}
