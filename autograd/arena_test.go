package autograd_test

import (
	"math/rand/v2"
	"testing"

	ag "github.com/seed477ab429/multilabel/autograd"
)

// releaseNet is a small graph with the shapes of a training step: a
// product, a reshape view, an activation, a tensor used twice (diamond),
// a broadcast scale and a mean.
func releaseNet(in, w, s *ag.Tensor) (loss, mid *ag.Tensor) {
	h := ag.SiLU(ag.MatMul(in, w))                  // [4, 8]
	v := ag.Reshape(h, 2, 16)                       // a view of h
	d := ag.Add(ag.Mul(v, v), ag.Reshape(h, 2, 16)) // h used three times
	mid = ag.Mul(ag.Reshape(d, 4, 8), s)            // s broadcast over rows
	return ag.MeanAll(ag.Tanh(mid)), mid
}

// With ReleaseInBackward the gradients are bit-identical, the graph's
// intermediate tensors lose their Data while the root and the leaves keep
// theirs, and a second forward and backward before Reset (SAM's second
// pass) reuses the first pass's buffers instead of allocating a second set.
func TestArenaReleaseInBackward(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, 32)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	w := ag.RandN(rng, 8, 8).AsParam()
	s := ag.RandN(rng, 1, 8).AsParam()
	grads := func(release bool) (gw, gs []float32, total int) {
		w.ZeroGrad()
		s.ZeroGrad()
		ar := ag.NewArena()
		ar.ReleaseInBackward = release
		in := ar.New(x, 4, 8)
		loss, mid := releaseNet(in, w, s)
		loss.Backward()
		if release {
			if mid.Data != nil {
				t.Error("an intermediate tensor kept its Data after Backward")
			}
			if loss.Data == nil || len(loss.Data) != 1 {
				t.Error("the root lost its Data")
			}
		} else if mid.Data == nil {
			t.Error("Data released without ReleaseInBackward")
		}
		_, one := ar.Stats()
		// SAM's second pass on the same input, before Reset: only its
		// root (1 float; the first root is kept) is new.
		loss2, _ := releaseNet(in, w, s)
		loss2.Backward()
		_, total = ar.Stats()
		if release && total != one+1 {
			t.Errorf("the second pass allocated %d more floats (first pass %d)", total-one, one)
		}
		ar.Reset()
		if inUse, _ := ar.Stats(); inUse != 0 {
			t.Errorf("%d floats in use after Reset", inUse)
		}
		return append([]float32(nil), w.Grad...), append([]float32(nil), s.Grad...), total
	}
	gw0, gs0, total0 := grads(false)
	gw1, gs1, total1 := grads(true)
	for i := range gw0 {
		if gw0[i] != gw1[i] {
			t.Fatalf("w grad %d: %v released, %v kept", i, gw1[i], gw0[i])
		}
	}
	for i := range gs0 {
		if gs0[i] != gs1[i] {
			t.Fatalf("s grad %d: %v released, %v kept", i, gs1[i], gs0[i])
		}
	}
	if total1 >= total0 {
		t.Errorf("releasing used %d floats, keeping %d", total1, total0)
	}
}
