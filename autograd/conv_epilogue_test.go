package autograd_test

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/ops"
)

// Conv2d with an epilogue (eval-mode BN and its activation folded into the
// convolution) gives the bits of Conv2d → BatchNorm2d (eval, with the
// activation) on every path: 1x1 direct, im2col tiles (several per image),
// groups, depthwise flat and padded; and refuses to run where a gradient
// is needed.
func TestConvEpilogueMatchesBN(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 1))
	cases := []struct {
		name              string
		c, o, k, s, g, hw int
	}{
		{"1x1", 6, 5, 1, 1, 1, 9},
		{"3x3", 4, 7, 3, 1, 1, 11},
		{"3x3 s2 groups", 4, 6, 3, 2, 2, 10},
		{"depthwise flat", 5, 5, 3, 1, 5, 8},
		{"depthwise 3x3 s2", 5, 5, 3, 2, 5, 9},
		{"depthwise 28x28", 3, 3, 3, 1, 3, 28},
	}
	acts := []ag.Activation{ag.ActNone, ag.ActReLU, ag.ActLeakyReLU, ag.ActSiLU}
	for _, tc := range cases {
		x := ag.RandU(rng, -1, 1, 2, tc.c, tc.hw, tc.hw)
		w := ag.RandU(rng, -1, 1, tc.o, tc.c/tc.g, tc.k, tc.k)
		b := ag.RandU(rng, -1, 1, tc.o)
		o := ag.Conv2dOpts{StrideH: tc.s, StrideW: tc.s, Groups: tc.g}.WithPad(ag.SymPad(tc.k / 2))
		for _, act := range acts {
			bn := ag.BatchNormOpts{Weight: ag.RandU(rng, 0.5, 1.5, tc.o), Bias: ag.RandU(rng, -0.5, 0.5, tc.o),
				RunningMean: ag.RandU(rng, -0.5, 0.5, tc.o), RunningVar: ag.RandU(rng, 0.5, 2, tc.o),
				Momentum: 0.1, Eps: 1e-5, Act: act, Slope: 0.01}
			var want, got *ag.Tensor
			ag.NoGrad(func() {
				want = ag.BatchNorm2d(ag.Conv2d(x, w, b, o), bn)
				scale, shift := ag.BatchNormEvalAffine(bn)
				oe := o
				oe.Epilogue = &ag.ConvEpilogue{Scale: scale, Shift: shift, Act: act, Slope: 0.01}
				got = ag.Conv2d(x, w, b, oe)
			})
			for i := range got.Data {
				if math.Float32bits(got.Data[i]) != math.Float32bits(want.Data[i]) {
					t.Fatalf("%s %v: element %d = %v, want %v", tc.name, act, i, got.Data[i], want.Data[i])
				}
			}
		}
	}
	// A gradient is needed: the epilogue refuses.
	x := ag.RandU(rng, -1, 1, 1, 2, 4, 4).SetRequiresGrad(true)
	w := ag.RandU(rng, -1, 1, 2, 2, 1, 1)
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "inference") {
			t.Errorf("recover() = %v, want a panic about inference", r)
		}
	}()
	ag.Conv2d(x, w, nil, ag.Conv2dOpts{Epilogue: &ag.ConvEpilogue{Scale: []float32{1, 1}, Shift: []float32{0, 0}}})
}

// autograd's activations and ops' epilogue activations are the same list.
func TestEpilogueActNumbering(t *testing.T) {
	for _, p := range []struct {
		a ag.Activation
		o ops.Act
	}{{ag.ActNone, ops.ActNone}, {ag.ActReLU, ops.ActReLU}, {ag.ActLeakyReLU, ops.ActLeakyReLU}, {ag.ActSiLU, ops.ActSiLU}} {
		if int(p.a) != int(p.o) {
			t.Errorf("%v = %d in autograd, %d in ops", p.a, p.a, p.o)
		}
	}
}
