package ops

import "fmt"

// Vector kernels on []float32. Axpy and Scale run the dispatched
// kernels of vecmath_plain.go (Go loops with AVX2 twins, same bits); the
// others are plain loops. Lengths are checked once, outside the loop, so the
// compiler can drop the per-element bounds checks.

// Axpy computes y += alpha·x over len(x) elements (BLAS saxpy); y must be
// at least as long as x. Gradient accumulation (gx += g) is Axpy(1, g, gx).
func Axpy(alpha float32, x, y []float32) {
	if len(y) < len(x) {
		panic(fmt.Sprintf("ops.Axpy: len(y) %d < len(x) %d", len(y), len(x)))
	}
	activeVec.axpy(y[:len(x)], x, alpha)
}

// Scale computes x *= alpha in place.
func Scale(alpha float32, x []float32) {
	activeVec.scaleTo(x, x, alpha)
}

// Sum returns Σ x_i, accumulated in float64 so that long sums (a whole
// feature map, a batch of losses) do not lose the small terms. On amd64
// the AVX2 twin (vecmath_stats_amd64.s) keeps 16 float64 lanes, so the
// order of the additions differs from the loop's; both are float64 sums,
// equal after the rounding to float32 but for rare last-bit ties.
func Sum(x []float32) float32 {
	return float32(activeVec.sum(x))
}

// sumGo is Sum's reference loop.
func sumGo(x []float32) float64 {
	var s float64
	for _, v := range x {
		s += float64(v)
	}
	return s
}

// Dot returns Σ x_i·y_i over len(x) elements, accumulated in float64; y
// must be at least as long as x.
func Dot(x, y []float32) float32 {
	if len(y) < len(x) {
		panic(fmt.Sprintf("ops.Dot: len(y) %d < len(x) %d", len(y), len(x)))
	}
	y = y[:len(x)]
	var s float64
	for i, v := range x {
		s += float64(v) * float64(y[i])
	}
	return float32(s)
}

// MaxIndex returns the index of the largest element of x (the first one
// on ties) and its value; x must not be empty. NaNs are skipped unless x
// is all NaN.
func MaxIndex(x []float32) (int, float32) {
	if len(x) == 0 {
		panic("ops.MaxIndex: empty slice")
	}
	best, bv := 0, x[0]
	for i, v := range x {
		if v > bv || (bv != bv && v == v) {
			best, bv = i, v
		}
	}
	return best, bv
}
