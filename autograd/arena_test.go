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
		// SAM's second pass on the same input, before Reset: at most its
		// root (1 float; the first root is kept) is new, and that may
		// reuse a larger idle buffer.
		loss2, _ := releaseNet(in, w, s)
		loss2.Backward()
		_, total = ar.Stats()
		if release && total > one+1 {
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

// A request takes part of the smallest idle range that holds it and
// leaves the rest idle; returned ranges merge with their idle neighbours,
// so after Reset every allocation serves a request of its whole length
// again.
func TestArenaSplitsAndMerges(t *testing.T) {
	ar := ag.NewArena()
	big := ar.Zeros(10, 10)
	for i := range big.Data {
		big.Data[i] = 7
	}
	ar.Zeros(50)
	ar.Reset()
	stats := func(what string, wantInUse, wantTotal int) {
		t.Helper()
		if inUse, total := ar.Stats(); inUse != wantInUse || total != wantTotal {
			t.Fatalf("%s: in use %d, total %d; want %d and %d", what, inUse, total, wantInUse, wantTotal)
		}
	}
	small := ar.Zeros(6, 5) // from the 50 allocation, not the 100 one
	if len(small.Data) != 30 || cap(small.Data) != 30 {
		t.Fatalf("len %d cap %d, want 30", len(small.Data), cap(small.Data))
	}
	for i, v := range small.Data {
		if v != 0 {
			t.Fatalf("element %d is %v after Zeros", i, v)
		}
	}
	stats("30 of the 50", 30, 150)
	mid := ar.Zeros(40) // the 20 left of the 50 is too small: the 100
	stats("40 of the 100", 70, 150)
	tail := ar.Zeros(20) // exactly the 50's rest
	stats("the 50's rest", 90, 150)
	rest := ar.Zeros(60) // exactly the 100's rest
	stats("the 100's rest", 150, 150)
	if len(mid.Data) != 40 || len(tail.Data) != 20 || len(rest.Data) != 60 {
		t.Fatalf("lengths %d, %d, %d", len(mid.Data), len(tail.Data), len(rest.Data))
	}
	ar.Reset() // the pieces merge back
	again := ar.Zeros(100)
	stats("100 after Reset", 100, 150)
	half := ar.Zeros(50)
	stats("50 after Reset", 150, 150)
	if len(again.Data) != 100 || len(half.Data) != 50 {
		t.Fatalf("lengths %d, %d", len(again.Data), len(half.Data))
	}
	ar.Zeros(101) // larger than every idle range: a new allocation
	stats("101", 251, 251)
	ar.Reset()
	stats("Reset", 0, 251)
}

// ReleaseSince, under NoGrad, hands back what was made after the mark
// except the kept tensor (and the buffer a kept view lies in); with
// gradients recorded it does nothing.
func TestArenaReleaseSince(t *testing.T) {
	ar := ag.NewArena()
	x := ar.New(make([]float32, 8), 2, 4)
	var a, b, v *ag.Tensor
	ag.NoGrad(func() {
		mark := ar.Mark()
		a = ag.SiLU(x)          // dead
		b = ag.Tanh(a)          // kept through its view
		v = ag.Reshape(b, 4, 2) // kept
		w := ag.Reshape(a, 8)   // a dead view
		ar.ReleaseSince(mark, v)
		if a.Data != nil || w.Data != nil {
			t.Error("a dead tensor kept its Data")
		}
		if b.Data == nil || v.Data == nil || x.Data == nil {
			t.Error("the kept view, its buffer or the tensor made before the mark lost its Data")
		}
		if inUse, _ := ar.Stats(); inUse != 16 {
			t.Errorf("%d floats in use, want 16 (x and b)", inUse)
		}
		c := ag.SiLU(v) // reuses a's buffer
		if _, total := ar.Stats(); total != 24 || len(c.Data) != 8 {
			t.Errorf("total %d after reuse, want 24", total)
		}
	})
	// Gradients switched on, but nothing requires one (the inference API
	// on a loaded model): released as under NoGrad.
	{
		mark := ar.Mark()
		a := ag.SiLU(x)
		b := ag.Tanh(a)
		ar.ReleaseSince(mark, b)
		if a.Data != nil || b.Data == nil {
			t.Errorf("no gradient recorded: dead tensor released %v, kept tensor kept %v", a.Data == nil, b.Data != nil)
		}
	}
	// Recording gradients: nothing is released.
	p := ag.RandN(rand.New(rand.NewPCG(1, 1)), 2, 4).AsParam()
	mark := ar.Mark()
	y := ag.Mul(x, p)
	z := ag.SiLU(y)
	ar.ReleaseSince(mark, z)
	if y.Data == nil {
		t.Error("released while gradients are recorded")
	}
	ar.Reset()
	if inUse, _ := ar.Stats(); inUse != 0 {
		t.Fatalf("%d floats in use after Reset", inUse)
	}
}
