package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// Reducing kernels other than the blocked SGEMM (TestSgemmOrderIndependence)
// must give the same bits for any thread count: the depthwise weight
// gradient (a sum over the batch per channel) and input gradient, and the
// GEMV paths of Sgemm (m == 1 or n == 1). The whole training run is checked
// in train's TestDeterminismAcrossThreads.

func sameBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: element %d = %v, one thread gives %v", what, i, got[i], want[i])
		}
	}
}

func TestDepthwiseThreadIndependence(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	geoms := []ConvGeom{
		dwGeom(7, 17, 19, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1),
		dwGeom(5, 16, 33, 5, 5, 2, 2, 2, 2, 2, 2, 1, 1),
		dwGeom(9, 15, 15, 3, 3, 2, 2, 0, 1, 0, 1, 1, 1),
	}
	for _, k := range dwKernelSets() {
		for _, g := range geoms {
			const n = 5
			C, hw, ohw, kk := g.C, g.H*g.W, g.OH*g.OW, g.KH*g.KW
			x, w, bias := randSlice(rng, n*C*hw), randSlice(rng, C*kk), randSlice(rng, C)
			gout, dx0, dw0 := randSlice(rng, n*C*ohw), randSlice(rng, n*C*hw), randSlice(rng, C*kk)
			var out1, dx1, dw1 []float32
			for _, threads := range []int{1, 2, 3, 4} {
				name := fmt.Sprintf("%s %+v threads=%d", k.name, g, threads)
				out := make([]float32, n*C*ohw)
				depthwiseForward(k, threads, g, n, x, w, bias, out, nil)
				dx, dw := append([]float32(nil), dx0...), append([]float32(nil), dw0...)
				depthwiseBackward(k, threads, g, n, x, w, gout, dx, dw, false)
				if threads == 1 {
					out1, dx1, dw1 = out, dx, dw
					continue
				}
				sameBits(t, name+" out", out, out1)
				sameBits(t, name+" dx", dx, dx1)
				sameBits(t, name+" dw", dw, dw1)
			}
		}
	}
}

func TestSgemmThinThreadIndependence(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	for _, sh := range [][3]int{{1, 3000, 300}, {3000, 1, 300}, {1, 700, 1500}, {1500, 1, 1000}} {
		m, n, k := sh[0], sh[1], sh[2]
		for _, tr := range [][2]bool{{false, false}, {true, true}} {
			tA, tB := tr[0], tr[1]
			a, b, c0 := randSlice(rng, m*k), randSlice(rng, k*n), randSlice(rng, m*n)
			lda, ldb := k, n
			if tA {
				lda = m
			}
			if tB {
				ldb = k
			}
			var want []float32
			for _, threads := range []int{1, 2, 3, 4} {
				c := append([]float32(nil), c0...)
				sgemmThin(threads, tA, tB, m, n, k, 0.5, a, lda, b, ldb, 1, c, n)
				if threads == 1 {
					want = c
					continue
				}
				sameBits(t, fmt.Sprintf("m=%d n=%d k=%d tA=%v tB=%v threads=%d", m, n, k, tA, tB, threads), c, want)
			}
		}
	}
}
