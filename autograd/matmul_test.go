package autograd_test

import (
	"math/rand/v2"
	"strings"
	"testing"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/autograd/gradcheck"
)

func TestMatMulGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	a := gradcheck.Rand(rng, 3, 5)
	b := gradcheck.Param(rng, 5, 4)
	gradcheck.Check(t, func(in []*ag.Tensor) *ag.Tensor { return ag.MatMul(in[0], in[1]) }, []*ag.Tensor{a, b}, gradcheck.Options{})
}

func TestMatMulForward(t *testing.T) {
	a := ag.New([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	b := ag.New([]float32{1, 0, 0, 1, 1, 1}, 3, 2)
	got := ag.MatMul(a, b)
	want := []float32{4, 5, 10, 11}
	for i := range want {
		if got.Data[i] != want[i] {
			t.Fatalf("MatMul = %v, want %v", got.Data, want)
		}
	}
}

func TestMatMulShapeError(t *testing.T) {
	defer func() {
		r := recover()
		msg, _ := r.(string)
		if !strings.Contains(msg, "MatMul") || !strings.Contains(msg, "[2 3]") || !strings.Contains(msg, "[2 2]") {
			t.Fatalf("panic %v does not name the op and both shapes", r)
		}
	}()
	ag.MatMul(ag.Zeros(2, 3), ag.Zeros(2, 2))
}

// A wrong backward must be caught: the harness is not allowed to pass
// everything.
func TestGradcheckCatchesWrongRule(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	a := gradcheck.Rand(rng, 2, 3)
	b := gradcheck.Rand(rng, 3, 2)
	f := func(in []*ag.Tensor) *ag.Tensor { return ag.MatMul(in[0], in[1]) }
	err := gradcheck.Run(f, []*ag.Tensor{a, b}, gradcheck.Options{})
	if err != nil {
		t.Fatalf("correct rule rejected: %v", err)
	}
	bad := func(in []*ag.Tensor) *ag.Tensor {
		out := ag.MatMul(in[0], in[1])
		return ag.ScaleGradForTest(out, 1.05)
	}
	if err := gradcheck.Run(bad, []*ag.Tensor{a, b}, gradcheck.Options{}); err == nil {
		t.Fatal("gradcheck accepted a backward rule that is 5% off")
	}
}

func TestReshapeGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	a := gradcheck.Rand(rng, 2, 3, 4)
	w := gradcheck.Param(rng, 4, 3)
	gradcheck.Check(t, func(in []*ag.Tensor) *ag.Tensor {
		return ag.MatMul(ag.Reshape(in[0], -1, 4), in[1])
	}, []*ag.Tensor{a, w}, gradcheck.Options{})
}
