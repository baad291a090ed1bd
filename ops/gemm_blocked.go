package ops

import (
	"sync"
	"sync/atomic"
	"time"
)

// The BLIS/Goto loop nest around a micro-kernel (gemm_kernel_go.go), in one
// of two orders chosen per product (block):
//
// Small M (all rows of A within MC, a third of L2), BLIS's order:
//
//	for jc := 0; jc < n; jc += NC
//	  for each unit (a group of B micro-panels, over all rows), claimed by a thread:
//	    for s, pc := range the rank-KC updates    // K in equal blocks of <= KC
//	      pack the A micro-panels opA[:, pc:pc+KC] not read in place (L2-resident)
//	      for jr over the unit's panels:
//	        pack B micro-panel (s, jr) into the unit's own buffer (L1-resident),
//	          or read it in place (a full panel, with the kernels' B variants)
//	        for ir over all rows of tiles:
//	          kernel(KC, Apanel[ir], Bpanel, C[ir:ir+MR, jc+jr:jc+jr+NR])
//
// Large M, rows of tiles outside:
//
//	for jc := 0; jc < n; jc += NC                 // B block: K x NC, packed lazily
//	  for each unit (a row of MR x NR tiles, or part of one), claimed by a thread:
//	    for s, pc := range the rank-KC updates
//	      pack opA[ir:ir+MR, pc:pc+KC] into an MR-row micro-panel (L1-resident)
//	      for jr over the unit's tiles:
//	        make sure B micro-panel (s, jr) is packed (the first thread to need it packs it)
//	        kernel(KC, Apanel, Bpanel[s, jr], C[ir:ir+MR, jc+jr:jc+jr+NR])
//
// Where the kernel has multi-tile forms (directN, directBN, directON: the
// AVX2 kernels), a run of full tiles along the inner loop is one call.
//
// The first reads each element of B from memory once and keeps no shared
// packed copy; the second streams the B block from L2/L3 once per row of
// tiles. With KC fixed at 256 (the summation order), a B micro-panel is 32
// KiB of the 48 KiB L1d, and running 12 KiB A panels past it from L2
// thrashes L1 when K is large, so for large M the A panel stays in L1.
//
// Packing (gemm_pack.go) copies op(A) and op(B) into the exact order the
// kernel reads them, so all four transpose combinations are settled there
// and the kernel only ever sees unit-stride panels, or untransposed rows
// read in place (A by the direct kernels, full B panels in BLIS's order by
// the B variants). Panels are zero-padded to MR rows and NR columns, so the
// kernel never branches on the shape. The
// last row of tiles, when M is not a multiple of MR, runs the smallest edge
// kernel (fewer rows, gemmKernel.edges) that covers it, and a tile that
// still overhangs C is computed into a scratch tile and the valid part
// merged into C.
//
// beta is applied by the first rank-KC update only (later ones accumulate
// with beta = 1), so beta == 0 never reads C.
//
// Threads. In the second order, the whole K x NC block of B is packed at
// once (NC is cut so it stays within a quarter of L3), by the threads that
// compute with it: each
// micro-panel has a flag (unpacked, being packed, packed), and the first
// thread to need a panel packs it while a thread that finds it being packed
// packs its own copy instead of waiting (packedB). So one jc block costs a
// single pool round trip and no barrier between rank-KC updates, and every
// B element is packed once (rarely twice). Threads claim units from an
// atomic counter, so the load balances itself and a thread that starts late
// (the machine is busy) just takes fewer units. A unit runs all of K for
// its tiles, so its C tiles stay in cache across the rank-KC updates. In
// the first order the threads take panel groups, each packing its own.
//
// Every element of C is computed by exactly the same sequence of operations
// (the same kernel, the same K blocks in the same order, the same edge
// path) whatever the split, so the result does not depend on the thread
// count, bit for bit.

