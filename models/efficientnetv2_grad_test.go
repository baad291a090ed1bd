package models

import (
	"math/rand/v2"
	"testing"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/autograd/gradcheck"
	"github.com/seed477ab429/multilabel/nn"
)

// checkBlock compares the gradients of a block's input and of every
// parameter with finite differences, in train mode (BN batch statistics,
// stochastic depth drawing a fixed mask: the context is re-seeded on each
// call so every evaluation drops the same samples) and in eval mode.
func checkBlock(t *testing.T, name string, b effBlock, x *ag.Tensor) {
	t.Helper()
	inputs := []*ag.Tensor{x}
	for _, p := range nn.Parameters(b) {
		inputs = append(inputs, p.Tensor)
	}
	for _, train := range []bool{true, false} {
		f := func(in []*ag.Tensor) *ag.Tensor {
			c := nn.Eval
			if train {
				c = nn.Train(5)
			}
			return b.Forward(c, in[0])
		}
		// ε = 1e-2: L sums a few hundred outputs of order 1 in float32,
		// so its rounding error (~1e-5) divided by 2ε must stay well under
		// the tolerance; the truncation error ε²·f‴/6 of these smooth
		// (SiLU, sigmoid, BN) blocks is ~1e-5.
		if err := gradcheck.Run(f, inputs, gradcheck.Options{Eps: 1e-2, MaxElems: 24}); err != nil {
			t.Errorf("%s (train %v): %v", name, train, err)
		}
	}
}

// perturb moves BN statistics and affine parameters away from 1/0 so that
// the eval-mode check exercises them, and redraws conv weights from
// U(−1, 1). The larger weights keep each BN's batch deviation large
// against the finite-difference step: with kaiming weights a depthwise
// 5x5 output has σ ≈ 0.3, a step of 1e-2 in one tap moves it by a few
// percent of σ, and the curvature of (y − μ)/σ then dominates the
// numeric derivative.
func perturb(rng *rand.Rand, m nn.Module) {
	m.Visit("", func(name string, t *ag.Tensor, _ nn.Kind) {
		switch {
		case len(t.Shape) == 4:
			nn.Uniform(t, rng, -1, 1)
		case len(name) > 12 && name[len(name)-12:] == "running_mean", len(name) > 4 && name[len(name)-4:] == "bias":
			nn.Uniform(t, rng, -0.2, 0.2)
		case len(name) > 11 && name[len(name)-11:] == "running_var":
			nn.Uniform(t, rng, 0.5, 1.5)
		case len(name) > 8 && name[len(name)-8:] == "1.weight":
			nn.Uniform(t, rng, 0.5, 1.5)
		}
	})
}

func TestFusedMBConvGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	s := convSpec{bnEps: 1e-3, bnMomentum: 0.1, rng: rng}
	// e = 4, stride 1, Cin = Cout: expand 3x3 + project 1x1 + skip with
	// stochastic depth 0.5 over a batch of 3.
	b := newFusedMBConv(s, blockShape{In: 4, Out: 4, Expand: 4, Kernel: 3, DropPath: 0.5})
	if !b.Skip || b.Project == nil {
		t.Fatalf("block layout: skip %v project %v", b.Skip, b.Project != nil)
	}
	perturb(rng, b)
	checkBlock(t, "FusedMBConv e4 s1", b, gradcheck.Rand(rng, 3, 4, 5, 6))
	// e = 1, stride 2, TF SAME padding: one conv, no skip.
	s.tfSame = true
	b = newFusedMBConv(s, blockShape{In: 4, Out: 8, Expand: 1, Kernel: 3, Stride: 2})
	perturb(rng, b)
	checkBlock(t, "FusedMBConv e1 s2 SAME", b, gradcheck.Rand(rng, 2, 4, 6, 5))
}

func TestMBConvGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	s := convSpec{bnEps: 1e-3, bnMomentum: 0.1, rng: rng}
	// e = 4 with SE (squeeze 8/4 = 2), skip and stochastic depth.
	b := newMBConv(s, blockShape{In: 8, Out: 8, Expand: 4, Kernel: 3, DropPath: 0.5})
	if !b.Skip || b.Expand == nil || b.SE.FC1.Weight.Shape[0] != 2 {
		t.Fatalf("block layout: skip %v expand %v squeeze %v", b.Skip, b.Expand != nil, b.SE.FC1.Weight.Shape)
	}
	perturb(rng, b)
	checkBlock(t, "MBConv e4 s1", b, gradcheck.Rand(rng, 3, 8, 4, 5))
	// e = 1 (no expansion conv), 5x5 depthwise, stride 2.
	b = newMBConv(s, blockShape{In: 8, Out: 16, Expand: 1, Kernel: 5, Stride: 2})
	perturb(rng, b)
	checkBlock(t, "MBConv e1 k5 s2", b, gradcheck.Rand(rng, 2, 8, 6, 6))
}
