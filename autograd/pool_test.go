package autograd_test

import (
	"math/rand/v2"
	"testing"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/autograd/gradcheck"
	"github.com/seed477ab429/multilabel/ops"
)

var poolOptCases = []ag.PoolOpts{
	{KernelH: 3, KernelW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1},
	{KernelH: 3, KernelW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, CeilMode: true},
	{KernelH: 3, KernelW: 3, StrideH: 3, StrideW: 3, PadH: 1, PadW: 1, CeilMode: true, CountIncludePad: true},
	{KernelH: 2, KernelW: 2}, // stride defaults to the kernel
	{KernelH: 2, KernelW: 3, StrideH: 1, StrideW: 2, PadW: 1, CountIncludePad: true},
	{KernelH: 3, KernelW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, CeilMode: true, CountIncludePad: true},
}

// poolRefNCHW applies a plane reference to every plane of x.
func poolRefNCHW(x *ag.Tensor, plane func([]float32) []float32) []float32 {
	hw := x.Shape[2] * x.Shape[3]
	var out []float32
	for p := 0; p < x.Shape[0]*x.Shape[1]; p++ {
		out = append(out, plane(x.Data[p*hw:(p+1)*hw])...)
	}
	return out
}

func poolStride(k, s int) int {
	if s == 0 {
		return k
	}
	return s
}

func TestPool2dForwardMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(20, 1))
	x := gradcheck.Distinct(rng, 2, 3, 7, 6)
	H, W := 7, 6
	for _, o := range poolOptCases {
		sh, sw := poolStride(o.KernelH, o.StrideH), poolStride(o.KernelW, o.StrideW)
		want := poolRefNCHW(x, func(p []float32) []float32 {
			out, _, _, _ := ops.MaxPool2dRef(p, H, W, o.KernelH, o.KernelW, sh, sw, o.PadH, o.PadW, o.CeilMode)
			return out
		})
		assertClose(t, "MaxPool2d", ag.MaxPool2d(x, o).Data, want, 0)
		want = poolRefNCHW(x, func(p []float32) []float32 {
			out, _, _ := ops.AvgPool2dRef(p, H, W, o.KernelH, o.KernelW, sh, sw, o.PadH, o.PadW, o.CeilMode, o.CountIncludePad)
			return out
		})
		assertClose(t, "AvgPool2d", ag.AvgPool2d(x, o).Data, want, 1e-6)
	}
	for _, s := range [][2]int{{3, 2}, {4, 5}, {1, 1}, {7, 6}} {
		want := poolRefNCHW(x, func(p []float32) []float32 { return ops.AdaptivePool2dRef(p, H, W, s[0], s[1], true) })
		assertClose(t, "AdaptiveMaxPool2d", ag.AdaptiveMaxPool2d(x, s[0], s[1]).Data, want, 0)
		want = poolRefNCHW(x, func(p []float32) []float32 { return ops.AdaptivePool2dRef(p, H, W, s[0], s[1], false) })
		assertClose(t, "AdaptiveAvgPool2d", ag.AdaptiveAvgPool2d(x, s[0], s[1]).Data, want, 1e-6)
	}
	// Global pools are the 1x1 adaptive pools, flattened to [N, C].
	gavg, gmax := ag.GlobalAvgPool2d(x), ag.GlobalMaxPool2d(x)
	if !ag.SameShape(gavg.Shape, []int{2, 3}) || !ag.SameShape(gmax.Shape, []int{2, 3}) {
		t.Fatalf("global pools give %v and %v, want [2 3]", gavg.Shape, gmax.Shape)
	}
	assertClose(t, "GlobalAvgPool2d", gavg.Data, poolRefNCHW(x, func(p []float32) []float32 { return ops.AdaptivePool2dRef(p, H, W, 1, 1, false) }), 1e-6)
	assertClose(t, "GlobalMaxPool2d", gmax.Data, poolRefNCHW(x, func(p []float32) []float32 { return ops.AdaptivePool2dRef(p, H, W, 1, 1, true) }), 0)
}

func TestPool2dGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(20, 2))
	check := func(name string, f func(*ag.Tensor) *ag.Tensor) {
		t.Helper()
		// Distinct values 2/numel apart: no ties, and an ε step of 1e-4
		// never changes which element is the maximum.
		x := gradcheck.Distinct(rng, 2, 2, 7, 6)
		if err := gradcheck.Run(func(in []*ag.Tensor) *ag.Tensor { return f(in[0]) }, []*ag.Tensor{x}, gradcheck.Options{Eps: 1e-4, Atol: 2e-3}); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	for _, o := range poolOptCases {
		check("MaxPool2d", func(x *ag.Tensor) *ag.Tensor { return ag.MaxPool2d(x, o) })
		check("AvgPool2d", func(x *ag.Tensor) *ag.Tensor { return ag.AvgPool2d(x, o) })
	}
	for _, s := range [][2]int{{3, 2}, {4, 5}} {
		check("AdaptiveMaxPool2d", func(x *ag.Tensor) *ag.Tensor { return ag.AdaptiveMaxPool2d(x, s[0], s[1]) })
		check("AdaptiveAvgPool2d", func(x *ag.Tensor) *ag.Tensor { return ag.AdaptiveAvgPool2d(x, s[0], s[1]) })
	}
	check("GlobalMaxPool2d", ag.GlobalMaxPool2d)
	check("GlobalAvgPool2d", ag.GlobalAvgPool2d)
}

