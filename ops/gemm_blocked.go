package ops

import (
	"math/bits"
	"sync"
)

// The BLIS/Goto loop nest around a micro-kernel (gemm_kernel_go.go):
//
//	for jc := 0; jc < n; jc += NC            // B block: KC x NC, in L2
//	  for pc := 0; pc < k; pc += KC          // one rank-KC update of C
//	    pack opB[pc:pc+KC, jc:jc+NC] into NR-column micro-panels (parallel)
//	    for each MR x NR tile (ir, jr) of C[:, jc:jc+NC], ir-major (parallel):
//	      when ir changes: pack opA[ir:ir+MR, pc:pc+KC] into an MR-row
//	                       micro-panel (L1-resident while jr runs)
//	      kernel(KC, Apanel, Bpanel[jr], C[ir:ir+MR, jc+jr:jc+jr+NR])
//
// Packing copies op(A) and op(B) into the exact order the kernel reads
// them, so all four transpose combinations are settled here and the kernel
// only ever sees unit-stride panels. Panels are zero-padded to MR rows and
// NR columns, so the kernel never branches on the shape; an edge tile is
// computed into a scratch tile and the valid part merged into C.
//
// beta is applied by the first rank-KC update only (later ones accumulate
// with beta = 1), so beta == 0 never reads C.
//
// Threads: the tiles of one (jc, pc) block are split into contiguous,
// ir-major ranges handed to the worker pool. Each element of C is computed
// by exactly the same sequence of operations whatever the split, so the
// result does not depend on the thread count (bit for bit).

