package ops

import (
	"fmt"
	"math"
)

// Element-wise vector math on []float32: the kernels behind the engine's
// activations (Exp, Sigmoid, SiLU and their gradients here; Tanh, GELU,
// Softplus and LogSigmoid in vecmath_special.go) and the simple arithmetic
// a CNN step repeats on every activation (Add, Mul, the per-channel
// scale-shift of batch norm).
//
// Everything works in float32. The transcendental functions are
// polynomial approximations after a range reduction, accurate to a few
// float32 ulps (relative error ~1e-7, see each function), an order of
// magnitude faster than calling float64 math per element and vectorisable.
//
// Each kernel has a plain scalar Go loop here (its reference); on amd64 the
// hottest ones also have AVX2+FMA assembly twins (vecmath_amd64.s), chosen
// once at start-up (pickVec). The purego build
// tag or MULTILABEL_NOASM=1 keeps the Go loops. Assembly and Go agree to a
// few ulps (the assembly fuses multiply-adds), and every element takes the
// same instructions wherever it sits in a slice (the assembly masks the
// ragged tail instead of finishing it in Go), so results do not depend on
// how Parallel splits a tensor.
//
// Conventions, as in vec.go: the output (or accumulator) must be at least
// as long as the first input and the inputs as long as each other; the
// kernels work on len(x) elements. Output may alias an input exactly
// (in-place), never partially.

// vecKernels is one implementation of the dispatched kernels. Every
// function gets slices of one common length.
type vecKernels struct {
	name        string
	exp         func(y, x []float32)
	sigmoid     func(y, x []float32)
	silu        func(y, x []float32)
	sigmoidGrad func(gx, g, y []float32)
	siluGrad    func(gx, g, x []float32)
	siluGradTo  func(gx, g, x []float32)
	mulAdd      func(z, x, y []float32)
	scaleShift  func(y, x []float32, a, b float32)
	// Sum (vec.go), and batch-norm statistics and backward
	// (vecmath_stats.go).
	sum        func(x []float32) float64
	sumSq      func(x []float32, c float32) (s1, s2 float32)
	sumDot     func(g, x []float32, c float32) (sg, sgx float32)
	combine    func(z, x, y []float32, a, b, c, d float32)
	combineAdd func(z, x, y []float32, a, b, c, d float32)
	// Batch norm fused with its activation (vecmath_bnact.go).
	scaleShiftSiLU      func(y, x []float32, a, b float32)
	scaleShiftLeaky     func(y, x []float32, a, b, slope float32)
	scaleShiftSiLUGrad  func(gz, g, x []float32, a, b, c float32) (sg, sgx float32)
	scaleShiftLeakyGrad func(gz, g, x []float32, a, b, slope, c float32) (sg, sgx float32)
	scaleAdd            func(z, x []float32, a float32, y []float32)
	scaleAddLeaky       func(z, x []float32, a float32, y []float32, slope float32)
	leakyGradInPlace    func(g, y []float32, slope float32)
	// Plane-wise forms (vecmath_planes.go); nil: a loop over the
	// single-plane kernel.
	scaleShiftSiLUPlanes     func(y, x []float32, hw int, a, b []float32)
	scaleShiftSiLUGradPlanes func(sg, sgx, gz, g, x []float32, hw int, a, b, c []float32)
	scaleShiftPlanes         func(y, x []float32, hw int, a, b []float32)
	sumSqPlanes              func(s1, s2, x []float32, hw int, c []float32)
	sumDotPlanes             func(sg, sgx, g, x []float32, hw int, c []float32)
	combinePlanes            func(z, x, y []float32, hw int, a, b, c, d []float32)
	combineAddPlanes         func(z, x, y []float32, hw int, a, b, c, d []float32)
	scaleToPlanes            func(y, x []float32, hw int, a []float32)
	axpyPlanes               func(y, x []float32, hw int, a []float32)
	// One operation per element (vecmath_plain.go).
	scaleTo func(y, x []float32, a float32)
	axpy    func(y, x []float32, a float32)
	add     func(z, x, y []float32)
	sub     func(z, x, y []float32)
	mul     func(z, x, y []float32)
}

