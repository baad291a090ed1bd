package ops

import "fmt"

// Fast depthwise convolution over whole NCHW tensors. The per-plane loops
// in depthwise.go test, per tap, which part of a row is padding; here each
// plane is first copied into a zero-padded buffer, after which every tap
// (kh, kw) is one fixed element offset and the work is a few calls of the
// two kernels of depthwise_kernels.go over whole planes (assembly on
// AVX-512 machines).
//
// Forward and weight gradient: the buffer holds x [H,W] with PadT zero rows
// above and, per row, the columns split by phase modulo the column stride
// SW (phase p holds iw = SW*q + p at index M+q, M = ceil(PadL/SW) zeros in
// front). Tap (kh, kw) reads iw = SW*ow + e with e = kw*DW - PadL; writing
// e = SW*qe + pe (0 <= pe < SW),
//
//	x[oh*SH - PadT + kh*DH, ow*SW + e] = buf[(oh*SH + kh*DH)*RS + pe*Wq + M + qe + ow]
//
// (RS = SW*Wq, one padded row), so stride 2 reads contiguous columns too:
//
//	out[oh, ow]  = b + Σ_t w[t] · buf[oh*SH*RS + off[t] + ow]         (taps)
//	∂L/∂w[t]    += Σ_{oh,ow} g[oh, ow] · buf[oh*SH*RS + off[t] + ow]   (dot)
//
// Input gradient: ∂L/∂x[ih, iw] = Σ w[kh,kw] · g[oh, ow] over the taps with
// oh*SH + kh*DH - PadT = ih and ow*SW + kw*DW - PadL = iw. Split x by phase,
// ih = SH*i + a and iw = SW*j + c: a tap contributes to phase (a, c) only
// when SH divides a + PadT - kh*DH (= SH*ra) and SW divides c + PadL - kw*DW
// (= SW*ca), and then
//
//	∂L/∂x[SH*i + a, SW*j + c] = Σ_{taps of (a,c)} w[kh,kw] · g[i + ra, j + ca]
//
// a stride-1 correlation of the zero-padded g with part of the kernel
// (taps again). For stride 1 there is one phase with every tap, written
// straight into ∂L/∂x; otherwise each phase goes to a small buffer and is
// added into ∂L/∂x at stride (SH, SW). Every product w·x or w·g is formed
// exactly once, as in the direct loops.

// dwPlan is the buffer layout and tap offsets for one geometry.
type dwPlan struct {
	g ConvGeom
	// x buffer: xRows rows of xRS = SW*xWq elements; xM zeros before each phase.
	xRows, xWq, xRS, xM int
	xOffs               []int // per tap t = kh*KW + kw
	// g buffer: gRows x gW, ∂L/∂out placed at (gTop, gLeft).
	gRows, gW, gTop, gLeft int
	phases                 []dwPhase
	tmpLen                 int // largest phase, for strides > 1
	// 3x3 kernels with stride 1 and row dilation 1 go through taps3x3:
	// column offsets of the forward (rows from buffer row 0) and of the
	// input gradient (rows from g-buffer row gRow0, kernel flipped).
	is3x3        bool
	xCols, gCols [3]int
	gRow0        int
}

// dwPhase is one (row, column) phase of the input gradient.
type dwPhase struct {
	a, c       int   // ih ≡ a (mod SH), iw ≡ c (mod SW)
	rows, cols int   // how many such ih and iw
	taps       []int // kernel taps t that reach it
	offs       []int // their offsets into the g buffer
}

