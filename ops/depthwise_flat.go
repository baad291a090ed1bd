package ops

// Small planes: 3x3 depthwise convolution with stride 1 and "same"
// padding (1 on every side) on planes of at most flatMaxHW pixels, the
// late stages of EfficientNetV2 (16x16 down to 3x3 planes, with hundreds
// of channels and a batch of images). The padded-buffer path of
// depthwise_plan.go spends most of its time there on per-plane and
// per-row overhead (a copy and a few kernel calls for 16 pixels); this
// path reads the NCHW planes in place and does a whole channel, all images,
// in one kernel call.
//
// A plane is seen flat: output p = oh·W + ow, and since OW = W, tap (kh, kw)
// reads x[p + (kh−1)·W + (kw−1)] whenever that pixel exists. Outputs go 16
// at a time (one zmm, a "chunk"); per chunk and tap a 16-bit mask says which
// lanes' source pixels exist (row and column in range), so each tap is one
// masked fused multiply-add with a memory operand, and no padding is ever
// stored or read (masked-off lanes are not loaded). The masks depend only on
// H and W, and are built once per call. Without AVX-512 (AVX2 + FMA,
// depthwise_flat_avx2_amd64.s) a chunk is two 8-lane halves, masked loads
// and a blend per tap, for the same bits.
//
//	forward:    out[p]  = b + Σ_t w[t]·x[p + off_t]      (t in order 0..8)
//	∂L/∂x:      dx[p]   = Σ_t w[8−t]·g[p + off_t]        (the same taps, flipped kernel)
//	∂L/∂w:      dw[t]  += Σ_{n,p} g[p]·x[p + off_t]      (16 lanes per tap, then a fixed tree)
//
// The input gradient is the forward with the flipped kernel because with
// padding 1 on every side the tap set is symmetric: g[q − off_t] is read
// exactly where the forward read x[q] for tap 8−t.

// flatMaxHW bounds the planes that take the flat path (one thread, AVX-512:
// 3-7x faster than the padded-buffer path on 4x4 to 14x14 planes, 2x slower
// on 28x28, docs/PERFORMANCE.md); larger ones amortise
// the padded-buffer path's overhead and get its row-reuse 3x3 kernel.
const flatMaxHW = 400

// flatMaskStride is the number of uint16 masks per chunk: nine taps, then
// the lanes of the chunk inside the plane (the store mask).
const flatMaskStride = 10

// flatOK reports whether g takes the flat path.
func flatOK(g ConvGeom) bool {
	return g.KH == 3 && g.KW == 3 && g.StrideH == 1 && g.StrideW == 1 && g.DilH == 1 && g.DilW == 1 &&
		g.PadT == 1 && g.PadL == 1 && g.OH == g.H && g.OW == g.W && g.H*g.W <= flatMaxHW
}

// flatMasks returns the per-chunk tap and store masks of an H×W plane.
func flatMasks(h, w int) []uint16 {
	hw := h * w
	chunks := (hw + 15) / 16
	m := make([]uint16, chunks*flatMaskStride)
	for p := 0; p < hw; p++ {
		j, bit := p/16, uint16(1)<<(p%16)
		oh, ow := p/w, p%w
		for kh := 0; kh < 3; kh++ {
			for kw := 0; kw < 3; kw++ {
				ih, iw := oh+kh-1, ow+kw-1
				if ih >= 0 && ih < h && iw >= 0 && iw < w {
					m[j*flatMaskStride+kh*3+kw] |= bit
				}
			}
		}
		m[j*flatMaskStride+9] |= bit
	}
	return m
}

// dwFlat3x3Go is the Go twin of the flat kernel: for each of n planes
// (plane i at element i·cstride of out and x), every p < hw:
//
//	out[p] = bias + (acc ≠ 0 ? out[p] : 0) + Σ_t w[t]·x[p + off_t]   (tap t where its mask bit is set)
func dwFlat3x3Go(out, x []float32, n, cstride, hw, w int, masks []uint16, wt *[9]float32, bias float32, acc int) {
	var offs [9]int
	for t := range offs {
		offs[t] = (t/3-1)*w + t%3 - 1
	}
	for i := 0; i < n; i++ {
		o, xs := out[i*cstride:][:hw], x[i*cstride:]
		for p := range o {
			m := masks[p/16*flatMaskStride:][:flatMaskStride]
			bit := uint16(1) << (p % 16)
			s := bias
			if acc != 0 {
				s += o[p]
			}
			for t, off := range offs {
				if m[t]&bit != 0 {
					s += wt[t] * xs[p+off]
				}
			}
			o[p] = s
		}
	}
}

// dwFlatDot3x3Go is the Go twin of the flat weight-gradient kernel:
// dw[t] += Σ_{i<n, p<hw} g[i·cstride + p]·x[i·cstride + p + off_t] over the
// lanes of tap t's masks.
func dwFlatDot3x3Go(dw *[9]float32, g, x []float32, n, cstride, hw, w int, masks []uint16) {
	for t := 0; t < 9; t++ {
		off := (t/3-1)*w + t%3 - 1
		var s float32
		for i := 0; i < n; i++ {
			gs, xs := g[i*cstride:][:hw], x[i*cstride:]
			for p, v := range gs {
				if masks[p/16*flatMaskStride+t]&(1<<(p%16)) != 0 {
					s += v * xs[p+off]
				}
			}
		}
		dw[t] += s
	}
}

// flatForward is depthwiseForward on the flat path: workers take whole
// channels, one kernel call per channel for all n images.
func flatForward(k *dwKernels, threads int, p *dwPlan, n int, x, w, bias, out []float32, ep *Epilogue) {
	g := p.g
	C, hw := g.C, g.H*g.W
	masks := flatMasks(g.H, g.W)
	ParallelN(C, p.grain(n), threads, func(lo, hi int) {
		var w9 [9]float32
		for c := lo; c < hi; c++ {
			var b float32
			if bias != nil {
				b = bias[c]
			}
			w9 = [9]float32(w[c*9 : c*9+9])
			k.flat3x3(out[c*hw:], x[c*hw:], n, C*hw, hw, g.W, masks, &w9, b, 0)
			if ep != nil { // the channel's n small planes are still in cache
				for i := 0; i < n; i++ {
					ep.Apply(out[(i*C+c)*hw:(i*C+c+1)*hw], c)
				}
			}
		}
	})
}

// flatBackward is depthwiseBackward on the flat path: per channel, ∂L/∂x
// is the forward kernel on ∂L/∂out with the flipped weights (written when
// dxWrite, else added), and ∂L/∂w one flatDot3x3 call.
func flatBackward(k *dwKernels, threads int, p *dwPlan, n int, x, w, gout, dx, dw []float32, dxWrite bool) {
	g := p.g
	C, hw := g.C, g.H*g.W
	masks := flatMasks(g.H, g.W)
	acc := 1
	if dxWrite {
		acc = 0
	}
	ParallelN(C, p.grain(n), threads, func(lo, hi int) {
		var w9, d9 [9]float32
		for c := lo; c < hi; c++ {
			if dx != nil {
				for t := range w9 {
					w9[t] = w[c*9+8-t]
				}
				k.flat3x3(dx[c*hw:], gout[c*hw:], n, C*hw, hw, g.W, masks, &w9, 0, acc)
			}
			if dw != nil {
				d9 = [9]float32(dw[c*9 : c*9+9])
				k.flatDot3x3(&d9, gout[c*hw:], x[c*hw:], n, C*hw, hw, g.W, masks)
				copy(dw[c*9:c*9+9], d9[:])
			}
		}
	})
}
