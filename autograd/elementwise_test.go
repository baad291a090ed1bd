package autograd_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/autograd/gradcheck"
)

// ewBroadcastRef computes f(a, b) with NumPy broadcasting by explicit
// index arithmetic, in float64: the reference the coalesced run loops are
// checked against.
func ewBroadcastRef(a, b *ag.Tensor, f func(x, y float64) float64) ([]int, []float64) {
	n := max(len(a.Shape), len(b.Shape))
	pad := func(s []int) []int {
		p := make([]int, n)
		for i := range p {
			p[i] = 1
		}
		copy(p[n-len(s):], s)
		return p
	}
	pa, pb := pad(a.Shape), pad(b.Shape)
	out := make([]int, n)
	for d := range out {
		out[d] = max(pa[d], pb[d])
	}
	total := 1
	for _, d := range out {
		total *= d
	}
	res := make([]float64, total)
	idx := make([]int, n)
	for i := range res {
		r := i
		for d := n - 1; d >= 0; d-- {
			idx[d] = r % out[d]
			r /= out[d]
		}
		ia, ib := 0, 0
		for d := range n {
			ia = ia*pa[d] + idx[d]%pa[d]
			ib = ib*pb[d] + idx[d]%pb[d]
		}
		res[i] = f(float64(a.Data[ia]), float64(b.Data[ib]))
	}
	return out, res
}

// ewClose fails unless got matches want (float64) within tol relative to
// max(1, |want|) element-wise.
func ewClose(t *testing.T, what string, got []float32, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if d := math.Abs(float64(got[i]) - want[i]); !(d <= tol*math.Max(1, math.Abs(want[i]))) {
			t.Fatalf("%s: element %d = %v, want %v", what, i, got[i], want[i])
		}
	}
}

// ewShapes are the broadcasting cases every binary op is checked on.
var ewShapes = [][2][]int{
	{{2, 3, 4}, {2, 3, 4}},       // equal shapes: one flat run
	{{2, 3, 4}, {3, 1}},          // trailing alignment, stretched last dim
	{{2, 1, 4, 1}, {3, 1, 5}},    // both operands stretched
	{{2, 3, 2, 2}, {1, 3, 1, 1}}, // per-channel NCHW
	{{3, 1, 1}, {2, 3, 2, 2}},    // per-channel on the left
	{{2, 3}, {}},                 // scalar
	{{1}, {4, 2}},                // one element against a matrix
}

var ewBinary = []struct {
	name string
	op   func(a, b *ag.Tensor) *ag.Tensor
	ref  func(x, y float64) float64
}{
	{"Add", ag.Add, func(x, y float64) float64 { return x + y }},
	{"Sub", ag.Sub, func(x, y float64) float64 { return x - y }},
	{"Mul", ag.Mul, func(x, y float64) float64 { return x * y }},
	{"Div", ag.Div, func(x, y float64) float64 { return x / y }},
	{"Maximum", ag.Maximum, math.Max},
	{"Minimum", ag.Minimum, math.Min},
}

// ewApart resamples b until every pair of elements that meet under
// broadcasting differs by more than margin (Maximum/Minimum's kink).
func ewApart(rng *rand.Rand, a *ag.Tensor, bShape []int, margin float64) *ag.Tensor {
	for {
		b := gradcheck.Rand(rng, bShape...)
		_, d := ewBroadcastRef(a, b, func(x, y float64) float64 { return math.Abs(x - y) })
		ok := true
		for _, v := range d {
			ok = ok && v > margin
		}
		if ok {
			return b
		}
	}
}

func TestBinaryBroadcastForwardAndGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, op := range ewBinary {
		for _, sh := range ewShapes {
			t.Run(fmt.Sprintf("%s%v%v", op.name, sh[0], sh[1]), func(t *testing.T) {
				a := gradcheck.Rand(rng, sh[0]...)
				b := gradcheck.Param(rng, sh[1]...)
				switch op.name {
				case "Div":
					gradcheck.AwayFrom(b, 0.5, 0) // |b| >= 0.5
				case "Maximum", "Minimum":
					b = ewApart(rng, a, sh[1], 0.01).SetRequiresGrad(true)
				}
				shape, want := ewBroadcastRef(a, b, op.ref)
				got := op.op(a, b)
				if !ag.SameShape(got.Shape, shape) {
					t.Fatalf("shape %v, want %v", got.Shape, shape)
				}
				ewClose(t, "forward", got.Data, want, 1e-6)
				gradcheck.Check(t, func(in []*ag.Tensor) *ag.Tensor { return op.op(in[0], in[1]) },
					[]*ag.Tensor{a, b}, gradcheck.Options{Eps: 1e-3})
			})
		}
	}
}

