//go:build !amd64 || purego

package ops

// Without assembly the thin path runs its plain loops.

const gemvAVX2 = false

func gemvRows(a []float32, lda int, x, y []float32) { gemvRowsGo(a, lda, x, y) }

func gemvCols(x, b []float32, ldb int, y []float32) { gemvColsGo(x, b, ldb, y) }
