//go:build !amd64 || purego

package ops

// Without assembly (the purego build tag, or an architecture other than
// amd64) the element-wise kernels are the Go loops of vecmath.go.
func asmVecKernels() []vecKernels { return nil }