// sgemm runs the active kernel over all pool threads.
func sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	threads := Threads()
	if 2*float64(m)*float64(n)*float64(k) < gemmParallelMinFlops {
		threads = 1
	}
	sgemmPlanned(gemmPlanFor(n), threads, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// gemmParallelMinFlops: below this many FLOPs a product runs on one
// thread; getting the pool's second thread running (tens to hundreds of µs
// when its thread sleeps, on the 2-vCPU test machine; see the SGEMM section
// of docs/PERFORMANCE.md) would cost more than the second core gains (128³
// is 4.2 MFLOP, ~40 µs on one core).
const gemmParallelMinFlops = 6 << 20

// gemmLinger: how long a pool worker keeps polling for the next chunk
// after an SGEMM chunk (ParallelNLinger), so that back-to-back products
// find it awake on its own core.
const gemmLinger = 100 * time.Microsecond

// useDirect reports whether the rows of tiles read A in place (the
// kernel's direct variant, op(A) = A) instead of packing A micro-panels.
// Reading in place skips packA, a scalar transposition that costs about 3%
// of a square product, and measured 5-10% faster at 256³, 512³ and
// 196x2304x256 on Zen 4. The exception is a row stride of A that is a
// multiple of 4 KiB (lda = 1024, 2048, ...): the 12 rows then fall in one
// set of the 8-way L1d and evict each other (1024³ ran 6% slower direct).
// With fewer than directMaxPanels B panels per row, an A panel would serve
// so few tiles that reading in place wins even then.
func useDirect(pl *gemmPlan, transA bool, lda, nPan int) bool {
	if transA || pl.kern.direct == nil || pl.packOnly {
		return false
	}
	return !pl.rowCopy && (nPan < directMaxPanels || (lda*4)%4096 != 0)
}

// useRowCopy reports whether the full A micro-panels that are not read in
// place are copied row by row into a buffer with a row stride of KC+16
// floats (not a multiple of 4 KiB) for the direct kernel, instead of
// packed by packA's transposition: the 4 KiB row strides above, where the
// copy (whole rows, memmove) costs a fraction of the transposition.
func useRowCopy(pl *gemmPlan, transA, direct bool) bool {
	return !direct && !transA && pl.kern.direct != nil && !pl.packOnly
}

// rowCopyPad: the padding of the row-copy buffer's stride over KC.
const rowCopyPad = 16

const directMaxPanels = 8

// useBInPlace reports whether the current block's full B panels are read
// in place by the kernels' B variants (fnB, directB) instead of packed.
// Only in BLIS's order (ownB), where each panel is packed for one unit and
// then serves every row of tiles of a row block of at most MC rows: with
// few rows of tiles (a convolution with 24-256 output channels: M = oc,
// N = pixels) the copy costs a large part of what the tiles cost (18% of
// 64x576x3136 at one thread), and the kernel can as well read the kb rows
// of 32 floats where they are. Measured on Zen 5 (BenchmarkSgemmBInPlace),
// reading in place was as fast or faster on every such product tried, up
// to 56 rows of tiles and whatever the row stride (4 KiB included: the
// hardware's stride prefetcher and L2 serve the rows that L1 cannot hold),
// so the AVX-512 kernels have no threshold (docs/PERFORMANCE.md, "B in
// place").
//
// The AVX2 kernel, measured on Zen 3 (32 KiB 8-way L1d), has one
// (pl.bCrowd): where B's rows crowd a few sets of L1d, as with a row
// stride of 4 KiB (B = a 32x32 or 64x64 feature map, 1024 or 4096 pixels
// a row), every row of the panel falls into one set and each row of tiles
// fetches the panel from L2 again. One thread, in place against packed,
// GFLOPS: 64x64x4096 49.9 / 54.3, 128x32x1024 47.8 / 54.5, 96x24x4096 40.2
// / 53.1; with 16 panel rows a set (64x256x3136: 196 lines a row, 16 sets)
// in place still led, 77.5 / 75.6. So B is packed there when more than 16
// of the K block's rows share a set.
func useBInPlace(pl *gemmPlan, transB, ownB bool, ldb, kb int) bool {
	k := &pl.kern
	if !ownB || transB || pl.packB || k.fnB == nil || k.directB == nil || k.packB != nil {
		return false
	}
	if pl.bCrowd > 0 && l1RowsPerSet(ldb, kb) > pl.bCrowd {
		return false
	}
	for _, e := range k.edges {
		if e.fnB == nil {
			return false
		}
	}
	return true
}

// l1RowsPerSet is how many of rows rows ld floats apart share one set of
// a 64-set L1d with 64-byte lines (every x86 core of the last decade: 32
// KiB 8-way, 48 KiB 12-way): rows whose stride is a multiple of 64 bytes
// cycle through 64/gcd(stride/64, 64) sets; others spread over all.
func l1RowsPerSet(ld, rows int) int {
	s := 4 * ld
	if s%64 != 0 {
		return (rows + 63) / 64
	}
	g, b := s/64, 64
	for b != 0 {
		g, b = b, g%b
	}
	sets := 64 / g
	return (rows + sets - 1) / sets
}

// useBOffsInPlace is useBInPlace for a rows-B product (SgemmRowsB): its
// full panels are read in place at the row offsets by the kernels' O
// variants, where the kernel has them.
func useBOffsInPlace(pl *gemmPlan, ownB bool) bool {
	k := &pl.kern
	if !ownB || pl.packB || k.fnO == nil || k.directO == nil || k.packB != nil {
		return false
	}
	for _, e := range k.edges {
		if e.fnO == nil {
			return false
		}
	}
	return true
}

// gemmJob holds one Sgemm call: its operands, the blocking chosen for it,
// and the state the threads share. Jobs are recycled (gemmJobs), and run is
// the work method bound once when a job is made, so a call allocates
// nothing (a closure or method value made per call would escape to the
// pool and be allocated each time).
type gemmJob struct {
	pl             *gemmPlan
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	a, b, c        []float32
	lda, ldb, ldc  int
	boff           []int // SgemmRowsB: row r of B at b[boff[r]:] (gemm_rows.go); nil: B is b, rows ldb apart

	kc, nPc  int // depth of one rank-KC update (balanced: K = nPc blocks of <= kc) and their count
	nc       int // columns per jc block
	direct   bool
	rowCopy  bool // full A panels not read in place are row copies (useRowCopy)
	bIn      bool // full B panels are read in place (useBInPlace)
	jc, nb   int  // current jc block: first column and width
	nPan     int  // B micro-panels across the block
	mPan     int  // rows of tiles
	rb       int  // rows of tiles per row block
	unitPans int  // B panels per unit of work (gp)
	nG       int  // panel groups across the block
	units    int
	ownB     bool // one row block: each unit packs its B panels into its own buffer
	batch    int  // units claimed at a time (each claim is an atomic add)
	threads  int

	bb    *[]float32      // scratch holding bbuf, nil until a block needs it
	bbuf  []float32       // packed B block: panel (s, q) at s*kc*nPan*NR + q*kb_s*NR
	ready []atomic.Uint32 // per panel (s*nPan + q): panelUnpacked, panelPacking, panelReady
	// next, the next unclaimed unit, sits on a cache line of its own, so
	// that claiming units does not evict the fields above from the other
	// threads' caches.
	_    [64]byte
	next atomic.Int64
	_    [64]byte

	run func(lo, hi int)
}

const (
	panelUnpacked = iota
	panelPacking
	panelReady
)

var gemmJobs = sync.Pool{New: func() any {
	j := new(gemmJob)
	j.run = j.work
	return j
}}

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
	j := gemmJobs.Get().(*gemmJob)
	*j = gemmJob{pl: pl, transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, beta: beta,
		a: a, b: b, c: c, lda: lda, ldb: ldb, ldc: ldc, threads: threads,
		ready: j.ready, run: j.run}
	j.plan()
	for j.jc = 0; j.jc < n; j.jc += j.nc {
		j.block(min(j.nc, n-j.jc))
	}
	if j.bb != nil {
		PutScratch(j.bb)
	}
	j.a, j.b, j.c, j.bbuf, j.bb = nil, nil, nil, nil, nil // drop the caller's memory
	gemmJobs.Put(j)
}

