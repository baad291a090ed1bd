package ops

// Micro-kernels: the innermost piece of the BLIS/Goto loop nest (see
// gemm_blocked.go). A micro-kernel computes one MR x NR tile of C from a
// packed A micro-panel and a packed B micro-panel:
//
//	a: k x MR, stored p-major: a[p*MR + r] = opA[i0+r, p0+p]
//	b: k x NR, stored p-major: b[p*NR + j] = opB[p0+p, j0+j]
//	c: the tile, row r at c[r*ldc : r*ldc+NR]
//
//	for r, j: C[r,j] = alpha * sum_p a[p*MR+r]*b[p*NR+j] + beta*C[r,j]
//
// The B variants (fnB, directB) read b's rows ldb apart instead of NR:
// b[p*ldb + j] = opB[p0+p, j0+j], B itself, untransposed.
//
// beta == 0 must not read C (it may hold NaN). The loop nest only hands
// full tiles to a kernel (edge tiles go through a scratch tile), and the
// panels are zero-padded, so kernels never branch on the shape.
//
// Every assembly kernel has a pure-Go twin: microGeneric with the same MR
// and NR computes the identical sums (the tests compare them), and
// kernel4x4Go is the fast pure-Go kernel used when no assembly is allowed.

// gemmKernel describes one micro-kernel and the tile it computes.
type gemmKernel struct {
	name   string
	mr, nr int
	fn     func(k int, a, b, c []float32, ldc int, alpha, beta float32)
	// direct, if set, is the same kernel reading A unpacked from a row-major
	// op(A) = A (no transpose): a[r*lda+p] instead of a[p*MR+r]. The loop
	// nest uses it when an A micro-panel would serve only a few tiles, so
	// packing it would cost about as much as the tiles themselves.
	direct func(k int, a []float32, lda int, b, c []float32, ldc int, alpha, beta float32)
	// directN, if set, is direct on n full tiles side by side in one call:
	// tile q reads the packed B panel at b[q*k*NR:] and writes C from
	// column q*NR, with direct's bits. The loop nest runs a row of tiles
	// against the shared packed B block through it (the Go loop around a
	// kernel call cost 5-9% of a product).
	directN func(k int, a []float32, lda int, b, c []float32, ldc int, alpha, beta float32, n int)
	// half and halfDirect, if set, compute only the first NR/2 columns of
	// fn's and direct's tile (the B panel is still NR wide): the last panel
	// of a product with at most NR/2 columns in it runs them instead of
	// computing a whole tile and keeping half. Both must be set together,
	// and give the bits of fn and direct on those columns.
	half       func(k int, a, b, c []float32, ldc int, alpha, beta float32)
	halfDirect func(k int, a []float32, lda int, b, c []float32, ldc int, alpha, beta float32)
	// fnB and directB, if set, are fn and direct reading B in place: k rows
	// of a row-major op(B) = B, ldb apart (b[p*ldb+j]), instead of a packed
	// panel. The loop nest uses them where a B panel would serve only a few
	// rows of tiles (bInPlace in gemm_blocked.go); they must give the bits
	// of fn and direct. Edge kernels need only fnB.
	fnB     func(k int, a, b []float32, ldb int, c []float32, ldc int, alpha, beta float32)
	directB func(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32)
	// directBN, if set, is directB on n tiles one below the other in one
	// call: tile t reads A from row t*MR and writes C from row t*MR, the
	// same B, with directB's bits (BLIS's order: a B panel against all the
	// rows of tiles).
	directBN func(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32, n int)
	// fnO and directO, if set, are fnB and directB with row p of B at
	// b[boff[p]:] (any offsets) instead of b[p*ldb:]: SgemmRowsB's full
	// panels read in place (gemm_rows.go). They must give the bits of fn
	// and direct. Edge kernels need only fnO.
	fnO     func(k int, a, b []float32, boff []int, c []float32, ldc int, alpha, beta float32)
	directO func(k int, a []float32, lda int, b []float32, boff []int, c []float32, ldc int, alpha, beta float32)
	// directON is directBN's twin for directO: n tiles one below the other.
	directON func(k int, a []float32, lda int, b []float32, boff []int, c []float32, ldc int, alpha, beta float32, n int)
	// edges, if set, are kernels with the same NR and fewer rows (packed
	// only, ascending MR) for the last row of tiles: rows = M mod MR is
	// computed by the smallest edge kernel with MR >= rows, so less of the
	// tile is padding.
	edges []gemmKernel
	// narrow, if set, is a kernel with a smaller NR that Sgemm uses instead
	// when it pads n to fewer columns (n = 24 with NR 24 rather than 32).
	narrow *gemmKernel
	// packA and packB, if set, replace packA and packB for this kernel and
	// its edges: a kernel on another element type (bf16 pairs, bf16.go)
	// packs its own panels, within the same float32 buffers.
	packA func(transA bool, a []float32, lda, i0, rows, p0, kb, mr int, dst []float32)
	packB func(transB bool, b []float32, ldb, p0, kb, j0, cols, nr int, dst []float32)
}

// microGeneric is the plain Go loop every micro-kernel computes, for any
// tile shape. It accumulates in float32 in p order, like the kernels.
func microGeneric(mr, nr, k int, a, b, c []float32, ldc int, alpha, beta float32) {
	microGenericB(mr, nr, k, a, b, nr, c, ldc, alpha, beta)
}

