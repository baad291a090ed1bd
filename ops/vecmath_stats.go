package ops

import "fmt"

// Reductions and fused combinations for normalisation layers: the kernels
// behind BatchNorm2d's statistics and backward, one (n, c) plane of H·W
// values per call. Forward and backward of batch norm, per channel with M
// values:
//
//	forward:  μ = Σx/M,  σ² = Σ(x−μ)²/M          SumSq(x, 0), SumSq(x, μ)
//	          y = x·scale + shift                  ScaleShift
//	backward: Σg, Σg·(x−μ)                         SumDot(g, x, μ)
//	          ∂x = k·g − k·rstd·mean(g·n)·(x−μ) − k·mean(g)
//	                                               Combine / CombineAdd
//
// The reductions accumulate in float32 vector lanes (AVX2: 32 lanes, so a
// 64×64 plane puts 128 terms in each lane) and return float32: the caller
// adds the planes of a channel in float64. Their Go twins accumulate in
// float64 (the loops autograd used before); the two agree to the float32
// rounding of the lane sums, about 1e-6 of the sum of |terms| (measured in
// vecmath_stats_test.go).

// SumSq returns s1 = Σ (x_i − c) and s2 = Σ (x_i − c)², each difference
// rounded to float32 first. With c = 0 it gives Σx and Σx²; with c the
// mean μ (two passes) it gives the variance's sum of squares, and s1 ≈ 0
// measures how far the float32 μ is from the exact mean (the corrected
// two-pass algorithm: Σ(x−m)² = s2 − s1²/M for the exact m = μ + s1/M).
func SumSq(x []float32, c float32) (s1, s2 float32) {
	return activeVec.sumSq(x, c)
}

// SumDot returns sg = Σ g_i and sgx = Σ g_i·(x_i − c) over len(g)
// elements; x must be exactly as long as g. Batch norm's backward takes
// Σg (∂β) and, with c = μ, Σg·(x−μ) = Σg·n/rstd (∂γ).
func SumDot(g, x []float32, c float32) (sg, sgx float32) {
	if len(x) != len(g) {
		panic(fmt.Sprintf("ops.SumDot: input lengths %d and %d differ", len(g), len(x)))
	}
	return activeVec.sumDot(g, x, c)
}

// Combine sets z[i] = a·x[i] + b·(y[i] − c) + d: batch norm's training
// input gradient with x = g, y the input, c = μ, a = γ·rstd, b =
// −γ·rstd²·mean(g·n), d = −γ·rstd·mean(g). Keeping y − c apart (rather
// than folding −b·c into d) avoids cancelling b·y against b·c when |μ|
// is large next to σ. The assembly fuses the multiply-adds, so it agrees
// with the Go loop to a few ulps of the terms.
func Combine(z, x, y []float32, a, b, c, d float32) {
	n := vecLen3("Combine", z, x, y)
	activeVec.combine(z[:n], x, y, a, b, c, d)
}

// CombineAdd accumulates z[i] += a·x[i] + b·(y[i] − c) + d (Combine into
// a gradient that already holds other terms).
func CombineAdd(z, x, y []float32, a, b, c, d float32) {
	n := vecLen3("CombineAdd", z, x, y)
	activeVec.combineAdd(z[:n], x, y, a, b, c, d)
}

// Pure-Go kernels (the references of the assembly).

func sumSqGo(x []float32, c float32) (s1, s2 float32) {
	var a, q float64
	for _, v := range x {
		d := float64(v - c)
		a += d
		q += d * d
	}
	return float32(a), float32(q)
}

func sumDotGo(g, x []float32, c float32) (sg, sgx float32) {
	x = x[:len(g)]
	var a, q float64
	for i, v := range g {
		a += float64(v)
		q += float64(v) * float64(x[i]-c)
	}
	return float32(a), float32(q)
}

func combineGo(z, x, y []float32, a, b, c, d float32) {
	z, y = z[:len(x)], y[:len(x)]
	for i, v := range x {
		z[i] = a*v + (b*(y[i]-c) + d)
	}
}

func combineAddGo(z, x, y []float32, a, b, c, d float32) {
	z, y = z[:len(x)], y[:len(x)]
	for i, v := range x {
		z[i] += a*v + (b*(y[i]-c) + d)
	}
}
