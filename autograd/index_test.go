package autograd_test

import (
	"math/rand/v2"
	"testing"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/autograd/gradcheck"
)

func TestIndexSelectForward(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 1))
	x := ag.RandU(rng, -1, 1, 2, 4, 3)
	idx := []int{3, 0, 3, 1, 2}
	got := ag.IndexSelect(x, 1, idx)
	if !ag.SameShape(got.Shape, []int{2, 5, 3}) {
		t.Fatalf("shape %v", got.Shape)
	}
	for o := 0; o < 2; o++ {
		for i, j := range idx {
			for k := 0; k < 3; k++ {
				if g, w := got.Data[(o*5+i)*3+k], x.Data[(o*4+j)*3+k]; g != w {
					t.Fatalf("out[%d,%d,%d] = %v, want %v", o, i, k, g, w)
				}
			}
		}
	}
}

func TestIndexSelectGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	x := gradcheck.Rand(rng, 3, 4, 2)
	for axis, idx := range [][]int{{2, 2, 0}, {1, 3, 1, 1, 0}, {1}} {
		gradcheck.Check(t, func(in []*ag.Tensor) *ag.Tensor { return ag.IndexSelect(in[0], axis, idx) }, []*ag.Tensor{x}, gradcheck.Options{})
	}
	shapeExpectPanic(t, func() { ag.IndexSelect(ag.Zeros(3, 4), 1, []int{4}) }, "IndexSelect", "index 4", "[3 4]")
}

func TestEmbedding(t *testing.T) {
	w := ag.New([]float32{0, 1, 10, 11, 20, 21}, 3, 2).AsParam()
	ids := []int{2, 0, 2, 2}
	out := ag.Embedding(w, ids)
	assertClose(t, "Embedding forward", out.Data, []float32{20, 21, 0, 1, 20, 21, 20, 21}, 0)
	// Scatter-add: row 2 appears three times and gets the sum of three
	// row gradients; row 1 is unused and gets zero.
	out.BackwardWith([]float32{1, 2, 3, 4, 5, 6, 7, 8})
	assertClose(t, "Embedding grad", w.Grad, []float32{3, 4, 0, 0, 1 + 5 + 7, 2 + 6 + 8}, 0)

	rng := rand.New(rand.NewPCG(2, 3))
	p := gradcheck.Param(rng, 5, 3)
	gradcheck.Check(t, func(in []*ag.Tensor) *ag.Tensor { return ag.Embedding(in[0], []int{4, 1, 4, 0, 1, 1}) }, []*ag.Tensor{p}, gradcheck.Options{})
	shapeExpectPanic(t, func() { ag.Embedding(ag.Zeros(3, 2), []int{0, -1}) }, "Embedding", "-1", "[3 2]")
	shapeExpectPanic(t, func() { ag.Embedding(ag.Zeros(6), []int{0}) }, "Embedding", "[6]")
}

func TestGatherForward(t *testing.T) {
	// torch.gather(x, 1, index) for x [2, 3], index [2, 2].
	x := ag.New([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	got := ag.Gather(x, 1, []int{2, 0, 1, 1}, []int{2, 2})
	assertClose(t, "Gather axis 1", got.Data, []float32{3, 1, 5, 5}, 0)
	// axis 0 with an index smaller than x in dim 1: out[i][j] = x[index[i][j]][j].
	got = ag.Gather(x, 0, []int{1, 0, 0, 0}, []int{2, 2})
	assertClose(t, "Gather axis 0", got.Data, []float32{4, 2, 1, 2}, 0)

	// Rank 3 against the definition, axis in the middle.
	rng := rand.New(rand.NewPCG(2, 4))
	y := ag.RandU(rng, -1, 1, 3, 4, 5)
	ishape := []int{2, 6, 4}
	index := make([]int, 2*6*4)
	for i := range index {
		index[i] = rng.IntN(4)
	}
	out := ag.Gather(y, 1, index, ishape)
	for i := range out.Data {
		c := shapeUnravel(i, ishape)
		c[1] = index[i]
		if want := y.Data[shapeRavel(c, y.Shape)]; out.Data[i] != want {
			t.Fatalf("Gather at %d: %v, want %v", i, out.Data[i], want)
		}
	}
}

func TestGatherGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 5))
	x := gradcheck.Rand(rng, 3, 4, 2)
	index := make([]int, 3*5*2)
	for i := range index {
		index[i] = rng.IntN(4) // repeats: the backward must accumulate
	}
	gradcheck.Check(t, func(in []*ag.Tensor) *ag.Tensor { return ag.Gather(in[0], 1, index, []int{3, 5, 2}) }, []*ag.Tensor{x}, gradcheck.Options{})
	last := []int{1, 0, 1, 1, 0, 0}
	gradcheck.Check(t, func(in []*ag.Tensor) *ag.Tensor { return ag.Gather(in[0], -1, last, []int{3, 2, 1}) }, []*ag.Tensor{x}, gradcheck.Options{})
	shapeExpectPanic(t, func() { ag.Gather(ag.Zeros(2, 3), 1, []int{0, 0, 0}, []int{3, 1}) }, "Gather", "[3 1]", "[2 3]")
	shapeExpectPanic(t, func() { ag.Gather(ag.Zeros(2, 3), 1, []int{0, 3}, []int{2, 1}) }, "Gather", "index 3")
}
