//go:build amd64 && !purego

package ops

import (
	"testing"

	"golang.org/x/sys/cpu"
)

// TestTransposeAVX2: TestTranspose again with the AVX2 8 x 8 tiles, which
// an AVX-512 CPU would not otherwise run.
func TestTransposeAVX2(t *testing.T) {
	if !cpu.X86.HasAVX2 {
		t.Skip("no AVX2")
	}
	f, n := transposeTiles, transposeT
	defer func() { transposeTiles, transposeT = f, n }()
	transposeTiles, transposeT = transpose8xNAVX2, 8
	TestTranspose(t)
}

// The stride-2 gathers (AVX-512 where the CPU has it, AVX2) against the
// definition, with a guard after d.
func TestGatherStride2Kernels(t *testing.T) {
	impls := map[string]func(d, s []float32){}
	if cpu.X86.HasAVX512F {
		impls["avx512"] = gatherStride2AVX512
	}
	if cpu.X86.HasAVX2 {
		impls["avx2"] = gatherStride2AVX2
	}
	if len(impls) == 0 {
		t.Skip("no AVX2 or AVX-512")
	}
	s := make([]float32, 2*96)
	for i := range s {
		s[i] = float32(i) + 0.5
	}
	for name, f := range impls {
		for _, n := range []int{0, 16, 32, 48, 96} {
			d := make([]float32, n+1)
			d[n] = guard
			f(d[:n], s[:2*n])
			for i := range n {
				if d[i] != s[2*i] {
					t.Fatalf("%s n=%d: d[%d] = %v, want %v", name, n, i, d[i], s[2*i])
				}
			}
			if d[n] != guard {
				t.Fatalf("%s n=%d: wrote past d", name, n)
			}
		}
	}
}
