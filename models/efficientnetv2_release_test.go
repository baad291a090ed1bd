package models

import (
	"math/rand/v2"
	"testing"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/nn"
)

// Inference without gradients hands each block's intermediates back to
// the arena as it goes (Features): the outputs are the bits of a forward
// on the Go heap, also when the buffers come back holding earlier values,
// and the arena ends up holding less than a forward that keeps everything.
func TestEfficientNetV2NoGradReleases(t *testing.T) {
	m := newTinyEffNet(t, tinyConfig(false), 3)
	rng := rand.New(rand.NewPCG(4, 5))
	x := make([]float32, 2*3*64*64)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	var want []float32
	ag.NoGrad(func() {
		want = m.Forward(nn.Eval, ag.New(x, 2, 3, 64, 64)).Data
	})
	ar := ag.NewArena()
	for round := range 2 {
		ag.NoGrad(func() {
			out := m.Forward(nn.Eval, ar.New(x, 2, 3, 64, 64))
			for i := range want {
				if out.Data[i] != want[i] {
					t.Fatalf("round %d, output %d: %v from the arena, %v from the heap", round, i, out.Data[i], want[i])
				}
			}
		})
		ar.Reset()
	}
	_, released := ar.Stats()
	// The same forward with gradients recorded keeps every intermediate.
	keep := ag.NewArena()
	m.Forward(nn.Eval, keep.New(x, 2, 3, 64, 64))
	if _, kept := keep.Stats(); released >= kept/2 {
		t.Fatalf("the no-grad forward's arena holds %d floats, a forward keeping its graph %d", released, kept)
	}
}
