package autograd_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/autograd/gradcheck"
)

// convCase is one convolution configuration of the tests.
type convCase struct {
	name          string
	n, c, h, w, o int
	kh, kw        int
	opts          ag.Conv2dOpts
	bias, xNoGrad bool
}

func convCases() []convCase {
	same := func(h, w, k, s int) ag.Conv2dOpts {
		return ag.Conv2dOpts{StrideH: s, StrideW: s}.WithPad(ag.SamePad(h, w, k, k, s, s, 1, 1))
	}
	return []convCase{
		{name: "k3 s1 pad1 batch2", n: 2, c: 3, h: 5, w: 5, o: 4, kh: 3, kw: 3, opts: ag.Conv2dOpts{}.WithPad(ag.SymPad(1)), bias: true},
		{name: "k5 s2 pad2", n: 1, c: 2, h: 7, w: 6, o: 3, kh: 5, kw: 5, opts: ag.Conv2dOpts{StrideH: 2, StrideW: 2}.WithPad(ag.SymPad(2)), bias: true},
		{name: "k3 s2 SAME asymmetric", n: 1, c: 2, h: 6, w: 6, o: 3, kh: 3, kw: 3, opts: same(6, 6, 3, 2), bias: true},
		{name: "k3 s1 SAME symmetric", n: 1, c: 2, h: 5, w: 4, o: 2, kh: 3, kw: 3, opts: same(5, 4, 3, 1)},
		{name: "dilation2", n: 1, c: 2, h: 7, w: 7, o: 3, kh: 3, kw: 3, opts: ag.Conv2dOpts{DilationH: 2, DilationW: 2}.WithPad(ag.SymPad(2)), bias: true},
		{name: "groups2", n: 2, c: 4, h: 5, w: 5, o: 6, kh: 3, kw: 3, opts: ag.Conv2dOpts{Groups: 2}.WithPad(ag.SymPad(1)), bias: true},
		{name: "depthwise k3 s2", n: 2, c: 3, h: 6, w: 5, o: 3, kh: 3, kw: 3, opts: ag.Conv2dOpts{StrideH: 2, StrideW: 2, Groups: 3}.WithPad(ag.SymPad(1)), bias: true},
		{name: "depthwise k5 dil2 SAME", n: 1, c: 2, h: 8, w: 7, o: 2, kh: 5, kw: 5,
			opts: ag.Conv2dOpts{StrideH: 2, StrideW: 2, DilationH: 2, DilationW: 2, Groups: 2}.WithPad(ag.SamePad(8, 7, 5, 5, 2, 2, 2, 2))},
		{name: "depthwise multiplier2 (grouped path)", n: 1, c: 2, h: 5, w: 5, o: 4, kh: 3, kw: 3, opts: ag.Conv2dOpts{Groups: 2}.WithPad(ag.SymPad(1)), bias: true},
		{name: "1x1 direct", n: 2, c: 3, h: 4, w: 3, o: 5, kh: 1, kw: 1, bias: true},
		{name: "1x1 direct groups2", n: 2, c: 4, h: 3, w: 3, o: 2, kh: 1, kw: 1, opts: ag.Conv2dOpts{Groups: 2}},
		{name: "1x1 stride2 (im2col path)", n: 1, c: 3, h: 5, w: 5, o: 2, kh: 1, kw: 1, opts: ag.Conv2dOpts{StrideH: 2, StrideW: 2}, bias: true},
		{name: "rect 2x3 stride (1,2) no bias", n: 1, c: 2, h: 5, w: 7, o: 3, kh: 2, kw: 3, opts: ag.Conv2dOpts{StrideW: 2, PadLeft: 1, PadRight: 2}},
		{name: "input without grad", n: 2, c: 2, h: 4, w: 4, o: 2, kh: 3, kw: 3, opts: ag.Conv2dOpts{}.WithPad(ag.SymPad(1)), bias: true, xNoGrad: true},
	}
}

// convInputs makes x, w and (maybe) b for a case.
func convInputs(rng *rand.Rand, tc convCase) (x, w, b *ag.Tensor) {
	g := max(tc.opts.Groups, 1)
	x = gradcheck.Rand(rng, tc.n, tc.c, tc.h, tc.w)
	if tc.xNoGrad {
		x.SetRequiresGrad(false)
	}
	w = gradcheck.Param(rng, tc.o, tc.c/g, tc.kh, tc.kw)
	if tc.bias {
		b = gradcheck.Param(rng, tc.o)
	}
	return x, w, b
}

