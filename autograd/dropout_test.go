package autograd_test

import (
	"math"
	"math/rand/v2"
	"testing"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/autograd/gradcheck"
)

func TestDropoutForward(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 1))
	x := ag.RandU(rng, 0.5, 1.5, 100, 100) // no zeros: a zero output means dropped
	if ag.Dropout(x, 0.3, rng, false) != x || ag.Dropout(x, 0, rng, true) != x {
		t.Fatal("Dropout in eval or with p = 0 must return its input")
	}
	const p = 0.3
	y := ag.Dropout(x, p, rand.New(rand.NewPCG(9, 9)), true)
	kept := 0
	for i, v := range y.Data {
		switch {
		case v == 0:
		case math.Abs(float64(v-x.Data[i]/(1-p))) < 1e-6:
			kept++
		default:
			t.Fatalf("element %d: %v is neither 0 nor x/(1-p) = %v", i, v, x.Data[i]/(1-p))
		}
	}
	// 10000 Bernoulli(0.7) draws: std 46, so ±300 is a > 6σ band.
	if kept < 7000-300 || kept > 7000+300 {
		t.Fatalf("kept %d of 10000, want about 7000", kept)
	}
	// The same seed gives the same mask; another seed a different one.
	again := ag.Dropout(x, p, rand.New(rand.NewPCG(9, 9)), true)
	assertClose(t, "same seed", again.Data, y.Data, 0)
	other := ag.Dropout(x, p, rand.New(rand.NewPCG(9, 10)), true)
	same := true
	for i := range other.Data {
		same = same && other.Data[i] == y.Data[i]
	}
	if same {
		t.Fatal("a different seed gave the same mask")
	}
	for _, v := range ag.Dropout(x, 1, rng, true).Data {
		if v != 0 {
			t.Fatal("Dropout with p = 1 must zero everything")
		}
	}
	shapeExpectPanic(t, func() { ag.Dropout(x, 1.5, rng, true) }, "Dropout", "1.5", "[100 100]")
}

func TestDropoutGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 2))
	x := gradcheck.Rand(rng, 4, 5)
	gradcheck.Check(t, func(in []*ag.Tensor) *ag.Tensor {
		return ag.Dropout(in[0], 0.4, rand.New(rand.NewPCG(1, 1)), true)
	}, []*ag.Tensor{x}, gradcheck.Options{})
	// The backward multiplies by the same mask: dropped elements get 0.
	y := ag.Dropout(x, 0.4, rand.New(rand.NewPCG(1, 1)), true)
	x.Grad = nil
	ones := make([]float32, 20)
	for i := range ones {
		ones[i] = 1
	}
	y.BackwardWith(ones)
	for i, v := range y.Data {
		want := float32(0)
		if v != 0 {
			want = 1 / 0.6
		}
		if math.Abs(float64(x.Grad[i]-want)) > 1e-6 {
			t.Fatalf("grad %d = %v, want %v", i, x.Grad[i], want)
		}
	}
}

func TestDropPath(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 3))
	x := ag.RandU(rng, 0.5, 1.5, 400, 3, 2)
	if ag.DropPath(x, 0.2, rng, false) != x {
		t.Fatal("DropPath in eval must return its input")
	}
	const p = 0.2
	y := ag.DropPath(x, p, rand.New(rand.NewPCG(4, 4)), true)
	kept := 0
	for s := 0; s < 400; s++ {
		row, xr := y.Data[s*6:(s+1)*6], x.Data[s*6:(s+1)*6]
		dropped := row[0] == 0
		if !dropped {
			kept++
		}
		for j, v := range row {
			want := xr[j] / (1 - p)
			if dropped {
				want = 0
			}
			if math.Abs(float64(v-want)) > 1e-6 {
				t.Fatalf("sample %d is neither dropped whole nor kept whole: %v", s, row)
			}
		}
	}
	// 400 Bernoulli(0.8) draws: std 8, so ±50 is a > 6σ band.
	if kept < 320-50 || kept > 320+50 {
		t.Fatalf("kept %d of 400 samples, want about 320", kept)
	}
	z := gradcheck.Rand(rng, 6, 2, 3)
	gradcheck.Check(t, func(in []*ag.Tensor) *ag.Tensor {
		return ag.DropPath(in[0], 0.5, rand.New(rand.NewPCG(2, 2)), true)
	}, []*ag.Tensor{z}, gradcheck.Options{})
	shapeExpectPanic(t, func() { ag.DropPath(x, -0.1, rng, true) }, "DropPath", "[400 3 2]")
}