// goVec is the pure-Go implementation.
var goVec = vecKernels{
	name:        "go",
	exp:         expGo,
	sigmoid:     sigmoidGo,
	silu:        siluGo,
	sigmoidGrad: sigmoidGradGo,
	siluGrad:    siluGradGo,
	siluGradTo:  siluGradToGo,
	mulAdd:      mulAddGo,
	scaleShift:  scaleShiftGo,
	sum:         sumGo,
	sumSq:       sumSqGo,
	sumDot:      sumDotGo,
	combine:     combineGo,
	combineAdd:  combineAddGo,

	scaleShiftSiLU:      scaleShiftSiLUGo,
	scaleShiftLeaky:     scaleShiftLeakyGo,
	scaleShiftSiLUGrad:  scaleShiftSiLUGradGo,
	scaleShiftLeakyGrad: scaleShiftLeakyGradGo,
	scaleAdd:            scaleAddGo,
	scaleAddLeaky:       scaleAddLeakyGo,
	leakyGradInPlace:    leakyGradInPlaceGo,
	scaleTo:             scaleToGo,
	axpy:                axpyVecGo,
	add:                 addGo,
	sub:                 subGo,
	mul:                 mulGo,
}

// activeVec is the implementation the public kernels call.
var activeVec = pickVec()

// pickVec returns the best assembly kernels this CPU runs (asmVecKernels,
// per architecture, lists them best first), or the Go ones under
// MULTILABEL_NOASM=1.
func pickVec() vecKernels {
	if ks := asmVecKernels(); len(ks) > 0 && !noasm {
		return ks[0]
	}
	return goVec
}

// VecKernel names the element-wise implementation in use ("avx512",
// "avx2" or "go"), for logs and benchmarks.
func VecKernel() string { return activeVec.name }

// vecLen checks that out (the output) holds at least len(x) elements, then
// returns len(x). vecLen and vecLen3 are small enough to inline (the
// message is formatted out of line): the batch-norm kernels run once per
// (image, channel) plane, a few values each in a network's last stages,
// where a variadic check that did not inline cost as much as the kernel
// (3.9 ns a call).
func vecLen(op string, out, x []float32) int {
	n := len(x)
	if len(out) < n {
		panic(lenError{op, len(out), n, n})
	}
	return n
}

// vecLen3 is vecLen with a second input y, which must be as long as x.
func vecLen3(op string, out, x, y []float32) int {
	n := len(x)
	if len(out) < n || len(y) != n {
		panic(lenError{op, len(out), n, len(y)})
	}
	return n
}

// lenError is vecLen's panic value; its message is formatted only when
// printed.
type lenError struct {
	op            string
	out, n, other int
}

func (e lenError) Error() string {
	if e.out < e.n {
		return fmt.Sprintf("ops.%s: output length %d < input length %d", e.op, e.out, e.n)
	}
	return fmt.Sprintf("ops.%s: input lengths %d and %d differ", e.op, e.n, e.other)
}

// Exp sets y[i] = e^x[i]. Relative error about 1 ulp (measured 8.1e-8)
// for results in float32's normal range; x above 88.72 gives +Inf, below
// -103.97 gives 0, in between the denormal results are accurate to one
// denormal step; NaN stays NaN.
func Exp(y, x []float32) {
	n := vecLen("Exp", y, x)
	activeVec.exp(y[:n], x)
}

// Sigmoid sets y[i] = σ(x[i]) = 1/(1+e^-x[i]), computed from e^-|x| so that
// it neither overflows nor loses relative accuracy for negative x (σ(x) =
// e^x/(1+e^x) there): relative error about 2e-7 everywhere.
func Sigmoid(y, x []float32) {
	n := vecLen("Sigmoid", y, x)
	activeVec.sigmoid(y[:n], x)
}

// SigmoidGrad accumulates the sigmoid's backward from its output:
// gx[i] += g[i]·y[i]·(1 − y[i]), y = σ(x).
func SigmoidGrad(gx, g, y []float32) {
	n := vecLen3("SigmoidGrad", gx, g, y)
	activeVec.sigmoidGrad(gx[:n], g, y)
}

