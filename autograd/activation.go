package autograd

import (
	"math"

	"github.com/seed477ab429/multilabel/ops"
)

// Element-wise unary ops (the activations here, the scalar and math ops
// in elementwise.go), dfdx style: each op is an entry of a small table
// holding f (the forward) and df (the backward) next to each other, and one
// shared loop, unary, does the rest (output, parallel split, tape).
//
//	y = f(x)      ∂L/∂x = ∂L/∂y · f'(x)
//
// df may read the input x or the saved output y, whichever is cheaper
// (sigmoid' = y(1-y), exp' = y, tanh' = 1-y²). Each entry works on a chunk
// of the tensor (a slice), not on one element: the per-element function is
// a plain Go function the compiler inlines into the chunk loop, so the
// inner loops make no indirect calls. Ops with a parameter (LeakyReLU's
// slope, Clamp's bounds, Pow's exponent) read it from unaryParams.
//
// Sigmoid, SiLU, LogSigmoid, Softplus, GELU and Tanh (and Exp in
// elementwise.go) call the float32 vector kernels of ops (ops/vecmath.go):
// polynomial approximations with range reduction, relative error below
// 3e-7 (GELU: 1e-6), vectorised with AVX2/AVX-512 on amd64 for the
// hottest ones (Exp, Sigmoid, SiLU and their gradients). They replace
// float64 library math per element, which was 10-15× slower. The
// remaining entries (ELU, GELUTanh) still use float64 math.

// unaryParams carries an op's constants (meaning given per op).
type unaryParams struct{ a, b float32 }

// unaryKernel is one table entry.
type unaryKernel struct {
	name string
	// f sets y[i] = f(x[i]) for every i < len(x).
	f func(y, x []float32, p unaryParams)
	// df adds gx[i] += g[i]·f'(x[i]) for every i < len(g); y = f(x).
	df func(gx, g, x, y []float32, p unaryParams)
}

// unaryTo holds df's write form, gx[i] = g[i]·f'(x[i]), for the hot
// activations that have such a kernel. unary uses it when x has no
// gradient yet: the new buffer then needs no zeroing pass and is not read.
var unaryTo = map[*unaryKernel]func(gx, g, x, y []float32, p unaryParams){
	&siluK: func(gx, g, x, _ []float32, _ unaryParams) { ops.SiLUGradTo(gx, g, x) }, // g·σ(1 + x(1−σ))
}

// unaryGrain: elements per parallel chunk below which a loop stays on the
// calling goroutine.
const unaryGrain = 1 << 14

// unary is the shared loop: out = k.f(x), with k.df as the backward.
func unary(k *unaryKernel, x *Tensor, p unaryParams) *Tensor {
	out := result(k.name, cloneShape(x.Shape), x)
	xd, y := x.Data, out.Data
	ops.Parallel(len(xd), unaryGrain, func(lo, hi int) { k.f(y[lo:hi], xd[lo:hi], p) })
	if out.requiresGrad {
		out.backward = func() {
			g, df := out.Grad, k.df
			var gx []float32
			if dfTo := unaryTo[k]; dfTo != nil {
				var fresh bool
				if gx, fresh = x.gradWrite(); fresh {
					df = dfTo
				}
			} else {
				gx = x.grad()
			}
			ops.Parallel(len(g), unaryGrain, func(lo, hi int) {
				df(gx[lo:hi], g[lo:hi], xd[lo:hi], y[lo:hi], p)
			})
		}
	}
	return out
}

// Sigmoid: y = 1/(1+e^-x); y' = y(1-y).
func Sigmoid(x *Tensor) *Tensor { return unary(&sigmoidK, x, unaryParams{}) }

// LogSigmoid: y = log σ(x) = -softplus(-x) = min(x,0) - log1p(e^-|x|),
// finite for any x; y' = σ(-x) = 1 - σ(x).
func LogSigmoid(x *Tensor) *Tensor { return unary(&logSigmoidK, x, unaryParams{}) }

// Softplus (beta 1, threshold 20, as PyTorch): y = log(1+e^x), or x itself
// where x > 20 (log1p(e^x) equals x in float32 there); y' = σ(x), or 1
// where x > 20.
func Softplus(x *Tensor) *Tensor { return unary(&softplusK, x, unaryParams{}) }

// ReLU: y = max(x, 0); y' = 1 where x > 0, else 0 (0 at the kink, as
// PyTorch).
func ReLU(x *Tensor) *Tensor { return unary(&reluK, x, unaryParams{}) }

// LeakyReLU: y = x where x > 0, else slope·x; y' = 1 or slope.
func LeakyReLU(x *Tensor, slope float32) *Tensor {
	return unary(&leakyReLUK, x, unaryParams{a: slope})
}

// ELU: y = x where x > 0, else α(e^x - 1); y' = 1, or α·e^x = y + α.
func ELU(x *Tensor, alpha float32) *Tensor { return unary(&eluK, x, unaryParams{a: alpha}) }

