package autograd_test

import (
	"strings"
	"testing"

	ag "github.com/seed477ab429/multilabel/autograd"
)

// y = (a·b) reshaped, summed through a ones-vector product: checks the
// seed, accumulation across two backward passes and ZeroGrad.
func TestBackwardAccumulatesAndZeroGrad(t *testing.T) {
	a := ag.NewParam([]float32{1, 2, 3, 4}, 2, 2)
	b := ag.New([]float32{1, 1}, 2, 1)
	ones := ag.New([]float32{1, 1}, 1, 2)
	step := func() { ag.MatMul(ones, ag.MatMul(a, b)).Backward() }
	step()
	want := []float32{1, 1, 1, 1} // ∂/∂a Σ_i Σ_j a_ij b_j = b_j
	for i, g := range a.Grad {
		if g != want[i] {
			t.Fatalf("grad %v, want %v", a.Grad, want)
		}
	}
	step()
	for i, g := range a.Grad {
		if g != 2*want[i] {
			t.Fatalf("after two passes grad %v, want %v", a.Grad, 2*want[i])
		}
	}
	a.ZeroGrad()
	for _, g := range a.Grad {
		if g != 0 {
			t.Fatalf("ZeroGrad left %v", a.Grad)
		}
	}
	if b.Grad != nil {
		t.Fatal("a tensor that does not require grad got one")
	}
}

// A tensor used twice gets the sum of both paths (the diamond case), and
// intermediate gradients are freed unless retained.
func TestDiamondAndFreeing(t *testing.T) {
	x := ag.NewParam([]float32{2}, 1, 1)
	h := ag.MatMul(x, ag.New([]float32{3}, 1, 1)) // h = 3x
	h.RetainGrad()
	k := ag.MatMul(x, ag.New([]float32{5}, 1, 1)) // k = 5x
	y := ag.MatMul(h, k)                          // y = 15x², dy/dx = 30x = 60
	y.Backward()
	if x.Grad[0] != 60 {
		t.Fatalf("dy/dx = %v, want 60", x.Grad[0])
	}
	if h.Grad == nil || h.Grad[0] != 10 { // dy/dh = k = 10
		t.Fatalf("retained grad %v, want 10", h.Grad)
	}
	if k.Grad != nil {
		t.Fatal("intermediate gradient was not freed")
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "second time") {
			t.Fatalf("second Backward through a freed graph: %v", r)
		}
	}()
	y.Backward()
}

func TestNoGradAndDetach(t *testing.T) {
	w := ag.NewParam([]float32{1, 2}, 1, 2)
	x := ag.New([]float32{3, 4}, 2, 1)
	var y *ag.Tensor
	ag.NoGrad(func() { y = ag.MatMul(w, x) })
	if y.RequiresGrad() || !ag.GradEnabled() {
		t.Fatal("NoGrad recorded a graph or did not restore the mode")
	}
	if y.Data[0] != 11 {
		t.Fatalf("forward under NoGrad = %v", y.Data)
	}
	z := ag.MatMul(w, x)
	d := z.Detach()
	if d.RequiresGrad() || &d.Data[0] != &z.Data[0] {
		t.Fatal("Detach must share data and drop history")
	}
	defer func() {
		if r := recover(); r == nil {
			t.Fatal("Backward on a tensor without grad did not panic")
		}
	}()
	d.Backward()
}

// The second identical step on an arena allocates no new float buffers.
func TestArenaReuse(t *testing.T) {
	ar := ag.NewArena()
	w := ag.NewParam(make([]float32, 64*64), 64, 64)
	step := func() {
		x := ar.Zeros(8, 64)
		y := ag.MatMul(ag.MatMul(x, w), w)
		ag.MatMul(ag.Ones(1, 8), ag.MatMul(y, ag.Ones(64, 1))).Backward()
		ar.Reset()
	}
	step()
	_, total := ar.Stats()
	for range 3 {
		step()
	}
	if _, t2 := ar.Stats(); t2 != total {
		t.Fatalf("arena grew from %d to %d floats on identical steps", total, t2)
	}
	if inUse, _ := ar.Stats(); inUse != 0 {
		t.Fatalf("%d floats still in use after Reset", inUse)
	}
}

func TestReshapeInfer(t *testing.T) {
	x := ag.Zeros(2, 3, 4)
	if got := ag.Reshape(x, 6, -1).Shape; !ag.SameShape(got, []int{6, 4}) {
		t.Fatalf("Reshape(6,-1) = %v", got)
	}
	if got := ag.Flatten(x).Shape; !ag.SameShape(got, []int{2, 12}) {
		t.Fatalf("Flatten = %v", got)
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "[2 3 4]") {
			t.Fatalf("bad reshape: %v", r)
		}
	}()
	ag.Reshape(x, 5, -1)
}
