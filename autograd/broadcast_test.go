package autograd_test

import (
	"math/rand/v2"
	"testing"

	ag "github.com/seed477ab429/multilabel/autograd"
)

// A training-like step on arena tensors, through every kind of op of this
// part of the engine (broadcast binary, unary table, reductions, softmax,
// max, where). After Reset the second and third steps must reuse the
// first step's buffers: the arena allocates nothing new, and the loss and
// gradients are the same each time.
func TestElementwiseArenaReuse(t *testing.T) {
	rng := rand.New(rand.NewPCG(51, 52))
	data := ag.RandN(rng, 2, 4, 3, 3).Data
	w := ag.RandN(rng, 1, 4, 1, 1).AsParam()
	b := ag.RandN(rng, 4, 1, 1).AsParam()
	cond := make([]bool, 2*4)
	for i := range cond {
		cond[i] = i%3 == 0
	}
	arena := ag.NewArena()
	step := func() (float32, []float32) {
		w.ZeroGrad()
		b.ZeroGrad()
		x := arena.New(data, 2, 4, 3, 3)
		h := ag.GELU(ag.Add(ag.Mul(x, w), b))                             // [2,4,3,3]
		s := ag.Mean(ag.LogSigmoid(ag.Softmax(h, 1)), []int{2, 3}, false) // [2,4]
		k := ag.Reshape(ag.Sum(h, []int{1, 2, 3}, true), 2, 1)            // [2,1]
		d := ag.Sub(s, k)                                                 // [2,4]
		e := ag.Where(cond, d, ag.Tanh(ag.MulScalar(d, 0.1)))
		m := ag.Max(e, 1, false) // [2]
		loss := ag.MeanAll(ag.Add(m, ag.SumAll(ag.LogSoftmax(d, 1))))
		loss.Backward()
		grads := append(append([]float32(nil), w.Grad...), b.Grad...)
		v := loss.Item()
		arena.Reset()
		return v, grads
	}
	loss1, grads1 := step()
	_, total1 := arena.Stats()
	for range 2 {
		loss, grads := step()
		if inUse, total := arena.Stats(); total != total1 || inUse != 0 {
			t.Fatalf("arena grew: total %d after the first step, %d now (in use %d)", total1, total, inUse)
		}
		if loss != loss1 {
			t.Fatalf("loss %v, first step %v", loss, loss1)
		}
		assertClose(t, "grads", grads, grads1, 0)
	}
	if total1 == 0 {
		t.Fatal("the ops did not take their buffers from the arena")
	}
}

// Benchmarks on a ResNet-stage-sized activation [8,64,56,56] (1.6M
// elements): go test ./autograd -run XXX -bench Elementwise -benchtime 20x
func BenchmarkElementwise(b *testing.B) {
	rng := rand.New(rand.NewPCG(53, 54))
	x := ag.RandN(rng, 8, 64, 56, 56).SetRequiresGrad(true)
	y := ag.RandN(rng, 8, 64, 56, 56)
	w := ag.RandN(rng, 1, 64, 1, 1).AsParam()
	g := make([]float32, x.Numel())
	for _, c := range []struct {
		name string
		f    func() *ag.Tensor
	}{
		{"AddEqual", func() *ag.Tensor { return ag.Add(x, y) }},
		{"MulPerChannel", func() *ag.Tensor { return ag.Mul(x, w) }},
		{"ReLU", func() *ag.Tensor { return ag.ReLU(x) }},
		{"GELU", func() *ag.Tensor { return ag.GELU(x) }},
		{"SumHW", func() *ag.Tensor { return ag.Sum(x, []int{2, 3}, false) }},
		{"SumNHW", func() *ag.Tensor { return ag.Sum(x, []int{0, 2, 3}, false) }},
		{"Softmax1", func() *ag.Tensor { return ag.Softmax(x, 1) }},
	} {
		b.Run(c.name+"/fwd", func(b *testing.B) {
			for b.Loop() {
				ag.NoGrad(func() { c.f() })
			}
		})
		b.Run(c.name+"/fwd+bwd", func(b *testing.B) {
			for b.Loop() {
				x.Grad, w.Grad = nil, nil
				out := c.f()
				out.BackwardWith(g[:out.Numel()])
			}
		})
	}
}
