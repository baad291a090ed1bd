package ops

// The two inner kernels of the fast depthwise convolution
// (depthwise_plan.go). Both read a zero-padded copy of a plane, so a kernel
// tap (kh, kw) is a fixed element offset into it and the loops have no
// bounds tests; the assembly versions (depthwise_amd64.s) compute the same
// loops with AVX-512 and are chosen once at init (dwActive).

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
}

var goDW = dwKernels{name: "go", taps: dwTapsGo, dot: dwDotGo}

// dwActive is the kernel pair the exported depthwise ops use.
var dwActive = pickDW()

func pickDW() *dwKernels {
	if k := asmDWKernels(); k != nil && !noasm {
		return k
	}
	return &goDW
}

// DepthwiseKernel names the depthwise kernels in use ("avx512" or "go").
func DepthwiseKernel() string { return dwActive.name }

// dwTapsGo is the pure-Go taps kernel. Taps run outermost over a whole row
// so the inner loop is a bounds-check-free axpy; the sums are added in tap
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
		for t, o := range offs {
			wv := w[t]
			s := src[r*srcStride+o : r*srcStride+o+n]
			for i, v := range s {
				d[i] += wv * v
			}
		}
	}
}

// dwDotGo is the pure-Go dot kernel.
func dwDotGo(acc, g []float32, gStride, rows, n int, src []float32, srcStride int, offs []int) {
	for t, o := range offs {
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
