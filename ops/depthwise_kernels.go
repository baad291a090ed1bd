package ops

// The two inner kernels of the fast depthwise convolution
// (depthwise_plan.go). Both read a zero-padded copy of a plane, so a kernel
// tap (kh, kw) is a fixed element offset into it and the loops have no
// bounds tests; the assembly versions (depthwise_amd64.s with AVX-512,
// depthwise_avx2_amd64.s with AVX2 + FMA, the same bits) compute the same
// loops and are chosen once at init (dwActive).

// dwKernels is one implementation of the two kernels.
type dwKernels struct {
	name string
	// taps: for r < rows, i < n:
	//   dst[r*dstStride+i] = bias + (acc? dst[...] : 0) + Σ_t w[t]·src[r*srcStride+offs[t]+i]
	// The forward pass (and the input gradient, on the padded ∂L/∂out).
	taps func(dst []float32, dstStride, rows, n int, src []float32, srcStride int, offs []int, w []float32, bias float32, acc int)
	// dot: acc[t] += Σ_{r<rows, i<n} g[r*gStride+i]·src[r*srcStride+offs[t]+i].
	// The weight gradient: one dot product of ∂L/∂out with each shifted window.
	dot func(acc, g []float32, gStride, rows, n int, src []float32, srcStride int, offs []int)
	// copyRows: copy(dst[r*dstStride:][:n], src[r*srcStride:][:n]) for r < rows.
	// Filling the padded buffers; rows are short (28 floats), so one call
	// per plane beats a memmove per row.
	copyRows func(dst []float32, dstStride int, src []float32, srcStride, rows, n int)
	// split2: even[i/2] = src[i] for even i < n, odd[i/2] = src[i] for odd i.
	// The column phases of a stride-2 input row.
	split2 func(even, odd, src []float32, n int)
	// taps3x3 is taps for a 3x3 kernel over three consecutive rows, rows a
	// multiple of 4: offs[a*3+b] = a*srcStride + cols[b]. The assembly
	// loads each input row once for up to three output rows.
	taps3x3 func(dst []float32, dstStride, rows, n int, src []float32, srcStride int, cols *[3]int, w *[9]float32, bias float32, acc int)
	// flat3x3 and flatDot3x3: the small-plane 3x3 path of depthwise_flat.go,
	// a whole channel of n planes (cstride apart) per call.
	flat3x3    func(out, x []float32, n, cstride, hw, w int, masks []uint16, wt *[9]float32, bias float32, acc int)
	flatDot3x3 func(dw *[9]float32, g, x []float32, n, cstride, hw, w int, masks []uint16)
	// split2Rows is split2 on rows rows: row r of src (at r·srcStride) to
	// dst[r·dstStride:] (evens) and dst[r·dstStride+oddOff:] (odds).
	split2Rows func(dst []float32, dstStride, oddOff int, src []float32, srcStride, rows, n int)
	// merge2 is split2's inverse, added or written: dst[i] = (acc ≠ 0 ?
	// dst[i] : 0) + (even[i/2] for even i, odd[i/2] for odd i), i < n.
	merge2 func(dst, even, odd []float32, n, acc int)
}

var goDW = dwKernels{name: "go", taps: dwTapsGo, dot: dwDotGo, copyRows: dwCopyRowsGo, split2: dwSplit2Go, taps3x3: dw3x3Go,
	flat3x3: dwFlat3x3Go, flatDot3x3: dwFlatDot3x3Go, split2Rows: dwSplit2RowsGo, merge2: dwMerge2Go}

// dwActive is the kernel pair the exported depthwise ops use.
var dwActive = pickDW()

func pickDW() *dwKernels {
	if k := asmDWKernels(); k != nil && !noasm {
		return k
	}
	return &goDW
}

// DepthwiseKernel names the depthwise kernels in use ("avx512", "avx2" or
// "go").
func DepthwiseKernel() string { return dwActive.name }

