package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// SgemmRowsB gives, bit for bit, what Sgemm gives on B gathered from the
// row offsets into a dense matrix: every test kernel, blockings that run
// BLIS's order and the shared packed block, 1-3 threads, shapes with
// several K blocks, edge tiles and the thin paths, offsets that overlap,
// repeat and go backwards (as a convolution's taps do), alpha and beta
// general. Under the bf16 plan too (its own packing: B gathered first).
func TestSgemmRowsBMatchesSgemm(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 6))
	for _, kern := range gemmTestKernels() {
		base := newGemmPlan(kern)
		nr := kern.nr
		plans := []gemmPlan{base,
			{kern: kern, kc: gemmKC, nc: 3 * nr, mc: 1 << 20, ncu: 3 * nr},
			{kern: kern, kc: gemmKC, nc: nr, bmax: gemmKC * nr, packOnly: true},
			{kern: kern, kc: gemmKC, nc: 4096 - 4096%nr, rowCopy: true, mc: 1 << 20, ncu: 3 * nr}}
		shapes := [][3]int{{97, 83, 301}, {11, 200, 50}, {1, 300, 50}, {300, 1, 50}, {128, 544, 288}, {2 * kern.mr, 2 * nr, 2*gemmKC + 1}, {5, 7, 3}}
		for si, sh := range shapes {
			m, n, k := sh[0], sh[1], sh[2]
			alpha, beta := [3]float32{1, 1, -0.75}[si%3], [3]float32{0, 1, 0.5}[si%3]
			b := randSlice(rng, 3*n+k+7)
			rows := make([]int, k)
			for r := range rows {
				rows[r] = rng.IntN(len(b) - n + 1) // anywhere: overlapping, repeated, unordered
			}
			rows[0] = len(b) - n // one ends at the very end of b
			bd := make([]float32, k*n)
			for r, o := range rows {
				copy(bd[r*n:(r+1)*n], b[o:o+n])
			}
			a := randSlice(rng, m*k)
			c0 := randSlice(rng, m*n)
			want := append([]float32(nil), c0...)
			sgemmPlanned(&base, 1, false, false, m, n, k, alpha, a, k, bd, n, beta, want, n)
			got := make([]float32, m*n)
			for _, pl := range plans {
				for _, threads := range []int{1, 2, 3} {
					copy(got, c0)
					sgemmRowsPlanned(&pl, threads, m, n, k, alpha, a, k, b, rows, beta, got, n)
					for i := range got {
						if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
							t.Fatalf("%s %v threads=%d m=%d n=%d k=%d: C[%d] = %g, Sgemm on the gathered B gives %g",
								kern.name, pl, threads, m, n, k, i, got[i], want[i])
						}
					}
				}
			}
		}
	}
	// The public entry points, and the bf16 plan, against Sgemm itself.
	for _, prec := range []Precision{Float32, BF16} {
		if _, err := SetMatmulPrecision(prec); err != nil {
			continue
		}
		m, n, k := 40, 300, 100
		b := randSlice(rng, 2*n+k)
		rows := make([]int, k)
		for r := range rows {
			rows[r] = rng.IntN(len(b) - n + 1)
		}
		bd := make([]float32, k*n)
		for r, o := range rows {
			copy(bd[r*n:(r+1)*n], b[o:o+n])
		}
		a := randSlice(rng, m*k)
		want, got, got2 := make([]float32, m*n), make([]float32, m*n), make([]float32, m*n)
		Sgemm(false, false, m, n, k, 1, a, k, bd, n, 0, want, n)
		SgemmRowsB(m, n, k, 1, a, k, b, rows, 0, got, n)
		SgemmRowsBSerial(m, n, k, 1, a, k, b, rows, 0, got2, n)
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) || math.Float32bits(got2[i]) != math.Float32bits(want[i]) {
				t.Fatalf("%v: C[%d] = %g / %g (serial), Sgemm %g", prec, i, got[i], got2[i], want[i])
			}
		}
	}
	SetMatmulPrecision(Float32)
}

// Bad offsets and short slices panic naming the entry point and the sizes.
func TestSgemmRowsBPanics(t *testing.T) {
	f := func(n int) []float32 { return make([]float32, n) }
	for _, c := range []struct {
		name string
		f    func()
	}{
		{"offset past the end", func() { SgemmRowsB(2, 4, 2, 1, f(4), 2, f(10), []int{0, 7}, 0, f(8), 4) }},
		{"negative offset", func() { SgemmRowsB(2, 4, 2, 1, f(4), 2, f(10), []int{-1, 0}, 0, f(8), 4) }},
		{"too few offsets", func() { SgemmRowsBSerial(2, 4, 3, 1, f(6), 3, f(10), []int{0, 1}, 0, f(8), 4) }},
		{"short C", func() { SgemmRowsB(2, 4, 2, 1, f(4), 2, f(10), []int{0, 1}, 0, f(7), 4) }},
	} {
		func() {
			defer func() {
				r := recover()
				if r == nil {
					t.Errorf("%s: no panic", c.name)
				} else if s := fmt.Sprint(r); !strings.HasPrefix(s, "ops.SgemmRowsB") {
					t.Errorf("%s: panic %q does not name the entry point", c.name, s)
				}
			}()
			c.f()
		}()
	}
}
