package autograd_test

import (
	"math/rand/v2"
	"testing"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/autograd/gradcheck"
)

// Ops whose backward writes a new input gradient (an unzeroed buffer)
// instead of zeroing it and adding: SiLU (ops.SiLUGradTo), and the linear
// inputs of Add and Sub. Each is checked on both paths: alone (the input
// has no gradient yet: write) and next to x itself (f(x) + x: Add's
// backward has made x's gradient first, so the op must add), and from an
// arena whose recycled buffers hold stale values, bit for bit against the
// Go heap's zeroed buffers.

var writeGradOps = []struct {
	name string
	f    func(x, y *ag.Tensor) *ag.Tensor
}{
	{"SiLU", func(x, _ *ag.Tensor) *ag.Tensor { return ag.SiLU(x) }},
	{"Add", func(x, y *ag.Tensor) *ag.Tensor { return ag.Add(x, y) }},
	{"Sub", func(x, y *ag.Tensor) *ag.Tensor { return ag.Sub(y, x) }},
}

func TestWriteGradPaths(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 1))
	for _, op := range writeGradOps {
		x := gradcheck.Rand(rng, 2, 3, 4)
		y := gradcheck.Rand(rng, 2, 3, 4)
		in := []*ag.Tensor{x, y}
		if op.name == "SiLU" {
			y.SetRequiresGrad(false) // unused
		}
		gradcheck.Check(t, func(in []*ag.Tensor) *ag.Tensor { return op.f(in[0], in[1]) }, in, gradcheck.Options{})
		gradcheck.Check(t, func(in []*ag.Tensor) *ag.Tensor { return ag.Add(op.f(in[0], in[1]), in[0]) }, in, gradcheck.Options{})
	}
}

func TestWriteGradArena(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 2))
	xd := ag.RandU(rng, -3, 3, 2, 3, 5).Data
	yd := ag.RandU(rng, -3, 3, 2, 3, 5).Data
	for _, op := range writeGradOps {
		grads := func(ar *ag.Arena) (gx, gy []float32) {
			var x, y *ag.Tensor
			if ar == nil {
				x, y = ag.New(append([]float32(nil), xd...), 2, 3, 5), ag.New(append([]float32(nil), yd...), 2, 3, 5)
			} else {
				x, y = ar.New(xd, 2, 3, 5), ar.New(yd, 2, 3, 5)
			}
			x.SetRequiresGrad(true)
			y.SetRequiresGrad(true)
			o := op.f(x, y)
			ag.SumAll(ag.Mul(o, o)).Backward() // Σo²: a gradient that is not constant
			return append([]float32(nil), x.Grad...), append([]float32(nil), y.Grad...)
		}
		wantX, wantY := grads(nil)
		ar := ag.NewArena()
		for range 3 {
			gx, gy := grads(ar)
			assertClose(t, op.name+" x gradient from an arena", gx, wantX, 0)
			if op.name != "SiLU" {
				assertClose(t, op.name+" y gradient from an arena", gy, wantY, 0)
			}
			ar.Reset()
		}
	}
}