// dwTapsGo is the pure-Go taps kernel. Taps run outermost over a whole row,
// three at a time so a row of dst is loaded and stored once per three
// taps; the inner loops are bounds-check-free. The sums are added in tap
// order, as in the assembly (which fuses each multiply-add).
func dwTapsGo(dst []float32, dstStride, rows, n int, src []float32, srcStride int, offs []int, w []float32, bias float32, acc int) {
	for r := 0; r < rows; r++ {
		d := dst[r*dstStride : r*dstStride+n]
		if acc != 0 {
			for i := range d {
				d[i] += bias
			}
		} else {
			for i := range d {
				d[i] = bias
			}
		}
		sr := src[r*srcStride:]
		t := 0
		for ; t+3 <= len(offs); t += 3 {
			w0, w1, w2 := w[t], w[t+1], w[t+2]
			s0 := sr[offs[t] : offs[t]+n]
			s1 := sr[offs[t+1] : offs[t+1]+n]
			s2 := sr[offs[t+2] : offs[t+2]+n]
			for i := range d {
				d[i] = d[i] + w0*s0[i] + w1*s1[i] + w2*s2[i]
			}
		}
		for ; t < len(offs); t++ {
			wv := w[t]
			s := sr[offs[t] : offs[t]+n]
			for i, v := range s {
				d[i] += wv * v
			}
		}
	}
}

// dwDotGo is the pure-Go dot kernel: three taps at a time share each load
// of g and keep three independent sums (one sum would wait on the latency
// of every add).
func dwDotGo(acc, g []float32, gStride, rows, n int, src []float32, srcStride int, offs []int) {
	t := 0
	for ; t+3 <= len(offs); t += 3 {
		var a0, a1, a2 float32
		for r := 0; r < rows; r++ {
			gr := g[r*gStride : r*gStride+n]
			sr := src[r*srcStride:]
			s0 := sr[offs[t] : offs[t]+n]
			s1 := sr[offs[t+1] : offs[t+1]+n]
			s2 := sr[offs[t+2] : offs[t+2]+n]
			for i, v := range gr {
				a0 += v * s0[i]
				a1 += v * s1[i]
				a2 += v * s2[i]
			}
		}
		acc[t] += a0
		acc[t+1] += a1
		acc[t+2] += a2
	}
	for ; t < len(offs); t++ {
		o := offs[t]
		var s float32
		for r := 0; r < rows; r++ {
			gr := g[r*gStride : r*gStride+n]
			sr := src[r*srcStride+o : r*srcStride+o+n]
			for i, v := range gr {
				s += v * sr[i]
			}
		}
		acc[t] += s
	}
}

func dwCopyRowsGo(dst []float32, dstStride int, src []float32, srcStride, rows, n int) {
	for r := 0; r < rows; r++ {
		copy(dst[r*dstStride:r*dstStride+n], src[r*srcStride:r*srcStride+n])
	}
}

func dwSplit2Go(even, odd, src []float32, n int) {
	src = src[:n]
	ev, od := even[:(n+1)/2], odd[:n/2]
	for q := range od {
		ev[q], od[q] = src[2*q], src[2*q+1]
	}
	if n%2 == 1 {
		ev[n/2] = src[n-1]
	}
}

// dwSplit2RowsGo is split2Rows in Go: dwSplit2Go on each row.
func dwSplit2RowsGo(dst []float32, dstStride, oddOff int, src []float32, srcStride, rows, n int) {
	for r := 0; r < rows; r++ {
		row := dst[r*dstStride:]
		dwSplit2Go(row, row[oddOff:], src[r*srcStride:], n)
	}
}

// dwMerge2Go is merge2 in Go.
func dwMerge2Go(dst, even, odd []float32, n, acc int) {
	dst = dst[:n]
	for i := range dst {
		v := odd[i/2]
		if i%2 == 0 {
			v = even[i/2]
		}
		if acc != 0 {
			v += dst[i]
		}
		dst[i] = v
	}
}

// dw3x3Go is taps3x3 in Go: the generic loop with the nine offsets.
func dw3x3Go(dst []float32, dstStride, rows, n int, src []float32, srcStride int, cols *[3]int, w *[9]float32, bias float32, acc int) {
	var offs [9]int
	for a := 0; a < 3; a++ {
		for b := 0; b < 3; b++ {
			offs[a*3+b] = a*srcStride + cols[b]
		}
	}
	dwTapsGo(dst, dstStride, rows, n, src, srcStride, offs[:], w[:], bias, acc)
}
