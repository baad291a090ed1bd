package autograd_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/autograd/gradcheck"
)

// softmaxRef computes softmax (or log-softmax) along axis in float64,
// straight from the definition e^x / Σ e^x (fine for the small inputs it
// is used on).
func softmaxRef(x *ag.Tensor, axis int, logOut bool) []float64 {
	a := (axis + len(x.Shape)) % len(x.Shape)
	outer, l, inner := 1, x.Shape[a], 1
	for _, s := range x.Shape[:a] {
		outer *= s
	}
	for _, s := range x.Shape[a+1:] {
		inner *= s
	}
	out := make([]float64, x.Numel())
	for o := range outer {
		for i := range inner {
			var sum float64
			for j := range l {
				sum += math.Exp(float64(x.Data[(o*l+j)*inner+i]))
			}
			for j := range l {
				k := (o*l+j)*inner + i
				if logOut {
					out[k] = float64(x.Data[k]) - math.Log(sum)
				} else {
					out[k] = math.Exp(float64(x.Data[k])) / sum
				}
			}
		}
	}
	return out
}

func TestSoftmaxForwardAndGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	for _, logOut := range []bool{false, true} {
		op, name := ag.Softmax, "Softmax"
		if logOut {
			op, name = ag.LogSoftmax, "LogSoftmax"
		}
		for _, axis := range []int{0, 1, 2, -1} {
			t.Run(fmt.Sprintf("%s axis=%d", name, axis), func(t *testing.T) {
				x := ag.RandU(rng, -3, 3, 2, 3, 4).SetRequiresGrad(true)
				got := op(x, axis)
				ewClose(t, "forward", got.Data, softmaxRef(x, axis, logOut), 1e-6)
				gradcheck.Check(t, func(in []*ag.Tensor) *ag.Tensor { return op(in[0], axis) },
					[]*ag.Tensor{x}, gradcheck.Options{})
			})
		}
	}
}

func TestSoftmaxMatchesPyTorch(t *testing.T) {
	fx := loadFixture(t, "elementwise")
	for name, op := range map[string]func(*ag.Tensor, int) *ag.Tensor{
		"softmax": ag.Softmax, "log_softmax": ag.LogSoftmax,
	} {
		x := fx.get(t, "sm_x").Clone().SetRequiresGrad(true)
		y := op(x, 1)
		assertClose(t, name, y.Data, fx.get(t, name).Data, 1e-6)
		y.BackwardWith(fx.get(t, "sm_g").Data)
		assertClose(t, name+" grad", x.Grad, fx.get(t, name+"_grad").Data, 1e-5)
	}
}

// Large logits: e^1000 overflows float64, but after subtracting the row
// maximum the result is the softmax of small numbers.
func TestSoftmaxLargeValues(t *testing.T) {
	x := ag.New([]float32{1000, 1001, 1002, -1e4, 0, 1e4}, 2, 3).SetRequiresGrad(true)
	y := ag.Softmax(x, 1)
	small := ag.New([]float32{0, 1, 2}, 1, 3)
	ref := softmaxRef(small, 1, false)
	want := []float64{ref[0], ref[1], ref[2], 0, 0, 1}
	ewClose(t, "Softmax", y.Data, want, 1e-6)
	ls := ag.LogSoftmax(x, 1)
	wantLog := []float64{math.Log(ref[0]), math.Log(ref[1]), math.Log(ref[2]), -2e4, -1e4, 0}
	ewClose(t, "LogSoftmax", ls.Data, wantLog, 1e-6)
	ag.SumAll(ag.Mul(ls, ag.New([]float32{1, 2, 3, 1, 2, 3}, 2, 3))).Backward()
	for i, g := range x.Grad {
		if math.IsNaN(float64(g)) || math.IsInf(float64(g), 0) {
			t.Fatalf("LogSoftmax grad[%d] = %v", i, g)
		}
	}
}

// Enough rows to be split over the worker pool, with a strided axis.
func TestSoftmaxLargeParallel(t *testing.T) {
	rng := rand.New(rand.NewPCG(43, 44))
	x := ag.RandU(rng, -5, 5, 4, 8, 40, 40)
	ewClose(t, "Softmax", ag.Softmax(x, 1).Data, softmaxRef(x, 1, false), 1e-6)
	ewClose(t, "LogSoftmax", ag.LogSoftmax(x, -1).Data, softmaxRef(x, -1, true), 1e-6)
}
