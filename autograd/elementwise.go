package autograd

import (
	"fmt"
	"math"

	"github.com/seed477ab429/multilabel/ops"
)

// Element-wise arithmetic. Binary ops broadcast (see broadcast.go) and,
// like the unary table, pair each forward loop with its derivative loops.
// Add, Sub and Mul hand their runs to the vector kernels of ops: within a
// run each operand is contiguous (stride 1) or one repeated value (stride
// 0, a per-channel or scalar operand), so a run is ops.Add/Sub/Mul, or
// ops.ScaleShift/ScaleTo with that value as the constant.
// The scalar and unary math ops at the end of this file are entries of the
// f/df table whose shared loop, unary, lives in activation.go.

// binaryKernel is a broadcasting binary op out = f(a, b). Each function
// works on one run of the plan (broadcast.go): j < len(out) (or len(g))
// indexes the run, a is read at a[j·sa] and b at b[j·sb], with sa and sb
// 0 (stretched) or 1.
type binaryKernel struct {
	name string
	f    func(out, a []float32, sa int, b []float32, sb int)
	// da and db add g[j]·∂f/∂a (∂f/∂b) into dst[j]; y is the forward output.
	da, db func(dst, g, y, a []float32, sa int, b []float32, sb int)
	// daTo and dbTo, when set, are da and db's write forms (dst[j] = ...):
	// used for an input of the output's shape with no gradient yet (tape.go,
	// "Gradient buffers"), which then needs no zeroing pass.
	daTo, dbTo func(dst, g, y, a []float32, sa int, b []float32, sb int)
	// ca, cb, when not 0, say that ∂f/∂a (∂f/∂b) is that constant (Add,
	// Sub): the gradient is then c·g summed down, with no da/db pass.
	ca, cb float32
	// product says f is a·b: a factor stretched along the runs against a
	// contiguous one gets its gradient as one dot product per run
	// (bcastGradMulRuns) instead of through da/db.
	product bool
}

// binary runs k over a ⊙ b with broadcasting. When the shapes are equal
// the plan is a single flat run; a per-channel [1,C,1,1] operand gives runs
// of H·W with stride 0 for it.
func binary(k *binaryKernel, a, b *Tensor) *Tensor {
	p := newBcastPlan(k.name, a.Shape, b.Shape)
	out := result(k.name, p.out, a, b)
	var aPlanes, planes bool // a product of planes and one value per plane (broadcast.go)
	if k.product {
		aPlanes, planes = p.planeScale()
	}
	forward := func(y []float32) {
		ad, bd := a.Data, b.Data
		if planes {
			if aPlanes {
				scalePlanes(y, ad, bd, p, false)
			} else {
				scalePlanes(y, bd, ad, p, false)
			}
			return
		}
		p.parallel(func(o, ia, ib, l int) { k.f(y[o:o+l], ad[ia:], p.ia, bd[ib:], p.ib) })
	}
	forward(out.Data)
	if out.requiresGrad {
		lazyRead(a, b)
		if k.product {
			// a·b's backward reads a and b, not out: out may be dropped
			// and computed again (recompute.go).
			out.setRecompute(forward, a, b)
		}
		out.backward = func() {
			// The operands' Data are read now: they may have been dropped
			// and computed again since the forward (recompute.go).
			g, ad, bd, y := out.Grad, a.Data, b.Data, out.Data // y is nil if out was dropped (a product's terms do not read it)
			if a.requiresGrad && k.ca != 0 {
				bcastGradLinear(a, out, p, g, k.ca)
			} else if a.requiresGrad && k.product && p.ia == 0 && p.ib == 1 {
				bcastGradMulRuns(a, b, out, p, g, true)
			} else if a.requiresGrad && planes && aPlanes {
				gx, fresh := a.gradWrite()
				scalePlanes(gx, g, bd, p, !fresh)
			} else if a.requiresGrad {
				bcastGrad(a, out, p, func(dst []float32, o, ia, ib, l int) {
					k.da(dst, g[o:o+l], run(y, o, l), ad[ia:], p.ia, bd[ib:], p.ib)
				}, writeTerm(k.daTo, g, y, ad, bd, p))
			}
			if b.requiresGrad && k.cb != 0 {
				bcastGradLinear(b, out, p, g, k.cb)
			} else if b.requiresGrad && k.product && p.ib == 0 && p.ia == 1 {
				bcastGradMulRuns(b, a, out, p, g, false)
			} else if b.requiresGrad && planes && !aPlanes {
				gx, fresh := b.gradWrite()
				scalePlanes(gx, g, ad, p, !fresh)
			} else if b.requiresGrad {
				bcastGrad(b, out, p, func(dst []float32, o, ia, ib, l int) {
					k.db(dst, g[o:o+l], run(y, o, l), ad[ia:], p.ia, bd[ib:], p.ib)
				}, writeTerm(k.dbTo, g, y, ad, bd, p))
			}
		}
	}
	return out
}