func newDWPlan(g ConvGeom) *dwPlan {
	if g.StrideH < 1 || g.StrideW < 1 || g.DilH < 1 || g.DilW < 1 || g.PadT < 0 || g.PadL < 0 ||
		g.KH < 1 || g.KW < 1 || g.OH < 1 || g.OW < 1 || g.H < 1 || g.W < 1 {
		panic(fmt.Sprintf("ops.Depthwise: bad geometry %+v", g))
	}
	sh, sw := g.StrideH, g.StrideW
	p := &dwPlan{g: g}

	// x buffer.
	p.xM = (g.PadL + sw - 1) / sw
	maxQe := 0
	for kw := 0; kw < g.KW; kw++ {
		maxQe = max(maxQe, floorDiv(kw*g.DilW-g.PadL, sw))
	}
	p.xWq = max(p.xM+g.OW+maxQe, p.xM+(g.W+sw-1)/sw)
	p.xRS = sw * p.xWq
	p.xRows = max(g.PadT+g.H, (g.OH-1)*sh+(g.KH-1)*g.DilH+1)
	for kh := 0; kh < g.KH; kh++ {
		for kw := 0; kw < g.KW; kw++ {
			e := kw*g.DilW - g.PadL
			pe, qe := e-sw*floorDiv(e, sw), floorDiv(e, sw)
			p.xOffs = append(p.xOffs, kh*g.DilH*p.xRS+pe*p.xWq+p.xM+qe)
		}
	}

	// Input-gradient phases, then the g buffer that covers all their reads.
	minR, maxR, minC, maxC := 0, g.OH, 0, g.OW // g rows/cols read: [minR, maxR)
	for a := 0; a < min(sh, g.H); a++ {
		for c := 0; c < min(sw, g.W); c++ {
			ph := dwPhase{a: a, c: c, rows: (g.H - a + sh - 1) / sh, cols: (g.W - c + sw - 1) / sw}
			for kh := 0; kh < g.KH; kh++ {
				dr := a + g.PadT - kh*g.DilH
				if dr%sh != 0 {
					continue
				}
				for kw := 0; kw < g.KW; kw++ {
					dc := c + g.PadL - kw*g.DilW
					if dc%sw != 0 {
						continue
					}
					ra, ca := dr/sh, dc/sw
					minR, maxR = min(minR, ra), max(maxR, ra+ph.rows)
					minC, maxC = min(minC, ca), max(maxC, ca+ph.cols)
					ph.taps = append(ph.taps, kh*g.KW+kw)
					ph.offs = append(ph.offs, 0) // set below, once gTop and gLeft are known
				}
			}
			p.tmpLen = max(p.tmpLen, ph.rows*ph.cols)
			p.phases = append(p.phases, ph)
		}
	}
	p.gTop, p.gLeft = -minR, -minC
	p.gRows, p.gW = maxR-minR, maxC-minC
	for i := range p.phases {
		ph := &p.phases[i]
		for k, t := range ph.taps {
			kh, kw := t/g.KW, t%g.KW
			ra := (ph.a + g.PadT - kh*g.DilH) / sh
			ca := (ph.c + g.PadL - kw*g.DilW) / sw
			ph.offs[k] = (ra+p.gTop)*p.gW + ca + p.gLeft
		}
	}
	if g.KH == 3 && g.KW == 3 && sh == 1 && sw == 1 && g.DilH == 1 {
		p.is3x3 = true
		p.gRow0 = g.PadT - 2 + p.gTop // ra = PadT - kh, lowest for kh = 2
		for b := 0; b < 3; b++ {
			p.xCols[b] = p.xOffs[b]
			p.gCols[b] = g.PadL - b*g.DilW + p.gLeft
		}
	}
	return p
}

// taps runs k.taps, or k.taps3x3 on the whole blocks of 4 rows (when the
// plan is 3x3 and rows are wider than one vector) and k.taps on the rest.
// src3/cols/w9 describe the same taps as offs/w for taps3x3.
func (p *dwPlan) taps(k *dwKernels, dst []float32, ds, rows, n int, src []float32, ss int, offs []int, w []float32,
	src3 []float32, cols *[3]int, w9 *[9]float32, bias float32, acc int) {
	r4 := 0
	if p.is3x3 && n > 16 {
		r4 = rows &^ 3
		if r4 > 0 {
			k.taps3x3(dst, ds, r4, n, src3, ss, cols, w9, bias, acc)
		}
	}
	if r4 < rows {
		k.taps(dst[r4*ds:], ds, rows-r4, n, src[r4*ss:], ss, offs, w, bias, acc)
	}
}

// fillX copies plane x [H,W] into the zero-margined buffer (margins are
// never written, so they stay zero from the buffer's first clear).
func (p *dwPlan) fillX(k *dwKernels, buf, x []float32) {
	g := p.g
	sw := g.StrideW
	base := g.PadT*p.xRS + p.xM
	switch sw {
	case 1:
		k.copyRows(buf[base:], p.xRS, x, g.W, g.H, g.W)
	case 2:
		k.split2Rows(buf[base:], p.xRS, p.xWq, x, g.W, g.H, g.W)
	default:
		for ih := 0; ih < g.H; ih++ {
			row := buf[base+ih*p.xRS:]
			for iw, v := range x[ih*g.W : (ih+1)*g.W] {
				row[(iw%sw)*p.xWq+iw/sw] = v
			}
		}
	}
}

