package ops

import "math"

// The less frequent transcendental kernels, pure Go only (float32 scalar
// loops over the building blocks of vecmath.go): Tanh, GELU (erf form),
// Softplus and LogSigmoid, each with its backward.

// Tanh sets y[i] = tanh x[i]. For |x| < 0.625 an odd polynomial (Cephes'
// tanhf: x + x·z·P(z), z = x²); elsewhere 1 − 2/(e^{2|x|} + 1) with x's
// sign, which has no cancellation there since tanh >= 0.55. Relative error
// about 2e-7 (measured in the tests). Backward: tanh' = 1 − y².
func Tanh(y, x []float32) {
	n := vecLen("Tanh", y, x)
	y = y[:n]
	for i, v := range x {
		y[i] = tanh32(v)
	}
}

func tanh32(x float32) float32 {
	a := abs32(x)
	if a < 0.625 {
		if x == 0 {
			return x // keeps the sign of ±0
		}
		z := x * x
		p := -5.70498872745e-3*z + 2.06390887954e-2
		p = p*z - 5.37397155531e-2
		p = p*z + 1.33314422036e-1
		p = p*z - 3.33332819422e-1
		return x + x*(z*p)
	}
	t := 1 - 2/(exp32(2*a)+1)
	if x < 0 {
		t = -t
	}
	return t
}

// GELU sets y[i] = x·Φ(x), x = x[i], with Φ the standard normal CDF,
// Φ(x) = ½·erfc(−x/√2) (PyTorch's exact GELU). erfc comes from Cephes'
// float32 erf/erfc approximations (relative error ~1e-7 each), and the
// factor e^{−x²/2} of the tail form is computed from x² split exactly
// into two floats, so the result keeps its relative accuracy far into the
// left tail. Measured relative error at most 1e-6 (9.9e-7 at x ≈ −1.4,
// where 1 − erf z loses a factor 5 to cancellation; 2e-7 elsewhere).
// y = x for x > 10 (Φ rounds to 1) and 0 for x < −20.
func GELU(y, x []float32) {
	n := vecLen("GELU", y, x)
	y = y[:n]
	for i, v := range x {
		cdf, _ := normal32(v)
		y[i] = v * cdf
	}
}

// GELUGrad accumulates GELU's backward: gx[i] += g[i]·(Φ(x) + x·φ(x)),
// φ(x) = e^{−x²/2}/√(2π) the normal density.
func GELUGrad(gx, g, x []float32) {
	n := vecLen3("GELUGrad", gx, g, x)
	gx, g = gx[:n], g[:n]
	for i, v := range x {
		cdf, pdf := normal32(v)
		gx[i] += g[i] * (cdf + v*pdf)
	}
}

const (
	invSqrt2   float32 = 0.70710678118654752440 // 1/√2
	invSqrt2Pi float32 = 0.39894228040143267794 // 1/√(2π)
	sqrt2      float32 = 1.41421356237309504880
)

// normal32 returns Φ(x) and φ(x) for the standard normal distribution.
// With z = −x/√2, Φ = ½·erfc(z):
//
//	|z| < 1:  erfc z = 1 − erf z,  erf z = z·T(z²)           (T degree 6)
//	|z| >= 1: erfc |z| = e^{−z²}·q·P(q²), q = 1/|z|           (P degree 8
//	          for |z| < 2, degree 7 beyond), and erfc(−|z|) = 2 − erfc |z|
//
// and e^{−z²} = e^{−x²/2} = √(2π)·φ(x) is shared by both results. x² is
// taken as h + l with h = fl(x²) and l the exact rounding error (float64
// holds x² exactly), and e^{−(h+l)/2} = e^{−h/2}·(1 − l/2): without the
// correction the rounding of x² alone would cost x²·6e-8 of relative
// accuracy in the tail.
func normal32(x float32) (cdf, pdf float32) {
	switch {
	case x > 10:
		return 1, 0 // erfc(7.07) = 2e-23: Φ rounds to 1; φ·x < 1e-20
	case x < -20:
		return 0, 0 // x·Φ(x), x·φ(x) below the smallest denormal
	}
	h := x * x
	l := float32(float64(x)*float64(x) - float64(h))
	e := exp32(-0.5*h) * (1 - 0.5*l) // e^{−x²/2}
	pdf = invSqrt2Pi * e
	z := -x * invSqrt2
	az := abs32(z)
	if az < 1 {
		return 0.5 * (1 - erfSmall(z)), pdf
	}
	q := 1 / az // = √2/|x|
	y := q * q
	var p float32
	if az < 2 {
		p = 2.326819970068386e-2*y - 1.387039388740657e-1
		p = p*y + 3.687424674597105e-1
		p = p*y - 5.824733027278666e-1
		p = p*y + 6.210004621745983e-1
		p = p*y - 4.944515323274145e-1
		p = p*y + 3.404879937665872e-1
		p = p*y - 2.741127028184656e-1
		p = p*y + 5.638259427386472e-1
	} else {
		p = -1.047766399936249e+1*y + 1.297719955372516e+1
		p = p*y - 7.495518717768503e+0
		p = p*y + 2.921019019210786e+0
		p = p*y - 1.015265279202700e+0
		p = p*y + 4.218463358204948e-1
		p = p*y - 2.820767439740514e-1
		p = p*y + 5.641895067754075e-1
	}
	erfc := e * q * p // erfc |z|
	if z < 0 {
		return 1 - 0.5*erfc, pdf // Φ = ½(2 − erfc|z|)
	}
	return 0.5 * erfc, pdf
}