// plan settles the blocking of this product: KC balanced so that the K
// blocks are equal (K = 512 with KC 464 would leave a 48-deep block, whose
// per-tile costs are amortised over almost nothing), and NC cut so that the
// whole packed K x NC block stays within the plan's budget.
func (j *gemmJob) plan() {
	pl, nr := j.pl, j.pl.kern.nr
	j.nPc = (j.k + pl.kc - 1) / pl.kc
	j.kc = (j.k + j.nPc - 1) / j.nPc
	budget := pl.bmax
	if budget == 0 {
		budget = pl.kc * pl.nc
	}
	j.nc = max(nr, min(pl.nc, budget/j.k/nr*nr))
}

// block computes C[:, jc:jc+nb] on the pool.
func (j *gemmJob) block(nb int) {
	mr, nr := j.pl.kern.mr, j.pl.kern.nr
	j.nb = nb
	j.nPan = (nb + nr - 1) / nr
	j.mPan = (j.m + mr - 1) / mr
	j.direct = useDirect(j.pl, j.transA, j.lda, j.nPan)
	j.rowCopy = useRowCopy(j.pl, j.transA, j.direct)
	// Units of work. Where all of M fits one row block (its MC x KC block
	// of A micro-panels within a third of L2), a unit is a group of B
	// panels over all of M: each B panel is packed into the unit's own
	// buffer, stays in L1 while the kernel runs down all the rows of tiles
	// (A from L2), and is read from memory only once (BLIS's order; the
	// small-M products of convolutions, where packing B into a shared
	// block in L3 cost 15-20%). Otherwise a unit is one row of tiles (or
	// part of one: skinny M split over N) over a shared packed B block,
	// while its A micro-panel stays in L1: with a B panel of 32 KiB (KC =
	// 256 is fixed), streaming 12-row A panels from L2 past it thrashes
	// L1, which measured 9% slower on 1024³.
	j.rb, j.ownB = 1, false
	gp := j.nPan
	if j.mPan*mr <= j.pl.mc {
		gp = max(1, min(j.nPan, j.pl.ncu/nr))
		if want := 2 * j.threads; j.threads > 1 && (j.nPan+gp-1)/gp < want {
			gp = (j.nPan + min(j.nPan, want) - 1) / min(j.nPan, want)
		}
		if (j.nPan+gp-1)/gp >= j.threads {
			j.rb, j.ownB = j.mPan, true
		} else {
			gp = j.nPan
		}
	}
	if !j.ownB {
		if want := 2 * j.threads; j.threads > 1 && j.mPan < want {
			groups := min(j.nPan, (want+j.mPan-1)/j.mPan)
			gp = (j.nPan + groups - 1) / groups
		}
	}
	if j.boff != nil {
		j.bIn = useBOffsInPlace(j.pl, j.ownB)
	} else {
		j.bIn = useBInPlace(j.pl, j.transB, j.ownB, j.ldb, j.kc)
	}
	j.unitPans = gp
	j.nG = (j.nPan + gp - 1) / gp
	j.units = (j.mPan + j.rb - 1) / j.rb * j.nG
	unitFlops := 2 * j.rb * mr * nr * j.unitPans * j.k
	j.batch = max(1, min((256<<10)/unitFlops, j.units/(8*j.threads)))
	if !j.ownB {
		if j.bb == nil {
			j.bb = GetScratch(j.kc * j.nPc * roundUp(min(j.nc, j.n), nr))
			j.bbuf = *j.bb
		}
		panels := j.nPc * j.nPan
		if cap(j.ready) < panels {
			j.ready = make([]atomic.Uint32, panels)
		}
		j.ready = j.ready[:panels]
		for i := range j.ready {
			j.ready[i].Store(panelUnpacked)
		}
	}
	j.next.Store(0)
	workers := min(j.threads, j.units)
	ParallelNLinger(workers, 1, workers, gemmLinger, j.run)
}

