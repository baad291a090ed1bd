package autograd_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/autograd/gradcheck"
)

// The tape's gradient-buffer rules (tape.go, "Gradient buffers"): every
// op that writes its input gradient first (into an unzeroed buffer) or
// hands its output gradient over as the input's buffer is checked here on
// both of its paths: alone (the input has no gradient yet) and with its
// input used a second time, in either order, so that its term arrives
// first (write or take) or second (add). A tensor used twice must get the
// sum of both terms. The package's tests fill new write-first buffers with
// NaN (export_test.go), so an element an op forgets to write shows up.
// Arenas recycle buffers with stale values: results from an arena must
// equal those from the Go heap's zeroed buffers, bit for bit.

// tapeOps are the ops under test, as functions of x [2, 3, 4, 5] (and a
// second input y of the same shape for the binary ones).
var tapeOps = []struct {
	name string
	f    func(x, y *ag.Tensor) *ag.Tensor
	y    bool // f reads y
	// eps, when set, is the finite-difference step (smooth ops whose
	// float32 outputs are large enough to make 1e-3 noisy).
	eps float64
}{
	{"SiLU", func(x, _ *ag.Tensor) *ag.Tensor { return ag.SiLU(x) }, false, 0},
	{"Add", func(x, y *ag.Tensor) *ag.Tensor { return ag.Add(x, y) }, true, 0},
	{"Add second operand", func(x, y *ag.Tensor) *ag.Tensor { return ag.Add(y, x) }, true, 0},
	{"Sub", func(x, y *ag.Tensor) *ag.Tensor { return ag.Sub(y, x) }, true, 0},
	{"Reshape", func(x, _ *ag.Tensor) *ag.Tensor { return ag.Reshape(x, 6, 20) }, false, 0},
	{"Mul", func(x, y *ag.Tensor) *ag.Tensor { return ag.Mul(x, y) }, true, 0},
	{"Mul by a per-sample-channel gate", func(x, y *ag.Tensor) *ag.Tensor {
		return ag.Mul(x, ag.Reshape(ag.Slice(ag.Reshape(y, 6, 20), 1, 0, 1), 2, 3, 1, 1))
	}, true, 0},
	{"Mul of the gate", func(x, y *ag.Tensor) *ag.Tensor {
		return ag.Mul(y, ag.Reshape(ag.Slice(ag.Reshape(x, 6, 20), 1, 0, 1), 2, 3, 1, 1))
	}, true, 0},
	{"Conv2d 1x1", func(x, _ *ag.Tensor) *ag.Tensor { return convTest(x, 1, 1, 1, 0) }, false, 0},
	{"Conv2d 3x3 stride 2", func(x, _ *ag.Tensor) *ag.Tensor { return convTest(x, 3, 2, 1, 1) }, false, 0},
	{"Conv2d 3x3 stride 3 (input pixels no tap reaches)", func(x, _ *ag.Tensor) *ag.Tensor { return convTest(x, 1, 3, 1, 0) }, false, 0},
	{"Conv2d depthwise 3x3", func(x, _ *ag.Tensor) *ag.Tensor { return convTest(x, 3, 1, 3, 1) }, false, 0},
	{"Conv2d depthwise 5x5 stride 2", func(x, _ *ag.Tensor) *ag.Tensor { return convTest(x, 5, 2, 3, 2) }, false, 0},
	{"BatchNorm2d+SiLU train", func(x, _ *ag.Tensor) *ag.Tensor {
		o := bnTestParams(3, true)
		o.Act = ag.ActSiLU
		return ag.BatchNorm2d(x, o)
	}, false, 0},
	{"DropPath", func(x, _ *ag.Tensor) *ag.Tensor {
		return ag.DropPath(x, 0.5, rand.New(rand.NewPCG(1, 1)), true)
	}, false, 0},
	{"Dropout", func(x, _ *ag.Tensor) *ag.Tensor {
		return ag.Dropout(x, 0.3, rand.New(rand.NewPCG(1, 1)), true)
	}, false, 0},
	{"Residual branch", func(x, y *ag.Tensor) *ag.Tensor {
		return ag.Residual(x, y, ag.ResidualOpts{DropPath: 0.5, RNG: rand.New(rand.NewPCG(1, 1)), Training: true})
	}, true, 0},
	{"Residual shortcut", func(x, y *ag.Tensor) *ag.Tensor {
		return ag.Residual(y, x, ag.ResidualOpts{DropPath: 0.5, RNG: rand.New(rand.NewPCG(1, 1)), Training: true})
	}, true, 0},
	{"Residual+ReLU shortcut", func(x, y *ag.Tensor) *ag.Tensor {
		return ag.Residual(y, x, ag.ResidualOpts{Act: ag.ActReLU})
	}, true, 0},
	{"Residual+LeakyReLU branch", func(x, _ *ag.Tensor) *ag.Tensor {
		// A shortcut of ±[1.5, 2] keeps the sums (|x·m| <= 1.25) off the kink.
		return ag.Residual(x, residualShortcut(x.Shape), ag.ResidualOpts{DropPath: 0.2, RNG: rand.New(rand.NewPCG(1, 1)), Training: true, Act: ag.ActLeakyReLU, Slope: 0.01})
	}, false, 1e-2},
	{"Residual of x and x", func(x, _ *ag.Tensor) *ag.Tensor {
		return ag.Residual(x, x, ag.ResidualOpts{DropPath: 0.5, RNG: rand.New(rand.NewPCG(1, 1)), Training: true, Act: ag.ActReLU})
	}, false, 0},
	{"BatchNorm2d train", func(x, _ *ag.Tensor) *ag.Tensor {
		return ag.BatchNorm2d(x, bnTestParams(3, true))
	}, false, 0},
	{"BatchNorm2d eval", func(x, _ *ag.Tensor) *ag.Tensor {
		return ag.BatchNorm2d(x, bnTestParams(3, false))
	}, false, 0},
}

