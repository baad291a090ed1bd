package ops

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The update kernels' assembly twins against the Go loops, bit for bit:
// every length 0-67 (all tails of 8 and 16 lanes) and a few long ones, at
// odd offsets, with guard bands around every slice a kernel writes, over
// values drawn from vmInputs (zeros, denormals, huge values, ±Inf, NaN,
// every binade) and from an optimizer's usual ranges.

func optImpls() []optKernels { return append([]optKernels{goOpt}, asmOptKernels()...) }

var optLens = func() []int {
	var ls []int
	for n := 0; n <= 67; n++ {
		ls = append(ls, n)
	}
	return append(ls, 255, 1000, 4099)
}()

var optInputs = vmInputs()

// optDraw returns n values: a third typical of weights and gradients, a
// third anything from vmInputs, a third small and denormal.
func optDraw(rng *rand.Rand, n int) []float32 {
	xs := optInputs
	s := make([]float32, n)
	for i := range s {
		switch rng.IntN(3) {
		case 0:
			s[i] = float32(rng.NormFloat64() * 0.05)
		case 1:
			s[i] = xs[rng.IntN(len(xs))]
		default:
			s[i] = float32(math.Ldexp(rng.NormFloat64(), -120-rng.IntN(30)))
		}
	}
	return s
}

// optGuarded returns a copy of s inside guard bands of sentinels, and a
// check that the bands are intact.
func optGuarded(t *testing.T, s []float32, off int) ([]float32, func(what string)) {
	const guard = 17
	const sentinel = float32(-12345.5)
	buf := make([]float32, len(s)+2*guard+off)
	for i := range buf {
		buf[i] = sentinel
	}
	out := buf[guard+off : guard+off+len(s)]
	copy(out, s)
	return out, func(what string) {
		t.Helper()
		for i, v := range buf {
			if (i < guard+off || i >= guard+off+len(s)) && v != sentinel {
				t.Fatalf("%s: wrote %v at guard position %d", what, v, i-guard-off)
			}
		}
	}
}

func optSameBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i := range want {
		g, w := got[i], want[i]
		if math.Float32bits(g) != math.Float32bits(w) && !(g != g && w != w) {
			t.Fatalf("%s: element %d = %v (%#x), Go twin %v (%#x)", what, i, g, math.Float32bits(g), w, math.Float32bits(w))
		}
	}
}

// adamWCoefs: real steps (t = 1 and 1000, with and without decay) and
// odd ones (denormal ε, huge step, β₁ from OneCycle's cycling).
func adamWCoefs() []AdamWCoef {
	coef := func(lr, wd, b1, b2, eps float64, t int) AdamWCoef {
		bc1 := 1 - math.Pow(b1, float64(t))
		bc2 := math.Sqrt(1 - math.Pow(b2, float64(t)))
		return AdamWCoef{Decay: float32(1 - lr*wd), Beta1: float32(b1), C1: float32(1 - b1), Beta2: float32(b2),
			C2: float32(1 - b2), BC2: float32(bc2), Eps: float32(eps), StepLR: float32(lr / bc1)}
	}
	return []AdamWCoef{
		coef(1e-3, 0.01, 0.9, 0.999, 1e-8, 1),
		coef(2e-3, 0, 0.85, 0.999, 1e-8, 1000),
		coef(0.3, 5e-4, 0.95, 0.99, 1e-30, 7),
		coef(1e30, 1e-31, 0.5, 0.5, 1e-45, 2),
	}
}

func TestAdamWBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, k := range optImpls()[1:] {
		for ci, c := range adamWCoefs() {
			for _, n := range optLens {
				for _, off := range []int{0, 1, 3} {
					d0, g := optDraw(rng, n+off)[off:], optDraw(rng, n+off)[off:]
					m0, v0 := optDraw(rng, n), optDraw(rng, n)
					for i := range v0 {
						if rng.IntN(8) != 0 { // mostly a valid second moment
							v0[i] = float32(math.Abs(float64(v0[i])))
						}
					}
					wd, wm, wv := append([]float32(nil), d0...), append([]float32(nil), m0...), append([]float32(nil), v0...)
					adamWGo(wd, g, wm, wv, c.Decay, c.Beta1, c.C1, c.Beta2, c.C2, c.BC2, c.Eps, c.StepLR)
					d, cd := optGuarded(t, d0, off)
					m, cm := optGuarded(t, m0, 0)
					v, cv := optGuarded(t, v0, 2)
					k.adamW(d, g, m, v, c.Decay, c.Beta1, c.C1, c.Beta2, c.C2, c.BC2, c.Eps, c.StepLR)
					what := func(s string) string { return k.name + "/AdamW coef " + string(rune('0'+ci)) + " " + s }
					cd(what("data"))
					cm(what("m"))
					cv(what("v"))
					optSameBits(t, what("data"), d, wd)
					optSameBits(t, what("m"), m, wm)
					optSameBits(t, what("v"), v, wv)
				}
			}
		}
	}
}

func TestSGDBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	for _, k := range optImpls()[1:] {
		for _, c := range []struct{ lr, wd, mu float32 }{{0.01, 5e-4, 0.9}, {0.7, 0, 0.95}, {1e30, 1e-30, 1e-40}} {
			for _, n := range optLens {
				for _, off := range []int{0, 1, 3} {
					d0, g, b0 := optDraw(rng, n+off)[off:], optDraw(rng, n), optDraw(rng, n)
					want := append([]float32(nil), d0...)
					sgdGo(want, g, c.lr, c.wd)
					d, cd := optGuarded(t, d0, off)
					k.sgd(d, g, c.lr, c.wd)
					cd(k.name + "/SGD")
					optSameBits(t, k.name+"/SGD", d, want)
					for _, fresh := range []bool{false, true} {
						for _, nesterov := range []bool{false, true} {
							wd, wb := append([]float32(nil), d0...), append([]float32(nil), b0...)
							sgdMomentumGo(wd, g, wb, c.lr, c.wd, c.mu, fresh, nesterov)
							d, cd := optGuarded(t, d0, off)
							b, cb := optGuarded(t, b0, 1)
							k.sgdM(d, g, b, c.lr, c.wd, c.mu, fresh, nesterov)
							cd(k.name + "/SGDMomentum data")
							cb(k.name + "/SGDMomentum buf")
							optSameBits(t, k.name+"/SGDMomentum data", d, wd)
							optSameBits(t, k.name+"/SGDMomentum buf", b, wb)
						}
					}
				}
			}
		}
	}
}

func TestAxpbyBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	for _, k := range optImpls()[1:] {
		for _, a := range []float32{0.9993, 0.1, 0.999999, 1e-40} {
			b := 1 - a
			for _, n := range optLens {
				for _, off := range []int{0, 1, 3} {
					y0, x := optDraw(rng, n+off)[off:], optDraw(rng, n)
					want := append([]float32(nil), y0...)
					axpbyGo(want, x, a, b)
					y, cy := optGuarded(t, y0, off)
					k.axpby(y, x, a, b)
					cy(k.name + "/Axpby")
					optSameBits(t, k.name+"/Axpby", y, want)
				}
			}
		}
	}
}

func TestSAMPerturbBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(29, 30))
	for _, k := range optImpls()[1:] {
		for _, scale := range []float64{0.05 / 3.7, 1e-300, 1e300, 0.7} {
			for _, n := range optLens {
				for _, off := range []int{0, 1, 3} {
					d0, g := optDraw(rng, n+off)[off:], optDraw(rng, n)
					for _, adaptive := range []bool{false, true} {
						want := append([]float32(nil), d0...)
						samPerturbGo(want, g, scale, adaptive)
						d, cd := optGuarded(t, d0, off)
						k.samPerturb(d, g, scale, adaptive)
						cd(k.name + "/SAMPerturb")
						optSameBits(t, k.name+"/SAMPerturb", d, want)
					}
				}
			}
		}
	}
}

// AllFinite against the obvious loop, with one special value at every
// position of every length, and none.
func TestAllFinite(t *testing.T) {
	rng := rand.New(rand.NewPCG(27, 28))
	specials := []float32{float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()),
		math.Float32frombits(0xffc00001), math.MaxFloat32, -math.MaxFloat32, math.SmallestNonzeroFloat32, 0}
	ref := func(x []float32) bool {
		for _, v := range x {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return false
			}
		}
		return true
	}
	for _, k := range optImpls() {
		for _, n := range optLens {
			x := make([]float32, n+1)[1:]
			for i := range x {
				x[i] = float32(rng.NormFloat64() * 1e3)
			}
			if got := k.maxAbsBits(x) < 0x7f800000; !got {
				t.Fatalf("%s n=%d: finite slice reported non-finite", k.name, n)
			}
			for i := range min(n, 70) {
				pos := i
				if n > 70 {
					pos = n - 1 - i
				}
				for _, s := range specials {
					old := x[pos]
					x[pos] = s
					if got, want := k.maxAbsBits(x) < 0x7f800000, ref(x); got != want {
						t.Fatalf("%s n=%d: %v at %d: AllFinite %v, want %v", k.name, n, s, pos, got, want)
					}
					x[pos] = old
				}
			}
		}
	}
	if !AllFinite(nil) || AllFinite([]float32{1, float32(math.NaN())}) {
		t.Fatal("AllFinite: wrong answer on nil or a NaN")
	}
}

// Length mismatches are programming errors: they panic naming the op.
func TestOptimLengthPanics(t *testing.T) {
	s3, s4 := make([]float32, 3), make([]float32, 4)
	for _, c := range []struct {
		name string
		f    func()
	}{
		{"AdamW", func() { AdamW(s3, s3, s3, s4, AdamWCoef{}) }},
		{"SGD", func() { SGD(s3, s4, 1, 0) }},
		{"SGDMomentum", func() { SGDMomentum(s3, s3, s4, 1, 0, 0.9, false, false) }},
		{"Axpby", func() { Axpby(s4, s3, 1, 0) }},
		{"SAMPerturb", func() { SAMPerturb(s3, s4, 1, false) }},
	} {
		func() {
			defer func() {
				if r := recover(); r == nil {
					t.Errorf("%s: no panic on mismatched lengths", c.name)
				}
			}()
			c.f()
		}()
	}
}
