package autograd_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/autograd/gradcheck"
)

// The Winograd forward (conv_winograd.go) against the float64 definition:
// odd and even sizes down to 1x1, symmetric, asymmetric ("SAME"), no
// padding and padding past the kernel's reach, bias and an epilogue,
// batches of 1, 3 and 20 (one chunk, or several when V and M are bounded
// small), with every channel count down to 1 let through. Within the
// float32 rounding of the transformed sums: 1e-5 of the largest output.
// ∂L/∂x (Winograd too where the padding is within the kernel's reach)
// must match the im2col path's to rounding, the other gradients its bits.
func TestConvWinograd(t *testing.T) {
	type tc struct {
		n, c, h, w, o int
		pad           [4]int
		bias, ep      bool
	}
	cases := []tc{
		{3, 5, 9, 7, 6, [4]int{1, 1, 1, 1}, true, false},
		{1, 4, 12, 10, 7, [4]int{1, 1, 1, 1}, false, true},
		{20, 3, 6, 6, 4, [4]int{1, 1, 1, 1}, true, true},
		{3, 4, 8, 8, 5, [4]int{0, 1, 0, 1}, true, false},
		{2, 3, 6, 7, 4, [4]int{0, 0, 0, 0}, false, false},
		{2, 3, 5, 5, 4, [4]int{3, 2, 4, 3}, true, true},
		{2, 2, 1, 1, 3, [4]int{1, 1, 1, 1}, true, false},
		{2, 40, 9, 9, 3, [4]int{1, 1, 1, 1}, false, false},
		{1, 3, 17, 35, 2, [4]int{1, 1, 1, 1}, true, false}, // 18 tiles a row of F(2x2): two groups of 8 and a tail
		{1, 3, 6, 71, 2, [4]int{1, 1, 1, 1}, true, false},  // and 18 of F(4x4)
	}
	defer ag.SetWinogradTile(0)()
	for ci, c := range cases {
		for _, mt := range []int{2, 4} {
			ag.SetWinogradTile(mt)
			for _, chunk := range []int{0, 1} {
				name := fmt.Sprintf("case %d %+v F(%dx%d,3x3) chunk %d", ci, c, mt, mt, chunk)
				rng := rand.New(rand.NewPCG(17, uint64(ci)))
				x := gradcheck.Rand(rng, c.n, c.c, c.h, c.w)
				w := gradcheck.Param(rng, c.o, c.c, 3, 3)
				var b *ag.Tensor
				if c.bias {
					b = gradcheck.Param(rng, c.o)
				}
				opts := ag.Conv2dOpts{}.WithPad(c.pad[0], c.pad[1], c.pad[2], c.pad[3])
				want := convRef(x, w, b, opts)
				var g []float32
				run := func(minC int) (out []float32, grads [][]float32) {
					defer ag.SetWinograd(minC, chunk)()
					for _, p := range []*ag.Tensor{x, w, b} {
						if p != nil {
							p.ZeroGrad()
						}
					}
					y := ag.Conv2d(x, w, b, opts)
					if g == nil {
						g = ag.RandN(rng, y.Shape...).Data
					}
					y.BackwardWith(g)
					grads = [][]float32{slices.Clone(x.Grad), slices.Clone(w.Grad)}
					if b != nil {
						grads = append(grads, slices.Clone(b.Grad))
					}
					return y.Data, grads
				}
				got, gw := run(1)
				assertClose(t, name, got, want, 1e-5)
				_, gd := run(0)
				// ∂L/∂x by Winograd too: within rounding of the im2col one; the
				// weight gradient by the forward's adjoint, within rounding of
				// the float64 definition; the bias gradient keeps its bits.
				assertClose(t, name+" ∂L/∂x", gw[0], gd[0], 1e-5)
				wantW, mag := convRefDW(x, g, c.o, opts)
				for i, v := range gw[1] {
					if d := math.Abs(float64(v) - wantW[i]); d > 2e-6*mag[i] {
						t.Fatalf("%s: ∂L/∂w element %d = %v, want %v (terms' magnitude %g)", name, i, v, wantW[i], mag[i])
					}
				}
				for r := 2; r < len(gd); r++ {
					for i := range gd[r] {
						if math.Float32bits(gw[r][i]) != math.Float32bits(gd[r][i]) {
							t.Fatalf("%s: gradient %d element %d: %v with Winograd, %v without", name, r, i, gw[r][i], gd[r][i])
						}
					}
				}
				if c.ep {
					scale, shift := ag.RandN(rng, c.o).Data, ag.RandN(rng, c.o).Data
					eo := opts
					eo.Epilogue = &ag.ConvEpilogue{Scale: scale, Shift: shift, Act: ag.ActSiLU}
					var fused, plain []float32
					func() {
						defer ag.SetWinograd(1, chunk)()
						ag.NoGrad(func() {
							fused = ag.Conv2d(x, w, b, eo).Data
							plain = ag.Conv2d(x, w, b, opts).Data
						})
					}()
					per := len(plain) / (c.n * c.o)
					for i, v := range plain {
						oc := i / per % c.o
						z := v*scale[oc] + shift[oc]
						e := float64(z) / (1 + math.Exp(-float64(z)))
						if d := math.Abs(float64(fused[i]) - e); d > 1e-5*(1+math.Abs(e)) {
							t.Fatalf("%s: epilogue element %d = %v, want %v", name, i, fused[i], e)
						}
					}
				}
			}
		}
	}
}

