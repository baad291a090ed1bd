package ops

// sgemm is the portable blocked implementation: it packs op(B) into a
// contiguous k x n panel once, then each worker computes a band of rows of C
// with an i-p-j loop (the inner loop is a saxpy over a contiguous row of the
// packed B, which the compiler keeps in registers and the cache streams).
//
// It is correct and cache-friendly; the fast assembly path lives elsewhere
// and plugs in behind Sgemm.
func sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	// Scale or clear C first so the accumulation below is uniform.
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
		} else if beta != 1 {
			for j := range row {
				row[j] *= beta
			}
		}
	}
	if k == 0 || alpha == 0 {
		return
	}
	// Pack op(B) as k x n row-major.
	var bp []float32
	if !transB && ldb == n {
		bp = b[:k*n]
	} else {
		bp = make([]float32, k*n)
		for p := 0; p < k; p++ {
			for j := 0; j < n; j++ {
				if transB {
					bp[p*n+j] = b[j*ldb+p]
				} else {
					bp[p*n+j] = b[p*ldb+j]
				}
			}
		}
	}
	const kc = 256 // k-block so a band of B rows stays in L2
	grain := max(1, 4096/(n*k+1))
	Parallel(m, grain, func(lo, hi int) {
		for p0 := 0; p0 < k; p0 += kc {
			p1 := min(p0+kc, k)
			for i := lo; i < hi; i++ {
				crow := c[i*ldc : i*ldc+n]
				for p := p0; p < p1; p++ {
					var av float32
					if transA {
						av = a[p*lda+i]
					} else {
						av = a[i*lda+p]
					}
					av *= alpha
					brow := bp[p*n : p*n+n]
					for j, bv := range brow {
						crow[j] += av * bv
					}
				}
			}
		}
	})
}
