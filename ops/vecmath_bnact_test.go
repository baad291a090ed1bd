package ops

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Batch norm fused with its activation (vecmath_bnact.go), every
// implementation: the pre-activation z = a·x + b must be the float32 value
// ScaleShift computes (the backward recomputes it, so forward and
// backward must agree on it bit for bit); the activation and its
// derivative against float64 math at z; the sums against float64 sums
// (statsTol, vecmath_stats_test.go); lengths 0..100 and more, slices at
// odd offsets inside poisoned memory (a read past either end shows), and
// every element independent of where it sits (the tails are masked, not
// finished in Go).

// bnActZ is the pre-activation as every kernel must compute it.
func bnActZ(x, a, b float32) float32 { return float32(a*x) + b }

func siluGrad64(z float64) float64 {
	s := sigmoid64(z)
	return s * (1 + z*(1-s))
}

// bnActInputs: a mixture of ordinary values and the edges (z across 0,
// the tails of σ, ±Inf, NaN).
func bnActInputs(rng *rand.Rand, n, off int) []float32 {
	edges := []float32{0, float32(math.Copysign(0, -1)), 1e-30, -1e-30, 20, -20, 90, -90, 120, -120,
		float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN())}
	return poisoned(rng, n, off, func() float32 {
		if rng.IntN(20) == 0 {
			return edges[rng.IntN(len(edges))]
		}
		return float32(rng.NormFloat64() * 4)
	})
}

func TestScaleShiftAct(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 1))
	for _, k := range vecImpls() {
		for _, n := range statLengths() {
			for _, off := range []int{0, 1, 3} {
				x := bnActInputs(rng, n, off)
				a, b := float32(rng.NormFloat64()), float32(rng.NormFloat64())
				y := poisoned(rng, n, 2, func() float32 { return 0 })
				k.scaleShiftSiLU(y, x, a, b)
				for i, v := range x {
					z := bnActZ(v, a, b)
					want := float64(z) * sigmoid64(float64(z))
					if z == float32(math.Inf(-1)) {
						want = math.NaN() // −Inf·0, as SiLU and PyTorch
					}
					if ok, _ := vmErr(y[i], want, math.Abs(want), 4e-7, denormTol*(1+math.Abs(float64(z)))); !ok {
						t.Fatalf("%s: ScaleShiftSiLU n=%d i=%d x=%v a=%v b=%v: %v, want %v", k.name, n, i, v, a, b, y[i], want)
					}
				}
				for _, slope := range []float32{0, 0.01} {
					k.scaleShiftLeaky(y, x, a, b, slope)
					for i, v := range x {
						z := bnActZ(v, a, b)
						want := z
						if !(z > 0) {
							want = float32(slope*z) + 0
						}
						if math.Float32bits(y[i]) != math.Float32bits(want) && !(want != want && y[i] != y[i]) {
							t.Fatalf("%s: ScaleShiftLeaky(slope %v) n=%d i=%d x=%v: %v, want %v", k.name, slope, n, i, v, y[i], want)
						}
					}
				}
			}
		}
	}
}

func TestScaleShiftActGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 2))
	for _, k := range vecImpls() {
		for _, n := range statLengths() {
			for _, off := range []int{0, 2} {
				x := poisoned(rng, n, off, func() float32 { return float32(rng.NormFloat64() * 4) })
				g := poisoned(rng, n, 1+off, func() float32 { return float32(rng.NormFloat64()) })
				a, b, c := float32(rng.NormFloat64()), float32(rng.NormFloat64()), float32(rng.NormFloat64())
				for _, act := range []string{"SiLU", "ReLU", "LeakyReLU"} {
					gz := poisoned(rng, n, 3, func() float32 { return 0 })
					var sg, sgx float32
					slope := float32(0)
					switch act {
					case "SiLU":
						sg, sgx = k.scaleShiftSiLUGrad(gz, g, x, a, b, c)
					case "LeakyReLU":
						slope = 0.01
						fallthrough
					case "ReLU":
						sg, sgx = k.scaleShiftLeakyGrad(gz, g, x, a, b, slope, c)
					}
					var w1, w2, m1, m2 float64
					for i, v := range x {
						z := bnActZ(v, a, b)
						var d float64
						if act == "SiLU" {
							d = float64(g[i]) * siluGrad64(float64(z))
							mag := float64(g[i]) * sigmoid64(float64(z)) * (1 + math.Abs(float64(z))*(1-sigmoid64(float64(z))))
							if ok, _ := vmErr(gz[i], d, math.Abs(mag), 6e-7, denormTol*(1+math.Abs(float64(z)))); !ok {
								t.Fatalf("%s: ScaleShiftSiLUGrad n=%d i=%d: %v, want %v", k.name, n, i, gz[i], d)
							}
						} else {
							want := g[i]
							if !(z > 0) {
								want = slope * g[i]
							}
							if gz[i] != want {
								t.Fatalf("%s: ScaleShiftLeakyGrad(%v) n=%d i=%d: %v, want %v", k.name, slope, n, i, gz[i], want)
							}
						}
						// The sums are over the kernel's own gz values.
						p := float64(gz[i]) * float64(v-c)
						w1 += float64(gz[i])
						w2 += p
						m1 += math.Abs(float64(gz[i]))
						m2 += math.Abs(p)
					}
					if math.Abs(float64(sg)-w1) > statsTol(n, m1, w1) || math.Abs(float64(sgx)-w2) > statsTol(n, m2, w2) {
						t.Fatalf("%s: %s sums n=%d off=%d = (%v, %v), want (%v, %v)", k.name, act, n, off, sg, sgx, w1, w2)
					}
					// In place (gz = g) gives the same values.
					g2 := append([]float32(nil), g...)
					if act == "SiLU" {
						k.scaleShiftSiLUGrad(g2, g2, x, a, b, c)
					} else {
						k.scaleShiftLeakyGrad(g2, g2, x, a, b, slope, c)
					}
					for i := range g2 {
						if g2[i] != gz[i] {
							t.Fatalf("%s: %s in place differs at %d: %v vs %v", k.name, act, i, g2[i], gz[i])
						}
					}
				}
			}
		}
	}
}

