package autograd

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/seed477ab429/multilabel/ops"
)

// The weight gradient computed in the transposed form ((∂L/∂w)ᵀ = col·Gᵀ,
// packing G) and in the direct one (∂L/∂w = G·colᵀ, packing col) must be
// the same bits (gemmBackward's comment): over several chunks and column
// tiles, K blocks of the GEMM (more than 256 pixels), groups, the 1x1
// direct path, a gradient already holding values (two backward passes
// accumulate), and in bf16 where the CPU has it.
func TestConvWeightGradTransposedSameBits(t *testing.T) {
	type tc struct {
		name          string
		n, c, h, w, o int
		k, stride, g  int
		tile          int
	}
	cases := []tc{
		{"3x3 pad1 5 images", 5, 8, 18, 17, 6, 3, 1, 1, 0},
		{"3x3 stride2 tiles of 40", 3, 6, 20, 20, 5, 3, 2, 1, 40},
		{"3x3 groups2", 2, 8, 12, 12, 4, 3, 1, 2, 0},
		{"1x1 direct", 4, 16, 17, 19, 4, 1, 1, 1, 0},
		{"5x5 m=k-1", 2, 1, 9, 9, 24, 5, 1, 1, 0},
	}
	eachPrecision(t, func(prec ops.Precision) {
		for _, c := range cases {
			rng := rand.New(rand.NewPCG(7, uint64(c.c)))
			x := RandN(rng, c.n, c.c, c.h, c.w)
			w := RandN(rng, c.o, c.c/c.g, c.k, c.k)
			w.SetRequiresGrad(true)
			opts := Conv2dOpts{StrideH: c.stride, StrideW: c.stride, Groups: c.g}.WithPad(SymPad(c.k / 2))
			var outGrad []float32
			run := func(transposed bool) []float32 {
				old, oldTile := dwTransposed, convTileCols
				defer func() { dwTransposed, convTileCols = old, oldTile }()
				dwTransposed = func(m, k, np int) bool { return transposed && m > 1 && m < k }
				if c.tile > 0 {
					convTileCols = func(rows, cols int) int { return min(c.tile, cols) }
				}
				w.ZeroGrad()
				for range 2 {
					out := Conv2d(x, w, nil, opts)
					if outGrad == nil {
						outGrad = RandN(rng, len(out.Data)).Data
					}
					out.BackwardWith(outGrad)
				}
				return append([]float32(nil), w.Grad...)
			}
			want, got := run(false), run(true)
			m, k := c.o/c.g, c.c/c.g*c.k*c.k
			if !(m > 1 && m < k) {
				t.Fatalf("%s: m=%d k=%d does not take the transposed form", c.name, m, k)
			}
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%s %v: ∂L/∂w[%d] = %g transposed, %g direct", c.name, prec, i, got[i], want[i])
				}
			}
		}
	})
}

// eachPrecision runs fn with the matrix products in float32, then in bf16
// where the CPU has it, and restores the precision.
func eachPrecision(t *testing.T, fn func(ops.Precision)) {
	precisions := []ops.Precision{ops.Float32}
	if ops.BF16Available() {
		precisions = append(precisions, ops.BF16)
	}
	for _, prec := range precisions {
		prev, err := ops.SetMatmulPrecision(prec)
		if err != nil {
			t.Fatal(err)
		}
		fn(prec)
		ops.SetMatmulPrecision(prev)
	}
}