// Add: out = a + b (broadcasting); ∂out/∂a = ∂out/∂b = 1.
func Add(a, b *Tensor) *Tensor { return binary(&addK, a, b) }

// Sub: out = a - b (broadcasting); ∂out/∂a = 1, ∂out/∂b = -1.
func Sub(a, b *Tensor) *Tensor { return binary(&subK, a, b) }

// Mul: out = a·b (broadcasting); ∂out/∂a = b, ∂out/∂b = a.
func Mul(a, b *Tensor) *Tensor { return binary(&mulK, a, b) }

// Div: out = a/b (broadcasting); ∂out/∂a = 1/b, ∂out/∂b = -a/b² = -out/b.
func Div(a, b *Tensor) *Tensor { return binary(&divK, a, b) }

// Maximum: out = max(a, b) element-wise (broadcasting). The gradient goes
// to the larger input; on a tie a == b each gets half of it (PyTorch's
// rule, which keeps max(a, a) = a with gradient 1).
func Maximum(a, b *Tensor) *Tensor { return binary(&maximumK, a, b) }

// Minimum: out = min(a, b), gradient rules as Maximum.
func Minimum(a, b *Tensor) *Tensor { return binary(&minimumK, a, b) }

// fillConst sets every out[j] = v (a run where both operands are stretched).
func fillConst(out []float32, v float32) {
	for j := range out {
		out[j] = v
	}
}

// writeTerm wraps a write-form derivative (nil: none) as a bcastGrad term.
func writeTerm(d func(dst, g, y, a []float32, sa int, b []float32, sb int), g, y, ad, bd []float32, p *bcastPlan) func(dst []float32, o, ia, ib, l int) {
	if d == nil {
		return nil
	}
	return func(dst []float32, o, ia, ib, l int) {
		d(dst, g[o:o+l], run(y, o, l), ad[ia:], p.ia, bd[ib:], p.ib)
	}
}

// run is y[o:o+l], or nil for a nil y (a dropped product output, which
// its derivatives do not read).
func run(y []float32, o, l int) []float32 {
	if y == nil {
		return nil
	}
	return y[o : o+l]
}

// mulGradTo sets dst[j] = g[j]·o[j·so] (mulGrad's write form).
func mulGradTo(dst, g, o []float32, so int) {
	if so == 1 {
		ops.Mul(dst, g, o[:len(g)])
	} else {
		ops.ScaleTo(dst, g, o[0])
	}
}

// mulGrad adds dst[j] += g[j]·o[j·so], the gradient of one factor of a
// product (o is the other factor, contiguous or stretched).
func mulGrad(dst, g, o []float32, so int) {
	if so == 1 {
		ops.MulAdd(dst, g, o[:len(g)])
	} else {
		ops.Axpy(o[0], g, dst)
	}
}

// tieShare is the gradient share of an input that is the winner (1), the
// loser (0) or tied (½) in Maximum/Minimum; win reports "this input wins".
func tieShare(win, tie bool) float32 {
	switch {
	case tie:
		return 0.5
	case win:
		return 1
	}
	return 0
}

