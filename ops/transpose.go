package ops

import "fmt"

// Transposition, the copy the GEMM's packing and the convolution's backward
// do most: Transpose for any block, with 16 x 16 tiles in AVX-512 registers
// (8 x 8 in AVX2 ones) where the CPU has them (transpose_amd64.s) and a blocked Go loop otherwise.
// A transpose only moves values, so both give the same bits.

// Transpose writes the transpose of the rows x cols matrix a (row stride
// lda) into dst (cols x rows, row stride ldd): dst[j*ldd+i] = a[i*lda+j].
// It panics if a slice is too short for the shape.
func Transpose(dst []float32, ldd int, a []float32, lda int, rows, cols int) {
	if rows <= 0 || cols <= 0 {
		return
	}
	if lda < cols || ldd < rows || len(a) < (rows-1)*lda+cols || len(dst) < (cols-1)*ldd+rows {
		panic(fmt.Sprintf("ops.Transpose: %d x %d with lda %d, ldd %d needs len(a) >= %d and len(dst) >= %d, have %d and %d",
			rows, cols, lda, ldd, (rows-1)*lda+cols, (cols-1)*ldd+rows, len(a), len(dst)))
	}
	i := 0
	if t := transposeT; transposeTiles != nil && !noasm {
		// Bands of t rows: whole t x t tiles in registers (16 with
		// AVX-512, 8 with AVX2), the last cols%t columns of the band in Go.
		nblk := cols / t
		for ; i+t <= rows; i += t {
			if nblk > 0 {
				transposeTiles(dst[i:], ldd, a[i*lda:], lda, nblk)
			}
			if c0 := nblk * t; c0 < cols {
				transposeGo(dst[c0*ldd+i:], ldd, a[i*lda+c0:], lda, t, cols-c0)
			}
		}
	}
	if i < rows {
		transposeGo(dst[i:], ldd, a[i*lda:], lda, rows-i, cols)
	}
}

// transposeGo is Transpose in plain Go, in blocks of 32 x 32 so that the
// reads and the writes stay in cache: the reference twin of the assembly.
func transposeGo(dst []float32, ldd int, a []float32, lda int, rows, cols int) {
	const b = 32
	for j0 := 0; j0 < cols; j0 += b {
		j1 := min(j0+b, cols)
		for i0 := 0; i0 < rows; i0 += b {
			for i := i0; i < min(i0+b, rows); i++ {
				row := a[i*lda+j0 : i*lda+j1]
				for j, v := range row {
					dst[(j0+j)*ldd+i] = v
				}
			}
		}
	}
}