// SiLU (swish) sets y[i] = x[i]·σ(x[i]). As in PyTorch, SiLU(-Inf) is NaN
// (-Inf·0).
func SiLU(y, x []float32) {
	n := vecLen("SiLU", y, x)
	activeVec.silu(y[:n], x)
}

// SiLUGrad accumulates SiLU's backward from its input:
//
//	gx[i] += g[i]·s·(1 + x·(1 − s)),  s = σ(x[i]), x = x[i]
//
// with 1 − s = σ(−x) taken from the same e^-|x| as s, so it keeps its
// relative accuracy for large x.
func SiLUGrad(gx, g, x []float32) {
	n := vecLen3("SiLUGrad", gx, g, x)
	activeVec.siluGrad(gx[:n], g, x)
}

// SiLUGradTo is SiLUGrad into a fresh buffer: gx[i] = g[i]·s·(1 + x·(1 −
// s)), written rather than added (no pass to zero gx first).
func SiLUGradTo(gx, g, x []float32) {
	n := vecLen3("SiLUGradTo", gx, g, x)
	activeVec.siluGradTo(gx[:n], g, x)
}

// Add sets z[i] = x[i] + y[i].
func Add(z, x, y []float32) {
	n := vecLen3("Add", z, x, y)
	activeVec.add(z[:n], x, y)
}

// Sub sets z[i] = x[i] − y[i].
func Sub(z, x, y []float32) {
	n := vecLen3("Sub", z, x, y)
	activeVec.sub(z[:n], x, y)
}

// Mul sets z[i] = x[i]·y[i].
func Mul(z, x, y []float32) {
	n := vecLen3("Mul", z, x, y)
	activeVec.mul(z[:n], x, y)
}

// MulAdd accumulates z[i] += x[i]·y[i] (the backward of a product:
// ∂L/∂a += g·b), rounding the product and the sum separately, as the Go
// loop does, so assembly and Go agree bit for bit.
func MulAdd(z, x, y []float32) {
	n := vecLen3("MulAdd", z, x, y)
	activeVec.mulAdd(z[:n], x, y)
}

// ScaleShift sets y[i] = a·x[i] + b, the per-channel affine map of batch
// norm (one call per (n, c) plane of H·W values) and of scalar add/scale.
// Product and sum are rounded separately, as in the Go loop, so a = 1
// gives exactly x + b. (With b = 0 a product −0 becomes +0; ScaleTo keeps
// it.)
func ScaleShift(y, x []float32, a, b float32) {
	n := vecLen("ScaleShift", y, x)
	activeVec.scaleShift(y[:n], x, a, b)
}

// ScaleTo sets y[i] = a·x[i] (Scale in place is vec.go's Scale).
func ScaleTo(y, x []float32, a float32) {
	n := vecLen("ScaleTo", y, x)
	activeVec.scaleTo(y[:n], x, a)
}

// The exponential, float32 (after Cephes' expf, with an overflow-free
// scaling step):
//
//	n = round(x·log₂e),  r = x − n·ln2    (|r| <= ln2/2; ln2 in two parts,
//	                                        ln2Hi·n exact, so r is exact to
//	                                        about 2^-35)
//	e^r ≈ 1 + r + r²·P(r)                  (P degree 5, Cephes' minimax fit)
//	e^x = e^r · 2^n1 · 2^n2,  n1 = n>>1, n2 = n − n1
//
// Splitting 2^n in two keeps both factors normal for every n in [−150,
// 128], so huge results overflow to +Inf and tiny ones round once into
// the denormals, without special cases. x is clamped to [expLo, expHi]
// first (±Inf included); NaN passes through the clamp and every step.
const (
	expHi  float32 = 88.8 // above ln(MaxFloat32) = 88.7228: e^x = +Inf
	expLo  float32 = -104 // below ln(2^-150) = -103.97: e^x = 0
	log2e  float32 = 1.44269504088896341
	ln2Hi  float32 = 0.693359375 // 355/512: n·ln2Hi is exact for |n| < 2^15
	ln2Lo  float32 = -2.12194440e-4
	expC0  float32 = 1.9875691500e-4
	expC1  float32 = 1.3981999507e-3
	expC2  float32 = 8.3334519073e-3
	expC3  float32 = 4.1665795894e-2
	expC4  float32 = 1.6666665459e-1
	expC5  float32 = 5.0000001201e-1
	rndMag float32 = 12582912 // 1.5·2^23: v + rndMag − rndMag rounds v to an integer (ties to even)
)