var (
	// a + b = 1·a + b (exact), so a stretched operand is ScaleShift's shift.
	addK = binaryKernel{name: "Add", ca: 1, cb: 1,
		f: func(out, a []float32, sa int, b []float32, sb int) {
			l := len(out)
			switch {
			case sa == 1 && sb == 1:
				ops.Add(out, a[:l], b[:l])
			case sa == 1:
				ops.ScaleShift(out, a[:l], 1, b[0])
			case sb == 1:
				ops.ScaleShift(out, b[:l], 1, a[0])
			default:
				fillConst(out, a[0]+b[0])
			}
		}}

	// a − b = a + (−b) and (−1)·b + a, both exact.
	subK = binaryKernel{name: "Sub", ca: 1, cb: -1,
		f: func(out, a []float32, sa int, b []float32, sb int) {
			l := len(out)
			switch {
			case sa == 1 && sb == 1:
				ops.Sub(out, a[:l], b[:l])
			case sa == 1:
				ops.ScaleShift(out, a[:l], 1, -b[0])
			case sb == 1:
				ops.ScaleShift(out, b[:l], -1, a[0])
			default:
				fillConst(out, a[0]-b[0])
			}
		}}

	mulK = binaryKernel{name: "Mul", product: true,
		f: func(out, a []float32, sa int, b []float32, sb int) {
			l := len(out)
			switch {
			case sa == 1 && sb == 1:
				ops.Mul(out, a[:l], b[:l])
			case sa == 1:
				ops.ScaleTo(out, a[:l], b[0])
			case sb == 1:
				ops.ScaleTo(out, b[:l], a[0])
			default:
				fillConst(out, a[0]*b[0])
			}
		},
		da:   func(dst, g, _, _ []float32, _ int, b []float32, sb int) { mulGrad(dst, g, b, sb) },
		db:   func(dst, g, _, a []float32, sa int, _ []float32, _ int) { mulGrad(dst, g, a, sa) },
		daTo: func(dst, g, _, _ []float32, _ int, b []float32, sb int) { mulGradTo(dst, g, b, sb) },
		dbTo: func(dst, g, _, a []float32, sa int, _ []float32, _ int) { mulGradTo(dst, g, a, sa) }}

	divK = binaryKernel{name: "Div",
		f: func(out, a []float32, sa int, b []float32, sb int) {
			for j := range out {
				out[j] = a[j*sa] / b[j*sb]
			}
		},
		da: func(dst, g, _, _ []float32, _ int, b []float32, sb int) {
			for j, v := range g {
				dst[j] += v / b[j*sb]
			}
		},
		db: func(dst, g, y, _ []float32, _ int, b []float32, sb int) {
			for j, v := range g {
				dst[j] -= v * y[j] / b[j*sb]
			}
		}}

	maximumK = binaryKernel{name: "Maximum",
		f: func(out, a []float32, sa int, b []float32, sb int) {
			for j := range out {
				out[j] = max(a[j*sa], b[j*sb])
			}
		},
		da: func(dst, g, _, a []float32, sa int, b []float32, sb int) {
			for j, v := range g {
				x, o := a[j*sa], b[j*sb]
				dst[j] += v * tieShare(x > o, x == o)
			}
		},
		db: func(dst, g, _, a []float32, sa int, b []float32, sb int) {
			for j, v := range g {
				x, o := b[j*sb], a[j*sa]
				dst[j] += v * tieShare(x > o, x == o)
			}
		}}

	minimumK = binaryKernel{name: "Minimum",
		f: func(out, a []float32, sa int, b []float32, sb int) {
			for j := range out {
				out[j] = min(a[j*sa], b[j*sb])
			}
		},
		da: func(dst, g, _, a []float32, sa int, b []float32, sb int) {
			for j, v := range g {
				x, o := a[j*sa], b[j*sb]
				dst[j] += v * tieShare(x < o, x == o)
			}
		},
		db: func(dst, g, _, a []float32, sa int, b []float32, sb int) {
			for j, v := range g {
				x, o := b[j*sb], a[j*sa]
				dst[j] += v * tieShare(x < o, x == o)
			}
		}}
)

