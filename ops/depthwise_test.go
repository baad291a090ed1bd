package ops

import (
	"math/rand/v2"
	"testing"
)

func depthwiseClose(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i := range want {
		if d := got[i] - want[i]; d > 1e-5 || d < -1e-5 {
			t.Fatalf("%s[%d] = %v, want %v", what, i, got[i], want[i])
		}
	}
}

func TestDepthwiseMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	for i, g := range convGeomCases() {
		g.C = 1
		x := im2colRandom(rng, g.H*g.W)
		w := im2colRandom(rng, g.KH*g.KW)
		const b = 0.25
		got, want := make([]float32, g.OH*g.OW), make([]float32, g.OH*g.OW)
		for j := range got {
			got[j] = 99 // must be overwritten
		}
		DepthwiseConv2d(g, x, w, b, got)
		DepthwiseConv2dRef(g, x, w, b, want)
		depthwiseClose(t, "out", got, want)

		gout := im2colRandom(rng, g.OH*g.OW)
		dx0 := im2colRandom(rng, g.H*g.W) // gradients accumulate onto these
		dw0 := im2colRandom(rng, g.KH*g.KW)
		dx, dxRef := append([]float32(nil), dx0...), append([]float32(nil), dx0...)
		dw, dwRef := append([]float32(nil), dw0...), append([]float32(nil), dw0...)
		DepthwiseConv2dBackward(g, x, w, gout, dx, dw)
		DepthwiseConv2dBackwardRef(g, x, w, gout, dxRef, dwRef)
		depthwiseClose(t, "dx", dx, dxRef)
		depthwiseClose(t, "dw", dw, dwRef)

		// nil skips a gradient and leaves the other one right.
		dx2 := append([]float32(nil), dx0...)
		DepthwiseConv2dBackward(g, x, w, gout, dx2, nil)
		depthwiseClose(t, "dx only", dx2, dxRef)
		_ = i
	}
}

// The reference itself is checked against the general path: a depthwise
// plane is a one-channel convolution, i.e. w · im2col(x).
func TestDepthwiseRefIsOneChannelConv(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	for _, g := range convGeomCases() {
		g.C = 1
		x := im2colRandom(rng, g.H*g.W)
		w := im2colRandom(rng, g.KH*g.KW)
		col := make([]float32, g.ColRows()*g.ColCols())
		Im2colRef(g, x, col)
		want := make([]float32, g.OH*g.OW)
		SgemmRef(false, false, 1, g.OH*g.OW, g.KH*g.KW, 1, w, g.KH*g.KW, col, g.OH*g.OW, 0, want, g.OH*g.OW)
		got := make([]float32, g.OH*g.OW)
		DepthwiseConv2dRef(g, x, w, 0, got)
		depthwiseClose(t, "ref vs gemm", got, want)
	}
}