// work is one thread's share of a block: it claims units until none is left.
func (j *gemmJob) work(_, _ int) {
	mr, nr := j.pl.kern.mr, j.pl.kern.nr
	// Scratch: the A micro-panels of a row block, an edge tile, and a B
	// panel of our own.
	as := j.rb * mr * (j.kc + rowCopyPad) // room for row copies too
	ab := GetScratch(as + mr*nr + j.kc*nr)
	ablk, tile, own := (*ab)[:as], (*ab)[as:as+mr*nr], (*ab)[as+mr*nr:]
	for {
		u0 := int(j.next.Add(int64(j.batch))) - j.batch
		if u0 >= j.units {
			break
		}
		j.compute(u0, min(u0+j.batch, j.units), ablk, tile, own)
	}
	PutScratch(ab)
}

// compute runs units [u0, u1): unit u is the tiles (ir, q) of the current
// block for ir in its row block and q in its panel group, over all of K:
//
//	for each rank-KC update s:
//	  pack the A micro-panels of the row block (those not read in place)
//	  for q in the group:
//	    get B panel (s, q): packed into the unit's own buffer (BLIS's order),
//	      or from the shared block, packed by the first thread to need it
//	    for ir in the row block: kernel(A panel (ir, s), B panel, C tile (ir, q))
//
// In BLIS's order the row block is all of M, so the B panel stays in L1
// while the A panels come from L2; in the other the row block is one row
// of tiles, whose A panel stays in L1 while the B panels stream past.
func (j *gemmJob) compute(u0, u1 int, ablk, tile, own []float32) {
	// Everything in locals: the kernels are called through func values,
	// after which the compiler would reload every field of j.
	kern := &j.pl.kern
	mr, nr := kern.mr, kern.nr
	a, lda, c, ldc, alpha, beta := j.a, j.lda, j.c, j.ldc, j.alpha, j.beta
	jc, nb, nPan, nPc, kc, k, m := j.jc, j.nb, j.nPan, j.nPc, j.kc, j.k, j.m
	rb, nG, gp, ownB, direct0, rowCopy, bIn := j.rb, j.nG, j.unitPans, j.ownB, j.direct, j.rowCopy, j.bIn
	b, ldb := j.b, j.ldb
	// A micro-panel t of the row block sits at ablk[(t-t0)*ps:]; a row
	// copy's rows are ldr apart.
	ldr := kc + rowCopyPad
	ps := mr * ldr
	// The edge kernel for the last row of tiles, if M is not a multiple of
	// MR: the smallest with at least M mod MR rows.
	efn, efnB, efnO, emr := kern.fn, kern.fnB, kern.fnO, mr
	if rows := m % mr; rows != 0 {
		for e := range kern.edges {
			if kern.edges[e].mr >= rows {
				efn, efnB, efnO, emr = kern.edges[e].fn, kern.edges[e].fnB, kern.edges[e].fnO, kern.edges[e].mr
				break
			}
		}
	}
	for u := u0; u < u1; u++ {
		ib, g := u/nG, u%nG
		t0, t1 := ib*rb, min(j.mPan, (ib+1)*rb)
		q0, q1 := g*gp, min(nPan, (g+1)*gp)
		for s := 0; s < nPc; s++ {
			pc := s * kc
			kb := min(kc, k-pc)
			bet := beta
			if s > 0 {
				bet = 1
			}
			// The A micro-panels of the row block not read in place.
			for t := t0; t < t1; t++ {
				i := t * mr
				rows := min(mr, m-i)
				if direct0 && rows == mr {
					continue
				}
				apan := ablk[(t-t0)*ps:]
				if rowCopy && rows == mr {
					for r := 0; r < mr; r++ {
						copy(apan[r*ldr:r*ldr+kb], a[(i+r)*lda+pc:(i+r)*lda+pc+kb])
					}
					continue
				}
				pmr := mr
				if rows < mr {
					pmr = emr
				}
				if kern.packA != nil {
					kern.packA(j.transA, a, lda, i, rows, pc, kb, pmr, apan)
				} else {
					packA(j.transA, a, lda, i, rows, pc, kb, pmr, apan)
				}
			}
			// In the shared-block order, threads working side by side start
			// their sweeps at different panels, so that they pack different
			// panels instead of queueing on one.
			first := q0
			if !ownB && j.threads > 1 {
				first += (u % j.threads) * (q1 - q0) / j.threads
			}
			// A full row of tiles against the shared packed block: runs of
			// full panels that lie one after another in it go to the
			// kernel's multi-tile form in one call (directN).
			i0 := t0 * mr
			useN := !ownB && (direct0 || rowCopy) && kern.directN != nil && t1 == t0+1 && m-i0 >= mr
			runQ, runN := 0, 0
			flush := func() {
				if runN == 0 {
					return
				}
				arows, alda := j.rowsA(t0, t0, 1, pc, kb, ablk)
				off := s*kc*nPan*nr + runQ*kb*nr
				c0 := i0*ldc + jc + runQ*nr
				kern.directN(kb, arows, alda, j.bbuf[off:off+runN*kb*nr], c[c0:c0+(mr-1)*ldc+runN*nr], ldc, alpha, bet, runN)
				runN = 0
			}
			for x := range q1 - q0 {
				q := first + x
				if q >= q1 {
					q -= q1 - q0
				}
				col := jc + q*nr
				cols := min(nr, nb-q*nr)
				if useN && cols == nr {
					if j.ready[s*nPan+q].Load() != panelReady {
						off := s*kc*nPan*nr + q*kb*nr
						if bp := j.packedB(s, q, pc, kb, own); &bp[0] != &j.bbuf[off] {
							// Packed into our own buffer (another thread was
							// packing it into the block): this tile alone.
							flush()
							arows, alda := j.rowsA(t0, t0, 1, pc, kb, ablk)
							kern.direct(kb, arows, alda, bp, c[i0*ldc+col:(i0+mr-1)*ldc+col+nr], ldc, alpha, bet)
							continue
						}
					}
					if runN > 0 && q == runQ+runN {
						runN++
						continue
					}
					flush()
					runQ, runN = q, 1
					continue
				}
				flush()
				var bpan []float32
				if ownB && bIn && cols == nr {
					// B in place: rows pc..pc+kb of B, 32 columns each.
					if j.boff != nil {
						j.tilesBOffs(t0, t1, pc, kb, b[col:], j.boff[pc:pc+kb], c[col:], efnO, emr, tile, ablk, bet)
						continue
					}
					j.tilesBInPlace(t0, t1, pc, kb, b[pc*ldb+col:(pc+kb-1)*ldb+col+nr], c[col:], efnB, emr, tile, ablk, bet)
					continue
				}
				if ownB {
					bpan = own[:kb*nr]
					j.packBPanel(pc, kb, q, bpan)
				} else {
					bpan = j.bbuf[s*kc*nPan*nr+q*kb*nr : s*kc*nPan*nr+(q+1)*kb*nr]
					if j.ready[s*nPan+q].Load() != panelReady {
						bpan = j.packedB(s, q, pc, kb, own)
					}
				}
				for t := t0; t < t1; t++ {
					i := t * mr
					rows := min(mr, m-i)
					direct := (direct0 || rowCopy) && rows == mr
					fn, tmr := kern.fn, mr
					if rows < mr {
						fn, tmr = efn, emr
					}
					apan := ablk[(t-t0)*ps : (t-t0)*ps+tmr*kb]
					var arows []float32
					alda := lda
					if direct { // in place, or a row copy
						arows, alda = j.rowsA(t0, t, 1, pc, kb, ablk)
					}
					switch {
					case rows == mr && 2*cols <= nr && kern.half != nil:
						// A last panel at most half full: the half-width
						// kernel, into C if it fills it, else into the tile.
						if 2*cols == nr {
							cdst := c[i*ldc+col : (i+mr-1)*ldc+col+cols]
							if direct {
								kern.halfDirect(kb, arows, alda, bpan, cdst, ldc, alpha, bet)
							} else {
								kern.half(kb, apan, bpan, cdst, ldc, alpha, bet)
							}
							continue
						}
						if direct {
							kern.halfDirect(kb, arows, alda, bpan, tile, nr, alpha, 0)
						} else {
							kern.half(kb, apan, bpan, tile, nr, alpha, 0)
						}
					case rows == tmr && cols == nr:
						cdst := c[i*ldc+col : (i+tmr-1)*ldc+col+nr]
						if direct {
							kern.direct(kb, arows, alda, bpan, cdst, ldc, alpha, bet)
						} else {
							fn(kb, apan, bpan, cdst, ldc, alpha, bet)
						}
						continue
					case direct:
						kern.direct(kb, arows, alda, bpan, tile, nr, alpha, 0)
					default:
						fn(kb, apan, bpan, tile, nr, alpha, 0)
					}
					mergeTile(c[i*ldc+col:], ldc, tile, nr, rows, cols, bet)
				}
			}
			flush()
		}
	}
}

