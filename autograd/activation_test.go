package autograd_test

import (
	"math"
	"math/rand/v2"
	"testing"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/autograd/gradcheck"
)

func actSigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// actCases: every activation with a float64 reference written from its
// textbook definition (not from the implementation's formula) and its
// kinks, if any.
var actCases = []struct {
	name    string
	fixture string // name in testdata/elementwise.json ("" if none)
	op      func(*ag.Tensor) *ag.Tensor
	ref     func(float64) float64
	kinks   []float32
}{
	{"Sigmoid", "sigmoid", ag.Sigmoid, actSigmoid, nil},
	{"LogSigmoid", "logsigmoid", ag.LogSigmoid, func(x float64) float64 { return math.Log(actSigmoid(x)) }, nil},
	{"Softplus", "softplus", ag.Softplus, func(x float64) float64 { return math.Log(1 + math.Exp(x)) }, nil},
	{"ReLU", "", ag.ReLU, func(x float64) float64 { return math.Max(x, 0) }, []float32{0}},
	{"LeakyReLU", "leaky_relu", func(x *ag.Tensor) *ag.Tensor { return ag.LeakyReLU(x, 0.1) },
		func(x float64) float64 {
			if x > 0 {
				return x
			}
			return 0.1 * x
		}, []float32{0}},
	{"ELU", "elu", func(x *ag.Tensor) *ag.Tensor { return ag.ELU(x, 0.7) },
		func(x float64) float64 {
			if x > 0 {
				return x
			}
			return 0.7 * (math.Exp(x) - 1)
		}, []float32{0}},
	{"SiLU", "silu", ag.SiLU, func(x float64) float64 { return x * actSigmoid(x) }, nil},
	{"GELU", "gelu", ag.GELU, func(x float64) float64 { return x * 0.5 * math.Erfc(-x/math.Sqrt2) }, nil},
	{"GELUTanh", "gelu_tanh", ag.GELUTanh,
		func(x float64) float64 {
			return 0.5 * x * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(x+0.044715*x*x*x)))
		}, nil},
	{"Tanh", "tanh", ag.Tanh, math.Tanh, nil},
}

func TestActivationsForwardAndGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, c := range actCases {
		t.Run(c.name, func(t *testing.T) {
			x := ag.RandU(rng, -4, 4, 3, 7).SetRequiresGrad(true)
			gradcheck.AwayFrom(x, 0.05, c.kinks...)
			got := c.op(x)
			if got.Op() != c.name {
				t.Fatalf("op name %q", got.Op())
			}
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

// Values and gradients against PyTorch at fixed points, among them the
// softplus threshold (19.9, 20.1) and the far tails (±100).
func TestActivationsMatchPyTorch(t *testing.T) {
	fx := loadFixture(t, "elementwise")
	xs := fx.get(t, "x")
	for _, c := range actCases {
		if c.fixture == "" {
			continue
		}
		x := xs.Clone().SetRequiresGrad(true)
		y := c.op(x)
		assertClose(t, c.name+" value", y.Data, fx.get(t, c.fixture).Data, 1e-6)
		ag.SumAll(y).Backward()
		assertClose(t, c.name+" grad", x.Grad, fx.get(t, c.fixture+"_grad").Data, 1e-6)
	}
}

// At ±100 the naive formulas overflow (log(1+e^100)) or lose everything
// (log σ(-100) through σ(-100) = 0 → -Inf); the stable forms stay finite
// and exact to float32.
func TestActivationsStableAtExtremes(t *testing.T) {
	x := ag.New([]float32{-100, 100, -1e4, 1e4}, 4).SetRequiresGrad(true)
	for _, c := range []struct {
		name string
		op   func(*ag.Tensor) *ag.Tensor
		want []float32
	}{
		{"LogSigmoid", ag.LogSigmoid, []float32{-100, 0, -1e4, 0}},
		{"Softplus", ag.Softplus, []float32{0, 100, 0, 1e4}},
		{"Sigmoid", ag.Sigmoid, []float32{0, 1, 0, 1}},
		{"SiLU", ag.SiLU, []float32{0, 100, 0, 1e4}},
		{"GELU", ag.GELU, []float32{0, 100, 0, 1e4}},
		{"ELU", func(x *ag.Tensor) *ag.Tensor { return ag.ELU(x, 1) }, []float32{-1, 100, -1, 1e4}},
	} {
		x.Grad = nil
		y := c.op(x)
		ag.SumAll(y).Backward()
		for i := range y.Data {
			if math.IsNaN(float64(y.Data[i])) || math.IsInf(float64(y.Data[i]), 0) ||
				math.IsNaN(float64(x.Grad[i])) || math.IsInf(float64(x.Grad[i]), 0) {
				t.Fatalf("%s(%v) = %v, grad %v: not finite", c.name, x.Data[i], y.Data[i], x.Grad[i])
			}
		}
		assertClose(t, c.name, y.Data, c.want, 1e-6)
	}
}

// A tensor above the parallel grain goes through the worker pool; every
// chunk must be written (the output comes from an uninitialised buffer).
func TestActivationLargeParallel(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	const n = 70001
	src := ag.RandU(rng, -3, 3, n)
	// Leave two NaN-filled buffers in the arena: x takes one, the op's
	// output the other, so a chunk the op misses shows up as NaN.
	arena := ag.NewArena()
	for range 2 {
		junk := arena.Zeros(n)
		for i := range junk.Data {
			junk.Data[i] = float32(math.NaN())
		}
	}
	arena.Reset()
	x := arena.New(src.Data, n)
	y := ag.GELU(x)
	for i, v := range x.Data {
		want := float64(v) * 0.5 * math.Erfc(-float64(v)/math.Sqrt2)
		if math.Abs(float64(y.Data[i])-want) > 1e-6*math.Max(1, math.Abs(want)) {
			t.Fatalf("GELU[%d] = %v, want %v", i, y.Data[i], want)
		}
	}
}
