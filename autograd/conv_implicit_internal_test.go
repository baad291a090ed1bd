package autograd

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/seed477ab429/multilabel/ops"
)

// The implicit product (conv_implicit.go) gives every output the bits of
// the im2col path: kernels 3x3, 5x5, 1x3, 3x1 and 1x1 with padding,
// symmetric, TF "SAME" (asymmetric) and none, dilation 2, padding beyond
// the kernel's reach, bias and an epilogue, batches of 1 (products split
// over the threads), 3 and 20 (one product per thread), the wide output
// tile cut into several row tiles, and both matrix-product precisions.
// The gradients take the im2col path either way and must match too. The
// images are small, so the side-by-side batching is switched off.
func TestConvImplicitSameBits(t *testing.T) {
	type tc struct {
		n, c, h, w, o, kh, kw, dil int
		pad                        [4]int // top, bottom, left, right
		bias, epilogue             bool
	}
	cases := []tc{
		{3, 5, 9, 7, 6, 3, 3, 1, [4]int{1, 1, 1, 1}, true, false},
		{1, 4, 12, 10, 7, 5, 5, 1, [4]int{2, 2, 2, 2}, false, true},
		{20, 3, 6, 6, 4, 3, 3, 1, [4]int{1, 1, 1, 1}, true, true},
		{3, 4, 8, 9, 5, 3, 3, 2, [4]int{2, 2, 2, 2}, false, false},
		{3, 4, 8, 8, 5, 3, 3, 1, [4]int{0, 1, 0, 1}, true, false}, // SAME for stride 1, even kernel reach: asymmetric
		{2, 6, 7, 11, 3, 1, 3, 1, [4]int{0, 0, 1, 1}, false, false},
		{2, 6, 11, 7, 3, 3, 1, 1, [4]int{1, 1, 0, 0}, true, false},
		{2, 3, 6, 6, 4, 3, 3, 1, [4]int{0, 0, 0, 0}, false, false},  // valid
		{2, 3, 5, 5, 4, 3, 3, 1, [4]int{3, 2, 4, 3}, true, true},    // padding past the kernel's reach
		{2, 5, 6, 6, 4, 1, 1, 1, [4]int{1, 1, 1, 1}, false, false},  // 1x1 with padding
		{2, 40, 9, 9, 3, 3, 3, 1, [4]int{1, 1, 1, 1}, false, false}, // k = 360: two K blocks
	}
	eachPrecision(t, func(prec ops.Precision) {
		for ci, c := range cases {
			for _, tileFloats := range []int{1 << 18, 1} {
				name := fmt.Sprintf("%v case %d %+v tile %d", prec, ci, c, tileFloats)
				rng := rand.New(rand.NewPCG(7, uint64(ci)))
				x := RandN(rng, c.n, c.c, c.h, c.w)
				w := RandN(rng, c.o, c.c, c.kh, c.kw)
				var b *Tensor
				if c.bias {
					b = RandN(rng, c.o)
				}
				opts := Conv2dOpts{DilationH: c.dil, DilationW: c.dil}.WithPad(c.pad[0], c.pad[1], c.pad[2], c.pad[3])
				var ep *ConvEpilogue
				if c.epilogue {
					ep = &ConvEpilogue{Scale: RandN(rng, c.o).Data, Shift: RandN(rng, c.o).Data, Act: ActSiLU}
				}
				var g []float32
				run := func(implicit bool) [][]float32 {
					// One image a product (the batched path keeps im2col).
					oldI, oldT, oldB := convImplicit, convImplicitTileFloats, convBatchCols
					defer func() { convImplicit, convImplicitTileFloats, convBatchCols = oldI, oldT, oldB }()
					convImplicit, convImplicitTileFloats, convBatchCols = implicit, tileFloats, 1
					var res [][]float32
					if ep != nil {
						o := opts
						o.Epilogue = ep
						NoGrad(func() { res = append(res, Conv2d(x, w, b, o).Data) })
					}
					for _, t := range []*Tensor{x, w, b} {
						if t != nil {
							t.SetRequiresGrad(true)
							t.ZeroGrad()
						}
					}
					out := Conv2d(x, w, b, opts)
					if g == nil {
						g = RandN(rng, len(out.Data)).Data
					}
					out.BackwardWith(g)
					res = append(res, out.Data, x.Grad, w.Grad)
					if b != nil {
						res = append(res, b.Grad)
					}
					return res
				}
				want, got := run(false), run(true)
				for r := range want {
					for i := range want[r] {
						if math.Float32bits(got[r][i]) != math.Float32bits(want[r][i]) {
							t.Fatalf("%s: result %d element %d: implicit %v, im2col %v", name, r, i, got[r][i], want[r][i])
						}
					}
				}
			}
		}
	})
}