// With an arena the mask lives in an arena buffer: a second step after
// Reset reuses memory and still produces a correct gradient.
func TestDropoutArena(t *testing.T) {
	a := ag.NewArena()
	for step := 0; step < 2; step++ {
		x := a.New([]float32{1, 2, 3, 4, 5, 6}, 2, 3).SetRequiresGrad(true)
		y := ag.Dropout(x, 0.5, rand.New(rand.NewPCG(3, 3)), true)
		y.BackwardWith([]float32{1, 1, 1, 1, 1, 1})
		for i, v := range y.Data {
			if want := v / x.Data[i]; x.Grad[i] != want {
				t.Fatalf("step %d: grad %d = %v, want %v", step, i, x.Grad[i], want)
			}
		}
		a.Reset()
	}
	if inUse, _ := a.Stats(); inUse != 0 {
		t.Fatalf("%d float32s still in use after Reset", inUse)
	}
}

// TestDrawMaskMatchesFloat32Loop checks drawMask against the plain loop it
// replaces (one rng.Float32 per element, compared with keep), bit for bit
// and draw for draw, for keep probabilities that are and are not
// multiples of 2⁻²⁴, including 0 and 1, and that the two leave their
// generators in the same state.
func TestDrawMaskMatchesFloat32Loop(t *testing.T) {
	for _, keep := range []float32{0, 1, 0.9, 0.5, 0.25, 0.1, 0.123456789, 1 - 1.0/(1<<24), 1.0 / (1 << 24), 3e-8, 0.7999999} {
		want := make([]float32, 20000)
		r1 := rand.New(rand.NewPCG(7, uint64(math.Float32bits(keep))))
		var scale float32
		if keep > 0 {
			scale = 1 / keep
		}
		for i := range want {
			if r1.Float32() < keep {
				want[i] = scale
			}
		}
		got := make([]float32, len(want))
		for i := range got {
			got[i] = -1 // poisoned: every element must be written
		}
		r2 := rand.New(rand.NewPCG(7, uint64(math.Float32bits(keep))))
		ag.DrawMask(got, keep, r2)
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("keep %v: mask[%d] = %v, the Float32 loop gives %v", keep, i, got[i], want[i])
			}
		}
		if a, b := r1.Uint64(), r2.Uint64(); a != b {
			t.Fatalf("keep %v: the generators differ after the masks (%x, %x)", keep, a, b)
		}
	}
	// Thresholds on both sides of an exact draw: m/2²⁴ == keep is not kept.
	for _, m := range []uint32{0, 1, 1 << 23, 1<<24 - 1} {
		keep := float32(m) / (1 << 24)
		src := fixedSource(uint64(m) << 32) // rng.Uint32() = m
		got := make([]float32, 1)
		ag.DrawMask(got, keep, rand.New(src))
		if got[0] != 0 {
			t.Errorf("m = %d, keep = m/2²⁴: kept (%v); Float32() < keep is false", m, got[0])
		}
		ag.DrawMask(got, math.Nextafter32(keep, 2), rand.New(src))
		if got[0] == 0 {
			t.Errorf("m = %d, keep just above m/2²⁴: dropped", m)
		}
	}
}

// fixedSource is a rand.Source that always returns the same value.
type fixedSource uint64

func (s fixedSource) Uint64() uint64 { return uint64(s) }