// residualShortcut is a fixed tensor of values in ±[1.5, 2].
func residualShortcut(shape []int) *ag.Tensor {
	rng := rand.New(rand.NewPCG(4, 6))
	t := ag.RandU(rng, 1.5, 2, shape...)
	for i := range t.Data {
		if i%3 == 0 {
			t.Data[i] = -t.Data[i]
		}
	}
	return t
}

// convTest is a fixed 3→3-channel k×k convolution of x [2, 3, H, W] with
// the given stride, groups and padding, and a bias.
func convTest(x *ag.Tensor, k, stride, groups, pad int) *ag.Tensor {
	rng := rand.New(rand.NewPCG(4, 5))
	w := ag.RandU(rng, -1, 1, 3, 3/groups, k, k)
	b := ag.RandU(rng, -1, 1, 3)
	o := ag.Conv2dOpts{StrideH: stride, StrideW: stride, Groups: groups}.WithPad(ag.SymPad(pad))
	return ag.Conv2d(x, w, b, o)
}

// bnTestParams is a fixed, non-trivial BatchNorm over c channels.
func bnTestParams(c int, training bool) ag.BatchNormOpts {
	rng := rand.New(rand.NewPCG(4, 4))
	return ag.BatchNormOpts{
		Weight:      ag.RandU(rng, 0.5, 1.5, c),
		Bias:        ag.RandU(rng, -0.5, 0.5, c),
		RunningMean: ag.RandU(rng, -0.5, 0.5, c),
		RunningVar:  ag.RandU(rng, 0.5, 2, c),
		Training:    training,
		Momentum:    0.1,
		Eps:         1e-5,
	}
}

// proj is Σ t ⊙ R for a fixed non-uniform R of t's shape: a scalar that
// weighs every element of t differently.
func proj(t *ag.Tensor) *ag.Tensor {
	rng := rand.New(rand.NewPCG(uint64(t.Numel()), 9))
	return ag.SumAll(ag.Mul(t, ag.RandU(rng, -1, 1, t.Shape...)))
}

func TestTapeRulesGradcheck(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 1))
	for _, op := range tapeOps {
		t.Run(op.name, func(t *testing.T) {
			x := gradcheck.Rand(rng, 2, 3, 4, 5)
			y := gradcheck.Rand(rng, 2, 3, 4, 5)
			y.SetRequiresGrad(op.y)
			in := []*ag.Tensor{x, y}
			f := func(in []*ag.Tensor) *ag.Tensor { return op.f(in[0], in[1]) }
			opt := gradcheck.Options{Eps: op.eps}
			gradcheck.Check(t, f, in, opt)
			// x used a second time (x ⊙ x): the op's term arrives second, then first.
			gradcheck.Check(t, func(in []*ag.Tensor) *ag.Tensor { return ag.Add(proj(f(in)), proj(ag.Mul(in[0], in[0]))) }, in, opt)
			gradcheck.Check(t, func(in []*ag.Tensor) *ag.Tensor { return ag.Add(proj(ag.Mul(in[0], in[0])), proj(f(in))) }, in, opt)
		})
	}
}

