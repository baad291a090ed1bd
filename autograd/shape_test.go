package autograd_test

import (
	"math/rand/v2"
	"strings"
	"testing"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/autograd/gradcheck"
)

// shapeUnravel turns a flat row-major index into coordinates.
func shapeUnravel(i int, shape []int) []int {
	idx := make([]int, len(shape))
	for d := len(shape) - 1; d >= 0; d-- {
		idx[d] = i % shape[d]
		i /= shape[d]
	}
	return idx
}

// shapeRavel turns coordinates into a flat row-major index.
func shapeRavel(idx, shape []int) int {
	i := 0
	for d := range shape {
		i = i*shape[d] + idx[d]
	}
	return i
}

// shapeExpectPanic fails unless f panics with a message containing every
// part.
func shapeExpectPanic(t *testing.T, f func(), parts ...string) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		msg, _ := r.(string)
		if r == nil {
			t.Fatalf("no panic, want one mentioning %q", parts)
		}
		for _, p := range parts {
			if !strings.Contains(msg, p) {
				t.Fatalf("panic %q does not mention %q", msg, p)
			}
		}
	}()
	f()
}

func TestPermuteForward(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	x := ag.RandU(rng, -1, 1, 2, 3, 4, 5)
	for _, dims := range [][]int{{0, 1, 2, 3}, {2, 1, 0, 3}, {3, 2, 1, 0}, {0, 2, 3, 1}, {1, 0, 3, 2}, {2, 3, 0, 1}} {
		got := ag.Permute(x, dims...)
		for i, v := range got.Data {
			oi := shapeUnravel(i, got.Shape)
			xi := make([]int, 4)
			for d, p := range dims {
				xi[p] = oi[d]
			}
			if want := x.Data[shapeRavel(xi, x.Shape)]; v != want {
				t.Fatalf("Permute%v: out%v = %v, want %v", dims, oi, v, want)
			}
		}
	}
}

// Large enough to be split over workers: the result must not depend on
// the chunking (the walk restarts mid-row at chunk borders).
func TestPermuteParallel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	x := ag.RandU(rng, -1, 1, 7, 33, 5, 31)
	got := ag.Permute(x, 2, 0, 3, 1)
	for i := range got.Data {
		oi := shapeUnravel(i, got.Shape)
		xi := []int{oi[1], oi[3], oi[0], oi[2]}
		if want := x.Data[shapeRavel(xi, x.Shape)]; got.Data[i] != want {
			t.Fatalf("Permute at %v: %v, want %v", oi, got.Data[i], want)
		}
	}
}

func TestPermuteGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 3))
	x := gradcheck.Rand(rng, 2, 3, 4)
	gradcheck.Check(t, func(in []*ag.Tensor) *ag.Tensor { return ag.Permute(in[0], 2, 0, 1) }, []*ag.Tensor{x}, gradcheck.Options{})
	gradcheck.Check(t, func(in []*ag.Tensor) *ag.Tensor { return ag.Permute(in[0], 1, 0, 2) }, []*ag.Tensor{x}, gradcheck.Options{})
}