// A tensor large enough to be split over the worker pool, with a
// per-channel operand: the parallel runs and the parallel gradient
// reduction must agree with the plain reference.
func TestBinaryLargePerChannel(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	x := gradcheck.Rand(rng, 4, 16, 32, 32)
	w := gradcheck.Param(rng, 1, 16, 1, 1)
	_, want := ewBroadcastRef(x, w, func(a, b float64) float64 { return a * b })
	out := ag.Mul(x, w)
	ewClose(t, "forward", out.Data, want, 1e-6)
	// L = Σ out·r: ∂L/∂w_c = Σ_{n,h,w} r·x over the channel.
	r := make([]float32, out.Numel())
	for i := range r {
		r[i] = float32(rng.NormFloat64())
	}
	out.BackwardWith(r)
	for c := range 16 {
		var s float64
		for n := range 4 {
			for i := range 32 * 32 {
				k := (n*16+c)*1024 + i
				s += float64(r[k]) * float64(x.Data[k])
			}
		}
		if d := math.Abs(float64(w.Grad[c]) - s); d > 1e-3*math.Max(1, math.Abs(s)) {
			t.Fatalf("grad w[%d] = %v, want %v", c, w.Grad[c], s)
		}
	}
	for i := range x.Grad {
		if want := r[i] * w.Data[(i/1024)%16]; math.Abs(float64(x.Grad[i]-want)) > 1e-6 {
			t.Fatalf("grad x[%d] = %v, want %v", i, x.Grad[i], want)
		}
	}
}

func TestBroadcastShapeError(t *testing.T) {
	defer func() {
		msg, _ := recover().(string)
		if !strings.Contains(msg, "Mul") || !strings.Contains(msg, "[2 3 4]") || !strings.Contains(msg, "[2 4]") {
			t.Fatalf("panic %q does not name the op and both shapes", msg)
		}
	}()
	ag.Mul(ag.Zeros(2, 3, 4), ag.Zeros(2, 4))
}

// Ties: each side gets half the gradient (PyTorch's rule; fixture values).
func TestMaximumMinimumTies(t *testing.T) {
	fx := loadFixture(t, "elementwise")
	for _, c := range []struct {
		name string
		op   func(a, b *ag.Tensor) *ag.Tensor
	}{{"max", ag.Maximum}, {"min", ag.Minimum}} {
		a := ag.New([]float32{1, 2, 3}, 3).SetRequiresGrad(true)
		b := ag.New([]float32{1, 0, 5}, 3).SetRequiresGrad(true)
		ag.SumAll(c.op(a, b)).Backward()
		assertClose(t, c.name+" a grad", a.Grad, fx.get(t, c.name+"_a_grad").Data, 0)
		assertClose(t, c.name+" b grad", b.Grad, fx.get(t, c.name+"_b_grad").Data, 0)
	}
}

func TestWhere(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	a := gradcheck.Rand(rng, 2, 3, 4)
	b := gradcheck.Param(rng, 3, 1)
	cond := make([]bool, 24)
	for i := range cond {
		cond[i] = rng.IntN(2) == 0
	}
	got := ag.Where(cond, a, b)
	_, pickA := ewBroadcastRef(a, b, func(x, _ float64) float64 { return x })
	_, pickB := ewBroadcastRef(a, b, func(_, y float64) float64 { return y })
	for i, c := range cond {
		want := pickB[i]
		if c {
			want = pickA[i]
		}
		if float64(got.Data[i]) != want {
			t.Fatalf("Where[%d] = %v, want %v", i, got.Data[i], want)
		}
	}
	gradcheck.Check(t, func(in []*ag.Tensor) *ag.Tensor { return ag.Where(cond, in[0], in[1]) },
		[]*ag.Tensor{a, b}, gradcheck.Options{})

	defer func() {
		if msg, _ := recover().(string); !strings.Contains(msg, "Where") || !strings.Contains(msg, "[3 1]") {
			t.Fatalf("panic %q does not name the op and the shapes", msg)
		}
	}()
	ag.Where(cond[:5], a, b)
}

func TestMaskedFill(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	x := gradcheck.Rand(rng, 3, 5)
	mask := make([]bool, 15)
	for i := range mask {
		mask[i] = i%3 == 1
	}
	got := ag.MaskedFill(x, mask, -7)
	for i, m := range mask {
		want := x.Data[i]
		if m {
			want = -7
		}
		if got.Data[i] != want {
			t.Fatalf("MaskedFill[%d] = %v, want %v", i, got.Data[i], want)
		}
	}
	gradcheck.Check(t, func(in []*ag.Tensor) *ag.Tensor { return ag.MaskedFill(in[0], mask, -7) },
		[]*ag.Tensor{x}, gradcheck.Options{})
}

