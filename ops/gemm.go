package ops

import (
	"fmt"
	"time"
)

// Sgemm computes the single-precision matrix product
//
//	C = alpha * op(A) * op(B) + beta * C
//
// on row-major matrices, where op(X) is X or its transpose. op(A) is m x k,
// op(B) is k x n and C is m x n. lda, ldb and ldc are the row strides (in
// elements) of A, B and C as stored: A is m x k (lda >= k) when !transA and
// k x m (lda >= m) when transA; likewise for B. beta == 0 overwrites C
// without reading it (so C may hold NaN or garbage); beta == 1 accumulates,
// which is how gradients are summed.
//
// Sgemm panics with a message naming the sizes when the slices are too short
// for the stated shapes: that is a programming error, never user input.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkGemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	if gemmStatsOn.Load() {
		defer countGemm("Sgemm", transA, transB, m, n, k, time.Now())
	}
	sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// SgemmSerial is Sgemm on the calling goroutine alone: for a caller that
// spreads independent products over the threads itself (one per image of
// a batch, say), where the items keep every thread busy and a product that
// split its work again would only queue and wait on the pool. The result
// is Sgemm's, bit for bit (it never depends on the thread count).
func SgemmSerial(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkGemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	if gemmStatsOn.Load() {
		defer countGemm("SgemmSerial", transA, transB, m, n, k, time.Now())
	}
	sgemmPlanned(gemmPlanFor(n), 1, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func checkGemm(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("ops.Sgemm: negative size m=%d n=%d k=%d", m, n, k))
	}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	need := func(name string, rows, cols, ld, have int) {
		if rows == 0 || cols == 0 {
			return
		}
		if ld < cols {
			panic(fmt.Sprintf("ops.Sgemm: ld%s=%d < %d columns (m=%d n=%d k=%d transA=%v transB=%v)", name, ld, cols, m, n, k, transA, transB))
		}
		if n := (rows-1)*ld + cols; have < n {
			panic(fmt.Sprintf("ops.Sgemm: %s has %d elements, a %dx%d matrix with stride %d needs %d", name, have, rows, cols, ld, n))
		}
	}
	need("a", ar, ac, lda, len(a))
	need("b", br, bc, ldb, len(b))
	need("c", m, n, ldc, len(c))
}

// SgemmRef is the plain reference: a triple loop with a float32
// accumulator per output, kept for tests and for readers.
//
//	for i, j: C[i,j] = alpha * sum_p opA[i,p]*opB[p,j] + beta*C[i,j]
func SgemmRef(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkGemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float32
			for p := 0; p < k; p++ {
				var x, y float32
				if transA {
					x = a[p*lda+i]
				} else {
					x = a[i*lda+p]
				}
				if transB {
					y = b[j*ldb+p]
				} else {
					y = b[p*ldb+j]
				}
				s += x * y
			}
			if beta == 0 {
				c[i*ldc+j] = alpha * s
			} else {
				c[i*ldc+j] = alpha*s + beta*c[i*ldc+j]
			}
		}
	}
}