// Where picks out[i] = a[i] where cond[i], else b[i]; a and b broadcast
// against each other and cond has one entry per element of the broadcast
// result (row-major), i.e. len(cond) == numel(out). Gradient: ∂L/∂out goes
// to a where cond holds and to b elsewhere (summed over stretched dims).
func Where(cond []bool, a, b *Tensor) *Tensor {
	p := newBcastPlan("Where", a.Shape, b.Shape)
	if len(cond) != p.n {
		panic(fmt.Sprintf("autograd.Where: %d conditions for shapes %v and %v (broadcast %v, %d elements)", len(cond), a.Shape, b.Shape, p.out, p.n))
	}
	out := result("Where", p.out, a, b)
	ad, bd, y := a.Data, b.Data, out.Data
	p.parallel(func(o, ia, ib, l int) {
		for j, c := range cond[o : o+l] {
			if c {
				y[o+j] = ad[ia+j*p.ia]
			} else {
				y[o+j] = bd[ib+j*p.ib]
			}
		}
	})
	if out.requiresGrad {
		out.backward = func() {
			g := out.Grad
			for _, side := range []struct {
				x    *Tensor
				pick bool
			}{{a, true}, {b, false}} {
				if !side.x.requiresGrad {
					continue
				}
				bcastGrad(side.x, out, p, func(dst []float32, o, _, _, l int) {
					for j, c := range cond[o : o+l] {
						if c == side.pick {
							dst[j] += g[o+j]
						}
					}
				}, nil)
			}
		}
	}
	return out
}

// MaskedFill returns x with the elements where mask holds set to v
// (len(mask) == numel(x), row-major). Gradient: ∂L/∂out passes to x where
// mask is false and is 0 where the value was replaced.
func MaskedFill(x *Tensor, mask []bool, v float32) *Tensor {
	if len(mask) != x.Numel() {
		panic(fmt.Sprintf("autograd.MaskedFill: %d mask entries for shape %v (%d elements)", len(mask), x.Shape, x.Numel()))
	}
	out := result("MaskedFill", cloneShape(x.Shape), x)
	for i, m := range mask {
		if m {
			out.Data[i] = v
		} else {
			out.Data[i] = x.Data[i]
		}
	}
	if out.requiresGrad {
		out.backward = func() {
			gx := x.grad()
			for i, m := range mask {
				if !m {
					gx[i] += out.Grad[i]
				}
			}
		}
	}
	return out
}

// Scalar and unary math ops: entries of the f/df table (activation.go).

// AddScalar: y = x + s; y' = 1.
func AddScalar(x *Tensor, s float32) *Tensor { return unary(&addScalarK, x, unaryParams{a: s}) }

// MulScalar: y = s·x; y' = s.
func MulScalar(x *Tensor, s float32) *Tensor { return unary(&mulScalarK, x, unaryParams{a: s}) }

// ScalarSub: y = s - x (PyTorch's rsub); y' = -1.
func ScalarSub(s float32, x *Tensor) *Tensor { return unary(&scalarSubK, x, unaryParams{a: s}) }

// Neg: y = -x; y' = -1.
func Neg(x *Tensor) *Tensor { return unary(&negK, x, unaryParams{}) }

// Square: y = x²; y' = 2x.
func Square(x *Tensor) *Tensor { return unary(&squareK, x, unaryParams{}) }

// Pow: y = x^p; y' = p·x^(p-1). As in PyTorch, a negative x with a
// non-integer p gives NaN.
func Pow(x *Tensor, p float32) *Tensor { return unary(&powK, x, unaryParams{a: p}) }

// Sqrt: y = √x; y' = 1/(2y).
func Sqrt(x *Tensor) *Tensor { return unary(&sqrtK, x, unaryParams{}) }

// Exp: y = e^x; y' = y.
func Exp(x *Tensor) *Tensor { return unary(&expK, x, unaryParams{}) }

// Log: y = ln x; y' = 1/x.
func Log(x *Tensor) *Tensor { return unary(&logK, x, unaryParams{}) }

// Abs: y = |x|; y' = sign(x), 0 at x = 0 (as PyTorch).
func Abs(x *Tensor) *Tensor { return unary(&absK, x, unaryParams{}) }