// On ties the gradient goes to the first maximum, as in PyTorch.
func TestMaxPool2dTieGoesToFirst(t *testing.T) {
	x := ag.New([]float32{1, 5, 5, 2}, 1, 1, 2, 2).SetRequiresGrad(true)
	ag.MaxPool2d(x, ag.PoolOpts{KernelH: 2, KernelW: 2}).BackwardWith([]float32{1})
	assertClose(t, "grad", x.Grad, []float32{0, 1, 0, 0}, 0)
	y := ag.New([]float32{1, 5, 5, 2}, 1, 1, 2, 2).SetRequiresGrad(true)
	ag.GlobalMaxPool2d(y).BackwardWith([]float32{1})
	assertClose(t, "global grad", y.Grad, []float32{0, 1, 0, 0}, 0)
}

func TestPool2dMatchesPyTorch(t *testing.T) {
	f := loadFixture(t, "pool")
	for _, c := range []struct {
		name string
		fn   func(*ag.Tensor) *ag.Tensor
	}{
		{"max_ceil", func(x *ag.Tensor) *ag.Tensor {
			return ag.MaxPool2d(x, ag.PoolOpts{KernelH: 3, KernelW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, CeilMode: true})
		}},
		{"max_ceil_drop", func(x *ag.Tensor) *ag.Tensor {
			return ag.MaxPool2d(x, ag.PoolOpts{KernelH: 3, KernelW: 3, StrideH: 3, StrideW: 3, PadH: 1, PadW: 1, CeilMode: true})
		}},
		{"avg_ceil_incl", func(x *ag.Tensor) *ag.Tensor {
			return ag.AvgPool2d(x, ag.PoolOpts{KernelH: 3, KernelW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, CeilMode: true, CountIncludePad: true})
		}},
		{"avg_ceil_excl", func(x *ag.Tensor) *ag.Tensor {
			return ag.AvgPool2d(x, ag.PoolOpts{KernelH: 3, KernelW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, CeilMode: true})
		}},
		{"avg_ceil_drop_incl", func(x *ag.Tensor) *ag.Tensor {
			return ag.AvgPool2d(x, ag.PoolOpts{KernelH: 3, KernelW: 3, StrideH: 3, StrideW: 3, PadH: 1, PadW: 1, CeilMode: true, CountIncludePad: true})
		}},
		{"avg_rect", func(x *ag.Tensor) *ag.Tensor {
			return ag.AvgPool2d(x, ag.PoolOpts{KernelH: 2, KernelW: 3, StrideH: 2, StrideW: 1, PadH: 1, PadW: 1})
		}},
		{"adaptive_avg", func(x *ag.Tensor) *ag.Tensor { return ag.AdaptiveAvgPool2d(x, 3, 2) }},
		{"adaptive_max", func(x *ag.Tensor) *ag.Tensor { return ag.AdaptiveMaxPool2d(x, 3, 4) }},
	} {
		x := f.get(t, c.name+"_x").SetRequiresGrad(true)
		out := c.fn(x)
		want := f.get(t, c.name+"_out")
		if !ag.SameShape(out.Shape, want.Shape) {
			t.Fatalf("%s: output %v, PyTorch %v", c.name, out.Shape, want.Shape)
		}
		assertClose(t, c.name+" out", out.Data, want.Data, 1e-6)
		out.BackwardWith(f.get(t, c.name+"_gout").Data)
		assertClose(t, c.name+" dx", x.Grad, f.get(t, c.name+"_gx").Data, 1e-6)
	}
}

func TestPool2dShapeErrors(t *testing.T) {
	convPanics(t, "pad over half the kernel", func() {
		ag.MaxPool2d(ag.Zeros(1, 1, 5, 5), ag.PoolOpts{KernelH: 2, KernelW: 2, PadH: 2})
	}, "MaxPool2d", "[1 1 5 5]")
	convPanics(t, "kernel larger than input", func() {
		ag.AvgPool2d(ag.Zeros(1, 1, 2, 2), ag.PoolOpts{KernelH: 3, KernelW: 3})
	}, "AvgPool2d", "[1 1 2 2]")
	convPanics(t, "3-D input", func() { ag.GlobalAvgPool2d(ag.Zeros(2, 3, 4)) }, "GlobalAvgPool2d", "[2 3 4]")
	convPanics(t, "adaptive size", func() { ag.AdaptiveMaxPool2d(ag.Zeros(1, 1, 3, 3), 0, 2) }, "AdaptiveMaxPool2d", "[1 1 3 3]")
}