// Each element's result is the one it gets alone (length 1), and the
// assembly agrees with the Go twin to a few ulps (identical for the
// leaky kernels, which round only z).
func TestScaleShiftActPositionIndependent(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 3))
	const n = 77
	x := bnActInputs(rng, n, 0)
	g := bnActInputs(rng, n, 0)
	a, b := float32(1.7), float32(-0.3)
	for _, k := range vecImpls() {
		y := make([]float32, n)
		gz := make([]float32, n)
		k.scaleShiftSiLU(y, x, a, b)
		k.scaleShiftSiLUGrad(gz, g, x, a, b, 0)
		y1, g1 := make([]float32, 1), make([]float32, 1)
		for i := range x {
			k.scaleShiftSiLU(y1, x[i:i+1], a, b)
			k.scaleShiftSiLUGrad(g1, g[i:i+1], x[i:i+1], a, b, 0)
			if math.Float32bits(y1[0]) != math.Float32bits(y[i]) || math.Float32bits(g1[0]) != math.Float32bits(gz[i]) {
				t.Fatalf("%s: element %d alone gives (%v, %v), in the slice (%v, %v)", k.name, i, y1[0], g1[0], y[i], gz[i])
			}
		}
	}
}

// Every assembly implementation computes the same bits (AVX2 and AVX-512
// run the same operations per element and the same lane layout in the
// sums), so a result does not depend on which of them the machine has.
func TestAsmVecKernelsAgreeBitForBit(t *testing.T) {
	ks := asmVecKernels()
	if len(ks) < 2 {
		t.Skipf("%d assembly implementations on this CPU", len(ks))
	}
	rng := rand.New(rand.NewPCG(31, 4))
	same := func(what string, n int, a, b []float32) {
		t.Helper()
		for i := range a {
			if math.Float32bits(a[i]) != math.Float32bits(b[i]) && !(a[i] != a[i] && b[i] != b[i]) {
				t.Fatalf("%s n=%d element %d: %s %v, %s %v", what, n, i, ks[0].name, a[i], ks[1].name, b[i])
			}
		}
	}
	for _, n := range statLengths() {
		x := bnActInputs(rng, n, 0)
		g := bnActInputs(rng, n, 0)
		a, b, c := float32(rng.NormFloat64()), float32(rng.NormFloat64()), float32(rng.NormFloat64())
		var out [2][4][]float32
		var sums [2][2]float32
		for j, k := range ks[:2] {
			for o := range out[j] {
				out[j][o] = make([]float32, n)
			}
			k.silu(out[j][0], x)
			k.siluGradTo(out[j][1], g, x)
			k.scaleShiftSiLU(out[j][2], x, a, b)
			sums[j][0], sums[j][1] = k.scaleShiftSiLUGrad(out[j][3], g, x, a, b, c)
		}
		for o, name := range []string{"SiLU", "SiLUGradTo", "ScaleShiftSiLU", "ScaleShiftSiLUGrad"} {
			same(name, n, out[0][o], out[1][o])
		}
		same("ScaleShiftSiLUGrad sums", n, sums[0][:], sums[1][:])
	}
}

// The residual kernels round exactly as their Go loops (one product and
// one sum, or a compare and a product): every implementation must match
// them bit for bit, over all lengths, inside poisoned memory.
func TestResidualKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 5))
	eq := func(a, b float32) bool { return math.Float32bits(a) == math.Float32bits(b) || (a != a && b != b) }
	for _, k := range vecImpls() {
		for _, n := range statLengths() {
			x := bnActInputs(rng, n, 1)
			y := bnActInputs(rng, n, 2)
			for _, a := range []float32{0, 1, 1.25, -0.5} {
				z := poisoned(rng, n, 3, func() float32 { return 0 })
				want := make([]float32, n)
				k.scaleAdd(z, x, a, y)
				scaleAddGo(want, x, a, y)
				for i := range z {
					if !eq(z[i], want[i]) {
						t.Fatalf("%s: ScaleAdd n=%d a=%v i=%d: %v, want %v", k.name, n, a, i, z[i], want[i])
					}
				}
				for _, slope := range []float32{0, 1e-3} {
					k.scaleAddLeaky(z, x, a, y, slope)
					scaleAddLeakyGo(want, x, a, y, slope)
					for i := range z {
						if !eq(z[i], want[i]) {
							t.Fatalf("%s: ScaleAddLeaky n=%d a=%v slope=%v i=%d: %v, want %v", k.name, n, a, slope, i, z[i], want[i])
						}
					}
				}
			}
			for _, slope := range []float32{0, 0.01} {
				g := bnActInputs(rng, n, 0)
				want := append([]float32(nil), g...)
				k.leakyGradInPlace(g, y, slope)
				leakyGradInPlaceGo(want, y, slope)
				for i := range g {
					if !eq(g[i], want[i]) {
						t.Fatalf("%s: LeakyGradInPlace n=%d i=%d: %v, want %v", k.name, n, i, g[i], want[i])
					}
				}
			}
		}
	}
}
