package ops

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// Benchmarks: go test ./ops/ -run '^$' -bench Sgemm -benchtime 20x
// (the full table, with gonum and OpenBLAS beside, is `go run ./bench/gemm`).

var benchShapes = [][3]int{{64, 64, 64}, {256, 256, 256}, {512, 512, 512}, {3136, 64, 576}, {196, 256, 2304}, {50176, 24, 27}}

func benchGemm(b *testing.B, gemm func(m, n, k int, a, bb, c []float32)) {
	for _, sh := range benchShapes {
		m, n, k := sh[0], sh[1], sh[2]
		b.Run(fmt.Sprintf("%dx%dx%d", m, n, k), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			a, bb, c := randSlice(rng, m*k), randSlice(rng, k*n), make([]float32, m*n)
			b.ResetTimer()
			for range b.N {
				gemm(m, n, k, a, bb, c)
			}
			b.ReportMetric(2*float64(m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOPS")
		})
	}
}

// BenchmarkSgemm measures the dispatched kernel through the public API.
func BenchmarkSgemm(b *testing.B) {
	benchGemm(b, func(m, n, k int, a, bb, c []float32) {
		Sgemm(false, false, m, n, k, 1, a, k, bb, n, 0, c, n)
	})
}

// BenchmarkSgemmGo measures the pure-Go micro-kernel in the same loop nest.
func BenchmarkSgemmGo(b *testing.B) {
	pl := newGemmPlan(goKernel)
	benchGemm(b, func(m, n, k int, a, bb, c []float32) {
		sgemmPlanned(&pl, Threads(), false, false, m, n, k, 1, a, k, bb, n, 0, c, n)
	})
}

// BenchmarkSgemmSaxpy measures the previous portable implementation (an
// i-p-j saxpy loop over a packed B), kept here as the floor the pure-Go
// path must not fall below.
func BenchmarkSgemmSaxpy(b *testing.B) {
	benchGemm(b, func(m, n, k int, a, bb, c []float32) { saxpyGemm(m, n, k, a, bb, c) })
}

func saxpyGemm(m, n, k int, a, b, c []float32) {
	clear(c[:m*n])
	const kc = 256
	grain := max(1, 4096/(n*k+1))
	Parallel(m, grain, func(lo, hi int) {
		for p0 := 0; p0 < k; p0 += kc {
			p1 := min(p0+kc, k)
			for i := lo; i < hi; i++ {
				crow := c[i*n : i*n+n]
				for p := p0; p < p1; p++ {
					av := a[i*k+p]
					brow := b[p*n : p*n+n]
					for j, bv := range brow {
						crow[j] += av * bv
					}
				}
			}
		}
	})
}
