package ops

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkSgemmBInPlace: products of convolutions in the engine's
// orientation (M = output channels, K = input channels x taps, N = pixels
// of an image or of a column tile, B's rows ldb apart), with every B panel
// packed against B read in place (useBInPlace):
//
//	go test ./ops -run '^$' -bench SgemmBInPlace -benchtime 200x
func BenchmarkSgemmBInPlace(b *testing.B) {
	shapes := [][4]int{ // m, k, n, ldb
		{24, 27, 12544, 12544}, {24, 216, 1152, 1152}, {48, 432, 608, 608}, {48, 48, 3136, 3136},
		{64, 64, 3136, 3136}, {64, 128, 3136, 3136}, {96, 64, 3136, 3136}, {128, 128, 784, 784},
		{256, 64, 3136, 3136}, {256, 128, 784, 784}, {512, 128, 784, 784}, {128, 64, 3136, 3136},
		{64, 576, 448, 448}, {512, 1024, 196, 196}, {256, 2304, 196, 196}, {128, 1152, 224, 224},
		{384, 1152, 784, 784}, {672, 2304, 196, 196}, {256, 576, 448, 448}, {160, 960, 1024, 1024},
	}
	rng := rand.New(rand.NewPCG(3, 3))
	for _, threads := range []int{1, Threads()} {
		for _, s := range shapes {
			m, k, n, ldb := s[0], s[1], s[2], s[3]
			a, bb, c := randSlice(rng, m*k), randSlice(rng, k*ldb), make([]float32, m*n)
			for _, packB := range []bool{true, false} {
				name := map[bool]string{true: "packed", false: "inplace"}[packB]
				b.Run(fmt.Sprintf("t%d/%dx%dx%d_ldb%d/%s", threads, m, k, n, ldb, name), func(b *testing.B) {
					pl := newGemmPlan(activeGemm.kern)
					pl.packB = packB
					for b.Loop() {
						sgemmPlanned(&pl, threads, false, false, m, n, k, 1, a, k, bb, ldb, 0, c, n)
					}
					b.ReportMetric(2*float64(m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOPS")
				})
			}
		}
	}
}