// Finite differences through convolutions whose forward, input gradient
// and weight gradient are Winograd's, F(2x2, 3x3) and F(4x4, 3x3): x feeds
// two of them (padding 1, and 0 at the top and 2 at the bottom), so its
// gradient is written by one and added to by the other. The sum is linear in each input, so
// central differences have no truncation error and the step is 1e-2, not
// the default 1e-3: F(4x4, 3x3)'s forward rounds a few times more than the
// direct product, and that noise divided by 1e-3 reaches the tolerance.
func TestConvWinogradGrad(t *testing.T) {
	for _, mt := range []int{2, 4} {
		t.Run(fmt.Sprintf("F(%dx%d,3x3)", mt, mt), func(t *testing.T) { testConvWinogradGrad(t, mt) })
	}
}

func testConvWinogradGrad(t *testing.T, mt int) {
	defer ag.SetWinograd(1, 0)()
	defer ag.SetWinogradTile(mt)()
	rng := rand.New(rand.NewPCG(17, 99))
	x := gradcheck.Rand(rng, 2, 3, 5, 6)
	w := gradcheck.Param(rng, 4, 3, 3, 3)
	w2 := gradcheck.Param(rng, 4, 3, 3, 3)
	b := gradcheck.Param(rng, 4)
	opts := ag.Conv2dOpts{}.WithPad(ag.SymPad(1))
	opts2 := ag.Conv2dOpts{}.WithPad(0, 2, 1, 1)
	gradcheck.Check(t, func(in []*ag.Tensor) *ag.Tensor {
		return ag.Add(ag.Conv2d(in[0], in[1], in[2], opts), ag.Conv2d(in[0], in[3], nil, opts2))
	}, []*ag.Tensor{x, w, b, w2}, gradcheck.Options{MaxElems: 40, Eps: 1e-2})
}

// convRefDW is the float64 weight gradient of a 3x3 stride-1 convolution
// of x with output gradient g, o output channels, and per element the sum
// of its terms' magnitudes (the scale of its rounding error).
func convRefDW(x *ag.Tensor, g []float32, o int, opts ag.Conv2dOpts) (dw, mag []float64) {
	N, C, H, W := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	OH, OW := H+opts.PadTop+opts.PadBottom-2, W+opts.PadLeft+opts.PadRight-2
	dw, mag = make([]float64, o*C*9), make([]float64, o*C*9)
	for n := 0; n < N; n++ {
		for oc := 0; oc < o; oc++ {
			for c := 0; c < C; c++ {
				for kh := 0; kh < 3; kh++ {
					for kw := 0; kw < 3; kw++ {
						var s, m float64
						for oh := 0; oh < OH; oh++ {
							ih := oh - opts.PadTop + kh
							if ih < 0 || ih >= H {
								continue
							}
							for ow := 0; ow < OW; ow++ {
								iw := ow - opts.PadLeft + kw
								if iw < 0 || iw >= W {
									continue
								}
								v := float64(g[((n*o+oc)*OH+oh)*OW+ow]) * float64(x.Data[((n*C+c)*H+ih)*W+iw])
								s += v
								m += math.Abs(v)
							}
						}
						i := ((oc*C+c)*3+kh)*3 + kw
						dw[i] += s
						mag[i] += m
					}
				}
			}
		}
	}
	return dw, mag
}