// rowsA returns rows of tiles [t, t+n) of the row block that starts at
// tile t0, K block [pc, pc+kb), as the direct kernels read A: in place, lda
// apart, or the row copies in ablk, KC+rowCopyPad apart.
func (j *gemmJob) rowsA(t0, t, n, pc, kb int, ablk []float32) ([]float32, int) {
	mr := j.pl.kern.mr
	if j.direct {
		i0, i1 := t*mr, (t+n)*mr-1
		return j.a[i0*j.lda+pc : i1*j.lda+pc+kb], j.lda
	}
	ldr := j.kc + rowCopyPad
	o := (t - t0) * mr * ldr
	return ablk[o : o+(n*mr-1)*ldr+kb], ldr
}

// tilesBInPlace runs the tiles of rows of tiles [t0, t1) for K block
// [pc, pc+kb) against one full B panel read in place (bsrc: kb rows of B,
// j.ldb apart), into cc (C from the panel's first column): compute's tile
// loop for a full panel, with the kernels' B variants (efnB, emr: the edge
// kernel's). The A micro-panels are read as compute left them: in place,
// or row copies or packed panels in ablk.
func (j *gemmJob) tilesBInPlace(t0, t1, pc, kb int, bsrc, cc []float32,
	efnB func(k int, a, b []float32, ldb int, c []float32, ldc int, alpha, beta float32), emr int,
	tile, ablk []float32, bet float32) {
	kern := &j.pl.kern
	mr, nr := kern.mr, kern.nr
	ldb, ldc, alpha, m := j.ldb, j.ldc, j.alpha, j.m
	ps := mr * (j.kc + rowCopyPad) // a packed or copied A panel's floats, as in compute
	// The full rows of tiles in one call of the multi-row kernel.
	from := t0
	if tf := min(t1, m/mr); tf > t0 && (j.direct || j.rowCopy) && kern.directBN != nil {
		n := tf - t0
		i0, i1 := t0*mr, (tf-1)*mr // first rows of the first and the last tile
		arows, alda := j.rowsA(t0, t0, n, pc, kb, ablk)
		kern.directBN(kb, arows, alda, bsrc, ldb, cc[i0*ldc:(i1+mr-1)*ldc+nr], ldc, alpha, bet, n)
		from = tf
	}
	for t := from; t < t1; t++ {
		i := t * mr
		rows := min(mr, m-i)
		if rows == mr && (j.direct || j.rowCopy) {
			arows, alda := j.rowsA(t0, t, 1, pc, kb, ablk)
			kern.directB(kb, arows, alda, bsrc, ldb, cc[i*ldc:(i+mr-1)*ldc+nr], ldc, alpha, bet)
			continue
		}
		fnB, tmr := kern.fnB, mr
		if rows < mr {
			fnB, tmr = efnB, emr
		}
		apan := ablk[(t-t0)*ps : (t-t0)*ps+tmr*kb]
		if rows == tmr {
			fnB(kb, apan, bsrc, ldb, cc[i*ldc:(i+tmr-1)*ldc+nr], ldc, alpha, bet)
			continue
		}
		fnB(kb, apan, bsrc, ldb, tile, nr, alpha, 0)
		mergeTile(cc[i*ldc:], ldc, tile, nr, rows, nr, bet)
	}
}

