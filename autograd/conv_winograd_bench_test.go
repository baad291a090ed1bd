package autograd_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	ag "github.com/seed477ab429/multilabel/autograd"
)

// BenchmarkConvWinograd: the forward of 3x3 stride-1 convolutions of
// ResNet-50's and TResNet-M's stages at 224 px, batch 8, with and without
// the Winograd product, F(2x2, 3x3) and F(4x4, 3x3) (no gradient: as in
// evaluation).
//
//	go test ./autograd -run '^$' -bench ConvWinograd -benchtime 10x
func BenchmarkConvWinograd(b *testing.B) {
	for _, s := range []struct{ c, hw int }{{32, 56}, {64, 56}, {128, 28}, {256, 14}, {512, 7}} {
		rng := rand.New(rand.NewPCG(1, 2))
		x := ag.RandN(rng, 8, s.c, s.hw, s.hw)
		w := ag.RandN(rng, s.c, s.c, 3, 3)
		opts := ag.Conv2dOpts{}.WithPad(ag.SymPad(1))
		for _, mt := range []int{0, 2, 4} {
			name := fmt.Sprintf("c%d_%dx%d/implicit", s.c, s.hw, s.hw)
			minC := 0
			if mt > 0 {
				name, minC = fmt.Sprintf("c%d_%dx%d/winograd_f%d", s.c, s.hw, s.hw, mt), 1
			}
			b.Run(name, func(b *testing.B) {
				defer ag.SetWinograd(minC, 0)()
				defer ag.SetWinogradTile(mt)()
				flops := 2 * 9 * float64(s.c*s.c*s.hw*s.hw*8)
				for b.Loop() {
					ag.NoGrad(func() { ag.Conv2d(x, w, nil, opts) })
				}
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "direct-GFLOPS")
			})
		}
	}
}

// BenchmarkConvWinogradTrain: the same convolutions' forward and backward
// (∂L/∂x and ∂L/∂w), with and without Winograd, F(2x2, 3x3) and F(4x4,
// 3x3) (which then run the forward and ∂L/∂x; ∂L/∂w keeps im2col).
//
//	go test ./autograd -run '^$' -bench ConvWinogradTrain -benchtime 10x
func BenchmarkConvWinogradTrain(b *testing.B) {
	for _, s := range []struct{ c, hw int }{{64, 56}, {128, 28}, {256, 14}, {512, 7}} {
		rng := rand.New(rand.NewPCG(1, 2))
		x := ag.RandN(rng, 8, s.c, s.hw, s.hw)
		w := ag.RandN(rng, s.c, s.c, 3, 3)
		x.SetRequiresGrad(true)
		w.SetRequiresGrad(true)
		opts := ag.Conv2dOpts{}.WithPad(ag.SymPad(1))
		for _, mt := range []int{0, 2, 4} {
			name, minC := fmt.Sprintf("c%d_%dx%d/im2col", s.c, s.hw, s.hw), 0
			if mt > 0 {
				name, minC = fmt.Sprintf("c%d_%dx%d/winograd_f%d", s.c, s.hw, s.hw, mt), 1
			}
			b.Run(name, func(b *testing.B) {
				defer ag.SetWinograd(minC, 0)()
				defer ag.SetWinogradTile(mt)()
				for b.Loop() {
					x.ZeroGrad()
					w.ZeroGrad()
					y := ag.Conv2d(x, w, nil, opts)
					y.BackwardWith(y.Data)
				}
			})
		}
	}
}
