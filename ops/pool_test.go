package ops

import (
	"fmt"
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

// BenchmarkMaxPool3x3 is ResNet's stem pool (3x3, stride 2, padding 1)
// on 512 planes of 112x112 (64 channels of 8 images: fresh activations,
// as in a forward pass; one plane over and over lets the branch predictor
// learn it), with the arg-max indices training keeps and without (eval),
// through the kernel MaxPoolPlane runs (AVX-512 or AVX2 where available)
// and the Go loop:
//
//	go test ./ops -run '^$' -bench MaxPool3x3
func BenchmarkMaxPool3x3(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	const planes, hw = 512, 112
	x := make([]float32, planes*hw*hw)
	for i := range x {
		x[i] = max(0, float32(rng.NormFloat64())) // after a ReLU: half ties
	}
	rows := SlidingWindows(hw, 3, 2, 1, false, false)
	cols := SlidingWindows(hw, 3, 2, 1, false, false)
	on := rows.Len() * cols.Len()
	out, arg := make([]float32, planes*on), make([]int32, planes*on)
	kernel := maxPool3x3s2
	for _, impl := range []string{"kernel", "go"} {
		for _, withArg := range []bool{true, false} {
			b.Run(fmt.Sprintf("%s/arg=%v", impl, withArg), func(b *testing.B) {
				if impl == "go" {
					maxPool3x3s2 = nil
					defer func() { maxPool3x3s2 = kernel }()
				}
				for range b.N {
					for p := range planes {
						var a []int32
						if withArg {
							a = arg[p*on : (p+1)*on]
						}
						MaxPoolPlane(x[p*hw*hw:(p+1)*hw*hw], hw, rows, cols, out[p*on:(p+1)*on], a)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/planes/1e3, "µs/plane")
			})
		}
	}
}

// The stride-2 3x3 kernel (AVX-512 or AVX2 where available) gives the Go
// loop's values and indices bit for bit: ties between +0 and -0 (the first
// one wins), NaNs (the last one wins), -Inf, with and without indices, at
// several starting offsets.
func TestMaxPool3x3s2KernelMatchesGo(t *testing.T) {
	if maxPool3x3s2 == nil {
		t.Skip("no assembly kernel on this build")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	const w = 75
	x := make([]float32, w*9)
	for i := range x {
		switch r := rng.IntN(12); {
		case r < 3:
			x[i] = 0
		case r < 6:
			x[i] = float32(math.Copysign(0, -1))
		case r == 6:
			x[i] = float32(math.NaN())
		case r == 7:
			x[i] = float32(math.Inf(-1))
		default:
			x[i] = float32(rng.IntN(3) - 1)
		}
	}
	for _, s0 := range []int{0, 1, w + 3, 2*w + 10} {
		for _, n := range []int{16, 32} {
			if s0+2*w+2*n+1 >= len(x) {
				continue
			}
			for _, withArg := range []bool{true, false} {
				got, want := make([]float32, n), make([]float32, n)
				var ga, wa []int32
				if withArg {
					ga, wa = make([]int32, n), make([]int32, n)
				}
				maxPool3x3s2(x, s0, w, n, got, ga)
				maxPool3x3s2Go(x, s0, w, n, want, wa)
				for j := range n {
					if math.Float32bits(got[j]) != math.Float32bits(want[j]) || withArg && ga[j] != wa[j] {
						t.Fatalf("s0=%d n=%d arg=%v: out[%d] = %v (%#x) at %v, Go loop %v (%#x) at %v",
							s0, n, withArg, j, got[j], math.Float32bits(got[j]), ga, want[j], math.Float32bits(want[j]), wa)
					}
				}
			}
		}
	}
}
