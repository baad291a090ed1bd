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
func TestNoGradReleases(t *testing.T) {
	r, err := NewResNetFromConfig(ResNetConfig{Name: "resnet_tiny", Layers: [4]int{1, 1, 2, 1}, Base: 3, NumClasses: 10})
	if err != nil {
		t.Fatal(err)
	}
	for name, m := range map[string]interface {
		Forward(*nn.Ctx, *ag.Tensor) *ag.Tensor
	}{"efficientnetv2": newTinyEffNet(t, tinyConfig(false), 3), "resnet": r, "tresnet": tinyTResNet(t, false)} {
		t.Run(name, func(t *testing.T) { checkNoGradReleases(t, m.Forward) })
	}
}

func checkNoGradReleases(t *testing.T, forward func(*nn.Ctx, *ag.Tensor) *ag.Tensor) {
	m := struct {
		Forward func(*nn.Ctx, *ag.Tensor) *ag.Tensor
	}{forward}
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
	var held int // floats in use after the forward, before Reset, but the input
	for round := range 2 {
		ag.NoGrad(func() {
			out := m.Forward(nn.Eval, ar.New(x, 2, 3, 64, 64))
			held, _ = ar.Stats()
			held -= len(x) // the input, made before the forward
			for i := range want {
				if out.Data[i] != want[i] {
					t.Fatalf("round %d, output %d: %v from the arena, %v from the heap", round, i, out.Data[i], want[i])
				}
			}
		})
		ar.Reset()
	}
	// The same forward with gradients recorded keeps every intermediate.
	keep := ag.NewArena()
	m.Forward(nn.Eval, keep.New(x, 2, 3, 64, 64))
	kept, _ := keep.Stats()
	t.Logf("in use after the forward: %d floats without gradients, %d with", held, kept)
	if held >= kept/8 {
		t.Fatalf("the no-grad forward left %d floats in use, a forward keeping its graph %d", held, kept)
	}
}