// microGenericB is microGeneric reading B in place, row p at b[p*ldb:]:
// the twin of the assembly kernels' B-in-place variants.
func microGenericB(mr, nr, k int, a, b []float32, ldb int, c []float32, ldc int, alpha, beta float32) {
	microGenericRows(mr, nr, k, a, b, func(p int) int { return p * ldb }, c, ldc, alpha, beta)
}

// microGenericO is microGeneric with row p of B at b[boff[p]:]: the twin of
// the assembly kernels' B-at-offsets variants.
func microGenericO(mr, nr, k int, a, b []float32, boff []int, c []float32, ldc int, alpha, beta float32) {
	microGenericRows(mr, nr, k, a, b, func(p int) int { return boff[p] }, c, ldc, alpha, beta)
}

// microGenericRows is microGeneric with row p of B at b[row(p):].
func microGenericRows(mr, nr, k int, a, b []float32, row func(p int) int, c []float32, ldc int, alpha, beta float32) {
	var acc [16 * 64]float32 // largest tile of any kernel here
	t := acc[:mr*nr]
	for p := 0; p < k; p++ {
		ap := a[p*mr : p*mr+mr]
		bp := b[row(p) : row(p)+nr]
		for r, av := range ap {
			row := t[r*nr : r*nr+nr]
			for j, bv := range bp {
				row[j] += av * bv
			}
		}
	}
	for r := 0; r < mr; r++ {
		crow := c[r*ldc : r*ldc+nr]
		row := t[r*nr : r*nr+nr]
		for j := range crow {
			if beta == 0 {
				crow[j] = alpha * row[j]
			} else {
				crow[j] = alpha*row[j] + beta*crow[j]
			}
		}
	}
}

// microGenericDirect is microGeneric reading A in place, row-major with
// stride lda: the twin of the assembly kernels' direct variants.
func microGenericDirect(mr, nr, k int, a []float32, lda int, b, c []float32, ldc int, alpha, beta float32) {
	microGenericDirectB(mr, nr, k, a, lda, b, nr, c, ldc, alpha, beta)
}

// microGenericDirectB reads both A and B in place (rows lda and ldb
// apart): the twin of the direct kernels' B-in-place variants.
func microGenericDirectB(mr, nr, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32) {
	var ap [16 * 1024]float32
	for r := 0; r < mr; r++ {
		for p := 0; p < k; p++ {
			ap[p*mr+r] = a[r*lda+p]
		}
	}
	microGenericB(mr, nr, k, ap[:k*mr], b, ldb, c, ldc, alpha, beta)
}

// microGenericDirectO is microGenericDirectB with row p of B at
// b[boff[p]:].
func microGenericDirectO(mr, nr, k int, a []float32, lda int, b []float32, boff []int, c []float32, ldc int, alpha, beta float32) {
	var ap [16 * 1024]float32
	for r := 0; r < mr; r++ {
		for p := 0; p < k; p++ {
			ap[p*mr+r] = a[r*lda+p]
		}
	}
	microGenericO(mr, nr, k, ap[:k*mr], b, boff, c, ldc, alpha, beta)
}

// goKernel is the pure-Go micro-kernel (build tag purego, MULTILABEL_NOASM=1,
// or a CPU without AVX2+FMA).
var goKernel = gemmKernel{name: "go4x4", mr: 4, nr: 4, fn: kernel4x4Go}

// kernel4x4Go is the pure-Go 4x4 micro-kernel: microGeneric(4, 4, ...)
// with the 16 accumulators held in local variables, so the compiler keeps
// most of them in registers and each loaded a or b value is used 4 times.
func kernel4x4Go(k int, a, b, c []float32, ldc int, alpha, beta float32) {
	var c00, c01, c02, c03 float32
	var c10, c11, c12, c13 float32
	var c20, c21, c22, c23 float32
	var c30, c31, c32, c33 float32
	a = a[:4*k]
	b = b[:4*k]
	for p := 0; p+4 <= len(a); p += 4 {
		ap := a[p : p+4 : p+4]
		bp := b[p : p+4 : p+4]
		b0, b1, b2, b3 := bp[0], bp[1], bp[2], bp[3]
		a0 := ap[0]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		a1 := ap[1]
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		a2 := ap[2]
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
		c23 += a2 * b3
		a3 := ap[3]
		c30 += a3 * b0
		c31 += a3 * b1
		c32 += a3 * b2
		c33 += a3 * b3
	}
	store4(c[0*ldc:0*ldc+4], c00, c01, c02, c03, alpha, beta)
	store4(c[1*ldc:1*ldc+4], c10, c11, c12, c13, alpha, beta)
	store4(c[2*ldc:2*ldc+4], c20, c21, c22, c23, alpha, beta)
	store4(c[3*ldc:3*ldc+4], c30, c31, c32, c33, alpha, beta)
}

// store4 writes one row of a 4-wide tile: c = alpha*acc + beta*c, without
// reading c when beta == 0.
func store4(c []float32, x0, x1, x2, x3, alpha, beta float32) {
	c = c[:4]
	if beta == 0 {
		c[0], c[1], c[2], c[3] = alpha*x0, alpha*x1, alpha*x2, alpha*x3
		return
	}
	c[0] = alpha*x0 + beta*c[0]
	c[1] = alpha*x1 + beta*c[1]
	c[2] = alpha*x2 + beta*c[2]
	c[3] = alpha*x3 + beta*c[3]
}