// phases2x2 is the stride-(2, 2) input gradient of one plane: the (up to)
// four phase planes computed into tmp (tmpLen apart, a phase with no taps
// zeroed), then each row of ∂L/∂x written or added from the rows of its two
// column phases by one merge2 call (interleaving), instead of adding
// element by element at stride 2.
func (p *dwPlan) phases2x2(k *dwKernels, dxp, gbuf, tmp []float32, wsub [][]float32, write bool) {
	g := p.g
	nc := min(2, g.W) // column phases
	for i, ph := range p.phases {
		t := tmp[i*p.tmpLen : i*p.tmpLen+ph.rows*ph.cols]
		if len(ph.taps) == 0 {
			clear(t)
			continue
		}
		k.taps(t, ph.cols, ph.rows, ph.cols, gbuf, p.gW, ph.offs, wsub[i], 0, 0)
	}
	acc := 1
	if write {
		acc = 0
	}
	for i := 0; i < len(p.phases); i += nc {
		ev, od := p.phases[i], p.phases[i+nc-1] // od == ev when W == 1 (never read)
		te, to := tmp[i*p.tmpLen:], tmp[(i+nc-1)*p.tmpLen:]
		for r := 0; r < ev.rows; r++ {
			k.merge2(dxp[(2*r+ev.a)*g.W:], te[r*ev.cols:], to[r*od.cols:], g.W, acc)
		}
	}
}

// fillG copies ∂L/∂out [OH,OW] into the g buffer.
func (p *dwPlan) fillG(k *dwKernels, buf, gout []float32) {
	g := p.g
	k.copyRows(buf[p.gTop*p.gW+p.gLeft:], p.gW, gout, g.OW, g.OH, g.OW)
}

func (p *dwPlan) check(op string, n int, x, w, y []float32) {
	g := p.g
	if len(x) < n*g.C*g.H*g.W || len(w) < g.C*g.KH*g.KW || len(y) < n*g.C*g.OH*g.OW {
		panic(fmt.Sprintf("ops.%s: x %d, w %d, out %d elements are too few for batch %d of %+v", op, len(x), len(w), len(y), n, g))
	}
}

// grain: channels per parallel chunk so a chunk does >= ~32k multiply-adds.
func (p *dwPlan) grain(n int) int {
	g := p.g
	return max(1, (1<<15)/max(1, n*g.OH*g.OW*g.KH*g.KW))
}

// DepthwiseForward is the depthwise convolution (groups = channels = g.C)
// of a batch: x [N,C,H,W], w [C,KH,KW], bias [C] or nil, out [N,C,OH,OW]
// (overwritten):
//
//	out[n,c,oh,ow] = bias[c] + Σ_{kh,kw} w[c,kh,kw] · x[n, c, oh*SH-PT+kh*DH, ow*SW-PL+kw*DW]
//
// Channels are spread over the worker pool, in up to parallelSplit chunks
// per thread as Parallel cuts them (depthwiseForward's threads argument is
// the most chunks). DepthwiseConv2dRef is the
// plain reference, per plane.
func DepthwiseForward(g ConvGeom, n int, x, w, bias, out []float32) {
	depthwiseForward(dwActive, parallelSplit*Threads(), g, n, x, w, bias, out, nil)
}

// DepthwiseForwardEpilogue is DepthwiseForward followed by ep on every
// output plane, applied right after the plane is computed (ep.Apply with
// the plane's channel).
func DepthwiseForwardEpilogue(g ConvGeom, n int, x, w, bias, out []float32, ep *Epilogue) {
	depthwiseForward(dwActive, parallelSplit*Threads(), g, n, x, w, bias, out, ep)
}

func depthwiseForward(k *dwKernels, threads int, g ConvGeom, n int, x, w, bias, out []float32, ep *Epilogue) {
	p := newDWPlan(g)
	p.check("DepthwiseForward", n, x, w, out)
	if flatOK(g) && k.flat3x3 != nil {
		flatForward(k, threads, p, n, x, w, bias, out, ep)
		return
	}
	C, hw, ohw, kk := g.C, g.H*g.W, g.OH*g.OW, g.KH*g.KW
	ParallelN(C, p.grain(n), threads, func(lo, hi int) {
		bp := GetScratch(p.xRows * p.xRS)
		defer PutScratch(bp)
		buf := *bp
		clear(buf)
		w9 := new([9]float32) // one per chunk: it escapes through the kernel's func value
		for c := lo; c < hi; c++ {
			var b float32
			if bias != nil {
				b = bias[c]
			}
			wc := w[c*kk : (c+1)*kk]
			if p.is3x3 {
				*w9 = [9]float32(wc)
			}
			for img := 0; img < n; img++ {
				pl := img*C + c
				p.fillX(k, buf, x[pl*hw:(pl+1)*hw])
				p.taps(k, out[pl*ohw:(pl+1)*ohw], g.OW, g.OH, g.OW, buf, g.StrideH*p.xRS, p.xOffs, wc, buf, &p.xCols, w9, b, 0)
				if ep != nil {
					ep.Apply(out[pl*ohw:(pl+1)*ohw], c)
				}
			}
		}
	})
}