// convRef is the plain 7-loop convolution (n, o, oh, ow, c, kh, kw), straight
// from the definition, in float64.
func convRef(x, w, b *ag.Tensor, o ag.Conv2dOpts) []float32 {
	sh, sw := max(o.StrideH, 1), max(o.StrideW, 1)
	dh, dw := max(o.DilationH, 1), max(o.DilationW, 1)
	groups := max(o.Groups, 1)
	N, C, H, W := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	O, Cg, KH, KW := w.Shape[0], w.Shape[1], w.Shape[2], w.Shape[3]
	OH := (H+o.PadTop+o.PadBottom-dh*(KH-1)-1)/sh + 1
	OW := (W+o.PadLeft+o.PadRight-dw*(KW-1)-1)/sw + 1
	out := make([]float32, N*O*OH*OW)
	for n := 0; n < N; n++ {
		for oc := 0; oc < O; oc++ {
			g := oc / (O / groups)
			for oh := 0; oh < OH; oh++ {
				for ow := 0; ow < OW; ow++ {
					var s float64
					if b != nil {
						s = float64(b.Data[oc])
					}
					for c := 0; c < Cg; c++ {
						for kh := 0; kh < KH; kh++ {
							for kw := 0; kw < KW; kw++ {
								ih := oh*sh - o.PadTop + kh*dh
								iw := ow*sw - o.PadLeft + kw*dw
								if ih < 0 || ih >= H || iw < 0 || iw >= W {
									continue
								}
								xv := x.Data[((n*C+g*Cg+c)*H+ih)*W+iw]
								s += float64(w.Data[((oc*Cg+c)*KH+kh)*KW+kw]) * float64(xv)
							}
						}
					}
					out[((n*O+oc)*OH+oh)*OW+ow] = float32(s)
				}
			}
		}
	}
	_ = C
	return out
}

func TestConv2dForwardMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 1))
	for _, tc := range convCases() {
		x, w, b := convInputs(rng, tc)
		got := ag.Conv2d(x, w, b, tc.opts)
		want := convRef(x, w, b, tc.opts)
		assertClose(t, tc.name, got.Data, want, 1e-5)
	}
}

func TestConv2dGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 2))
	for _, tc := range convCases() {
		x, w, b := convInputs(rng, tc)
		in := []*ag.Tensor{x, w}
		if b != nil {
			in = append(in, b)
		}
		err := gradcheck.Run(func(in []*ag.Tensor) *ag.Tensor {
			var b *ag.Tensor
			if len(in) > 2 {
				b = in[2]
			}
			return ag.Conv2d(in[0], in[1], b, tc.opts)
		}, in, gradcheck.Options{MaxElems: 40})
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
		if tc.xNoGrad && x.Grad != nil {
			t.Errorf("%s: input that does not require a gradient got one", tc.name)
		}
	}
}

// Gradients accumulate: two forward/backward passes give twice one pass.
func TestConv2dGradsAccumulate(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 3))
	for _, tc := range []convCase{convCases()[0], convCases()[6], convCases()[9]} {
		x, w, b := convInputs(rng, tc)
		seed := ag.RandN(rng, ag.Conv2d(x, w, b, tc.opts).Shape...).Data
		ag.Conv2d(x, w, b, tc.opts).BackwardWith(seed)
		once := [][]float32{append([]float32(nil), x.Grad...), append([]float32(nil), w.Grad...), append([]float32(nil), b.Grad...)}
		ag.Conv2d(x, w, b, tc.opts).BackwardWith(seed)
		for i, g := range [][]float32{x.Grad, w.Grad, b.Grad} {
			twice := make([]float32, len(once[i]))
			for j, v := range once[i] {
				twice[j] = 2 * v
			}
			assertClose(t, tc.name+" accumulated", g, twice, 1e-5)
		}
	}
}

