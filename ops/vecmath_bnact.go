package ops

// Batch norm fused with the activation that follows it (autograd's
// BatchNorm2d with an Act): one pass over an (n, c) plane instead of two
// in the forward, and the activation's backward folded into the first
// pass of batch norm's backward. Per channel, with scale a = γ·rstd and
// shift b = β − μ·a:
//
//	forward:  z = a·x + b,  y = act(z)           ScaleShiftSiLU / ScaleShiftLeaky
//	backward: gz = g·act'(z), z recomputed from x, and the sums
//	          Σgz, Σgz·(x−μ) batch norm needs     ScaleShiftSiLUGrad / ScaleShiftLeakyGrad
//	          ∂x = Combine(gz, x, ...)           (vecmath_stats.go)
//
// so the pre-activation z is never stored: the backward recomputes it
// from the batch norm input x, with the same two roundings (a·x, then +b)
// as the forward, so it is bit for bit the z the forward activated.
//
// The sums follow SumDot's conventions: float32 vector lanes in the
// assembly, float64 in the Go twins (the references).

// ScaleShiftSiLU sets y[i] = SiLU(z), z = a·x[i] + b, the product and the
// sum rounded separately (ScaleShift's z).
func ScaleShiftSiLU(y, x []float32, a, b float32) {
	n := vecLen("ScaleShiftSiLU", y, x)
	activeVec.scaleShiftSiLU(y[:n], x, a, b)
}

// ScaleShiftLeaky sets y[i] = z if z > 0, else slope·z + 0, with z = a·x[i]
// + b (rounded as in ScaleShift). slope 0 is ReLU (the + 0 makes the
// negative side +0, as max(z, 0) does); slope > 0 is LeakyReLU.
func ScaleShiftLeaky(y, x []float32, a, b, slope float32) {
	n := vecLen("ScaleShiftLeaky", y, x)
	activeVec.scaleShiftLeaky(y[:n], x, a, b, slope)
}

// ScaleShiftSiLUGrad sets gz[i] = g[i]·SiLU'(z), z = a·x[i] + b (as
// ScaleShiftSiLU computes it), SiLU'(z) = s·(1 + z·(1 − s)), s = σ(z), and
// returns sg = Σ gz[i] and sgx = Σ gz[i]·(x[i] − c). gz may be g itself.
func ScaleShiftSiLUGrad(gz, g, x []float32, a, b, c float32) (sg, sgx float32) {
	n := vecLen("ScaleShiftSiLUGrad", gz, g, x)
	return activeVec.scaleShiftSiLUGrad(gz[:n], g, x, a, b, c)
}

// ScaleShiftLeakyGrad sets gz[i] = g[i] if z > 0, else slope·g[i], z =
// a·x[i] + b (as ScaleShiftLeaky computes it), and returns sg = Σ gz[i]
// and sgx = Σ gz[i]·(x[i] − c). gz may be g itself.
func ScaleShiftLeakyGrad(gz, g, x []float32, a, b, slope, c float32) (sg, sgx float32) {
	n := vecLen("ScaleShiftLeakyGrad", gz, g, x)
	return activeVec.scaleShiftLeakyGrad(gz[:n], g, x, a, b, slope, c)
}

// Pure-Go kernels (the references of the assembly). float32(a*v) keeps
// the compiler from fusing a·x + b into one rounding on machines with FMA.

func scaleShiftSiLUGo(y, x []float32, a, b float32) {
	y = y[:len(x)]
	for i, v := range x {
		z := float32(a*v) + b
		y[i] = z * sigmoid32(z)
	}
}

func scaleShiftLeakyGo(y, x []float32, a, b, slope float32) {
	y = y[:len(x)]
	for i, v := range x {
		z := float32(a*v) + b
		if z > 0 {
			y[i] = z
		} else {
			y[i] = float32(slope*z) + 0
		}
	}
}

func scaleShiftSiLUGradGo(gz, g, x []float32, a, b, c float32) (sg, sgx float32) {
	gz, g = gz[:len(x)], g[:len(x)]
	var s1, s2 float64
	for i, v := range x {
		z := float32(a*v) + b
		e, r := sigmoidParts(z)
		er := e * r
		s, q := pickNeg(z, r, er), pickNeg(z, er, r) // σ(z), 1 − σ(z)
		d := g[i] * (s * (1 + z*q))
		gz[i] = d
		s1 += float64(d)
		s2 += float64(d) * float64(v-c)
	}
	return float32(s1), float32(s2)
}

func scaleShiftLeakyGradGo(gz, g, x []float32, a, b, slope, c float32) (sg, sgx float32) {
	gz, g = gz[:len(x)], g[:len(x)]
	var s1, s2 float64
	for i, v := range x {
		z := float32(a*v) + b
		d := g[i]
		if !(z > 0) {
			d *= slope
		}
		gz[i] = d
		s1 += float64(d)
		s2 += float64(d) * float64(v-c)
	}
	return float32(s1), float32(s2)
}
