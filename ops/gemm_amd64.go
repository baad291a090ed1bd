//go:build amd64 && !purego

package ops

// asmGemmKernels lists the assembly micro-kernels this CPU supports, best
// first.
func asmGemmKernels() []gemmKernel { return nil }