func TestSamePad(t *testing.T) {
	for _, c := range []struct {
		in, k, s, d   int
		before, after int
	}{
		{224, 3, 2, 1, 0, 1}, {224, 3, 1, 1, 1, 1}, {7, 3, 2, 1, 1, 1}, {8, 5, 2, 1, 1, 2},
		{8, 3, 2, 2, 1, 2}, {5, 1, 1, 1, 0, 0}, {4, 2, 2, 1, 0, 0}, {7, 7, 2, 1, 3, 3},
	} {
		top, bottom, left, right := ag.SamePad(c.in, c.in, c.k, c.k, c.s, c.s, c.d, c.d)
		if top != c.before || bottom != c.after || left != c.before || right != c.after {
			t.Errorf("SamePad(in %d, k %d, s %d, d %d) = %d,%d,%d,%d, want %d,%d", c.in, c.k, c.s, c.d, top, bottom, left, right, c.before, c.after)
		}
		// SAME means the output is ceil(in/stride).
		x := ag.Zeros(1, 1, c.in, c.in)
		o := ag.Conv2d(x, ag.Zeros(1, 1, c.k, c.k), nil, ag.Conv2dOpts{StrideH: c.s, StrideW: c.s, DilationH: c.d, DilationW: c.d}.WithPad(top, bottom, left, right))
		if want := (c.in + c.s - 1) / c.s; o.Shape[2] != want || o.Shape[3] != want {
			t.Errorf("SAME conv of %d with k %d s %d gives %v, want %d", c.in, c.k, c.s, o.Shape, want)
		}
	}
}

func convPanics(t *testing.T, what string, f func(), want ...string) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		msg, _ := r.(string)
		if r == nil {
			t.Fatalf("%s: no panic", what)
		}
		for _, s := range want {
			if !strings.Contains(msg, s) {
				t.Fatalf("%s: panic %q does not mention %q", what, msg, s)
			}
		}
	}()
	f()
}

func TestConv2dShapeErrors(t *testing.T) {
	convPanics(t, "wrong input channels", func() {
		ag.Conv2d(ag.Zeros(1, 3, 5, 5), ag.Zeros(4, 2, 3, 3), nil, ag.Conv2dOpts{})
	}, "Conv2d", "[1 3 5 5]", "[4 2 3 3]")
	convPanics(t, "bias", func() {
		ag.Conv2d(ag.Zeros(1, 2, 5, 5), ag.Zeros(4, 2, 3, 3), ag.Zeros(3), ag.Conv2dOpts{})
	}, "Conv2d", "[3]", "[4 2 3 3]")
	convPanics(t, "groups", func() {
		ag.Conv2d(ag.Zeros(1, 3, 5, 5), ag.Zeros(4, 1, 3, 3), nil, ag.Conv2dOpts{Groups: 2})
	}, "Conv2d", "[1 3 5 5]", "[4 1 3 3]")
	convPanics(t, "too small", func() {
		ag.Conv2d(ag.Zeros(1, 1, 2, 2), ag.Zeros(1, 1, 3, 3), nil, ag.Conv2dOpts{})
	}, "Conv2d", "[1 1 2 2]", "[1 1 3 3]")
	convPanics(t, "3-D input", func() {
		ag.Conv2d(ag.Zeros(1, 5, 5), ag.Zeros(1, 1, 3, 3), nil, ag.Conv2dOpts{})
	}, "Conv2d", "[1 5 5]")
}

// PyTorch fixtures written by testdata/gen_conv.py.
func TestConv2dMatchesPyTorch(t *testing.T) {
	f := loadFixture(t, "conv")
	for _, c := range []struct {
		name string
		opts ag.Conv2dOpts
	}{
		{"grouped", ag.Conv2dOpts{StrideH: 2, StrideW: 2, Groups: 2}.WithPad(ag.SymPad(1))},
		{"depthwise", ag.Conv2dOpts{StrideH: 2, StrideW: 2, Groups: 3}.WithPad(ag.SymPad(2))},
		{"depthwise_dil", ag.Conv2dOpts{DilationH: 2, DilationW: 2, Groups: 4}.WithPad(ag.SymPad(2))},
		{"same", ag.Conv2dOpts{StrideH: 2, StrideW: 2}.WithPad(ag.SamePad(8, 7, 3, 3, 2, 2, 1, 1))},
	} {
		x := f.get(t, c.name+"_x").SetRequiresGrad(true)
		w := f.get(t, c.name+"_w").AsParam()
		var b *ag.Tensor
		if bb, ok := f[c.name+"_b"]; ok {
			b = bb.AsParam()
		}
		out := ag.Conv2d(x, w, b, c.opts)
		want := f.get(t, c.name+"_out")
		if !ag.SameShape(out.Shape, want.Shape) {
			t.Fatalf("%s: output %v, PyTorch %v", c.name, out.Shape, want.Shape)
		}
		assertClose(t, c.name+" out", out.Data, want.Data, 1e-5)
		out.BackwardWith(f.get(t, c.name+"_gout").Data)
		assertClose(t, c.name+" dx", x.Grad, f.get(t, c.name+"_gx").Data, 1e-5)
		assertClose(t, c.name+" dw", w.Grad, f.get(t, c.name+"_gw").Data, 1e-5)
		if b != nil {
			assertClose(t, c.name+" db", b.Grad, f.get(t, c.name+"_gb").Data, 1e-5)
		}
	}
}