// The scalar and unary math ops: forward against float64 math, and the
// gradient check, on inputs inside their domain and away from kinks.
func TestUnaryMath(t *testing.T) {
	cases := []struct {
		name   string
		op     func(*ag.Tensor) *ag.Tensor
		ref    func(float64) float64
		lo, hi float32   // input range
		kinks  []float32 // moved away from by 0.05
	}{
		{"AddScalar", func(x *ag.Tensor) *ag.Tensor { return ag.AddScalar(x, 1.5) }, func(x float64) float64 { return x + 1.5 }, -2, 2, nil},
		{"MulScalar", func(x *ag.Tensor) *ag.Tensor { return ag.MulScalar(x, -2.5) }, func(x float64) float64 { return -2.5 * x }, -2, 2, nil},
		{"ScalarSub", func(x *ag.Tensor) *ag.Tensor { return ag.ScalarSub(3, x) }, func(x float64) float64 { return 3 - x }, -2, 2, nil},
		{"Neg", ag.Neg, func(x float64) float64 { return -x }, -2, 2, nil},
		{"Square", ag.Square, func(x float64) float64 { return x * x }, -2, 2, nil},
		{"Pow3", func(x *ag.Tensor) *ag.Tensor { return ag.Pow(x, 3) }, func(x float64) float64 { return x * x * x }, -2, 2, nil},
		{"Pow-1.5", func(x *ag.Tensor) *ag.Tensor { return ag.Pow(x, -1.5) }, func(x float64) float64 { return math.Pow(x, -1.5) }, 0.5, 2, nil},
		{"Sqrt", ag.Sqrt, math.Sqrt, 0.2, 3, nil},
		{"Exp", ag.Exp, math.Exp, -3, 3, nil},
		{"Log", ag.Log, math.Log, 0.2, 3, nil},
		{"Abs", ag.Abs, math.Abs, -2, 2, []float32{0}},
		{"Tanh", ag.Tanh, math.Tanh, -3, 3, nil},
		{"Clamp", func(x *ag.Tensor) *ag.Tensor { return ag.Clamp(x, -0.5, 1) }, func(x float64) float64 { return math.Min(math.Max(x, -0.5), 1) }, -2, 2, []float32{-0.5, 1}},
	}
	rng := rand.New(rand.NewPCG(19, 20))
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			x := ag.RandU(rng, c.lo, c.hi, 4, 5).SetRequiresGrad(true)
			gradcheck.AwayFrom(x, 0.05, c.kinks...)
			got := c.op(x)
			want := make([]float64, x.Numel())
			for i, v := range x.Data {
				want[i] = c.ref(float64(v))
			}
			ewClose(t, "forward", got.Data, want, 1e-6)
			gradcheck.Check(t, func(in []*ag.Tensor) *ag.Tensor { return c.op(in[0]) },
				[]*ag.Tensor{x}, gradcheck.Options{})
		})
	}
}

// Clamp passes the gradient on [lo, hi] (bounds included) and blocks it
// outside; Abs has gradient 0 at 0.
func TestClampAbsGradAtBounds(t *testing.T) {
	x := ag.New([]float32{-2, -0.5, 0, 1, 3}, 5).SetRequiresGrad(true)
	ag.SumAll(ag.Clamp(x, -0.5, 1)).Backward()
	want := []float32{0, 1, 1, 1, 0}
	assertClose(t, "Clamp grad", x.Grad, want, 0)
	y := ag.New([]float32{-1, 0, 2}, 3).SetRequiresGrad(true)
	ag.SumAll(ag.Abs(y)).Backward()
	assertClose(t, "Abs grad", y.Grad, []float32{-1, 0, 1}, 0)
}

func TestMaskedFillClampErrors(t *testing.T) {
	for name, f := range map[string]func(){
		"MaskedFill": func() { ag.MaskedFill(ag.Zeros(2, 3), make([]bool, 5), 0) },
		"Clamp":      func() { ag.Clamp(ag.Zeros(2, 3), 1, -1) },
	} {
		func() {
			defer func() {
				if msg, _ := recover().(string); !strings.Contains(msg, name) || !strings.Contains(msg, "[2 3]") {
					t.Errorf("%s: panic %q does not name the op and the shape", name, msg)
				}
			}()
			f()
		}()
	}
}
