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

// gemmPlan is a micro-kernel together with its cache blocking:
//
//	KC: depth of one rank-KC update; the MR x KC micro-panel of A that one
//	    kernel call broadcasts from stays in L1d (70% of it) while the
//	    kernel sweeps across the B block.
//	NC: columns of the packed B block (KC x NC). It is streamed once per A
//	    micro-panel, from L2 or L3: it takes at most an eighth of L3, and is
//	    large so that A, packed once per (jc, pc) block, is packed rarely.
//	MC: rows of A in one parallel work unit, an MC x KC slab of packed A
//	    per quarter of L2. A is packed one MR micro-panel at a time, right
//	    before use (so it is hot in L1), so MC only sets how much work a
//	    worker takes at once.
//
// KC, MC and NC are multiples of 16, MR and NR respectively. Our loop order
// (ir outside jr) is BLIS's with the roles of A and B swapped, because our
// kernels broadcast from A and load vectors from B; so our A micro-panel
// plays the part of BLIS's B micro-panel (the L1-resident one).
type gemmPlan struct {
	kern       gemmKernel
	kc, mc, nc int
	narrow     *gemmPlan // plan of kern.narrow, if any
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
	defaultL2  = 1 << 20
	defaultL3  = 8 << 20
)

func newGemmPlan(k gemmKernel) gemmPlan {
	l1, l2, l3 := cpuid.CPU.Cache.L1D, cpuid.CPU.Cache.L2, cpuid.CPU.Cache.L3
	if l1 <= 0 {
		l1 = defaultL1D
	}
	if l2 <= 0 {
		l2 = defaultL2
	}
	if l3 <= 0 {
		l3 = defaultL3
	}
	pl := planFor(k, l1, l2, l3)
	if k.narrow != nil {
		np := planFor(*k.narrow, l1, l2, l3)
		pl.narrow = &np
	}
	return pl
}

// planFor derives the blocking from the cache sizes in bytes, clamped to
// ranges where the kernels stay efficient even if cpuid reports odd sizes.
func planFor(k gemmKernel, l1, l2, l3 int) gemmPlan {
	const f = 4 // bytes per float32
	kc := clampInt(l1*7/10/(f*k.mr), 64, 640) &^ 15
	nc := clampInt(l3/8/(f*kc), 4*k.nr, 4096)
	nc -= nc % k.nr
	mc := clampInt(l2/4/(f*kc), 4*k.mr, 2048)
	mc -= mc % k.mr
	return gemmPlan{kern: k, kc: kc, mc: mc, nc: nc}
}

func clampInt(x, lo, hi int) int {
	return max(lo, min(x, hi))
}
