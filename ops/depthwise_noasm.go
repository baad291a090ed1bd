//go:build !amd64 || purego

package ops

// Without assembly the depthwise ops use the pure-Go kernels.
func asmDWKernels() *dwKernels { return nil }

func asmDWKernelSets() []*dwKernels { return nil }
