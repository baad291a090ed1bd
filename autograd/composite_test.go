package autograd_test

import (
	"math/rand/v2"
	"testing"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/autograd/gradcheck"
)

// smallNet is the composite of issue-level checks: conv → BN (train) →
// SiLU → max-pool → depthwise conv → global average pool → linear, a
// miniature of a CNN step.
type smallNet struct {
	w1, g1, b1, rm, rv, w2, fw, fb *ag.Tensor
}

func newSmallNet(rng *rand.Rand, cin, c, classes int) *smallNet {
	return &smallNet{
		w1: gradcheck.Param(rng, c, cin, 3, 3),
		g1: ag.RandU(rng, 0.5, 1.5, c).AsParam(),
		b1: gradcheck.Param(rng, c),
		rm: ag.Zeros(c), rv: ag.Ones(c),
		w2: gradcheck.Param(rng, c, 1, 3, 3),
		fw: gradcheck.Param(rng, classes, c),
		fb: gradcheck.Param(rng, classes),
	}
}

func (m *smallNet) params() []*ag.Tensor {
	return []*ag.Tensor{m.w1, m.g1, m.b1, m.w2, m.fw, m.fb}
}

func (m *smallNet) forward(x *ag.Tensor) *ag.Tensor {
	c := m.w1.Shape[0]
	h := ag.Conv2d(x, m.w1, nil, ag.Conv2dOpts{}.WithPad(ag.SymPad(1)))
	h = ag.SiLU(ag.BatchNorm2d(h, ag.BatchNormOpts{Weight: m.g1, Bias: m.b1, RunningMean: m.rm, RunningVar: m.rv, Training: true, Momentum: 0.1, Eps: 1e-5}))
	h = ag.MaxPool2d(h, ag.PoolOpts{KernelH: 2, KernelW: 2})
	h = ag.Conv2d(h, m.w2, nil, ag.Conv2dOpts{Groups: c}.WithPad(ag.SymPad(1)))
	return ag.Linear(ag.GlobalAvgPool2d(h), m.fw, m.fb)
}

// The ops compose: the gradient of the whole net, with respect to the
// input and every parameter, matches finite differences.
func TestCompositeConvNetGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	m := newSmallNet(rng, 2, 3, 4)
	x := gradcheck.Rand(rng, 2, 2, 6, 6)
	gradcheck.Check(t, func(in []*ag.Tensor) *ag.Tensor { return m.forward(in[0]) },
		append([]*ag.Tensor{x}, m.params()...), gradcheck.Options{Eps: 1e-3, Atol: 2e-3, Rtol: 2e-2})
}

// BenchmarkSmallConvNet is the baseline of a training step: forward and
// backward of conv(3→32) → BN → SiLU → max-pool → depthwise → GAP →
// linear on a batch of 16 RGB 64×64 images, through an arena so a step
// reuses the previous step's buffers. It reports time and allocations per
// step (see docs/PERFORMANCE.md).
func BenchmarkSmallConvNet(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	m := newSmallNet(rng, 3, 32, 20)
	data := ag.RandN(rng, 16, 3, 64, 64).Data
	ar := ag.NewArena()
	step := func() {
		x := ar.New(data, 16, 3, 64, 64)
		ag.SumAll(m.forward(x)).Backward()
		for _, p := range m.params() {
			p.ZeroGrad()
		}
		ar.Reset()
	}
	step()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		step()
	}
}
