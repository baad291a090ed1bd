//go:build !amd64 || purego

package ops

// Without assembly the update kernels are the Go loops of optim.go.
func asmOptKernels() []optKernels { return nil }
