//go:build !amd64 || purego

package ops

// Without assembly the Winograd transforms run their Go twins.
var winoWKernel, winoInKernel, winoOutKernel func([]float32, int, []float32, int, int)

var winoW4Kernel, winoIn4Kernel, winoOut4Kernel func([]float32, int, []float32, int, int)

var winoOutT4Kernel func([]float32, int, []float32, int, int)
