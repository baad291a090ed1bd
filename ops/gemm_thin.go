package ops

import "sync"

// The thin path: when op(A) is one row (m == 1) or op(B) one column
// (n == 1), Sgemm is a matrix-vector product. Each element of the matrix is
// used once, so packing would cost as much as the product itself; instead
// the vector is gathered into a contiguous buffer and the matrix is read in
// place, either as rows (dot products) or as columns (axpy sweeps), whichever
// is unit-stride: gemv.go's loops, or their AVX2 kernels (the same bits).
//
//	n == 1:  y[i] = sum_p opA[i,p] * x[p],  x[p] = opB[p,0],  C[i,0]
//	m == 1:  y[j] = sum_p x[p] * opB[p,j],  x[p] = opA[0,p],  C[0,j]
//	then     C = alpha*y + beta*C   (beta == 0 does not read C)

func sgemmThin(threads int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	xb := GetScratch(k)
	x := *xb
	j := thinJobs.Get().(*thinJob)
	j.x, j.alpha, j.beta, j.c = x, alpha, beta, c
	var outs int
	if n == 1 {
		for p := range x { // x = opB[:,0]
			if transB {
				x[p] = b[p]
			} else {
				x[p] = b[p*ldb]
			}
		}
		j.mat, j.ld, outs, j.cstride, j.rowsAreOutputs = a, lda, m, ldc, !transA
	} else {
		for p := range x { // x = opA[0,:]
			if transA {
				x[p] = a[p*lda]
			} else {
				x[p] = a[p]
			}
		}
		j.mat, j.ld, outs, j.cstride, j.rowsAreOutputs = b, ldb, n, 1, transB
	}
	grain := max(64, (64<<10)/(k+1))
	ParallelN(outs, grain, threads, j.run)
	j.x, j.mat, j.c = nil, nil, nil
	thinJobs.Put(j)
	PutScratch(xb)
}

// thinJob is one thin product's operands, recycled with its work method
// bound once, so a call allocates nothing (see gemmJob).
type thinJob struct {
	x, mat, c      []float32
	ld, cstride    int
	rowsAreOutputs bool // mat row o is the o-th output's dot-product row
	alpha, beta    float32
	run            func(lo, hi int)
}

var thinJobs = sync.Pool{New: func() any {
	j := new(thinJob)
	j.run = j.work
	return j
}}

// work computes outputs [lo, hi), 256 at a time into a stack buffer.
func (j *thinJob) work(lo, hi int) {
	x, mat, ld, k := j.x, j.mat, j.ld, len(j.x)
	var y [256]float32
	for o0 := lo; o0 < hi; o0 += len(y) {
		o1 := min(hi, o0+len(y))
		yy := y[:o1-o0]
		if j.rowsAreOutputs {
			_ = mat[(o1-1)*ld+k-1] // the rows kernel reads rows o0..o1-1, k each
			gemvRows(mat[o0*ld:], ld, x, yy)
		} else {
			_ = mat[(k-1)*ld+o1-1] // the cols kernel reads columns o0..o1-1 of k rows
			gemvCols(x, mat[o0:], ld, yy)
		}
		for o, v := range yy {
			ci := (o0 + o) * j.cstride
			if j.beta == 0 {
				j.c[ci] = j.alpha * v
			} else {
				j.c[ci] = j.alpha*v + j.beta*j.c[ci]
			}
		}
	}
}

// dotGo returns sum_i x[i]*y[i] with four independent partial sums (so the
// adds pipeline), combined as (s0+s1)+(s2+s3), the tail added to s0. Each
// product is rounded before it is added (the explicit float32 conversion
// keeps the compiler from fusing them into multiply-adds, as it may on
// arm64 or with GOAMD64=v3), so the result is the same on every platform
// and equals the AVX2 kernel's (gemv_amd64.s).
func dotGo(x, y []float32) float32 {
	y = y[:len(x)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(x); i += 4 {
		xs, ys := x[i:i+4:i+4], y[i:i+4:i+4]
		s0 += float32(xs[0] * ys[0])
		s1 += float32(xs[1] * ys[1])
		s2 += float32(xs[2] * ys[2])
		s3 += float32(xs[3] * ys[3])
	}
	for ; i < len(x); i++ {
		s0 += float32(x[i] * y[i])
	}
	return (s0 + s1) + (s2 + s3)
}

// axpyGo computes y += alpha*x, each product rounded before the add (as
// dotGo).
func axpyGo(alpha float32, x, y []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += float32(alpha * v)
	}
}
