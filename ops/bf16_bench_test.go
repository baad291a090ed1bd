package ops

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkMicroKernel compares the float32 and bf16 micro-kernels on one
// tile with panels in L1 (k = 256): the instruction throughput ceiling.
func BenchmarkMicroKernel(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	const k = 256
	run := func(name string, kern gemmKernel, pairs bool) {
		b.Run(name, func(b *testing.B) {
			n := k
			if pairs {
				n = (k + 1) / 2
			}
			a := randSlice(rng, n*kern.mr)
			bb := randSlice(rng, n*kern.nr)
			c := make([]float32, kern.mr*kern.nr)
			b.SetBytes(0)
			for b.Loop() {
				kern.fn(k, a, bb, c, kern.nr, 1, 0)
			}
			b.ReportMetric(2*float64(kern.mr*kern.nr*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOPS")
		})
	}
	for _, kern := range asmGemmKernels() {
		run(kern.name, kern, false)
	}
	for _, kern := range asmBF16Kernels() {
		run(kern.name, kern, true)
		for _, e := range kern.edges {
			run(e.name, e, true)
		}
	}
}

// BenchmarkMicroKernelI8 is BenchmarkMicroKernel for the int8 kernels
// (GOPS: two operations per multiply-add, K = 256).
func BenchmarkMicroKernelI8(b *testing.B) {
	const k4 = 64
	for _, kern := range i8AllKernels() {
		if kern.name == goI8Kernel.name {
			continue
		}
		b.Run(kern.name, func(b *testing.B) {
			a := make([]byte, k4*kern.mr*4)
			bb := make([]byte, k4*kern.nr*4)
			c := make([]float32, kern.mr*kern.nr)
			e := make([]float32, kern.mr)
			corr := make([]int32, kern.mr)
			for b.Loop() {
				kern.fn(k4, a, bb, c, kern.nr, corr, e, e)
			}
			b.ReportMetric(2*float64(kern.mr*kern.nr*4*k4)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GOPS")
		})
	}
}

// BenchmarkSgemmBF16 compares Sgemm in float32 and in bf16 (packing
// included) on squares and on convolution shapes of the example's model
// (M output channels x N pixels x K = C·k·k), one thread and all.
func BenchmarkSgemmBF16(b *testing.B) {
	if !BF16Available() {
		b.Skip("no AVX512_BF16")
	}
	rng := rand.New(rand.NewPCG(2, 2))
	shapes := [][3]int{{256, 256, 256}, {1024, 1024, 1024}, {64, 4096, 144}, {32, 1024, 288}, {96, 256, 384}, {640, 16, 192}}
	for _, s := range shapes {
		m, n, k := s[0], s[1], s[2]
		a, bb, c := randSlice(rng, m*k), randSlice(rng, k*n), make([]float32, m*n)
		for _, p := range []Precision{Float32, BF16} {
			b.Run(fmt.Sprintf("%dx%dx%d/%v", m, n, k, p), func(b *testing.B) {
				prev, _ := SetMatmulPrecision(p)
				defer SetMatmulPrecision(prev)
				for b.Loop() {
					Sgemm(false, false, m, n, k, 1, a, k, bb, n, 0, c, n)
				}
				b.ReportMetric(2*float64(m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOPS")
			})
		}
	}
}
