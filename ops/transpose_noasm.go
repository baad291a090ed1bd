//go:build !amd64 || purego

package ops

// Without assembly Transpose, packB and gatherStrided run their Go loops.
var (
	transposeTiles func(dst []float32, ldd int, src []float32, lds int, nblk int)
	transposeT     int
	copyRows       func(dst, src []float32, lds, rows int)
	gatherRows     func(dst, src []float32, offs []int)
	copyRowsW      int
	gatherStride2  func(d, s []float32)
)