// SiLU (swish): y = x·σ(x); y' = σ(x)·(1 + x(1 - σ(x))).
func SiLU(x *Tensor) *Tensor { return unary(&siluK, x, unaryParams{}) }

// GELU, exact form (PyTorch's default): y = x·Φ(x) with Φ the standard
// normal CDF, Φ(x) = ½(1 + erf(x/√2)); y' = Φ(x) + x·φ(x),
// φ(x) = e^{-x²/2}/√(2π).
func GELU(x *Tensor) *Tensor { return unary(&geluK, x, unaryParams{}) }

// GELUTanh, the tanh approximation (approximate="tanh"):
// y = ½x(1 + tanh u), u = √(2/π)(x + 0.044715x³);
// y' = ½(1 + tanh u) + ½x(1 - tanh²u)·√(2/π)(1 + 3·0.044715x²).
func GELUTanh(x *Tensor) *Tensor { return unary(&geluTanhK, x, unaryParams{}) }

// Tanh: y = tanh x; y' = 1 - y².
func Tanh(x *Tensor) *Tensor { return unary(&tanhK, x, unaryParams{}) }

// GELUTanh's constants (its float64 loop below).
const (
	sqrt2OverPi = 0.79788456080286535588 // √(2/π)
	geluC       = 0.044715
)

var (
	sigmoidK = unaryKernel{"Sigmoid",
		func(y, x []float32, _ unaryParams) { ops.Sigmoid(y, x) },
		func(gx, g, _, y []float32, _ unaryParams) { ops.SigmoidGrad(gx, g, y) }} // g·y(1−y)

	logSigmoidK = unaryKernel{"LogSigmoid",
		func(y, x []float32, _ unaryParams) { ops.LogSigmoid(y, x) },
		func(gx, g, x, _ []float32, _ unaryParams) { ops.LogSigmoidGrad(gx, g, x) }} // g·σ(−x)

	softplusK = unaryKernel{"Softplus",
		func(y, x []float32, _ unaryParams) { ops.Softplus(y, x) },
		// g·σ(x); σ rounds to 1 above the threshold 20, where y' = 1.
		func(gx, g, x, _ []float32, _ unaryParams) { ops.SoftplusGrad(gx, g, x) }}

	reluK = unaryKernel{"ReLU",
		func(y, x []float32, _ unaryParams) {
			for i, v := range x {
				y[i] = max(v, 0)
			}
		},
		func(gx, g, x, _ []float32, _ unaryParams) {
			for i, v := range x {
				if v > 0 {
					gx[i] += g[i]
				}
			}
		}}

	leakyReLUK = unaryKernel{"LeakyReLU",
		func(y, x []float32, p unaryParams) {
			for i, v := range x {
				if v <= 0 {
					v *= p.a
				}
				y[i] = v
			}
		},
		func(gx, g, x, _ []float32, p unaryParams) {
			for i, v := range x {
				if v > 0 {
					gx[i] += g[i]
				} else {
					gx[i] += g[i] * p.a
				}
			}
		}}

	eluK = unaryKernel{"ELU",
		func(y, x []float32, p unaryParams) {
			for i, v := range x {
				if v <= 0 {
					v = p.a * float32(math.Expm1(float64(v)))
				}
				y[i] = v
			}
		},
		func(gx, g, x, y []float32, p unaryParams) {
			for i, v := range x {
				if v > 0 {
					gx[i] += g[i]
				} else {
					gx[i] += g[i] * (y[i] + p.a)
				}
			}
		}}

	siluK = unaryKernel{"SiLU",
		func(y, x []float32, _ unaryParams) { ops.SiLU(y, x) },
		func(gx, g, x, _ []float32, _ unaryParams) { ops.SiLUGrad(gx, g, x) }} // g·σ(1 + x(1−σ))

	geluK = unaryKernel{"GELU",
		func(y, x []float32, _ unaryParams) { ops.GELU(y, x) },
		func(gx, g, x, _ []float32, _ unaryParams) { ops.GELUGrad(gx, g, x) }} // g·(Φ + x·φ)

	geluTanhK = unaryKernel{"GELUTanh",
		func(y, x []float32, _ unaryParams) {
			for i, v := range x {
				t := float64(v)
				y[i] = float32(0.5 * t * (1 + math.Tanh(sqrt2OverPi*(t+geluC*t*t*t))))
			}
		},
		func(gx, g, x, _ []float32, _ unaryParams) {
			for i, v := range x {
				t := float64(v)
				th := math.Tanh(sqrt2OverPi * (t + geluC*t*t*t))
				d := 0.5*(1+th) + 0.5*t*(1-th*th)*sqrt2OverPi*(1+3*geluC*t*t)
				gx[i] += g[i] * float32(d)
			}
		}}

	tanhK = unaryKernel{"Tanh",
		func(y, x []float32, _ unaryParams) { ops.Tanh(y, x) },
		func(gx, g, _, y []float32, _ unaryParams) {
			for i, t := range y {
				gx[i] += g[i] * (1 - t*t)
			}
		}}
)