// tilesBOffs is tilesBInPlace for a rows-B product: the full B panel's
// row p at bsrc[boff[p]:] (bsrc from the panel's first column), read in
// place by the kernels' O variants (efnO: the edge kernel's).
func (j *gemmJob) tilesBOffs(t0, t1, pc, kb int, bsrc []float32, boff []int, cc []float32,
	efnO func(k int, a, b []float32, boff []int, c []float32, ldc int, alpha, beta float32), emr int,
	tile, ablk []float32, bet float32) {
	kern := &j.pl.kern
	mr, nr := kern.mr, kern.nr
	ldc, alpha, m := j.ldc, j.alpha, j.m
	ps := mr * (j.kc + rowCopyPad) // as in compute
	// The full rows of tiles in one call, as tilesBInPlace.
	from := t0
	if tf := min(t1, m/mr); tf > t0 && (j.direct || j.rowCopy) && kern.directON != nil {
		n := tf - t0
		i0, i1 := t0*mr, (tf-1)*mr
		arows, alda := j.rowsA(t0, t0, n, pc, kb, ablk)
		kern.directON(kb, arows, alda, bsrc, boff, cc[i0*ldc:(i1+mr-1)*ldc+nr], ldc, alpha, bet, n)
		from = tf
	}
	for t := from; t < t1; t++ {
		i := t * mr
		rows := min(mr, m-i)
		if rows == mr && (j.direct || j.rowCopy) {
			arows, alda := j.rowsA(t0, t, 1, pc, kb, ablk)
			kern.directO(kb, arows, alda, bsrc, boff, cc[i*ldc:(i+mr-1)*ldc+nr], ldc, alpha, bet)
			continue
		}
		fnO, tmr := kern.fnO, mr
		if rows < mr {
			fnO, tmr = efnO, emr
		}
		apan := ablk[(t-t0)*ps : (t-t0)*ps+tmr*kb]
		if rows == tmr {
			fnO(kb, apan, bsrc, boff, cc[i*ldc:(i+tmr-1)*ldc+nr], ldc, alpha, bet)
			continue
		}
		fnO(kb, apan, bsrc, boff, tile, nr, alpha, 0)
		mergeTile(cc[i*ldc:], ldc, tile, nr, rows, nr, bet)
	}
}