// TestUsedTwiceGetsBothGradients: x feeds the op and a second use (x·c,
// or the op again); x.Grad must be the sum of the two terms computed
// separately, whichever term the backward delivers first.
func TestUsedTwiceGetsBothGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 3))
	shape := []int{2, 3, 4, 5}
	xd := ag.RandU(rng, -2, 2, shape...).Data
	yd := ag.RandU(rng, -2, 2, shape...).Data
	c := ag.RandU(rng, -1, 1, shape...)
	for _, op := range tapeOps {
		t.Run(op.name, func(t *testing.T) {
			grad := func(f func(x, y *ag.Tensor) *ag.Tensor) []float32 {
				x := ag.New(append([]float32(nil), xd...), shape...).SetRequiresGrad(true)
				y := ag.New(append([]float32(nil), yd...), shape...)
				f(x, y).Backward()
				return x.Grad
			}
			once := grad(func(x, y *ag.Tensor) *ag.Tensor { return proj(op.f(x, y)) })
			other := grad(func(x, _ *ag.Tensor) *ag.Tensor { return proj(ag.Mul(x, c)) })
			want := make([]float32, len(once))
			want2 := make([]float32, len(once))
			for i := range want {
				want[i] = once[i] + other[i]
				want2[i] = once[i] + once[i]
			}
			opFirst := grad(func(x, y *ag.Tensor) *ag.Tensor { return ag.Add(proj(op.f(x, y)), proj(ag.Mul(x, c))) })
			opSecond := grad(func(x, y *ag.Tensor) *ag.Tensor { return ag.Add(proj(ag.Mul(x, c)), proj(op.f(x, y))) })
			twice := grad(func(x, y *ag.Tensor) *ag.Tensor { return ag.Add(proj(op.f(x, y)), proj(op.f(x, y))) })
			assertClose(t, "op and x·c", opFirst, want, 1e-6)
			assertClose(t, "x·c and op", opSecond, want, 1e-6)
			assertClose(t, "op twice", twice, want2, 1e-6)
		})
	}
}

func TestTapeRulesArena(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 2))
	shape := []int{2, 3, 4, 5}
	xd := ag.RandU(rng, -3, 3, shape...).Data
	yd := ag.RandU(rng, -3, 3, shape...).Data
	for _, op := range tapeOps {
		grads := func(ar *ag.Arena) (gx, gy []float32) {
			var x, y *ag.Tensor
			if ar == nil {
				x, y = ag.New(append([]float32(nil), xd...), shape...), ag.New(append([]float32(nil), yd...), shape...)
			} else {
				x, y = ar.New(xd, shape...), ar.New(yd, shape...)
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
			if wantY != nil {
				assertClose(t, op.name+" y gradient from an arena", gy, wantY, 0)
			}
			ar.Reset()
		}
	}
}

// TestGradTakeKeepsRetainedGrad: an output that keeps its gradient
// (RetainGrad) must not lose its buffer to the input.
func TestGradTakeKeepsRetainedGrad(t *testing.T) {
	x := ag.New([]float32{1, 2, 3, 4}, 2, 2).SetRequiresGrad(true)
	y := ag.Reshape(x, 4).RetainGrad()
	ag.SumAll(ag.Mul(y, y)).Backward()
	assertClose(t, "y.Grad", y.Grad, []float32{2, 4, 6, 8}, 0)
	assertClose(t, "x.Grad", x.Grad, []float32{2, 4, 6, 8}, 0)
	x.Grad[0] = 100
	if y.Grad[0] != 2 {
		t.Fatal("x and y share one gradient buffer although y retains its own")
	}
}

// Views of a parameter that already has its gradient buffer share it
// (tape.go, "Gradient buffers"): their consumers accumulate straight into
// the parameter. The gradient must be the one a plain leaf gets (no
// sharing), on the first step (no buffer yet) and every later one, with
// views used several times, by write-first ops and accumulating ones.
func TestParamViewsShareGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 4))
	data := ag.RandU(rng, -1, 1, 4, 6).Data
	in := ag.RandU(rng, -1, 1, 5, 6)
	loss := func(p *ag.Tensor) *ag.Tensor {
		parts := ag.Split(p, 0, 1, 3)
		l := ag.Add(proj(ag.SiLU(ag.Reshape(p, 6, 4))), proj(ag.Linear(in, p, nil)))
		l = ag.Add(l, proj(ag.Mul(parts[1], parts[1])))
		l = ag.Add(l, proj(ag.Slice(p, 0, 1, 3)))
		return ag.Add(l, proj(ag.Reshape(parts[0], 2, 3)))
	}
	x := ag.New(append([]float32(nil), data...), 4, 6).SetRequiresGrad(true)
	loss(x).Backward()
	want := x.Grad
	p := ag.NewParam(append([]float32(nil), data...), 4, 6)
	for step := range 3 {
		p.ZeroGrad()
		loss(p).Backward()
		assertClose(t, fmt.Sprintf("step %d", step), p.Grad, want, 1e-6)
	}
}