// DepthwiseBackward accumulates the gradients of DepthwiseForward: given
// gout = ∂L/∂out [N,C,OH,OW], it adds ∂L/∂x into dx [N,C,H,W] and ∂L/∂w
// into dw [C,KH,KW]; either may be nil to skip it. (The bias gradient is
// the plain sum of gout over n, oh, ow.) A worker owns whole channels, so
// dw is summed over the batch without races.
func DepthwiseBackward(g ConvGeom, n int, x, w, gout, dx, dw []float32) {
	depthwiseBackward(dwActive, parallelSplit*Threads(), g, n, x, w, gout, dx, dw, false)
}

// DepthwiseBackwardWrite is DepthwiseBackward with ∂L/∂x written into dx
// (its previous contents ignored, every element set) instead of added:
// the input gradient of a tensor that has none yet needs no zeroing pass.
// dw still accumulates.
func DepthwiseBackwardWrite(g ConvGeom, n int, x, w, gout, dx, dw []float32) {
	depthwiseBackward(dwActive, parallelSplit*Threads(), g, n, x, w, gout, dx, dw, true)
}

func depthwiseBackward(k *dwKernels, threads int, g ConvGeom, n int, x, w, gout, dx, dw []float32, dxWrite bool) {
	p := newDWPlan(g)
	p.check("DepthwiseBackward", n, x, w, gout)
	if dx != nil && len(dx) < len(x[:n*g.C*g.H*g.W]) || dw != nil && len(dw) < g.C*g.KH*g.KW {
		panic(fmt.Sprintf("ops.DepthwiseBackward: dx %d or dw %d elements are too few for batch %d of %+v", len(dx), len(dw), n, g))
	}
	if dx == nil && dw == nil {
		return
	}
	if flatOK(g) && k.flat3x3 != nil {
		flatBackward(k, threads, p, n, x, w, gout, dx, dw, dxWrite)
		return
	}
	C, hw, ohw, kk := g.C, g.H*g.W, g.OH*g.OW, g.KH*g.KW
	stride1 := g.StrideH == 1 && g.StrideW == 1
	ParallelN(C, p.grain(n), threads, func(lo, hi int) {
		var xbuf, gbuf, tmp []float32
		if dw != nil {
			bp := GetScratch(p.xRows * p.xRS)
			defer PutScratch(bp)
			xbuf = *bp
			clear(xbuf)
		}
		var wsub [][]float32
		w9 := new([9]float32) // flipped rows: a = 2 - kh
		if dx != nil {
			bp := GetScratch(p.gRows*p.gW + 4*p.tmpLen) // stride (2, 2): four phases at once
			defer PutScratch(bp)
			gbuf, tmp = (*bp)[:p.gRows*p.gW], (*bp)[p.gRows*p.gW:]
			clear(gbuf)
			wsub = make([][]float32, len(p.phases))
			for i, ph := range p.phases {
				wsub[i] = make([]float32, len(ph.taps))
			}
		}
		for c := lo; c < hi; c++ {
			wc := w[c*kk : (c+1)*kk]
			if p.is3x3 && dx != nil {
				for a := 0; a < 3; a++ {
					copy(w9[a*3:a*3+3], wc[(2-a)*3:(2-a)*3+3])
				}
			}
			for i := range wsub {
				for j, t := range p.phases[i].taps {
					wsub[i][j] = wc[t]
				}
			}
			for img := 0; img < n; img++ {
				pl := img*C + c
				gp := gout[pl*ohw : (pl+1)*ohw]
				if dw != nil {
					p.fillX(k, xbuf, x[pl*hw:(pl+1)*hw])
					k.dot(dw[c*kk:(c+1)*kk], gp, g.OW, g.OH, g.OW, xbuf, g.StrideH*p.xRS, p.xOffs)
				}
				if dx == nil {
					continue
				}
				p.fillG(k, gbuf, gp)
				dxp := dx[pl*hw : (pl+1)*hw]
				if stride1 { // one phase covering every element of dxp
					acc := 1
					if dxWrite {
						acc = 0
					}
					ph := p.phases[0]
					p.taps(k, dxp, g.W, g.H, g.W, gbuf, p.gW, ph.offs, wsub[0], gbuf[p.gRow0*p.gW:], &p.gCols, w9, 0, acc)
					continue
				}
				if g.StrideH == 2 && g.StrideW == 2 {
					p.phases2x2(k, dxp, gbuf, tmp, wsub, dxWrite)
					continue
				}
				if dxWrite { // the phases add; some elements may get no tap
					clear(dxp)
				}
				for i, ph := range p.phases {
					if len(ph.taps) == 0 {
						continue
					}
					k.taps(tmp, ph.cols, ph.rows, ph.cols, gbuf, p.gW, ph.offs, wsub[i], 0, 0)
					for r := 0; r < ph.rows; r++ {
						drow := dxp[(r*g.StrideH+ph.a)*g.W:]
						for j, v := range tmp[r*ph.cols : (r+1)*ph.cols] {
							drow[j*g.StrideW+ph.c] += v
						}
					}
				}
			}
		}
	})
}
