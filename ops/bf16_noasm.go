//go:build !amd64 || purego

package ops

// Without assembly there are no bf16 kernels: bf16 products fall back to
// float32 (BF16Available reports false).
const haveBF16Asm = false

func asmBF16Kernels() []gemmKernel { return nil }

func bf16PackPairs(dst []float32, stride int, lo, hi []float32, ld, n int, mask uint16) {
	panic("ops: bf16PackPairs without assembly")
}

func bf16Transpose(r int) func(dst []float32, src []uint16, nq int) { return nil }

func bf16Convert(dst []uint16, src []float32) { panic("ops: bf16Convert without assembly") }

func bf16Dot16(acc, a, b []float32) { panic("ops: bf16Dot16 without assembly") }
