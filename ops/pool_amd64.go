//go:build amd64 && !purego

package ops

import "golang.org/x/sys/cpu"

// maxPool3x3s2AVX512 computes maxPool3x3s2Go(x, s0, w, n, out, arg) for n
// a multiple of 16 (pool_amd64.s). The caller has checked the bounds.
//
//go:noescape
func maxPool3x3s2AVX512(x []float32, s0, w, n int, out []float32, arg []int32)

func init() {
	if cpu.X86.HasAVX512F {
		maxPool3x3s2 = maxPool3x3s2AVX512
	}
}
