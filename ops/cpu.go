package ops

import (
	"os"

	"github.com/klauspost/cpuid/v2"
)

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
//	KC:   depth of one rank-KC update; the MR x KC micro-panel of A that one
//	      kernel call broadcasts from stays in L1d (70% of it) while the
//	      kernel sweeps across the B panels. A product balances it so that
//	      K splits into equal blocks of at most KC.
//	NC:   columns of the packed B block, at most 4096.
//	bmax: floats of packed B a product may hold at once: the whole K x NC
//	      block is packed (lazily, by the threads that use it), and NC is cut
//	      for large K so that it stays within a quarter of L3, streamed from
//	      there once per row of tiles while the A panel sits in L1 (2048³
//	      ran at 100, 105 and 86-93 GFLOPS with an eighth, a quarter and
//	      half of the 32 MiB L3 of Zen 4).
//
// KC and NC are multiples of 16 and NR. Our loop order (rows of tiles
// outside, B panels inside) is BLIS's with the roles of A and B swapped,
// because our kernels broadcast from A and load vectors from B; so our A
// micro-panel plays the part of BLIS's B micro-panel (the L1-resident one).
type gemmPlan struct {
	kern   gemmKernel
	kc, nc int
	bmax   int // 0: kc*nc
	// packOnly makes every row of tiles pack A (tests: the packed path
	// must be covered on shapes where the direct one would run).
	packOnly bool
	narrow   *gemmPlan // plan of kern.narrow, if any
}

// forN returns the plan to use for a product with n columns: the narrow
// companion when it pads n to fewer columns than the main kernel.
func (pl *gemmPlan) forN(n int) *gemmPlan {
	if pl.narrow != nil && roundUp(n, pl.narrow.kern.nr) < roundUp(n, pl.kern.nr) {
		return pl.narrow
	}
	return pl
}

// Cache sizes assumed when cpuid cannot tell (typical of x86 cores today).
const (
	defaultL1D = 32 << 10
	defaultL3  = 8 << 20
)

func newGemmPlan(k gemmKernel) gemmPlan {
	l1, l3 := cpuid.CPU.Cache.L1D, cpuid.CPU.Cache.L3
	if l1 <= 0 {
		l1 = defaultL1D
	}
	if l3 <= 0 {
		l3 = defaultL3
	}
	pl := planFor(k, l1, l3)
	if k.narrow != nil {
		np := planFor(*k.narrow, l1, l3)
		pl.narrow = &np
	}
	return pl
}

// planFor derives the blocking from the cache sizes in bytes, clamped to
// ranges where the kernels stay efficient even if cpuid reports odd sizes.
func planFor(k gemmKernel, l1, l3 int) gemmPlan {
	const f = 4 // bytes per float32
	kc := clampInt(l1*7/10/(f*k.mr), 64, 640) &^ 15
	nc := 4096 - 4096%k.nr
	bmax := max(kc*4*k.nr, l3/4/f)
	return gemmPlan{kern: k, kc: kc, nc: nc, bmax: bmax}
}

func clampInt(x, lo, hi int) int {
	return max(lo, min(x, hi))
}
