//go:build !amd64 || purego

package ops

// Without assembly (the purego build tag, or an architecture other than
// amd64) there are no assembly micro-kernels: Sgemm uses the pure-Go one.
func asmGemmKernels() []gemmKernel { return nil }
