package ops

import (
	"math"
	"math/rand/v2"
	"testing"
)

type poolCase struct {
	H, W, kH, kW, sH, sW, pH, pW int
	ceil                         bool
}

var poolCases = []poolCase{
	{6, 6, 3, 3, 2, 2, 1, 1, true},  // ceil adds a window that runs past the padding
	{5, 5, 3, 3, 3, 3, 1, 1, true},  // ceil window would start in the right padding: dropped
	{7, 5, 2, 3, 2, 1, 0, 1, false}, // rectangular
	{8, 8, 2, 2, 2, 2, 0, 0, false},
	{5, 7, 3, 2, 1, 2, 1, 0, true},
}

// poolDistinct returns a random permutation of distinct values, so max has
// no ties.
func poolDistinct(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i, p := range rng.Perm(n) {
		x[i] = float32(p)/float32(n) - 0.5
	}
	return x
}

func TestPoolOutSize(t *testing.T) {
	for _, c := range []struct {
		in, k, s, p int
		ceil        bool
		want        int
	}{
		{6, 3, 2, 1, true, 4}, {6, 3, 2, 1, false, 3}, {5, 3, 3, 1, true, 2}, {5, 3, 3, 1, false, 2},
		{112, 3, 2, 1, false, 56}, {7, 2, 2, 0, true, 4}, {7, 2, 2, 0, false, 3}, {1, 1, 1, 0, true, 1},
	} {
		if got := PoolOutSize(c.in, c.k, c.s, c.p, c.ceil); got != c.want {
			t.Errorf("PoolOutSize(%d, k%d, s%d, p%d, ceil %v) = %d, want %d", c.in, c.k, c.s, c.p, c.ceil, got, c.want)
		}
	}
}

func TestMaxPoolPlaneMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	for i, c := range poolCases {
		x := poolDistinct(rng, c.H*c.W)
		want, wantArg, OH, OW := MaxPool2dRef(x, c.H, c.W, c.kH, c.kW, c.sH, c.sW, c.pH, c.pW, c.ceil)
		rows := SlidingWindows(c.H, c.kH, c.sH, c.pH, c.ceil, false)
		cols := SlidingWindows(c.W, c.kW, c.sW, c.pW, c.ceil, false)
		if rows.Len() != OH || cols.Len() != OW {
			t.Fatalf("case %d: windows %dx%d, reference %dx%d", i, rows.Len(), cols.Len(), OH, OW)
		}
		got, arg := make([]float32, OH*OW), make([]int32, OH*OW)
		MaxPoolPlane(x, c.W, rows, cols, got, arg)
		for j := range want {
			if got[j] != want[j] || arg[j] != wantArg[j] {
				t.Fatalf("case %d: out[%d] = %v@%d, want %v@%d", i, j, got[j], arg[j], want[j], wantArg[j])
			}
		}
		// Backward: the gradient lands on the arg-max, so Σ out·g = Σ x·dx.
		g := poolDistinct(rng, OH*OW)
		dx := make([]float32, len(x))
		MaxPoolPlaneBackward(g, arg, dx)
		poolCheckAdjoint(t, i, got, g, x, dx)
	}
}

func TestMaxPoolPlaneTiesPickFirst(t *testing.T) {
	x := []float32{1, 3, 3, 2}
	w := AdaptiveWindows(4, 1)
	row := AdaptiveWindows(1, 1)
	out, arg := make([]float32, 1), make([]int32, 1)
	MaxPoolPlane(x, 4, row, w, out, arg)
	if out[0] != 3 || arg[0] != 1 {
		t.Fatalf("max of %v = %v at %d, want 3 at 1", x, out[0], arg[0])
	}
}

func TestAvgPoolPlaneMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for i, c := range poolCases {
		for _, countPad := range []bool{false, true} {
			x := poolDistinct(rng, c.H*c.W)
			want, OH, OW := AvgPool2dRef(x, c.H, c.W, c.kH, c.kW, c.sH, c.sW, c.pH, c.pW, c.ceil, countPad)
			rows := SlidingWindows(c.H, c.kH, c.sH, c.pH, c.ceil, countPad)
			cols := SlidingWindows(c.W, c.kW, c.sW, c.pW, c.ceil, countPad)
			got := make([]float32, OH*OW)
			AvgPoolPlane(x, c.W, rows, cols, got)
			poolClose(t, i, got, want)
			g := poolDistinct(rng, OH*OW)
			dx := make([]float32, len(x))
			AvgPoolPlaneBackward(g, c.W, rows, cols, dx)
			poolCheckAdjoint(t, i, got, g, x, dx)
		}
	}
}

func TestAdaptivePoolPlaneMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	for i, c := range [][4]int{{7, 5, 3, 2}, {5, 7, 4, 3}, {6, 6, 6, 6}, {4, 4, 1, 1}, {3, 5, 5, 7}} {
		H, W, OH, OW := c[0], c[1], c[2], c[3]
		x := poolDistinct(rng, H*W)
		rows, cols := AdaptiveWindows(H, OH), AdaptiveWindows(W, OW)
		got, arg := make([]float32, OH*OW), make([]int32, OH*OW)
		MaxPoolPlane(x, W, rows, cols, got, arg)
		poolClose(t, i, got, AdaptivePool2dRef(x, H, W, OH, OW, true))
		AvgPoolPlane(x, W, rows, cols, got)
		poolClose(t, i, got, AdaptivePool2dRef(x, H, W, OH, OW, false))
	}
}

func poolClose(t *testing.T, i int, got, want []float32) {
	t.Helper()
	for j := range want {
		if d := got[j] - want[j]; d > 1e-6 || d < -1e-6 {
			t.Fatalf("case %d: out[%d] = %v, want %v", i, j, got[j], want[j])
		}
	}
}

// poolCheckAdjoint checks Σ out·g = Σ x·dx: the backward is the transpose
// of the (locally) linear forward.
func poolCheckAdjoint(t *testing.T, i int, out, g, x, dx []float32) {
	t.Helper()
	var lhs, rhs float64
	for j := range out {
		lhs += float64(out[j]) * float64(g[j])
	}
	for j := range x {
		rhs += float64(x[j]) * float64(dx[j])
	}
	if math.Abs(lhs-rhs) > 1e-4 {
		t.Fatalf("case %d: Σ out·g = %v, Σ x·dx = %v", i, lhs, rhs)
	}
}

// The unrolled 3x3 window gives the general loop's value and index on
// ties (zeros after a ReLU), NaNs and -Inf, on ResNet's 3x3 stride-2 pool
// and on windows cut by the border.
func TestMaxPool3x3MatchesGeneral(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	for _, c := range []poolCase{{112, 112, 3, 3, 2, 2, 1, 1, false}, {9, 7, 3, 3, 1, 1, 1, 1, true}, {8, 8, 3, 3, 3, 2, 0, 1, true}} {
		x := make([]float32, c.H*c.W)
		for i := range x {
			switch r := rng.IntN(10); {
			case r < 4:
				x[i] = 0 // ties
			case r == 4:
				x[i] = float32(math.NaN())
			case r == 5:
				x[i] = float32(math.Inf(-1))
			default:
				x[i] = float32(rng.IntN(3))
			}
		}
		rows := SlidingWindows(c.H, c.kH, c.sH, c.pH, c.ceil, false)
		cols := SlidingWindows(c.W, c.kW, c.sW, c.pW, c.ceil, false)
		got, arg := make([]float32, rows.Len()*cols.Len()), make([]int32, rows.Len()*cols.Len())
		MaxPoolPlane(x, c.W, rows, cols, got, arg)
		unrolled := 0
		for oh := range rows.Len() {
			for oc := range cols.Len() {
				want, wantArg := maxWindow(x, c.W, rows.Start[oh], rows.End[oh], cols.Start[oc], cols.End[oc])
				j := oh*cols.Len() + oc
				if math.Float32bits(got[j]) != math.Float32bits(want) && !(got[j] != got[j] && want != want) || int(arg[j]) != wantArg {
					t.Fatalf("%+v: out[%d,%d] = %v@%d, want %v@%d", c, oh, oc, got[j], arg[j], want, wantArg)
				}
				if rows.End[oh]-rows.Start[oh] == 3 && cols.End[oc]-cols.Start[oc] == 3 {
					unrolled++
				}
			}
		}
		if unrolled == 0 {
			t.Fatalf("%+v: no 3x3 window", c)
		}
		noArg := make([]float32, len(got))
		MaxPoolPlane(x, c.W, rows, cols, noArg, nil)
		for j := range got {
			if math.Float32bits(noArg[j]) != math.Float32bits(got[j]) {
				t.Fatalf("%+v: out[%d] = %v without arg, %v with", c, j, noArg[j], got[j])
			}
		}
	}
}

// BenchmarkMaxPool3x3 is ResNet's stem pool on one 112x112 plane (3x3,
// stride 2, padding 1), with the arg-max indices training keeps.
//
//	go test ./ops -run '^$' -bench MaxPool3x3
func BenchmarkMaxPool3x3(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	x := make([]float32, 112*112)
	for i := range x {
		x[i] = max(0, float32(rng.NormFloat64())) // after a ReLU: half ties
	}
	rows := SlidingWindows(112, 3, 2, 1, false, false)
	cols := SlidingWindows(112, 3, 2, 1, false, false)
	out, arg := make([]float32, 56*56), make([]int32, 56*56)
	for range b.N {
		MaxPoolPlane(x, 112, rows, cols, out, arg)
	}
}
