package autograd

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/seed477ab429/multilabel/ops"
)

// Small images taken side by side (batchImages > 1) give the bits of one
// image at a time for the output, ∂L/∂x written and then accumulated (two
// backward passes), ∂L/∂b and an inference epilogue; and ∂L/∂w, whose
// products now sum over a block's pixels at once (other K blocks), within
// float32 rounding of it. On the im2col and 1x1 direct paths, blocks of
// uneven size, chunks of the batch holding several blocks, and in bf16
// where the CPU has it.
func TestConvBatchedImagesSameBits(t *testing.T) {
	type tc struct {
		name              string
		n, c, hw, o, k, s int
		bias              bool
		cols              int  // convBatchCols for the batched run
		dil               int  // dilation (0: 1)
		same              bool // TF "SAME" padding (asymmetric), else symmetric
	}
	cases := []tc{
		{"3x3 7x7 bias", 5, 8, 7, 6, 3, 1, true, 256, 0, false},
		{"3x3 7x7 blocks of 2", 5, 8, 7, 6, 3, 1, false, 2 * 49, 0, false},
		{"1x1 3x3 direct", 7, 16, 3, 12, 1, 1, true, 256, 0, false},
		{"1x1 4x4 direct blocks of 3", 8, 5, 4, 9, 1, 1, false, 3 * 16, 0, false},
		{"1x1 2x2 direct 40 images", 40, 6, 2, 5, 1, 1, true, 256, 0, false},          // chunks of 10 images, one block each
		{"3x3 4x4 40 images blocks of 3", 40, 8, 4, 4, 3, 1, false, 3 * 16, 0, false}, // four blocks a chunk; ∂L/∂w transposed
		{"3x3 stride 2", 6, 4, 6, 7, 3, 2, false, 256, 0, false},
		{"5x5 4x4 K blocks", 4, 12, 4, 3, 5, 1, true, 256, 0, false}, // k = 300: two K blocks
		{"3x3 dilation 2", 5, 4, 6, 5, 3, 1, false, 256, 2, false},
		{"3x3 stride 2 SAME 8x8 (pad 0/1)", 6, 4, 8, 5, 3, 2, true, 256, 0, true},
	}
	eachPrecision(t, func(prec ops.Precision) {
		for _, c := range cases {
			rng := rand.New(rand.NewPCG(9, uint64(c.n*100+c.hw)))
			x := RandN(rng, c.n, c.c, c.hw, c.hw)
			w := RandN(rng, c.o, c.c, c.k, c.k)
			var b *Tensor
			if c.bias {
				b = RandN(rng, c.o)
			}
			d := max(c.dil, 1)
			opts := Conv2dOpts{StrideH: c.s, StrideW: c.s, DilationH: d, DilationW: d}.WithPad(SymPad(d * (c.k / 2)))
			if c.same {
				opts = opts.WithPad(SamePad(c.hw, c.hw, c.k, c.k, c.s, c.s, d, d))
			}
			ep := &ConvEpilogue{Scale: RandN(rng, c.o).Data, Shift: RandN(rng, c.o).Data, Act: ActSiLU}
			var outGrad []float32
			run := func(cols int) (res [][]float32, batched int) {
				old := convBatchCols
				defer func() { convBatchCols = old }()
				convBatchCols = cols
				for _, t := range []*Tensor{x, w, b} {
					if t != nil {
						t.SetRequiresGrad(true)
						t.ZeroGrad()
					}
				}
				var out *Tensor
				for range 2 {
					out = Conv2d(x, w, b, opts)
					if outGrad == nil {
						outGrad = RandN(rng, len(out.Data)).Data
					}
					out.BackwardWith(outGrad)
				}
				res = append(res, out.Data, x.Grad, w.Grad)
				if b != nil {
					res = append(res, b.Grad)
				}
				// A frozen layer (no ∂L/∂w) and an input that needs no
				// gradient (no ∂L/∂x) take the same products with less
				// scratch: the same bits as computing both.
				gx, gw := append([]float32(nil), x.Grad...), append([]float32(nil), w.Grad...)
				for _, frozen := range []*Tensor{w, x} {
					x.ZeroGrad()
					w.ZeroGrad()
					frozen.SetRequiresGrad(false)
					for range 2 {
						Conv2d(x, w, b, opts).BackwardWith(outGrad)
					}
					frozen.SetRequiresGrad(true)
					got, want, what := x.Grad, gx, "∂L/∂x with w frozen"
					if frozen == x {
						got, want, what = w.Grad, gw, "∂L/∂w with x frozen"
					}
					for j := range want {
						if math.Float32bits(got[j]) != math.Float32bits(want[j]) {
							t.Fatalf("%s %v cols %d: %s[%d] = %g, %g with both gradients", c.name, prec, cols, what, j, got[j], want[j])
						}
					}
				}
				var inf *Tensor
				NoGrad(func() {
					o := opts
					o.Epilogue = ep
					inf = Conv2d(x, w, b, o)
				})
				res = append(res, inf.Data)
				pl := convPlan{n: c.n, groups: 1, oc: c.o, direct: c.k == 1 && c.s == 1,
					g: ops.ConvGeom{C: c.c, KH: c.k, KW: c.k, OH: out.Shape[2], OW: out.Shape[3]}}
				for i := range res {
					res[i] = append([]float32(nil), res[i]...)
				}
				return res, pl.batchImages()
			}
			want, ib0 := run(0)
			got, ib := run(c.cols)
			if ib0 != 1 || ib < 2 {
				t.Fatalf("%s: batchImages %d without, %d with batching", c.name, ib0, ib)
			}
			tol := 1e-5
			if prec == ops.BF16 {
				tol = 2e-2 // bf16 products: each term rounded to 8 bits
			}
			for i := range want {
				if i == 2 { // ∂L/∂w
					var scale, worst float64
					for j := range want[i] {
						scale = max(scale, math.Abs(float64(want[i][j])))
						worst = max(worst, math.Abs(float64(got[i][j]-want[i][j])))
					}
					if worst > tol*scale || scale == 0 {
						t.Fatalf("%s %v: ∂L/∂w differs by %g (largest element %g)", c.name, prec, worst, scale)
					}
					continue
				}
				for j := range want[i] {
					if math.Float32bits(got[i][j]) != math.Float32bits(want[i][j]) {
						t.Fatalf("%s %v: %s[%d] = %g side by side, %g one image at a time",
							c.name, prec, []string{"out", "∂L/∂x", "∂L/∂w", "∂L/∂b or inference", "inference"}[i], j, got[i][j], want[i][j])
					}
				}
			}
		}
	})
}