// Clamp: y = min(max(x, lo), hi); y' = 1 for lo <= x <= hi, else 0 (the
// bounds themselves pass the gradient, as in PyTorch).
func Clamp(x *Tensor, lo, hi float32) *Tensor {
	if lo > hi {
		panic(fmt.Sprintf("autograd.Clamp: lo %v > hi %v for shape %v", lo, hi, x.Shape))
	}
	return unary(&clampK, x, unaryParams{a: lo, b: hi})
}

var (
	addScalarK = unaryKernel{"AddScalar",
		func(y, x []float32, p unaryParams) { ops.ScaleShift(y, x, 1, p.a) },
		func(gx, g, _, _ []float32, _ unaryParams) { ops.Axpy(1, g, gx) }}

	mulScalarK = unaryKernel{"MulScalar",
		func(y, x []float32, p unaryParams) { ops.ScaleTo(y, x, p.a) },
		func(gx, g, _, _ []float32, p unaryParams) { ops.Axpy(p.a, g, gx) }}

	scalarSubK = unaryKernel{"ScalarSub",
		func(y, x []float32, p unaryParams) {
			for i, v := range x {
				y[i] = p.a - v
			}
		},
		func(gx, g, _, _ []float32, _ unaryParams) {
			for i, v := range g {
				gx[i] -= v
			}
		}}

	negK = unaryKernel{"Neg",
		func(y, x []float32, _ unaryParams) {
			for i, v := range x {
				y[i] = -v
			}
		},
		func(gx, g, _, _ []float32, _ unaryParams) {
			for i, v := range g {
				gx[i] -= v
			}
		}}

	squareK = unaryKernel{"Square",
		func(y, x []float32, _ unaryParams) {
			for i, v := range x {
				y[i] = v * v
			}
		},
		func(gx, g, x, _ []float32, _ unaryParams) {
			for i, v := range x {
				gx[i] += 2 * v * g[i]
			}
		}}

	powK = unaryKernel{"Pow",
		func(y, x []float32, p unaryParams) {
			for i, v := range x {
				y[i] = float32(math.Pow(float64(v), float64(p.a)))
			}
		},
		func(gx, g, x, _ []float32, p unaryParams) {
			for i, v := range x {
				gx[i] += g[i] * p.a * float32(math.Pow(float64(v), float64(p.a)-1))
			}
		}}

	sqrtK = unaryKernel{"Sqrt",
		func(y, x []float32, _ unaryParams) {
			for i, v := range x {
				y[i] = float32(math.Sqrt(float64(v)))
			}
		},
		func(gx, g, _, y []float32, _ unaryParams) {
			for i, s := range y {
				gx[i] += g[i] / (2 * s)
			}
		}}

	expK = unaryKernel{"Exp",
		func(y, x []float32, _ unaryParams) { ops.Exp(y, x) },
		func(gx, g, _, y []float32, _ unaryParams) { ops.MulAdd(gx, g, y) }} // g·e^x

	logK = unaryKernel{"Log",
		func(y, x []float32, _ unaryParams) {
			for i, v := range x {
				y[i] = float32(math.Log(float64(v)))
			}
		},
		func(gx, g, x, _ []float32, _ unaryParams) {
			for i, v := range x {
				gx[i] += g[i] / v
			}
		}}

	absK = unaryKernel{"Abs",
		func(y, x []float32, _ unaryParams) {
			for i, v := range x {
				y[i] = float32(math.Abs(float64(v)))
			}
		},
		func(gx, g, x, _ []float32, _ unaryParams) {
			for i, v := range x {
				switch {
				case v > 0:
					gx[i] += g[i]
				case v < 0:
					gx[i] -= g[i]
				}
			}
		}}

	clampK = unaryKernel{"Clamp",
		func(y, x []float32, p unaryParams) {
			for i, v := range x {
				y[i] = min(max(v, p.a), p.b)
			}
		},
		func(gx, g, x, _ []float32, p unaryParams) {
			for i, v := range x {
				if v >= p.a && v <= p.b {
					gx[i] += g[i]
				}
			}
		}}
)
