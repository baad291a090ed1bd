package ops

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The batch-norm reductions (SumSq, SumDot) of every implementation
// against float64 sums. The tolerance is the textbook bound of recursive
// float32 summation, (k−1)·u·Σ|terms| for k terms per accumulator: the
// assembly adds about n/32 terms per lane, then folds 32 lanes (5 levels)
// and the loose vectors, so k ≤ n/32 + 16; u = 2⁻²⁴. A lost or doubled
// element, or a lane read past the end (the memory after the slice holds
// NaN and huge values), breaks it by orders of magnitude. Combine and
// CombineAdd run in vecmath_test.go's tail and guard-band test with the
// other element-wise kernels.

// statsTol is the bound above for n terms of total magnitude mag, plus
// the final rounding of the result to float32.
func statsTol(n int, mag, want float64) float64 {
	const u = 0x1p-24
	return float64(n/32+16)*u*mag + u*math.Abs(want)
}

// poisoned returns a slice of n values drawn by fill at offset off inside a
// buffer whose other elements are NaN, +Inf and 1e30 (poison for any read
// past either end).
func poisoned(rng *rand.Rand, n, off int, fill func() float32) []float32 {
	poison := []float32{float32(math.NaN()), float32(math.Inf(1)), 1e30}
	buf := make([]float32, off+n+17)
	for i := range buf {
		buf[i] = poison[rng.IntN(len(poison))]
	}
	x := buf[off : off+n]
	for i := range x {
		x[i] = fill()
	}
	return x
}

func statLengths() []int {
	ns := []int{}
	for n := 0; n <= 100; n++ {
		ns = append(ns, n)
	}
	return append(ns, 255, 256, 257, 1000, 4096, 4099, 16384)
}

func TestSumSq(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, k := range vecImpls() {
		for _, n := range statLengths() {
			for _, off := range []int{0, 1, 3} {
				mean := float32(rng.NormFloat64() * 5)
				x := poisoned(rng, n, off, func() float32 { return mean + float32(rng.NormFloat64()*2) })
				for _, c := range []float32{0, mean, float32(rng.NormFloat64())} {
					var w1, w2, m1, m2 float64
					for _, v := range x {
						d := float64(v - c)
						w1 += d
						w2 += d * d
						m1 += math.Abs(d)
					}
					m2 = w2
					s1, s2 := k.sumSq(x, c)
					if math.Abs(float64(s1)-w1) > statsTol(n, m1, w1) || math.Abs(float64(s2)-w2) > statsTol(n, m2, w2) {
						t.Fatalf("%s: SumSq n=%d off=%d c=%v = (%v, %v), want (%v, %v)", k.name, n, off, c, s1, s2, w1, w2)
					}
				}
			}
		}
	}
}

func TestSumDotStats(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	for _, k := range vecImpls() {
		for _, n := range statLengths() {
			for _, off := range []int{0, 2} {
				g := poisoned(rng, n, off, func() float32 { return float32(rng.NormFloat64()) })
				mean := float32(rng.NormFloat64() * 5)
				x := poisoned(rng, n, 1+off, func() float32 { return mean + float32(rng.NormFloat64()*2) })
				var w1, w2, m1, m2 float64
				for i, v := range g {
					p := float64(v) * float64(x[i]-mean)
					w1 += float64(v)
					w2 += p
					m1 += math.Abs(float64(v))
					m2 += math.Abs(p)
				}
				sg, sgx := k.sumDot(g, x, mean)
				if math.Abs(float64(sg)-w1) > statsTol(n, m1, w1) || math.Abs(float64(sgx)-w2) > statsTol(n, m2, w2) {
					t.Fatalf("%s: SumDot n=%d off=%d = (%v, %v), want (%v, %v)", k.name, n, off, sg, sgx, w1, w2)
				}
			}
		}
	}
}

// The corrected two-pass variance that BatchNorm2d computes: pass one
// gives the mean, pass two the squares about the float32 mean and the
// residual s1 that corrects for its rounding. With a mean 10⁴ times the
// standard deviation (where E[x²] − E[x]² in float32 would be all
// rounding noise) the variance is still right to 1e-5.
func TestSumSqVariance(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	const n = 4099
	x := make([]float32, n)
	for i := range x {
		x[i] = 1e4 + float32(rng.NormFloat64())
	}
	var m64 float64
	for _, v := range x {
		m64 += float64(v)
	}
	m64 /= n
	var want float64
	for _, v := range x {
		want += (float64(v) - m64) * (float64(v) - m64)
	}
	want /= n
	for _, k := range vecImpls() {
		s, _ := k.sumSq(x, 0)
		mu := float32(float64(s) / n)
		d1, d2 := k.sumSq(x, mu)
		got := (float64(d2) - float64(d1)*float64(d1)/n) / n
		if math.Abs(got-want) > 1e-5*want {
			t.Errorf("%s: variance %v, want %v", k.name, got, want)
		}
	}
}

// Sum accumulates in float64 in every implementation: against an exact
// float64 sum (the terms are float32, so a float64 sum of up to 2^29 of
// them is exact to 2^-24 relative of Σ|x| at worst), with poisoned memory
// around the slice.
func TestSumFloat64Lanes(t *testing.T) {
	rng := rand.New(rand.NewPCG(27, 28))
	for _, k := range vecImpls() {
		for _, n := range statLengths() {
			for _, off := range []int{0, 1, 3} {
				x := poisoned(rng, n, off, func() float32 { return float32(rng.NormFloat64() * 100) })
				var want, mag float64
				for _, v := range x {
					want += float64(v)
					mag += math.Abs(float64(v))
				}
				if got := k.sum(x); math.Abs(got-want) > 1e-13*mag {
					t.Fatalf("%s: Sum n=%d off=%d = %v, want %v", k.name, n, off, got, want)
				}
			}
		}
	}
}
