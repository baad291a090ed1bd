//go:build !amd64 || purego

package ops

// Without assembly there are no int8 kernels: I8Available reports false
// and I8Gemm runs the pure-Go twin.
func asmI8Kernels() []i8Kernel { return nil }

func i8PackAsm(nr int, dst []byte, stride int, x []float32, ld, n4, cols int, invS, lo, hi float32, z int32) int {
	return 0
}

const hasSiLU512 = false

func siluI8AVX512(y, x []float32, c *[16]uint32) { panic("ops: siluI8AVX512 without assembly") }
