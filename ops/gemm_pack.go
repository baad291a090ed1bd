package ops

// Packing for the SGEMM loop nest (gemm_blocked.go): op(A) and op(B) are
// copied into the exact order the micro-kernel reads them, zero-padded to
// whole micro-panels, so all four transpose combinations are settled here.

// packA copies opA[i0:i0+rows, p0:p0+kb] into an MR-row micro-panel:
// dst[p*MR + r] = opA[i0+r, p0+p], rows rows..MR zero.
// opA[i,p] is a[i*lda+p], or a[p*lda+i] when transA.
func packA(transA bool, a []float32, lda, i0, rows, p0, kb, mr int, dst []float32) {
	dst = dst[:kb*mr]
	if transA {
		if rows == 12 && mr == 12 { // full AVX-512 panel: fixed-size copies
			for p := 0; p < kb; p++ {
				*(*[12]float32)(dst[p*12:]) = *(*[12]float32)(a[(p0+p)*lda+i0:])
			}
			return
		}
		for p := 0; p < kb; p++ {
			d := dst[p*mr : p*mr+mr]
			src := a[(p0+p)*lda+i0 : (p0+p)*lda+i0+rows]
			copy(d, src)
			clear(d[rows:])
		}
		return
	}
	r := 0
	// Four rows at a time: four read streams, one bounds check per 4 writes.
	for ; r+4 <= rows; r += 4 {
		s0 := a[(i0+r)*lda+p0 : (i0+r)*lda+p0+kb]
		s1 := a[(i0+r+1)*lda+p0 : (i0+r+1)*lda+p0+kb]
		s2 := a[(i0+r+2)*lda+p0 : (i0+r+2)*lda+p0+kb]
		s3 := a[(i0+r+3)*lda+p0 : (i0+r+3)*lda+p0+kb]
		for p := range s0 {
			d := dst[p*mr+r : p*mr+r+4 : p*mr+r+4]
			d[0], d[1], d[2], d[3] = s0[p], s1[p], s2[p], s3[p]
		}
	}
	for ; r < rows; r++ {
		src := a[(i0+r)*lda+p0 : (i0+r)*lda+p0+kb]
		for p, v := range src {
			dst[p*mr+r] = v
		}
	}
	for r := rows; r < mr; r++ {
		for p := 0; p < kb; p++ {
			dst[p*mr+r] = 0
		}
	}
}

// packB copies opB[p0:p0+kb, j0:j0+cols] into an NR-column micro-panel:
// dst[p*NR + j] = opB[p0+p, j0+j], columns cols..NR zero.
// opB[p,j] is b[p*ldb+j], or b[j*ldb+p] when transB.
func packB(transB bool, b []float32, ldb, p0, kb, j0, cols, nr int, dst []float32) {
	dst = dst[:kb*nr]
	if !transB {
		if cols == nr && nr == copyRowsW && copyRows != nil && !noasm {
			copyRows(dst, b[p0*ldb+j0:(p0+kb-1)*ldb+j0+nr], ldb, kb)
			return
		}
		if cols == 32 && nr == 32 {
			// Fixed-size copies of 16 bytes, which the compiler inlines as
			// one load and one store (a [32]float32 copy, and even an
			// [8]float32 one, is a call to runtime.memmove: 25% slower).
			for p := 0; p < kb; p++ {
				copy16x4(dst[p*32:p*32+16], b[(p0+p)*ldb+j0:(p0+p)*ldb+j0+16])
				copy16x4(dst[p*32+16:p*32+32], b[(p0+p)*ldb+j0+16:(p0+p)*ldb+j0+32])
			}
			return
		}
		if cols == 16 && nr == 16 {
			for p := 0; p < kb; p++ {
				copy16x4(dst[p*16:p*16+16], b[(p0+p)*ldb+j0:(p0+p)*ldb+j0+16])
			}
			return
		}
		for p := 0; p < kb; p++ {
			d := dst[p*nr : p*nr+nr]
			src := b[(p0+p)*ldb+j0 : (p0+p)*ldb+j0+cols]
			copy(d, src)
			clear(d[cols:])
		}
		return
	}
	// A transposition (the weight gradient's B = colᵀ or Gᵀ): opB[p0:, j0:]
	// is the transpose of the cols x kb block of b at row j0, column p0.
	Transpose(dst, nr, b[j0*ldb+p0:], ldb, cols, kb)
	if cols < nr {
		for p := 0; p < kb; p++ {
			clear(dst[p*nr+cols : p*nr+nr])
		}
	}
}

// copy16x4 copies 16 floats from s to d (both exactly 16 long) as four
// 16-byte moves.
func copy16x4(d, s []float32) {
	d, s = d[:16:16], s[:16:16]
	*(*[4]float32)(d[0:]) = *(*[4]float32)(s[0:])
	*(*[4]float32)(d[4:]) = *(*[4]float32)(s[4:])
	*(*[4]float32)(d[8:]) = *(*[4]float32)(s[8:])
	*(*[4]float32)(d[12:]) = *(*[4]float32)(s[12:])
}

// scaleC sets C = beta*C (C = 0 when beta == 0, without reading C).
func scaleC(m, n int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		switch beta {
		case 0:
			clear(row)
		case 1:
		default:
			for j := range row {
				row[j] *= beta
			}
		}
	}
}

func roundUp(x, to int) int { return (x + to - 1) / to * to }