// BenchmarkConv2d: forward + backward of a 3x3 convolution, batch 8,
// 32 -> 32 channels, 56x56, buffers recycled through an Arena.
func BenchmarkConv2d(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	xData := ag.RandN(rng, 8, 32, 56, 56).Data
	w := ag.RandN(rng, 32, 32, 3, 3).AsParam()
	bias := ag.Zeros(32).AsParam()
	seed := ag.RandN(rng, 8, 32, 56, 56).Data
	arena := ag.NewArena()
	opts := ag.Conv2dOpts{}.WithPad(ag.SymPad(1))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		x := arena.New(xData, 8, 32, 56, 56).SetRequiresGrad(true)
		ag.Conv2d(x, w, bias, opts).BackwardWith(seed)
		arena.Reset()
	}
	// 2 flops per multiply-add; forward, input gradient and weight gradient.
	flops := 3 * 2 * 8 * 32 * 56 * 56 * 32 * 9
	b.ReportMetric(float64(flops)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// The im2col path split into column tiles (widths that cut output rows in
// the middle, and one pixel) gives the same forward and gradients.
func TestConv2dTiled(t *testing.T) {
	for _, tp := range []int{1, 3, 7} {
		restore := ag.SetConvTileCols(tp)
		rng := rand.New(rand.NewPCG(10, uint64(tp)))
		for _, tc := range convCases() {
			x, w, b := convInputs(rng, tc)
			got := ag.Conv2d(x, w, b, tc.opts)
			assertClose(t, fmt.Sprintf("%s tile %d", tc.name, tp), got.Data, convRef(x, w, b, tc.opts), 1e-5)
			in := []*ag.Tensor{x, w}
			if b != nil {
				in = append(in, b)
			}
			err := gradcheck.Run(func(in []*ag.Tensor) *ag.Tensor {
				var b *ag.Tensor
				if len(in) > 2 {
					b = in[2]
				}
				return ag.Conv2d(in[0], in[1], b, tc.opts)
			}, in, gradcheck.Options{MaxElems: 20})
			if err != nil {
				t.Errorf("%s tile %d: %v", tc.name, tp, err)
			}
		}
		restore()
	}
}

// BenchmarkConv2dTiles: forward and forward+backward of 3x3 convolutions
// with column tiles from ops.ConvTileCols ("tiled") and with one tile per
// image ("whole", the previous code), in one run:
//
//	go test ./autograd/ -run '^$' -bench Conv2dTiles -benchtime 10x
func BenchmarkConv2dTiles(b *testing.B) {
	shapes := []struct {
		name          string
		n, c, h, o, s int
	}{
		{"b8_32x56x56_to32", 8, 32, 56, 32, 1},
		{"b1_24x224x224_to24", 1, 24, 224, 24, 1},
		{"b1_3x448x448_to24_s2", 1, 3, 448, 24, 2},
	}
	rng := rand.New(rand.NewPCG(1, 1))
	for _, s := range shapes {
		xData := ag.RandN(rng, s.n, s.c, s.h, s.h).Data
		w := ag.RandN(rng, s.o, s.c, 3, 3).AsParam()
		bias := ag.Zeros(s.o).AsParam()
		opts := ag.Conv2dOpts{StrideH: s.s, StrideW: s.s}.WithPad(ag.SymPad(1))
		oh := (s.h+2-3)/s.s + 1
		seed := ag.RandN(rng, s.n, s.o, oh, oh).Data
		flops := 2 * s.n * s.o * oh * oh * s.c * 9
		for _, mode := range []string{"tiled", "whole"} {
			run := func(b *testing.B, backward bool) {
				if mode == "whole" {
					defer ag.SetConvTileCols(1 << 30)()
				}
				arena := ag.NewArena()
				b.ReportAllocs()
				for range b.N {
					x := arena.New(xData, s.n, s.c, s.h, s.h).SetRequiresGrad(backward)
					out := ag.Conv2d(x, w, bias, opts)
					if backward {
						out.BackwardWith(seed)
					}
					arena.Reset()
				}
				f := flops
				if backward {
					f *= 3
				}
				b.ReportMetric(float64(f)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			}
			b.Run(s.name+"/fwd/"+mode, func(b *testing.B) { run(b, false) })
			b.Run(s.name+"/fwdbwd/"+mode, func(b *testing.B) { run(b, true) })
		}
	}
}
