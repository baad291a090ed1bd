package autograd_test

import (
	"math/rand/v2"
	"testing"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/autograd/gradcheck"
)

// BatchNorm2d's backward writes a new input gradient (an unzeroed arena
// buffer) and adds into one that other ops have started. Both paths, in
// training and eval, against finite differences: BN(x) + x makes Add's
// backward create x's gradient first, so BN's must add to it.
func TestBatchNorm2dGradAccumulates(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 1))
	x := gradcheck.Rand(rng, 3, 2, 3, 3)
	w := gradcheck.Param(rng, 2)
	b := gradcheck.Param(rng, 2)
	rm := ag.RandU(rng, -0.5, 0.5, 2)
	rv := ag.RandU(rng, 0.5, 1.5, 2)
	for _, training := range []bool{true, false} {
		gradcheck.Check(t, func(in []*ag.Tensor) *ag.Tensor {
			return ag.Add(ag.BatchNorm2d(in[0], ag.BatchNormOpts{Weight: in[1], Bias: in[2], RunningMean: rm, RunningVar: rv, Training: training, Momentum: 0.1, Eps: 1e-5}), in[0])
		}, []*ag.Tensor{x, w, b}, gradcheck.Options{})
	}
}

// With an arena, the input gradient is an unzeroed recycled buffer (in
// this graph, the one that held Mul's output gradient, all ones): the
// backward must overwrite it, giving every step the gradient computed on
// the Go heap (zeroed buffers) bit for bit.
func TestBatchNorm2dArenaGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 2))
	data := ag.RandU(rng, -1, 2, 4, 3, 5, 5).Data
	w := ag.RandU(rng, -1, 1, 3)
	grad := func(ar *ag.Arena) []float32 {
		var x *ag.Tensor
		if ar == nil {
			x = ag.New(append([]float32(nil), data...), 4, 3, 5, 5)
		} else {
			x = ar.New(data, 4, 3, 5, 5)
		}
		x.SetRequiresGrad(true)
		y := ag.BatchNorm2d(x, ag.BatchNormOpts{Weight: w, Training: true, Momentum: 0.1, Eps: 1e-5})
		ag.SumAll(ag.Mul(y, y)).Backward() // Σy²: a gradient that is not constant
		return append([]float32(nil), x.Grad...)
	}
	want := grad(nil)
	ar := ag.NewArena()
	for range 3 {
		assertClose(t, "input gradient from an arena", grad(ar), want, 0)
		ar.Reset()
	}
}

// A mean 10³ times the spread: the statistics must not cancel (they are
// the corrected two-pass sums, not E[x²] − E[x]²).
func TestBatchNorm2dLargeMean(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 3))
	n, c, hw := 4, 3, 36
	x := ag.RandU(rng, 999, 1001, n, c, 6, 6)
	w, b := ag.Ones(c), ag.Zeros(c)
	rm, rv := ag.Zeros(c), ag.Ones(c)
	wantY, wantM, wantV := batchnormRef(x.Data, w.Data, b.Data, rm.Data, rv.Data, n, c, hw, 0.1, 1e-5)
	y := ag.BatchNorm2d(x, ag.BatchNormOpts{Weight: w, Bias: b, RunningMean: rm, RunningVar: rv, Training: true, Momentum: 0.1, Eps: 1e-5})
	// x − μ loses what the float32 μ ≈ 1000 rounds away (3e-5) next to a
	// spread of 0.6: about 1e-4 of y.
	assertClose(t, "y", y.Data, wantY, 2e-4)
	assertClose(t, "running mean", rm.Data, wantM, 1e-6)
	assertClose(t, "running var", rv.Data, wantV, 1e-5)
}
