package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// The element-wise kernels against float64 math (the textbook formulas),
// over edge cases (±0, ±Inf, NaN, the overflow and underflow thresholds,
// denormals, huge values), a sweep over every float32 exponent and dense
// random ranges; every implementation (Go and each assembly variant this
// CPU runs) is checked, and the assembly against its Go twin.

// vecImpls is every implementation of the dispatched kernels this machine
// can run, the Go one first.
func vecImpls() []vecKernels { return append([]vecKernels{goVec}, asmVecKernels()...) }

func vmInputs() []float32 {
	inf := float32(math.Inf(1))
	xs := []float32{0, float32(math.Copysign(0, -1)), inf, -inf, float32(math.NaN()),
		math.MaxFloat32, -math.MaxFloat32, math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32,
		1e-40, -1e-40, 1.1754944e-38, -1.1754944e-38, 1e-30, -1e-30, 1e-10, -1e-10, 1e-4, -1e-4,
		0.5, -0.5, 0.625, -0.625, 0.62499, -0.62499, 1, -1, 1.4142135, -1.4142135, 2.828427, -2.828427,
		2, -2, 10, -10, 10.01, -13, -13.3, -14, -19.99, -20.01, 19.99, 20, 20.01, 30, -30,
		44, 45, 88, 88.72, 88.7228, 88.72284, 88.723, 88.8, 89, 100, 1e4, 1e30,
		-87.3, -87.34, -88.7, -100, -103.9, -103.97, -103.98, -104, -105, -1e4, -1e30}
	rng := rand.New(rand.NewPCG(5, 6))
	for e := -149; e <= 127; e++ { // every binade, both signs
		for range 4 {
			m := 1 + rng.Float64()
			v := float32(math.Ldexp(m, e))
			xs = append(xs, v, -v)
		}
	}
	for range 20000 {
		xs = append(xs, float32(rng.Float64()*40-20), float32(rng.Float64()*200-110))
	}
	return xs
}

// denormTol is the absolute slack allowed on every result: four steps of
// the denormal grid, which is all the accuracy a denormal result has.
const denormTol = 4 * math.SmallestNonzeroFloat32

// vmErr checks got against the float64 reference want. mag is the scale
// the error is measured against (|want|, or the sum of the magnitudes of
// the terms where a result cancels). It reports whether got is within
// rel·mag + slack, and the relative error (0 for non-finite or subnormal
// references). slack is denormTol, or denormTol·(1+|x|) for results that
// multiply a denormal factor by x (SiLU(x) = x·σ(x) for x < −87: the
// denormal grid of σ(x), scaled by x, is the only error left there).
func vmErr(got float32, want, mag, rel, slack float64) (ok bool, relErr float64) {
	g := float64(got)
	switch {
	case math.IsNaN(want):
		return math.IsNaN(g), 0
	case math.IsNaN(g):
		return false, 0
	case math.Abs(want) > math.MaxFloat32: // overflows float32
		if math.IsInf(g, 0) {
			return math.Signbit(g) == math.Signbit(want), 0
		}
		return !math.IsInf(want, 0) && math.Abs(g-want) <= rel*math.Abs(want), 0
	case math.IsInf(g, 0):
		return math.Abs(want) >= math.MaxFloat32*(1-rel) && math.Signbit(g) == math.Signbit(want), 0
	}
	d := math.Abs(g - want)
	if mag >= 0x1p-100 { // far from the denormals: report the relative error

		relErr = d / mag
	}
	return d <= rel*mag+slack, relErr
}

