//go:build amd64 && !purego

package ops

import "golang.org/x/sys/cpu"

// Assembly depthwise kernels (depthwise_amd64.s); each stub's doc comment
// there is the Go loop it computes (dwTapsGo, dwDotGo). Callers guarantee
// every element the loops touch lies inside the slices: the stubs only
// check nothing.

//go:noescape
func dwTapsAVX512(dst []float32, dstStride, rows, n int, src []float32, srcStride int, offs []int, w []float32, bias float32, acc int)

//go:noescape
func dwDotAVX512(acc, g []float32, gStride, rows, n int, src []float32, srcStride int, offs []int)

//go:noescape
func dwCopyRowsAVX512(dst []float32, dstStride int, src []float32, srcStride, rows, n int)

//go:noescape
func dwSplit2AVX512(even, odd, src []float32, n int)

var avx512DW = dwKernels{name: "avx512", taps: dwTapsAVX512, dot: dwDotAVX512, copyRows: dwCopyRowsAVX512, split2: dwSplit2AVX512}

func asmDWKernels() *dwKernels {
	if cpu.X86.HasAVX512F && cpu.X86.HasBMI2 {
		return &avx512DW
	}
	return nil
}
