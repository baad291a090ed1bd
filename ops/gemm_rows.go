package ops

import (
	"fmt"
	"time"
)

// Products whose B rows lie anywhere in one slice.
//
// SgemmRowsB reads row r of B as b[rows[r] : rows[r]+n]: the rows are
// contiguous but may sit at any offsets, overlap, and repeat. A convolution
// with stride 1 is such a product over a zero-padded copy of its input
// (an implicit GEMM): with the input padded to Hp x Wp and the output
// computed Wp wide (the last Wp-OW columns of each output row thrown
// away), the column-matrix row of tap (c, kh, kw) is the padded input from
// c·Hp·Wp + kh·Wp + kw on, so the product reads the taps where they are
// instead of from an im2col copy nine times the input.
//
// The loop nest is Sgemm's. Where Sgemm reads full B panels in place
// (BLIS's order, useBInPlace), the kernels' O variants read them at the
// offsets (one offset loaded per step of k: sgemmKernel12x32AVX512O and
// its direct and edge forms); elsewhere each panel is gathered row by row
// into Sgemm's packed layout (packBRows). The same kernels' instructions
// run with the same K blocks (which depend on k alone), so every element
// of C is computed exactly as Sgemm computes it on the gathered matrix,
// bit for bit (TestSgemmRowsBMatchesSgemm).

// SgemmRowsB computes C = alpha·A·B + beta·C for A m x k (row-major, rows
// lda apart, not transposed), C m x n (rows ldc apart) and B k x n with
// row r at b[rows[r]:rows[r]+n]. beta == 0 does not read C. It panics,
// naming the sizes, when a slice is too short or an offset negative.
func SgemmRowsB(m, n, k int, alpha float32, a []float32, lda int, b []float32, rows []int, beta float32, c []float32, ldc int) {
	checkRowsB("SgemmRowsB", m, n, k, a, lda, b, rows, c, ldc)
	if gemmStatsOn.Load() && m > 0 && n > 0 {
		defer countGemm("SgemmRowsB", false, false, m, n, k, time.Now())
	}
	threads := Threads()
	if 2*float64(m)*float64(n)*float64(k) < gemmParallelMinFlops {
		threads = 1
	}
	sgemmRowsPlanned(gemmPlanFor(n), threads, m, n, k, alpha, a, lda, b, rows, beta, c, ldc)
}

// SgemmRowsBSerial is SgemmRowsB on the calling goroutine alone (as
// SgemmSerial is Sgemm): the same bits.
func SgemmRowsBSerial(m, n, k int, alpha float32, a []float32, lda int, b []float32, rows []int, beta float32, c []float32, ldc int) {
	checkRowsB("SgemmRowsBSerial", m, n, k, a, lda, b, rows, c, ldc)
	if gemmStatsOn.Load() && m > 0 && n > 0 {
		defer countGemm("SgemmRowsBSerial", false, false, m, n, k, time.Now())
	}
	sgemmRowsPlanned(gemmPlanFor(n), 1, m, n, k, alpha, a, lda, b, rows, beta, c, ldc)
}

func checkRowsB(op string, m, n, k int, a []float32, lda int, b []float32, rows []int, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("ops.%s: negative size m=%d n=%d k=%d", op, m, n, k))
	}
	if m == 0 || n == 0 {
		return
	}
	if lda < k || ldc < n || (k > 0 && len(a) < (m-1)*lda+k) || len(c) < (m-1)*ldc+n {
		panic(fmt.Sprintf("ops.%s: m=%d n=%d k=%d with lda=%d (len %d), ldc=%d (len %d)", op, m, n, k, lda, len(a), ldc, len(c)))
	}
	if len(rows) < k {
		panic(fmt.Sprintf("ops.%s: %d row offsets for k=%d", op, len(rows), k))
	}
	for r, o := range rows[:k] {
		if o < 0 || o+n > len(b) {
			panic(fmt.Sprintf("ops.%s: row %d of B at %d..%d outside b (len %d)", op, r, o, o+n, len(b)))
		}
	}
}

// sgemmRowsPlanned is SgemmRowsB with an explicit plan and thread count.
// The thin products (m or n 1), which Sgemm sums differently, and plans
// whose packing converts (bf16) run Sgemm on B gathered into a dense
// scratch matrix.
func sgemmRowsPlanned(pl *gemmPlan, threads, m, n, k int, alpha float32, a []float32, lda int, b []float32, rows []int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	if m == 1 || n == 1 || pl.kern.packB != nil {
		bd := GetScratch(k * n)
		for r, o := range rows[:k] {
			copy((*bd)[r*n:(r+1)*n], b[o:o+n])
		}
		sgemmPlanned(pl, threads, false, false, m, n, k, alpha, a, lda, *bd, n, beta, c, ldc)
		PutScratch(bd)
		return
	}
	j := gemmJobs.Get().(*gemmJob)
	*j = gemmJob{pl: pl, m: m, n: n, k: k, alpha: alpha, beta: beta,
		a: a, b: b, c: c, lda: lda, ldc: ldc, boff: rows[:k], threads: threads,
		ready: j.ready, run: j.run}
	j.plan()
	for j.jc = 0; j.jc < n; j.jc += j.nc {
		j.block(min(j.nc, n-j.jc))
	}
	if j.bb != nil {
		PutScratch(j.bb)
	}
	j.a, j.b, j.c, j.boff, j.bbuf, j.bb = nil, nil, nil, nil, nil, nil
	gemmJobs.Put(j)
}

// packBRows packs the B micro-panel of rows p0..p0+kb-1 and columns
// j0..j0+cols-1 (cols <= nr) of a rows-B product into dst (kb x nr, the
// columns past cols zeroed): packB's layout, gathered from the offsets.
func packBRows(b []float32, rows []int, p0, kb, j0, cols, nr int, dst []float32) {
	dst = dst[:kb*nr]
	rows = rows[p0 : p0+kb]
	if cols == nr && nr == copyRowsW && gatherRows != nil && !noasm {
		gatherRows(dst, b[j0:], rows) // the offsets were checked against b (checkRowsB)
		return
	}
	if cols == 32 && nr == 32 {
		for p, o := range rows {
			s := b[o+j0 : o+j0+32]
			copy16x4(dst[p*32:p*32+16], s[:16])
			copy16x4(dst[p*32+16:p*32+32], s[16:])
		}
		return
	}
	for p, o := range rows {
		d := dst[p*nr : p*nr+nr]
		copy(d, b[o+j0:o+j0+cols])
		clear(d[cols:])
	}
}