func sigmoid64(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

func log1pExp64(x float64) float64 { return math.Log1p(math.Exp(x)) }

func normCDF64(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }
func normPDF64(x float64) float64 { return math.Exp(-0.5*x*x) / math.Sqrt(2*math.Pi) }

// vmUnary: forward kernels y = f(x), with their float64 reference and the
// relative error bound asserted.
var vmUnary = []struct {
	name string
	fn   func(k *vecKernels) func(y, x []float32) // nil k: the public function
	ref  func(float64) float64
	tol  float64
	disp bool // dispatched (has assembly twins)
}{
	{"Exp", func(k *vecKernels) func(y, x []float32) { return pick(k, Exp, k.exp) }, math.Exp, 2.5e-7, true},
	{"Sigmoid", func(k *vecKernels) func(y, x []float32) { return pick(k, Sigmoid, k.sigmoid) }, sigmoid64, 3e-7, true},
	{"SiLU", func(k *vecKernels) func(y, x []float32) { return pick(k, SiLU, k.silu) },
		func(x float64) float64 { return x * sigmoid64(x) }, 3e-7, true},
	{"Tanh", func(*vecKernels) func(y, x []float32) { return Tanh }, math.Tanh, 3e-7, false},
	{"GELU", func(*vecKernels) func(y, x []float32) { return GELU },
		func(x float64) float64 { return x * normCDF64(x) }, 1.2e-6, false},
	{"Softplus", func(*vecKernels) func(y, x []float32) { return Softplus },
		func(x float64) float64 {
			if x > 20 {
				return x
			}
			return log1pExp64(x)
		}, 3e-7, false},
	{"LogSigmoid", func(*vecKernels) func(y, x []float32) { return LogSigmoid },
		func(x float64) float64 { return math.Min(x, 0) - log1pExp64(-math.Abs(x)) }, 3e-7, false},
}

func pick[F any](k *vecKernels, public, impl F) F {
	if k == nil {
		return public
	}
	return impl
}

func TestVecMathForward(t *testing.T) {
	xs := vmInputs()
	y := make([]float32, len(xs))
	for _, c := range vmUnary {
		impls := []*vecKernels{nil}
		if c.disp {
			impls = nil
			for _, k := range vecImpls() {
				impls = append(impls, &k)
			}
		}
		for _, k := range impls {
			name := c.name
			if k != nil {
				name += "/" + k.name
			}
			c.fn(k)(y, xs)
			worst, worstX := 0.0, float32(0)
			for i, x := range xs {
				want := c.ref(float64(x))
				slack := denormTol
				if c.name == "SiLU" || c.name == "GELU" {
					slack *= 1 + math.Abs(float64(x))
				}
				ok, rel := vmErr(y[i], want, math.Abs(want), c.tol, slack)
				if !ok {
					t.Fatalf("%s(%v) = %v, want %v (bound %.2g relative)", name, x, y[i], want, c.tol)
				}
				if rel > worst {
					worst, worstX = rel, x
				}
			}
			t.Logf("%-18s max relative error %.3g (at x = %v) over %d inputs", name, worst, worstX, len(xs))
		}
	}
}

// vmGrad: backward kernels gx += g·f'(x) (or from y for SigmoidGrad), with
// the float64 derivative and the magnitude of its terms (the error scale
// where the derivative cancels, as SiLU's does near x = −1.28).
var vmGrad = []struct {
	name    string
	fn      func(k *vecKernels) func(gx, g, x []float32)
	fromY   func(float64) float64 // when set, the kernel reads y = fromY(x) instead of x
	ref     func(x float64) (d, mag float64)
	tol     float64
	dispOps bool // dispatched (has assembly twins)
}{
	{"SigmoidGrad", func(k *vecKernels) func(gx, g, x []float32) { return pick(k, SigmoidGrad, k.sigmoidGrad) },
		sigmoid64, func(x float64) (float64, float64) {
			s := float64(float32(sigmoid64(x))) // the kernel sees y rounded to float32
			return s * (1 - s), math.Abs(s * (1 - s))
		}, 3e-7, true},
	{"SiLUGrad", func(k *vecKernels) func(gx, g, x []float32) { return pick(k, SiLUGrad, k.siluGrad) }, nil,
		func(x float64) (float64, float64) {
			s, c := sigmoid64(x), sigmoid64(-x)
			return s * (1 + x*c), math.Abs(s) + math.Abs(s*x*c)
		}, 4e-7, true},
	// The write form, added into gx here so that it fits the table (one
	// more rounding, well inside the tolerance).
	{"SiLUGradTo", func(k *vecKernels) func(gx, g, x []float32) {
		f := pick(k, SiLUGradTo, k.siluGradTo)
		return func(gx, g, x []float32) {
			t := make([]float32, len(x))
			f(t, g, x)
			for i, v := range t {
				gx[i] += v
			}
		}
	}, nil,
		func(x float64) (float64, float64) {
			s, c := sigmoid64(x), sigmoid64(-x)
			return s * (1 + x*c), math.Abs(s) + math.Abs(s*x*c)
		}, 4e-7, true},
	{"GELUGrad", func(*vecKernels) func(gx, g, x []float32) { return GELUGrad }, nil,
		func(x float64) (float64, float64) {
			c, p := normCDF64(x), normPDF64(x)
			return c + x*p, math.Abs(c) + math.Abs(x*p)
		}, 1e-6, false},
	{"SoftplusGrad", func(*vecKernels) func(gx, g, x []float32) { return SoftplusGrad }, nil,
		func(x float64) (float64, float64) { s := sigmoid64(x); return s, s }, 3e-7, false},
	{"LogSigmoidGrad", func(*vecKernels) func(gx, g, x []float32) { return LogSigmoidGrad }, nil,
		func(x float64) (float64, float64) { s := sigmoid64(-x); return s, s }, 3e-7, false},
}

func TestVecMathGrad(t *testing.T) {
	xs := vmInputs()
	rng := rand.New(rand.NewPCG(7, 8))
	g := make([]float32, len(xs))
	gx0 := make([]float32, len(xs))
	for i := range g {
		g[i] = float32(rng.Float64()*4 - 2)
		if i%3 == 0 {
			gx0[i] = float32(rng.Float64()*2 - 1) // accumulate into non-zero gradients too
		}
	}
	in := make([]float32, len(xs))
	gx := make([]float32, len(xs))
	for _, c := range vmGrad {
		impls := []*vecKernels{nil}
		if c.dispOps {
			impls = nil
			for _, k := range vecImpls() {
				impls = append(impls, &k)
			}
		}
		for i, x := range xs {
			in[i] = x
			if c.fromY != nil {
				in[i] = float32(c.fromY(float64(x)))
			}
		}
		for _, k := range impls {
			name := c.name
			if k != nil {
				name += "/" + k.name
			}
			copy(gx, gx0)
			c.fn(k)(gx, g, in)
			worst, worstX := 0.0, float32(0)
			for i, x := range xs {
				d, mag := c.ref(float64(x))
				want := float64(gx0[i]) + float64(g[i])*d
				scale := math.Abs(float64(gx0[i])) + math.Abs(float64(g[i]))*mag
				slack := denormTol * (1 + math.Abs(float64(x)))
				ok, rel := vmErr(gx[i], want, scale, c.tol, slack)
				if !ok {
					t.Fatalf("%s at x = %v (g %v, gx %v) = %v, want %v", name, x, g[i], gx0[i], gx[i], want)
				}
				if rel > worst {
					worst, worstX = rel, x
				}
			}
			t.Logf("%-18s max error %.3g relative to the terms' magnitude (at x = %v)", name, worst, worstX)
		}
	}
}

// Exact results the formulas must give at the edges.
func TestVecMathEdges(t *testing.T) {
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	negz := float32(math.Copysign(0, -1))
	for _, k := range vecImpls() {
		for _, c := range []struct {
			name string
			f    func(y, x []float32)
			x, y float32
		}{
			{"Exp", k.exp, 0, 1}, {"Exp", k.exp, negz, 1}, {"Exp", k.exp, inf, inf}, {"Exp", k.exp, -inf, 0},
			{"Exp", k.exp, 89, inf}, {"Exp", k.exp, 1e30, inf}, {"Exp", k.exp, -104, 0}, {"Exp", k.exp, -1e30, 0},
			{"Exp", k.exp, -103, float32(math.Exp(-103))}, {"Exp", k.exp, 1, float32(math.E)},
			{"Sigmoid", k.sigmoid, inf, 1}, {"Sigmoid", k.sigmoid, -inf, 0}, {"Sigmoid", k.sigmoid, 0, 0.5},
			{"Sigmoid", k.sigmoid, -100, float32(math.Exp(-100))}, {"Sigmoid", k.sigmoid, 100, 1},
			{"SiLU", k.silu, inf, inf}, {"SiLU", k.silu, -1e4, 0}, {"SiLU", k.silu, 0, 0},
		} {
			y := []float32{-7}
			c.f(y, []float32{c.x})
			if y[0] != c.y {
				t.Errorf("%s/%s(%v) = %v, want %v", c.name, k.name, c.x, y[0], c.y)
			}
		}
		y := []float32{0, 0, 0}
		for _, f := range []func(y, x []float32){k.exp, k.sigmoid, k.silu} {
			f(y, []float32{nan, nan, -inf})
			if y[0] == y[0] || y[1] == y[1] {
				t.Errorf("%s: NaN in gives %v", k.name, y)
			}
		}
	}
	y := []float32{1}
	Tanh(y, []float32{negz})
	if y[0] != 0 || !math.Signbit(float64(y[0])) {
		t.Errorf("Tanh(-0) = %v, want -0", y[0])
	}
	for _, c := range []struct {
		name string
		f    func(y, x []float32)
		x, y float32
	}{
		{"Tanh", Tanh, inf, 1}, {"Tanh", Tanh, -inf, -1}, {"Tanh", Tanh, 50, 1},
		{"GELU", GELU, inf, inf}, {"GELU", GELU, 1e4, 1e4}, {"GELU", GELU, -1e4, 0},
		{"Softplus", Softplus, -inf, 0}, {"Softplus", Softplus, inf, inf}, {"Softplus", Softplus, 1e-30, float32(math.Ln2)},
		{"Softplus", Softplus, -100, float32(math.Exp(-100))},
		{"LogSigmoid", LogSigmoid, inf, 0}, {"LogSigmoid", LogSigmoid, -inf, -inf}, {"LogSigmoid", LogSigmoid, -1e4, -1e4},
	} {
		c.f(y, []float32{c.x})
		if y[0] != c.y {
			t.Errorf("%s(%v) = %v, want %v", c.name, c.x, y[0], c.y)
		}
	}
}

// vmKernel is one kernel of an implementation in a common form: out is
// written (or accumulated into) from a and, for two-input kernels, b.
type vmKernel struct {
	name string
	f    func(out, a, b []float32)
}

func vmKernelsOf(k vecKernels) []vmKernel {
	return []vmKernel{
		{"Exp", func(o, a, _ []float32) { k.exp(o, a) }},
		{"Sigmoid", func(o, a, _ []float32) { k.sigmoid(o, a) }},
		{"SiLU", func(o, a, _ []float32) { k.silu(o, a) }},
		{"SigmoidGrad", func(o, a, b []float32) { k.sigmoidGrad(o, a, b) }},
		{"SiLUGrad", func(o, a, b []float32) { k.siluGrad(o, a, b) }},
		{"SiLUGradTo", func(o, a, b []float32) { k.siluGradTo(o, a, b) }},
		{"MulAdd", func(o, a, b []float32) { k.mulAdd(o, a, b) }},
		{"ScaleShift", func(o, a, _ []float32) { k.scaleShift(o, a, 1.5, -0.25) }},
		{"Combine", func(o, a, b []float32) { k.combine(o, a, b, 1.5, -0.75, 0.25, 0.5) }},
		{"CombineAdd", func(o, a, b []float32) { k.combineAdd(o, a, b, -1.25, 0.5, -0.125, 0.75) }},
		{"ScaleTo", func(o, a, _ []float32) { k.scaleTo(o, a, -0.75) }},
		{"Axpy", func(o, a, _ []float32) { k.axpy(o, a, 1.375) }},
		{"Add", func(o, a, b []float32) { k.add(o, a, b) }},
		{"Sub", func(o, a, b []float32) { k.sub(o, a, b) }},
		{"Mul", func(o, a, b []float32) { k.mul(o, a, b) }},
	}
}

// The one-operation kernels (ScaleTo, Axpy, Add, Sub, Mul) give exactly
// the Go twin's bits, every length 0-67 at odd offsets, in place too
// (output aliasing the first input), over specials, denormals and
// products that round differently fused.
func TestVecMathPlainBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	xs := vmInputs()
	draw := func(n int) []float32 {
		s := make([]float32, n)
		for i := range s {
			s[i] = xs[rng.IntN(len(xs))]
		}
		return s
	}
	same := func(a, b float32) bool {
		return math.Float32bits(a) == math.Float32bits(b) || (a != a && b != b)
	}
	ref := vmKernelsOf(goVec)
	for _, k := range vecImpls() {
		ks := vmKernelsOf(k)
		for ki, kern := range ks {
			switch kern.name {
			case "ScaleTo", "Axpy", "Add", "Sub", "Mul":
			default:
				continue
			}
			for n := 0; n <= 67; n++ {
				for _, off := range []int{0, 1, 5} {
					a, b := draw(n + off)[off:], draw(n + off)[off:]
					o0 := draw(n)
					got, want := append([]float32(nil), o0...), append([]float32(nil), o0...)
					kern.f(got, a, b)
					ref[ki].f(want, a, b)
					for i := range got {
						if !same(got[i], want[i]) {
							t.Fatalf("%s/%s n=%d off=%d: element %d = %v (%#x), Go twin %v (%#x)",
								k.name, kern.name, n, off, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
						}
					}
					// In place: the output is the first input.
					got, want = append([]float32(nil), a...), append([]float32(nil), a...)
					kern.f(got, got, b)
					ref[ki].f(want, want, b)
					for i := range got {
						if !same(got[i], want[i]) {
							t.Fatalf("%s/%s in place n=%d: element %d = %v, Go twin %v", k.name, kern.name, n, i, got[i], want[i])
						}
					}
				}
			}
		}
	}
}

// The public kernels that have no assembly twin, in the same form.
var vmPlain = []vmKernel{
	{"Tanh", func(o, a, _ []float32) { Tanh(o, a) }},
	{"GELU", func(o, a, _ []float32) { GELU(o, a) }},
	{"GELUGrad", func(o, a, b []float32) { GELUGrad(o, a, b) }},
	{"Softplus", func(o, a, _ []float32) { Softplus(o, a) }},
	{"SoftplusGrad", func(o, a, b []float32) { SoftplusGrad(o, a, b) }},
	{"LogSigmoid", func(o, a, _ []float32) { LogSigmoid(o, a) }},
	{"LogSigmoidGrad", func(o, a, b []float32) { LogSigmoidGrad(o, a, b) }},
	{"Add", func(o, a, b []float32) { Add(o, a, b) }},
	{"Sub", func(o, a, b []float32) { Sub(o, a, b) }},
	{"Mul", func(o, a, b []float32) { Mul(o, a, b) }},
	{"ScaleTo", func(o, a, _ []float32) { ScaleTo(o, a, -0.75) }},
}

// Every length from 0 to 67 (all tail sizes of 8- and 16-wide vectors)
// at several alignments, with guard bands on both sides of the output:
// nothing outside out[0:n] may change, the result must match the Go twin,
// and each element must come out exactly as when it is computed alone
// (the masked tail and the main loop agree), so results cannot depend on
// where Parallel cuts a tensor.
func TestVecMathTailsAndGuards(t *testing.T) {
	const guard = 19
	const sentinel = float32(-12345.5)
	rng := rand.New(rand.NewPCG(9, 10))
	specials := []float32{float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 0, 90, -95}
	fill := func(s []float32, lo, hi float64) {
		for i := range s {
			s[i] = float32(lo + (hi-lo)*rng.Float64())
			if rng.IntN(10) == 0 {
				s[i] = specials[rng.IntN(len(specials))]
			}
		}
	}
	type impl struct {
		name string
		ks   []vmKernel
		ref  []vmKernel
	}
	var impls []impl
	for _, k := range vecImpls() {
		impls = append(impls, impl{k.name, vmKernelsOf(k), vmKernelsOf(goVec)})
	}
	impls = append(impls, impl{"plain", vmPlain, vmPlain})
	for _, im := range impls {
		for ki, kern := range im.ks {
			for n := 0; n <= 67; n++ {
				for _, off := range []int{0, 1, 3} {
					a := make([]float32, n+off)[off:]
					b := make([]float32, n+off)[off:]
					fill(a, -10, 10)
					fill(b, -2, 2)
					o0 := make([]float32, n)
					fill(o0, -1, 1)
					buf := make([]float32, n+2*guard+off)
					for i := range buf {
						buf[i] = sentinel
					}
					out := buf[guard+off : guard+off+n]
					copy(out, o0)
					kern.f(out, a, b)
					for i, v := range buf {
						if (i < guard+off || i >= guard+off+n) && v != sentinel {
							t.Fatalf("%s/%s n=%d off=%d: wrote %v at guard position %d", im.name, kern.name, n, off, v, i-guard-off)
						}
					}
					want := append([]float32(nil), o0...)
					im.ref[ki].f(want, a, b)
					for i := range out {
						scale := finAbs(want[i]) + finAbs(o0[i]) + finAbs(a[i])*(1+finAbs(b[i]))
						if ok, _ := vmErr(out[i], float64(want[i]), scale, 1e-6, denormTol*(1+math.Abs(float64(a[i])))); !ok {
							t.Fatalf("%s/%s n=%d off=%d: element %d = %v, Go twin %v (inputs %v, %v, out %v)",
								im.name, kern.name, n, off, i, out[i], want[i], a[i], b[i], o0[i])
						}
						one := []float32{o0[i]}
						kern.f(one, a[i:i+1], b[i:i+1])
						if math.Float32bits(one[0]) != math.Float32bits(out[i]) && !(one[0] != one[0] && out[i] != out[i]) {
							t.Fatalf("%s/%s n=%d: element %d is %v in a slice but %v alone", im.name, kern.name, n, i, out[i], one[0])
						}
					}
				}
			}
		}
	}
}

// finAbs is |v|, or 0 for NaN and ±Inf (which vmErr compares exactly).
func finAbs(v float32) float64 {
	if a := math.Abs(float64(v)); a <= math.MaxFloat32 {
		return a
	}
	return 0
}

// Length mismatches are programming errors: they panic naming the op.
func TestVecMathLengthPanics(t *testing.T) {
	for _, c := range []struct {
		name string
		f    func()
	}{
		{"Exp", func() { Exp(make([]float32, 2), make([]float32, 3)) }},
		{"SiLUGrad", func() { SiLUGrad(make([]float32, 3), make([]float32, 2), make([]float32, 3)) }},
		{"Add", func() { Add(make([]float32, 3), make([]float32, 3), make([]float32, 4)) }},
		{"Combine", func() { Combine(make([]float32, 3), make([]float32, 3), make([]float32, 2), 1, 1, 0, 0) }},
		{"SumDot", func() { SumDot(make([]float32, 3), make([]float32, 4), 0) }},
	} {
		func() {
			defer func() {
				r := recover()
				if r == nil {
					t.Errorf("%s with bad lengths did not panic", c.name)
				} else if s := fmt.Sprint(r); !strings.HasPrefix(s, "ops."+c.name+":") {
					t.Errorf("%s panic %q does not name the op", c.name, r)
				}
			}()
			c.f()
		}()
	}
	// A longer output is fine: only len(x) elements are written.
	y := []float32{7, 7, 7}
	Exp(y, []float32{0, 0})
	if y[0] != 1 || y[1] != 1 || y[2] != 7 {
		t.Errorf("Exp into a longer output: %v", y)
	}
}