// erfSmall is erf z for |z| < 1 (Cephes' erff: z·T(z²)).
func erfSmall(z float32) float32 {
	s := z * z
	t := 7.853861353153693e-5*s - 8.010193625184903e-4
	t = t*s + 5.188327685732524e-3
	t = t*s - 2.685381193529856e-2
	t = t*s + 1.128358514861418e-1
	t = t*s - 3.761262582423300e-1
	t = t*s + 1.128379165726710e+0
	return z * t
}

// Softplus sets y[i] = log(1 + e^x[i]), or x itself where x > 20
// (PyTorch's threshold: log1p(e^x) rounds to x there). Backward: σ(x),
// see SoftplusGrad.
func Softplus(y, x []float32) {
	n := vecLen("Softplus", y, x)
	y = y[:n]
	for i, v := range x {
		if v > 20 {
			y[i] = v
		} else {
			y[i] = log1p32(exp32(v))
		}
	}
}

// SoftplusGrad accumulates gx[i] += g[i]·σ(x[i]) (Softplus' derivative; σ
// rounds to 1 above the threshold, so no special case).
func SoftplusGrad(gx, g, x []float32) {
	n := vecLen3("SoftplusGrad", gx, g, x)
	gx, g = gx[:n], g[:n]
	for i, v := range x {
		gx[i] += g[i] * sigmoid32(v)
	}
}

// LogSigmoid sets y[i] = log σ(x) = min(x, 0) − log(1 + e^{−|x|}), finite
// for every finite x.
func LogSigmoid(y, x []float32) {
	n := vecLen("LogSigmoid", y, x)
	y = y[:n]
	for i, v := range x {
		y[i] = min(v, 0) - log1p32(exp32(-abs32(v)))
	}
}

// LogSigmoidGrad accumulates gx[i] += g[i]·σ(−x[i]) (log σ' = 1 − σ).
func LogSigmoidGrad(gx, g, x []float32) {
	n := vecLen3("LogSigmoidGrad", gx, g, x)
	gx, g = gx[:n], g[:n]
	for i, v := range x {
		gx[i] += g[i] * sigmoid32(-v)
	}
}

// log1p32 is log(1 + t) for t >= 0 (Softplus and LogSigmoid only need
// that range). u = fl(1 + t) = 2^k·m with m in [√½, √2), and
//
//	log(1 + t) = k·ln2 + log m + c/u,   c = t − (u − 1)
//
// where log m = f − f²/2 + f³·R(f), f = m − 1 (Cephes' logf, R degree 8)
// and c/u corrects for the rounding of 1 + t (so tiny t gives t, not 0).
// Relative error about 2e-7.
func log1p32(t float32) float32 {
	if !(t < float32(math.Inf(1))) {
		return t // NaN or +Inf
	}
	u := 1 + t
	c := t - (u - 1)
	b := math.Float32bits(u)
	k := int32(b>>23) - 127
	m := math.Float32frombits(b&0x007fffff | 0x3f800000) // in [1, 2)
	if m > sqrt2 {
		m *= 0.5
		k++
	}
	f := m - 1
	z := f * f
	r := 7.0376836292e-2*f - 1.1514610310e-1
	r = r*f + 1.1676998740e-1
	r = r*f - 1.2420140846e-1
	r = r*f + 1.4249322787e-1
	r = r*f - 1.6668057665e-1
	r = r*f + 2.0000714765e-1
	r = r*f - 2.4999993993e-1
	r = r*f + 3.3333331174e-1
	kf := float32(k)
	y := f*z*r + kf*ln2Lo - 0.5*z
	return f + y + kf*ln2Hi + c/u
}