// sgemm runs the active kernel over all pool threads.
func sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	sgemmPlanned(activeGemm.forN(n), Threads(), transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// sgemmPlanned is sgemm with an explicit plan (kernel + blocking) and
// thread count, so tests can run every kernel variant and thread count.
func sgemmPlanned(pl *gemmPlan, threads int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	if m == 1 || n == 1 {
		sgemmThin(threads, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	kern := pl.kern
	mr, nr := kern.mr, kern.nr
	mPan := (m + mr - 1) / mr
	bb := getBuf(pl.kc * min(pl.nc, roundUp(n, nr)))
	defer putBuf(bb)
	bbuf := *bb
	for jc := 0; jc < n; jc += pl.nc {
		nb := min(pl.nc, n-jc)
		nPan := (nb + nr - 1) / nr
		for pc := 0; pc < k; pc += pl.kc {
			kb := min(pl.kc, k-pc)
			bet := beta
			if pc > 0 {
				bet = 1
			}
			// Pack the B block, one NR-column micro-panel per step.
			panel := kb * nr
			ParallelN(nPan, max(1, 16384/panel), threads, func(lo, hi int) {
				for q := lo; q < hi; q++ {
					packB(transB, b, ldb, pc, kb, jc+q*nr, min(nr, nb-q*nr), nr, bbuf[q*panel:(q+1)*panel])
				}
			})
			// An A micro-panel serves nPan tiles; when they are few, packing
			// it costs as much as computing them, so read A in place.
			useDirect := !transA && kern.direct != nil && nPan < directMaxPanels
			// Compute the tiles, ir-major so a packed A panel serves a row of tiles.
			tiles := mPan * nPan
			grain := tileGrain(pl, threads, tiles, nPan, kb)
			chunks := threads
			if threads > 1 {
				chunks = 4 * threads // more chunks than threads: the pool balances load
			}
			ParallelN(tiles, grain, chunks, func(lo, hi int) {
				// The A panel and a scratch tile for the edges. (A local array
				// would escape to the heap: the kernel is called through a
				// func value.)
				ab := getBuf(mr*kb + mr*nr)
				apan, tile := (*ab)[:mr*kb], (*ab)[mr*kb:mr*kb+mr*nr]
				lastIR := -1
				for t := lo; t < hi; t++ {
					ir, q := t/nPan, t%nPan
					i := ir * mr
					rows := min(mr, m-i)
					direct := useDirect && rows == mr
					if ir != lastIR && !direct {
						packA(transA, a, lda, i, rows, pc, kb, mr, apan)
					}
					lastIR = ir
					j := jc + q*nr
					cols := min(nr, nb-q*nr)
					bpan := bbuf[q*panel : (q+1)*panel]
					var arows []float32
					if direct {
						arows = a[i*lda+pc : (i+mr-1)*lda+pc+kb]
					}
					if rows == mr && cols == nr {
						cdst := c[i*ldc+j : (i+mr-1)*ldc+j+nr]
						if direct {
							kern.direct(kb, arows, lda, bpan, cdst, ldc, alpha, bet)
						} else {
							kern.fn(kb, apan, bpan, cdst, ldc, alpha, bet)
						}
						continue
					}
					if direct {
						kern.direct(kb, arows, lda, bpan, tile, nr, alpha, 0)
					} else {
						kern.fn(kb, apan, bpan, tile, nr, alpha, 0)
					}
					for r := 0; r < rows; r++ {
						crow := c[(i+r)*ldc+j : (i+r)*ldc+j+cols]
						trow := tile[r*nr : r*nr+cols]
						if bet == 0 {
							copy(crow, trow)
						} else {
							for x, v := range trow {
								crow[x] = v + bet*crow[x]
							}
						}
					}
				}
				putBuf(ab)
			})
		}
	}
}

// directMaxPanels: below this many B micro-panels per block, A is read
// unpacked (when the kernel has a direct variant and op(A) = A).
const directMaxPanels = 8

// tileGrain picks the smallest number of tiles per parallel chunk: at most
// an MC-row slab of the block, small enough that every thread gets several
// chunks, and at least ~256 kFLOP so the pool's overhead stays negligible;
// whole rows of tiles when there are enough rows to go round.
func tileGrain(pl *gemmPlan, threads, tiles, nPan, kb int) int {
	tileFlops := 2 * pl.kern.mr * pl.kern.nr * kb
	g := max(1, (pl.mc/pl.kern.mr)*nPan)
	if threads > 1 {
		g = min(g, max(1, tiles/(4*threads)))
	}
	g = max(g, (256<<10)/tileFlops)
	if mPan := tiles / nPan; mPan >= 2*threads {
		// Whole rows of tiles per chunk, so no A panel is packed twice.
		g = roundUp(g, nPan)
	}
	return g
}

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
		if cols == 32 && nr == 32 { // full AVX-512 panel: fixed-size copies, no memmove calls
			for p := 0; p < kb; p++ {
				*(*[32]float32)(dst[p*32:]) = *(*[32]float32)(b[(p0+p)*ldb+j0:])
			}
			return
		}
		if cols == 16 && nr == 16 {
			for p := 0; p < kb; p++ {
				*(*[16]float32)(dst[p*16:]) = *(*[16]float32)(b[(p0+p)*ldb+j0:])
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
	for j := 0; j < cols; j++ {
		src := b[(j0+j)*ldb+p0 : (j0+j)*ldb+p0+kb]
		for p, v := range src {
			dst[p*nr+j] = v
		}
	}
	for j := cols; j < nr; j++ {
		for p := 0; p < kb; p++ {
			dst[p*nr+j] = 0
		}
	}
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

// Packing buffers (and the depthwise planes' padded copies) are recycled
// on free lists by power-of-two size class, so a steady-state Sgemm
// allocates no buffers. A sync.Pool would not do: it holds buffers of every
// size in one pool (a large B block request would get a small A panel back
// and allocate anyway) and drops them at every garbage collection. Each
// class keeps at most a few buffers per thread, so what stays held is
// bounded by the peak concurrent use. Contents are arbitrary on return.
var bufFree struct {
	mu   sync.Mutex
	free [64][]*[]float32
}

func getBuf(n int) *[]float32 {
	cls := bits.Len(uint(max(n, 1) - 1))
	bufFree.mu.Lock()
	if l := bufFree.free[cls]; len(l) > 0 {
		p := l[len(l)-1]
		l[len(l)-1] = nil
		bufFree.free[cls] = l[:len(l)-1]
		bufFree.mu.Unlock()
		*p = (*p)[:n]
		return p
	}
	bufFree.mu.Unlock()
	s := make([]float32, n, 1<<cls)
	return &s
}

func putBuf(p *[]float32) {
	cls := bits.Len(uint(cap(*p) - 1))
	if cap(*p) != 1<<cls {
		return // not one of ours
	}
	bufFree.mu.Lock()
	if len(bufFree.free[cls]) < 2*Threads()+2 {
		bufFree.free[cls] = append(bufFree.free[cls], p)
	}
	bufFree.mu.Unlock()
}
