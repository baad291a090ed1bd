//go:build amd64 && !purego

package ops

import "golang.org/x/sys/cpu"

// transpose16xNAVX512 transposes nblk 16 x 16 tiles side by side in 16 rows
// of src into nblk tiles one below the other in dst (transpose_amd64.s has
// the Go loop it computes). The caller has checked the bounds.
//
//go:noescape
func transpose16xNAVX512(dst []float32, ldd int, src []float32, lds int, nblk int)

// transpose8xNAVX2 is transpose16xNAVX512 on 8 x 8 tiles, for CPUs
// without AVX-512.
//
//go:noescape
func transpose8xNAVX2(dst []float32, ldd int, src []float32, lds int, nblk int)

// copyRows32AVX512 copies rows rows of 32 floats, src stride lds, into dst
// one after the other. The caller has checked the bounds.
//
//go:noescape
func copyRows32AVX512(dst, src []float32, lds, rows int)

// gatherRows32AVX512 copies 32 floats from src[o:] for each o in offs
// into dst, one after the other. The caller has checked the bounds.
//
//go:noescape
func gatherRows32AVX512(dst, src []float32, offs []int)

// copyRows16AVX2 is copyRows32AVX512 on rows of 16 floats (the B
// micro-panel of the AVX2 kernels). The caller has checked the bounds.
//
//go:noescape
func copyRows16AVX2(dst, src []float32, lds, rows int)

// gatherRows16AVX2 is gatherRows32AVX512 on rows of 16 floats. The caller
// has checked the bounds.
//
//go:noescape
func gatherRows16AVX2(dst, src []float32, offs []int)

// gatherStride2AVX512 sets d[i] = s[2i] for len(d) a multiple of 16,
// reading s[:2*len(d)] (gather_amd64.s). The caller has checked the bounds.
//
//go:noescape
func gatherStride2AVX512(d, s []float32)

// gatherStride2AVX2 is gatherStride2AVX512 for CPUs without AVX-512 (len(d)
// a multiple of 16 as well, though it works 8 at a time).
//
//go:noescape
func gatherStride2AVX2(d, s []float32)

var (
	// transposeTiles transposes nblk tiles of transposeT x transposeT.
	transposeTiles func(dst []float32, ldd int, src []float32, lds int, nblk int)
	transposeT     int
	// copyRows and gatherRows copy rows of copyRowsW floats (the B
	// micro-panel width of the CPU's kernels: 32, or 16 with AVX2).
	copyRows      func(dst, src []float32, lds, rows int)
	gatherRows    func(dst, src []float32, offs []int)
	copyRowsW     int
	gatherStride2 func(d, s []float32)
)

func init() {
	switch {
	case cpu.X86.HasAVX512F:
		transposeTiles, transposeT = transpose16xNAVX512, 16
		copyRows, gatherRows, copyRowsW = copyRows32AVX512, gatherRows32AVX512, 32
		gatherStride2 = gatherStride2AVX512
	case cpu.X86.HasAVX2:
		transposeTiles, transposeT = transpose8xNAVX2, 8
		copyRows, gatherRows, copyRowsW = copyRows16AVX2, gatherRows16AVX2, 16
		gatherStride2 = gatherStride2AVX2
	}
}
