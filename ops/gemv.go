package ops

// Matrix-vector kernels of the thin path (gemm_thin.go): Sgemm with one
// row of op(A) or one column of op(B). Two shapes, by which way the
// matrix is read unit-stride:
//
//	rows:  y[i] = Σ_p a[i·lda + p] · x[p]     (each output a dot product)
//	cols:  y[j] = Σ_p x[p] · b[p·ldb + j]     (each output swept down a column)
//
// The assembly kernels (gemv_amd64.s, AVX2) compute exactly the bits of
// the plain loops below, which the thin path runs elsewhere (other CPUs,
// the purego tag, MULTILABEL_NOASM): the same multiplies and adds (no
// fused multiply-add: the loops round each product explicitly, so that no
// compiler fuses them either), in the same order:
//
//	rows:  dotGo: four partial sums s_l over p ≡ l (mod 4) for the whole
//	       4-blocks, s += a·x; the last k mod 4 terms into s_0; then
//	       (s_0 + s_1) + (s_2 + s_3)
//	cols:  axpyGo per row of b: y_j = 0, then y_j += x[p]·b[p, j] for
//	       p = 0, 1, ..., k−1
//
// so the thin products give the same results with and without assembly,
// as before the kernels.

// gemvRowsGo and gemvColsGo are the plain loops: the kernels' twins, and
// what runs without them.
func gemvRowsGo(a []float32, lda int, x, y []float32) {
	k := len(x)
	for i := range y {
		y[i] = dotGo(a[i*lda:i*lda+k], x)
	}
}

func gemvColsGo(x, b []float32, ldb int, y []float32) {
	clear(y)
	n := len(y)
	for p, xv := range x {
		axpyGo(xv, b[p*ldb:p*ldb+n], y)
	}
}

// gemvRows and gemvCols (gemv_amd64.go, gemv_noasm.go) run the kernel
// the CPU has. The callers have checked the bounds: len(a) ≥
// (len(y)−1)·lda + len(x), len(b) ≥ (len(x)−1)·ldb + len(y). They are
// plain functions calling the kernels directly (not func values), so that
// the callers' stack buffers stay on the stack.
