package autograd_test

import (
	"math/rand/v2"
	"testing"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/autograd/gradcheck"
)

// BatchNorm2d with a fused activation (BatchNormOpts.Act) against the two
// ops it replaces, BatchNorm2d then the activation: outputs, running
// statistics and every gradient, in training and eval, with and without
// the affine parameters; and against finite differences.

var bnActs = []struct {
	act   ag.Activation
	slope float32
	f     func(*ag.Tensor) *ag.Tensor
}{
	{ag.ActSiLU, 0, ag.SiLU},
	{ag.ActReLU, 0, ag.ReLU},
	{ag.ActLeakyReLU, 0.01, func(x *ag.Tensor) *ag.Tensor { return ag.LeakyReLU(x, 0.01) }},
	{ag.ActLeakyReLU, 1e-3, func(x *ag.Tensor) *ag.Tensor { return ag.LeakyReLU(x, 1e-3) }},
}

func TestBatchNormActMatchesUnfused(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 1))
	const n, c, h, w = 3, 5, 7, 6 // planes of 42: vector bodies and tails
	xd := ag.RandU(rng, -2, 3, n, c, h, w).Data
	gd := ag.RandU(rng, -1, 1, n, c, h, w).Data
	wd := ag.RandU(rng, 0.5, 1.5, c).Data
	bd := ag.RandU(rng, -0.5, 0.5, c).Data
	for _, a := range bnActs {
		for _, training := range []bool{true, false} {
			for _, affine := range []bool{true, false} {
				run := func(fused bool) (y, rm, gx, gw, gb []float32) {
					x := ag.New(append([]float32(nil), xd...), n, c, h, w).SetRequiresGrad(true)
					o := ag.BatchNormOpts{
						RunningMean: ag.Full(0.25, c), RunningVar: ag.Full(1.5, c),
						Training: training, Momentum: 0.1, Eps: 1e-5,
					}
					if affine {
						o.Weight = ag.New(append([]float32(nil), wd...), c).AsParam()
						o.Bias = ag.New(append([]float32(nil), bd...), c).AsParam()
					}
					var out *ag.Tensor
					if fused {
						o.Act, o.Slope = a.act, a.slope
						out = ag.BatchNorm2d(x, o)
					} else {
						out = a.f(ag.BatchNorm2d(x, o))
					}
					out.BackwardWith(gd)
					if affine {
						gw, gb = o.Weight.Grad, o.Bias.Grad
					}
					return out.Data, o.RunningMean.Data, x.Grad, gw, gb
				}
				y0, rm0, gx0, gw0, gb0 := run(false)
				y1, rm1, gx1, gw1, gb1 := run(true)
				name := a.act.String()
				if !training {
					name += " eval"
				}
				if !affine {
					name += " no affine"
				}
				assertClose(t, name+" y", y1, y0, 1e-6)
				assertClose(t, name+" running mean", rm1, rm0, 0)
				assertClose(t, name+" ∂x", gx1, gx0, 1e-5)
				if affine {
					assertClose(t, name+" ∂γ", gw1, gw0, 1e-5)
					assertClose(t, name+" ∂β", gb1, gb0, 1e-5)
				}
			}
		}
	}
}

func TestBatchNormActGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 2))
	x := gradcheck.Rand(rng, 3, 2, 3, 3)
	w := gradcheck.Param(rng, 2)
	b := gradcheck.Param(rng, 2)
	rm := ag.RandU(rng, -0.5, 0.5, 2)
	rv := ag.RandU(rng, 0.5, 1.5, 2)
	for _, a := range bnActs {
		for _, training := range []bool{true, false} {
			o := ag.BatchNormOpts{RunningMean: rm, RunningVar: rv, Training: training, Momentum: 0.1, Eps: 1e-5, Act: a.act, Slope: a.slope}
			f := func(in []*ag.Tensor) *ag.Tensor {
				o.Weight, o.Bias = in[1], in[2]
				return ag.BatchNorm2d(in[0], o)
			}
			gradcheck.Check(t, f, []*ag.Tensor{x, w, b}, gradcheck.Options{})
			// x used twice: BN's term arrives first or second.
			gradcheck.Check(t, func(in []*ag.Tensor) *ag.Tensor { return ag.Add(f(in), in[0]) }, []*ag.Tensor{x, w, b}, gradcheck.Options{})
			gradcheck.Check(t, func(in []*ag.Tensor) *ag.Tensor { return ag.Add(in[0], f(in)) }, []*ag.Tensor{x, w, b}, gradcheck.Options{})
		}
	}
}

// The backward turns the output gradient into the pre-activation's in
// place; an output that keeps its gradient (RetainGrad) must still read
// the gradient it received.
func TestBatchNormActRetainGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 3))
	x := ag.RandU(rng, -1, 1, 2, 3, 4, 4).SetRequiresGrad(true)
	g := ag.RandU(rng, -1, 1, 2, 3, 4, 4).Data
	y := ag.BatchNorm2d(x, ag.BatchNormOpts{Training: true, Momentum: 0.1, Eps: 1e-5, Act: ag.ActSiLU}).RetainGrad()
	y.BackwardWith(g)
	assertClose(t, "retained output gradient", y.Grad, g, 0)
}

// From an arena (recycled buffers with stale contents) the gradients are
// those computed on the Go heap, bit for bit.
func TestBatchNormActArena(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 4))
	data := ag.RandU(rng, -1, 2, 4, 3, 5, 5).Data
	w := ag.RandU(rng, -1, 1, 3)
	for _, a := range bnActs {
		grad := func(ar *ag.Arena) []float32 {
			var x *ag.Tensor
			if ar == nil {
				x = ag.New(append([]float32(nil), data...), 4, 3, 5, 5)
			} else {
				x = ar.New(data, 4, 3, 5, 5)
			}
			x.SetRequiresGrad(true)
			y := ag.BatchNorm2d(x, ag.BatchNormOpts{Weight: w, Training: true, Momentum: 0.1, Eps: 1e-5, Act: a.act, Slope: a.slope})
			ag.SumAll(ag.Mul(y, y)).Backward()
			return append([]float32(nil), x.Grad...)
		}
		want := grad(nil)
		ar := ag.NewArena()
		for range 3 {
			assertClose(t, a.act.String()+" input gradient from an arena", grad(ar), want, 0)
			ar.Reset()
		}
	}
}