// mergeTile adds the first rows x cols of a scratch tile (rows nr apart)
// into C (rows ldc apart): C = tile + bet*C, C not read when bet == 0. The
// tiles that overhang C are computed there first.
func mergeTile(c []float32, ldc int, tile []float32, nr, rows, cols int, bet float32) {
	for r := 0; r < rows; r++ {
		crow := c[r*ldc : r*ldc+cols]
		trow := tile[r*nr : r*nr+cols]
		if bet == 0 {
			copy(crow, trow)
		} else {
			for jj, v := range trow {
				crow[jj] = v + bet*crow[jj]
			}
		}
	}
}

// packBPanel packs B micro-panel (s, q) of the current block,
// opB[pc:pc+kb, jc+q*NR : jc+(q+1)*NR], into dst.
func (j *gemmJob) packBPanel(pc, kb, q int, dst []float32) {
	nr := j.pl.kern.nr
	if j.boff != nil {
		packBRows(j.b, j.boff, pc, kb, j.jc+q*nr, min(nr, j.nb-q*nr), nr, dst)
	} else if pb := j.pl.kern.packB; pb != nil {
		pb(j.transB, j.b, j.ldb, pc, kb, j.jc+q*nr, min(nr, j.nb-q*nr), nr, dst)
	} else {
		packB(j.transB, j.b, j.ldb, pc, kb, j.jc+q*nr, min(nr, j.nb-q*nr), nr, dst)
	}
}

// packedB returns B micro-panel (s, q) of the current block,
// opB[pc:pc+kb, jc+q*NR : jc+(q+1)*NR], packing it first if no thread has.
// If another thread is packing it at this moment, it is packed again into
// own (this thread's scratch panel) rather than waited for: on a busy
// machine the other thread may be descheduled mid-copy for a whole time
// slice, and spinning on it would burn this core meanwhile. The copy is
// identical, so the result does not change.
func (j *gemmJob) packedB(s, q, pc, kb int, own []float32) []float32 {
	nr := j.pl.kern.nr
	off := s*j.kc*j.nPan*nr + q*kb*nr
	pan := j.bbuf[off : off+kb*nr]
	st := &j.ready[s*j.nPan+q]
	if st.Load() == panelReady {
		return pan
	}
	if !st.CompareAndSwap(panelUnpacked, panelPacking) {
		if st.Load() == panelReady {
			return pan
		}
		pan = own[:kb*nr]
	}
	j.packBPanel(pc, kb, q, pan)
	if &pan[0] != &own[0] {
		st.Store(panelReady)
	}
	return pan
}
