package autograd_test

import (
	"math"
	"math/rand/v2"
	"testing"

	ag "github.com/seed477ab429/multilabel/autograd"
)

// Residual against the ops it replaces, act(Add(DropPath(b), s)): the same
// output and gradients bit for bit (the same roundings and the same random
// draws), in training and eval, for every activation, including samples
// the stochastic depth drops. (The gradient checks and the used-twice
// checks are in writegrad_test.go.)
func TestResidualMatchesUnfused(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 1))
	shape := []int{6, 3, 5, 7}
	bd := ag.RandU(rng, -2, 2, shape...).Data
	sd := ag.RandU(rng, -2, 2, shape...).Data
	gd := ag.RandU(rng, -1, 1, shape...).Data
	acts := []struct {
		act   ag.Activation
		slope float32
		f     func(*ag.Tensor) *ag.Tensor
	}{
		{ag.ActNone, 0, func(x *ag.Tensor) *ag.Tensor { return x }},
		{ag.ActReLU, 0, ag.ReLU},
		{ag.ActLeakyReLU, 1e-3, func(x *ag.Tensor) *ag.Tensor { return ag.LeakyReLU(x, 1e-3) }},
	}
	same := func(what string, a, b []float32) {
		t.Helper()
		for i := range a {
			if a[i] != b[i] && !(math.IsNaN(float64(a[i])) && math.IsNaN(float64(b[i]))) {
				t.Fatalf("%s: element %d: fused %v, unfused %v", what, i, a[i], b[i])
			}
		}
	}
	for _, a := range acts {
		for _, training := range []bool{true, false} {
			run := func(fused bool) (y, gb, gs []float32) {
				b := ag.New(append([]float32(nil), bd...), shape...).SetRequiresGrad(true)
				s := ag.New(append([]float32(nil), sd...), shape...).SetRequiresGrad(true)
				r := rand.New(rand.NewPCG(3, 3)) // p = 0.5 over 6 samples drops some
				var out *ag.Tensor
				if fused {
					out = ag.Residual(b, s, ag.ResidualOpts{DropPath: 0.5, RNG: r, Training: training, Act: a.act, Slope: a.slope})
				} else {
					out = a.f(ag.Add(ag.DropPath(b, 0.5, r, training), s))
				}
				out.BackwardWith(gd)
				return out.Data, b.Grad, s.Grad
			}
			y0, gb0, gs0 := run(false)
			y1, gb1, gs1 := run(true)
			name := a.act.String()
			same(name+" y", y1, y0)
			same(name+" ∂branch", gb1, gb0)
			same(name+" ∂shortcut", gs1, gs0)
		}
	}
}