// exp32 is e^x for any float32 x. (The clamps are comparisons rather than
// the min/max builtins, whose NaN and ±0 rules cost branches; a NaN fails
// both comparisons and passes through.)
func exp32(x float32) float32 {
	if x > expHi {
		x = expHi
	}
	if x < expLo {
		x = expLo
	}
	return expCore(x)
}

// expCore is e^x for x in [expLo, expHi] or NaN.
func expCore(x float32) float32 {
	n := x*log2e + rndMag
	n -= rndMag
	r := x - n*ln2Hi
	r -= n * ln2Lo
	p := expC0*r + expC1
	p = p*r + expC2
	p = p*r + expC3
	p = p*r + expC4
	p = p*r + expC5
	p = p*(r*r) + r
	p += 1
	k := int32(n)
	n1 := k >> 1
	e1 := math.Float32frombits(uint32(n1+127) << 23)
	e2 := math.Float32frombits(uint32(k-n1+127) << 23)
	return p * e1 * e2
}

// sigmoidParts returns e = e^-|x| (in [0, 1]) and r = 1/(1+e); then σ(x) =
// r and σ(-x) = e·r for x >= 0, and the other way round for x < 0. Neither
// overflows and both keep their relative accuracy in the tails.
func sigmoidParts(x float32) (e, r float32) {
	a := -abs32(x)
	if a < expLo {
		a = expLo
	}
	e = expCore(a)
	return e, 1 / (1 + e)
}

// sigmoid32 is σ(x) = 1/(1+e^-x).
func sigmoid32(x float32) float32 {
	e, r := sigmoidParts(x)
	return pickNeg(x, r, e*r)
}

// pickNeg returns neg if x's sign bit is set, else pos: a select on bits,
// without a branch (the sign of activations is a coin flip, and
// mispredictions would cost more than the arithmetic). At −0 the callers'
// two choices are equal.
func pickNeg(x, pos, neg float32) float32 {
	m := uint32(int32(math.Float32bits(x)) >> 31) // all ones if x < 0
	return math.Float32frombits(math.Float32bits(pos)&^m | math.Float32bits(neg)&m)
}

func abs32(x float32) float32 {
	return math.Float32frombits(math.Float32bits(x) &^ (1 << 31))
}

// Pure-Go kernels (the references of the assembly).

func expGo(y, x []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] = exp32(v)
	}
}

func sigmoidGo(y, x []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] = sigmoid32(v)
	}
}

func siluGo(y, x []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] = v * sigmoid32(v)
	}
}

func sigmoidGradGo(gx, g, y []float32) {
	gx, g = gx[:len(y)], g[:len(y)]
	for i, s := range y {
		gx[i] += g[i] * (s * (1 - s))
	}
}

func siluGradGo(gx, g, x []float32) {
	gx, g = gx[:len(x)], g[:len(x)]
	for i, v := range x {
		e, r := sigmoidParts(v)
		er := e * r
		s, c := pickNeg(v, r, er), pickNeg(v, er, r) // σ(x), 1 − σ(x) = σ(−x)
		gx[i] += g[i] * (s * (1 + v*c))
	}
}

func siluGradToGo(gx, g, x []float32) {
	gx, g = gx[:len(x)], g[:len(x)]
	for i, v := range x {
		e, r := sigmoidParts(v)
		er := e * r
		s, c := pickNeg(v, r, er), pickNeg(v, er, r)
		gx[i] = g[i] * (s * (1 + v*c))
	}
}

func mulAddGo(z, x, y []float32) {
	z, y = z[:len(x)], y[:len(x)]
	for i, v := range x {
		z[i] += v * y[i]
	}
}

func scaleShiftGo(y, x []float32, a, b float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] = float32(a*v) + b // two roundings, as the assembly (no FMA)
	}
}
