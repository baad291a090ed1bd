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
	n := vecLen3("ScaleShiftSiLUGrad", gz, g, x)
	return activeVec.scaleShiftSiLUGrad(gz[:n], g, x, a, b, c)
}

// ScaleShiftLeakyGrad sets gz[i] = g[i] if z > 0, else slope·g[i], z =
// a·x[i] + b (as ScaleShiftLeaky computes it), and returns sg = Σ gz[i]
// and sgx = Σ gz[i]·(x[i] − c). gz may be g itself.
func ScaleShiftLeakyGrad(gz, g, x []float32, a, b, slope, c float32) (sg, sgx float32) {
	n := vecLen3("ScaleShiftLeakyGrad", gz, g, x)
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

// Residual additions (autograd.Residual): the block output act(a·x + y),
// a the branch's stochastic-depth factor, and the backward's activation
// mask applied to the gradient in place.

// ScaleAdd sets z[i] = a·x[i] + y[i], the product and the sum rounded
// separately (as a scale op followed by an add op).
func ScaleAdd(z, x []float32, a float32, y []float32) {
	n := vecLen3("ScaleAdd", z, x, y)
	activeVec.scaleAdd(z[:n], x, a, y)
}

// ScaleAddLeaky sets z[i] = s if s > 0, else slope·s + 0, for s = a·x[i] +
// y[i] rounded as in ScaleAdd (slope 0: ReLU).
func ScaleAddLeaky(z, x []float32, a float32, y []float32, slope float32) {
	n := vecLen3("ScaleAddLeaky", z, x, y)
	activeVec.scaleAddLeaky(z[:n], x, a, y, slope)
}

// LeakyGradInPlace sets g[i] = g[i] if y[i] > 0, else slope·g[i]: the
// backward of ReLU (slope 0) or LeakyReLU read from the activation's
// output y (positive exactly where its input was).
func LeakyGradInPlace(g, y []float32, slope float32) {
	n := vecLen("LeakyGradInPlace", g, y)
	activeVec.leakyGradInPlace(g[:n], y, slope)
}

func scaleAddGo(z, x []float32, a float32, y []float32) {
	z, y = z[:len(x)], y[:len(x)]
	for i, v := range x {
		z[i] = float32(a*v) + y[i]
	}
}

func scaleAddLeakyGo(z, x []float32, a float32, y []float32, slope float32) {
	z, y = z[:len(x)], y[:len(x)]
	for i, v := range x {
		s := float32(a*v) + y[i]
		if s > 0 {
			z[i] = s
		} else {
			z[i] = float32(slope*s) + 0
		}
	}
}

func leakyGradInPlaceGo(g, y []float32, slope float32) {
	g = g[:len(y)]
	for i, v := range y {
		if !(v > 0) {
			g[i] *= slope
		}
	}
}

// Act selects the activation of a fused epilogue.
type Act uint8

// The activations an Epilogue applies.
const (
	ActNone Act = iota
	ActReLU
	ActLeakyReLU
	ActSiLU
)

// Epilogue is a per-channel affine map and activation applied to a
// convolution's output while it is still in cache, v → Act(v·Scale[c] +
// Shift[c]) for channel c: eval-mode batch norm and its activation folded
// into the convolution (the same z as ScaleShift computes, so the same
// bits as the separate ops).
type Epilogue struct {
	Scale, Shift []float32
	Act          Act
	Slope        float32 // ActLeakyReLU's negative slope
}

// Apply maps dst, values of channel c, in place.
func (e *Epilogue) Apply(dst []float32, c int) {
	a, b := e.Scale[c], e.Shift[c]
	switch e.Act {
	case ActNone:
		ScaleShift(dst, dst, a, b)
	case ActSiLU:
		ScaleShiftSiLU(dst, dst, a, b)
	case ActReLU:
		ScaleShiftLeaky(dst, dst, a, b, 0)
	case ActLeakyReLU:
		ScaleShiftLeaky(dst, dst, a, b, e.Slope)
	}
}
