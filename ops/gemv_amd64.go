//go:build amd64 && !purego

package ops

import "golang.org/x/sys/cpu"

// gemvRowsAVX2 and gemvColsAVX2 are the thin path's kernels
// (gemv_amd64.s), computing gemvRowsGo's and gemvColsGo's bits. The
// callers have checked the bounds.
//
//go:noescape
func gemvRowsAVX2(a []float32, lda int, x, y []float32)

//go:noescape
func gemvColsAVX2(x, b []float32, ldb int, y []float32)

// gemvAVX2 reports whether the kernels run (AVX2, and no
// MULTILABEL_NOASM).
var gemvAVX2 = cpu.X86.HasAVX2 && !noasm

func gemvRows(a []float32, lda int, x, y []float32) {
	if gemvAVX2 {
		gemvRowsAVX2(a, lda, x, y)
		return
	}
	gemvRowsGo(a, lda, x, y)
}

func gemvCols(x, b []float32, ldb int, y []float32) {
	if gemvAVX2 {
		gemvColsAVX2(x, b, ldb, y)
		return
	}
	gemvColsGo(x, b, ldb, y)
}
