package ops

import "os"

// Kernel dispatch, decided once at package initialisation.
//
// asmGemmKernels (gemm_amd64.go, or gemm_noasm.go under the purego tag and
// on other architectures) lists the assembly micro-kernels this CPU can run,
// best first; golang.org/x/sys/cpu tells which instruction sets the CPU and
// the OS support. MULTILABEL_NOASM=1 in the environment forces the pure-Go
// kernel, which is also the fallback when no assembly kernel applies.

// noasm reports whether MULTILABEL_NOASM=1 was set when the program started.
var noasm = os.Getenv("MULTILABEL_NOASM") == "1"

// activeGemm is the micro-kernel Sgemm uses, with its cache blocking.
var activeGemm = newGemmPlan(pickKernel())

func pickKernel() gemmKernel {
	if ks := asmGemmKernels(); len(ks) > 0 && !noasm {
		return ks[0]
	}
	return goKernel
}

// GemmKernel names the micro-kernel Sgemm dispatches to (for example
// "avx512_12x32", "avx2_6x16" or "go4x4"), for logs and benchmarks.
func GemmKernel() string { return activeGemm.kern.name }

// GemmKernelFor names the micro-kernel Sgemm runs for a product with n
// columns: the main kernel or its narrow companion (avx512_12x24 for n = 24).
func GemmKernelFor(n int) string { return activeGemm.forN(n).kern.name }

// gemmPlan is a micro-kernel together with its cache blocking:
//
//	KC:   depth of one rank-KC update: gemmKC, the same constant for every
//	      kernel on every machine, because it fixes the summation order (see
//	      gemmKC). A product balances it so that K splits into equal blocks
//	      of at most KC.
//	NC:   columns of the packed B block, at most 4096.
//	bmax: floats of packed B a product may hold at once: the whole K x NC
//	      block is packed (lazily, by the threads that use it), and NC is cut
//	      for large K so that it stays within a quarter of L3, read from
//	      there once per row block.
//	MC:   the most rows of A a product may have for the BLIS loop order
//	      (gemm_blocked.go, block): its MC x KC block of A micro-panels
//	      takes a third of L2 (336 rows with 1 MiB), and each B panel, once
//	      in L1, serves all its rows of tiles.
//	NCU:  columns of C per unit of work in that order: the MC x NCU block
//	      of C takes a quarter of L2 across the rank-KC updates.
//
// NC, bmax, MC and NCU may follow the cache sizes: they decide which thread
// computes which tile and when, never the operations that produce an
// element. KC and NC are multiples of 16 and NR, MC of MR. (MC measured
// best at a third of L2 on Zen 5 with the convolution shapes of ResNet-50:
// at a quarter the 256-row products missed the BLIS order, at a half the
// 384-512-row ones with large K ran it 10-25% slower.)
type gemmPlan struct {
	kern   gemmKernel
	kc, nc int
	bmax   int // 0: kc*nc
	mc     int // rows of A per row block (0: MR)
	ncu    int // columns of C per unit of work (0: NR)
	// packOnly makes every row of tiles pack A (tests: the packed path
	// must be covered on shapes where the direct one would run).
	packOnly bool
	// rowCopy makes every full A panel a row copy (tests: that path must
	// be covered on shapes where reading in place would run).
	rowCopy bool
	// packB makes every B panel packed, never read in place (tests and
	// benchmarks: both paths must be covered on the same shapes).
	packB bool
	// bCrowd, when not 0: B is packed, not read in place, where more than
	// this many rows of a K block share an L1d set (useBInPlace).
	bCrowd int
	narrow *gemmPlan // plan of kern.narrow, if any
}

// forN returns the plan to use for a product with n columns: the narrow
// companion when it pads n to fewer columns than the main kernel.
func (pl *gemmPlan) forN(n int) *gemmPlan {
	if pl.narrow != nil && roundUp(n, pl.narrow.kern.nr) < roundUp(n, pl.kern.nr) {
		return pl.narrow
	}
	return pl
}

// gemmKC is the depth of one rank-KC update, for every kernel on every
// machine. It fixes the summation order of every element of C: K is cut
// into nPc = ceil(K/gemmKC) equal blocks (the last may be shorter by less
// than nPc), each block's products are summed in k order by one fused
// multiply-add chain, and the block sums are added to C in block order.
// A KC derived from the cache sizes (it once was 70% of L1d) made the
// results, and then a whole training run, differ from one CPU to the next.
// 256 keeps the 12 x KC A micro-panel at 12 KiB, within L1d on every x86
// core of the last decade (32-48 KiB), with room for the streamed B panel.
const gemmKC = 256

// Cache sizes assumed when cpuid cannot tell (typical of x86 cores today).
const (
	defaultL2 = 1 << 20
	defaultL3 = 8 << 20
)

func newGemmPlan(k gemmKernel) gemmPlan {
	l2, l3 := l2Size(), l3Size()
	if l2 <= 0 {
		l2 = defaultL2
	}
	if l3 <= 0 {
		l3 = defaultL3
	}
	pl := planFor(k, l2, l3)
	if k.narrow != nil {
		np := planFor(*k.narrow, l2, l3)
		pl.narrow = &np
	}
	return pl
}

// planFor derives the M/N blocking from the L2 and L3 sizes in bytes; KC is
// the fixed gemmKC.
func planFor(k gemmKernel, l2, l3 int) gemmPlan {
	const f = 4 // bytes per float32
	nc := 4096 - 4096%k.nr
	bmax := max(gemmKC*4*k.nr, l3/4/f)
	mc := max(k.mr, l2/3/f/gemmKC/k.mr*k.mr)
	ncu := max(k.nr, l2/4/f/mc/k.nr*k.nr)
	pl := gemmPlan{kern: k, kc: gemmKC, nc: nc, bmax: bmax, mc: mc, ncu: ncu}
	if k.nr == 16 { // the AVX2 kernel: measured on Zen 3 (useBInPlace)
		pl.bCrowd = 16
	}
	return pl
}