// BenchmarkConvSmallImages: forward and backward of late-stage
// convolutions, small images side by side (batched) against one image at
// a time (single), in one invocation so the two are compared under the
// same load:
//
//	go test ./autograd -run '^$' -bench ConvSmallImages -benchtime 20x
func BenchmarkConvSmallImages(b *testing.B) {
	cases := []struct {
		name              string
		n, c, hw, o, k, s int
	}{
		{"resnet50_3x3_512_7x7_b8", 8, 512, 7, 512, 3, 1},
		{"resnet50_1x1_2048to512_7x7_b8", 8, 2048, 7, 512, 1, 1},
		{"resnet50_1x1_512to2048_7x7_b8", 8, 512, 7, 2048, 1, 1},
		{"effnetv2s_1x1_256to1536_3x3_b32", 32, 256, 3, 1536, 1, 1},
		{"effnetv2s_1x1_160to960_6x6_b32", 32, 160, 6, 960, 1, 1},
		{"effnetv2t_1x1_192to1152_4x4_b32", 32, 192, 4, 1152, 1, 1},
	}
	for _, c := range cases {
		rng := rand.New(rand.NewPCG(1, 2))
		x := RandN(rng, c.n, c.c, c.hw, c.hw)
		w := RandN(rng, c.o, c.c, c.k, c.k)
		x.SetRequiresGrad(true)
		w.SetRequiresGrad(true)
		opts := Conv2dOpts{StrideH: c.s, StrideW: c.s}.WithPad(SymPad(c.k / 2))
		oh := (c.hw+2*(c.k/2)-c.k)/c.s + 1
		g := RandN(rng, c.n*c.o*oh*oh).Data
		flops := 6 * float64(c.n*c.o*oh*oh) * float64(c.c*c.k*c.k)
		for _, mode := range []string{"single", "batched"} {
			b.Run(c.name+"/"+mode, func(b *testing.B) {
				old := convBatchCols
				defer func() { convBatchCols = old }()
				if mode == "single" {
					convBatchCols = 0
				}
				for b.Loop() {
					x.ZeroGrad()
					w.ZeroGrad()
					Conv2d(x, w, nil, opts).BackwardWith(g)
				}
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOPS")
			})
		}
	}
}