func TestTransposeForwardAndGrad(t *testing.T) {
	x := ag.New([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	got := ag.Transpose(x, 0, 1)
	want := []float32{1, 4, 2, 5, 3, 6}
	if !ag.SameShape(got.Shape, []int{3, 2}) {
		t.Fatalf("Transpose shape %v", got.Shape)
	}
	assertClose(t, "Transpose", got.Data, want, 0)
	rng := rand.New(rand.NewPCG(1, 4))
	y := gradcheck.Rand(rng, 2, 3, 4)
	gradcheck.Check(t, func(in []*ag.Tensor) *ag.Tensor { return ag.Transpose(in[0], -1, 1) }, []*ag.Tensor{y}, gradcheck.Options{})
}

func TestBroadcastTo(t *testing.T) {
	x := ag.New([]float32{1, 2, 3}, 3, 1)
	got := ag.BroadcastTo(x, 2, 3, 2)
	want := []float32{1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3}
	assertClose(t, "BroadcastTo", got.Data, want, 0)

	rng := rand.New(rand.NewPCG(1, 5))
	a := gradcheck.Rand(rng, 3, 1)
	b := gradcheck.Rand(rng, 1, 4, 1)
	gradcheck.Check(t, func(in []*ag.Tensor) *ag.Tensor { return ag.BroadcastTo(in[0], 2, 3, 4) }, []*ag.Tensor{a}, gradcheck.Options{})
	gradcheck.Check(t, func(in []*ag.Tensor) *ag.Tensor { return ag.BroadcastTo(in[0], 3, 4, 2) }, []*ag.Tensor{b}, gradcheck.Options{})
	shapeExpectPanic(t, func() { ag.BroadcastTo(ag.Zeros(3, 2), 3, 4) }, "BroadcastTo", "[3 2]", "[3 4]")
}

func TestSqueezeUnsqueeze(t *testing.T) {
	x := ag.Zeros(2, 3)
	if s := ag.Unsqueeze(x, 1).Shape; !ag.SameShape(s, []int{2, 1, 3}) {
		t.Fatalf("Unsqueeze(1) = %v", s)
	}
	if s := ag.Unsqueeze(x, -1).Shape; !ag.SameShape(s, []int{2, 3, 1}) {
		t.Fatalf("Unsqueeze(-1) = %v", s)
	}
	if s := ag.Squeeze(ag.Zeros(2, 1, 3), 1).Shape; !ag.SameShape(s, []int{2, 3}) {
		t.Fatalf("Squeeze = %v", s)
	}
	shapeExpectPanic(t, func() { ag.Squeeze(x, 0) }, "Squeeze", "[2 3]")
	rng := rand.New(rand.NewPCG(1, 6))
	y := gradcheck.Rand(rng, 2, 3)
	gradcheck.Check(t, func(in []*ag.Tensor) *ag.Tensor {
		return ag.Squeeze(ag.Permute(ag.Unsqueeze(in[0], 0), 2, 0, 1), 1)
	}, []*ag.Tensor{y}, gradcheck.Options{})
}

func TestConcatForward(t *testing.T) {
	a := ag.New([]float32{1, 2, 3, 4}, 2, 2)
	b := ag.New([]float32{5, 6}, 2, 1)
	got := ag.Concat(1, a, b)
	assertClose(t, "Concat axis 1", got.Data, []float32{1, 2, 5, 3, 4, 6}, 0)
	got = ag.Concat(0, a, ag.New([]float32{7, 8}, 1, 2))
	assertClose(t, "Concat axis 0", got.Data, []float32{1, 2, 3, 4, 7, 8}, 0)
	shapeExpectPanic(t, func() { ag.Concat(1, a, ag.Zeros(3, 1)) }, "Concat", "[2 2]", "[3 1]")
}

func TestConcatGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 7))
	a := gradcheck.Rand(rng, 2, 3, 2)
	b := gradcheck.Rand(rng, 2, 1, 2)
	c := gradcheck.Param(rng, 2, 2, 2)
	gradcheck.Check(t, func(in []*ag.Tensor) *ag.Tensor { return ag.Concat(-2, in[0], in[1], in[2]) }, []*ag.Tensor{a, b, c}, gradcheck.Options{})
}

func TestSliceAndSplit(t *testing.T) {
	x := ag.New([]float32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, 3, 4)
	got := ag.Slice(x, 1, 1, 3)
	assertClose(t, "Slice", got.Data, []float32{1, 2, 5, 6, 9, 10}, 0)
	parts := ag.Split(x, 0, 1, 2)
	assertClose(t, "Split[0]", parts[0].Data, []float32{0, 1, 2, 3}, 0)
	assertClose(t, "Split[1]", parts[1].Data, []float32{4, 5, 6, 7, 8, 9, 10, 11}, 0)
	shapeExpectPanic(t, func() { ag.Slice(x, 1, 2, 5) }, "Slice", "[3 4]")
	shapeExpectPanic(t, func() { ag.Split(x, 1, 1, 2) }, "Split", "[3 4]")

	rng := rand.New(rand.NewPCG(1, 8))
	y := gradcheck.Rand(rng, 2, 5, 3)
	gradcheck.Check(t, func(in []*ag.Tensor) *ag.Tensor { return ag.Slice(in[0], 1, 1, 4) }, []*ag.Tensor{y}, gradcheck.Options{})
	// Split pieces used unevenly, then rejoined: each piece's gradient
	// must land in its own window of x.
	gradcheck.Check(t, func(in []*ag.Tensor) *ag.Tensor {
		p := ag.Split(in[0], 1, 2, 1, 2)
		return ag.Concat(1, p[2], p[0], p[0])
	}, []*ag.Tensor{y}, gradcheck.Options{})
}

func TestPermuteShapeError(t *testing.T) {
	shapeExpectPanic(t, func() { ag.Permute(ag.Zeros(2, 3), 0, 0) }, "Permute", "[2 3]")
	shapeExpectPanic(t, func() { ag.Permute(ag.Zeros(2, 3), 0) }, "Permute", "[2 3]")
}
