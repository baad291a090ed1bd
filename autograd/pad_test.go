package autograd_test

import (
	"math/rand/v2"
	"testing"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/autograd/gradcheck"
)

// padRef is the plain reference: every output pixel looks its source up
// through idx (which returns -1 for the constant border).
func padRef(x *ag.Tensor, l, r, t, b int, idx func(i, n int) int, value float32) []float32 {
	N, C, H, W := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	OH, OW := H+t+b, W+l+r
	out := make([]float32, 0, N*C*OH*OW)
	for p := 0; p < N*C; p++ {
		for i := 0; i < OH; i++ {
			for j := 0; j < OW; j++ {
				ih, iw := idx(i-t, H), idx(j-l, W)
				if ih < 0 || iw < 0 {
					out = append(out, value)
				} else {
					out = append(out, x.Data[(p*H+ih)*W+iw])
				}
			}
		}
	}
	return out
}

func padReflectIdx(i, n int) int {
	for i < 0 || i >= n { // mirror until inside (one step suffices for pad < n)
		if i < 0 {
			i = -i
		}
		if i >= n {
			i = 2*(n-1) - i
		}
	}
	return i
}

func padConstIdx(i, n int) int {
	if i < 0 || i >= n {
		return -1
	}
	return i
}

var padCases = [][4]int{{2, 1, 1, 3}, {0, 0, 0, 0}, {3, 3, 2, 2}, {1, 0, 0, 1}}

func TestPad2dForwardMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(30, 1))
	x := gradcheck.Rand(rng, 2, 2, 4, 5)
	for _, p := range padCases {
		assertClose(t, "ReflectPad2d", ag.ReflectPad2d(x, p[0], p[1], p[2], p[3]).Data, padRef(x, p[0], p[1], p[2], p[3], padReflectIdx, 0), 0)
		assertClose(t, "ConstantPad2d", ag.ConstantPad2d(x, p[0], p[1], p[2], p[3], -2).Data, padRef(x, p[0], p[1], p[2], p[3], padConstIdx, -2), 0)
	}
	// Negative constant padding crops.
	assertClose(t, "ConstantPad2d crop", ag.ConstantPad2d(x, -1, 2, 1, -2, 0.5).Data, padRef(x, -1, 2, 1, -2, padConstIdx, 0.5), 0)
}

func TestPad2dGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(30, 2))
	for _, p := range padCases {
		x := gradcheck.Rand(rng, 2, 2, 4, 5)
		gradcheck.Check(t, func(in []*ag.Tensor) *ag.Tensor { return ag.ReflectPad2d(in[0], p[0], p[1], p[2], p[3]) }, []*ag.Tensor{x}, gradcheck.Options{})
		gradcheck.Check(t, func(in []*ag.Tensor) *ag.Tensor { return ag.ConstantPad2d(in[0], p[0], p[1], p[2], p[3], 0.3) }, []*ag.Tensor{x}, gradcheck.Options{})
	}
	x := gradcheck.Rand(rng, 1, 2, 4, 5)
	gradcheck.Check(t, func(in []*ag.Tensor) *ag.Tensor { return ag.ConstantPad2d(in[0], -2, 1, 1, -1, 0) }, []*ag.Tensor{x}, gradcheck.Options{})
}

func TestPad2dMatchesPyTorch(t *testing.T) {
	f := loadFixture(t, "pad")
	for _, c := range []struct {
		name string
		fn   func(*ag.Tensor) *ag.Tensor
	}{
		{"reflect", func(x *ag.Tensor) *ag.Tensor { return ag.ReflectPad2d(x, 2, 1, 1, 3) }},
		{"constant", func(x *ag.Tensor) *ag.Tensor { return ag.ConstantPad2d(x, 1, -1, 2, 0, 0.5) }},
	} {
		x := f.get(t, c.name+"_x").SetRequiresGrad(true)
		out := c.fn(x)
		want := f.get(t, c.name+"_out")
		if !ag.SameShape(out.Shape, want.Shape) {
			t.Fatalf("%s: output %v, PyTorch %v", c.name, out.Shape, want.Shape)
		}
		assertClose(t, c.name+" out", out.Data, want.Data, 0)
		out.BackwardWith(f.get(t, c.name+"_gout").Data)
		assertClose(t, c.name+" dx", x.Grad, f.get(t, c.name+"_gx").Data, 1e-6)
	}
}

func TestPad2dShapeErrors(t *testing.T) {
	convPanics(t, "reflect pad as wide as the input", func() { ag.ReflectPad2d(ag.Zeros(1, 1, 3, 4), 4, 0, 0, 0) }, "ReflectPad2d", "[1 1 3 4]")
	convPanics(t, "crop everything", func() { ag.ConstantPad2d(ag.Zeros(1, 1, 3, 4), 0, 0, -2, -1, 0) }, "ConstantPad2d", "[1 1 3 4]")
}
