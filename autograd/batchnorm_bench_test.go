package autograd_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	ag "github.com/seed477ab429/multilabel/autograd"
)

// BenchmarkBatchNormSiLU times training-mode BatchNorm2d + SiLU, forward
// and backward, at the shapes EfficientNetV2-T meets at 64 and 128 px in
// batches of 32: from 32x32 planes (the first stages) down to 2x2 (the
// last stage at 64 px), where a plane is a few values and the cost per
// plane, not per value, decides. ns/value is per element of x.
func BenchmarkBatchNormSiLU(b *testing.B) {
	for _, s := range []struct{ n, c, hw int }{
		{32, 48, 32 * 32}, {32, 192, 16 * 16}, {32, 384, 8 * 8},
		{32, 768, 4 * 4}, {32, 1248, 2 * 2},
	} {
		b.Run(fmt.Sprintf("%dx%dx%d", s.n, s.c, s.hw), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			arena := ag.NewArena()
			xd := ag.RandU(rng, -2, 3, s.n, s.c, s.hw).Data
			g := ag.RandU(rng, -1, 1, s.n, s.c, s.hw).Data
			o := ag.BatchNormOpts{
				Weight: ag.RandU(rng, 0.5, 1.5, s.c).AsParam(), Bias: ag.RandU(rng, -0.5, 0.5, s.c).AsParam(),
				RunningMean: ag.Full(0, s.c), RunningVar: ag.Full(1, s.c),
				Training: true, Momentum: 0.1, Eps: 1e-5, Act: ag.ActSiLU,
			}
			b.ResetTimer()
			for range b.N {
				arena.Reset()
				x := arena.New(xd, s.n, s.c, s.hw).SetRequiresGrad(true)
				o.Weight.Grad, o.Bias.Grad = nil, nil
				ag.BatchNorm2d(x, o).BackwardWith(g)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*s.n*s.c*s.hw), "ns/value")
		})
	}
}
