//go:build amd64 && !purego

package ops

import "golang.org/x/sys/cpu"

// Assembly twins of the update kernels (optim_amd64.s). Each takes slices
// of one common length (the Go wrapper in optim.go has checked it) and
// covers all of it, the tail with masked loads and stores; the stub's doc
// comment in the .s file is the Go loop it computes.

//go:noescape
func adamWAVX512(data, grad, m, v []float32, decay, b1, c1, b2, c2, bc2, eps, step float32)

//go:noescape
func adamWAVX2(data, grad, m, v []float32, decay, b1, c1, b2, c2, bc2, eps, step float32)

//go:noescape
func sgdAVX512(data, grad []float32, lr, wd float32)

//go:noescape
func sgdAVX2(data, grad []float32, lr, wd float32)

//go:noescape
func sgdMomentumAVX512(data, grad, buf []float32, lr, wd, mu float32, fresh, nesterov bool)

//go:noescape
func sgdMomentumAVX2(data, grad, buf []float32, lr, wd, mu float32, fresh, nesterov bool)

//go:noescape
func axpbyAVX512(y, x []float32, a, b float32)

//go:noescape
func axpbyAVX2(y, x []float32, a, b float32)

//go:noescape
func samPerturbAVX512(data, grad []float32, scale float64, adaptive bool)

//go:noescape
func samPerturbAVX2(data, grad []float32, scale float64, adaptive bool)

//go:noescape
func maxAbsBitsAVX512(x []float32) uint32

//go:noescape
func maxAbsBitsAVX2(x []float32) uint32

var avx512Opt = optKernels{
	name:       "avx512",
	adamW:      adamWAVX512,
	sgd:        sgdAVX512,
	sgdM:       sgdMomentumAVX512,
	axpby:      axpbyAVX512,
	samPerturb: samPerturbAVX512,
	maxAbsBits: maxAbsBitsAVX512,
}

var avx2Opt = optKernels{
	name:       "avx2",
	adamW:      adamWAVX2,
	sgd:        sgdAVX2,
	sgdM:       sgdMomentumAVX2,
	axpby:      axpbyAVX2,
	samPerturb: samPerturbAVX2,
	maxAbsBits: maxAbsBitsAVX2,
}

// asmOptKernels lists the assembly implementations this CPU and OS
// support, best first (the same tests as asmVecKernels).
func asmOptKernels() []optKernels {
	var ks []optKernels
	avx2 := cpu.X86.HasAVX2 && cpu.X86.HasFMA
	if avx2 && cpu.X86.HasAVX512F && cpu.X86.HasAVX512DQ && cpu.X86.HasBMI2 {
		ks = append(ks, avx512Opt)
	}
	if avx2 {
		ks = append(ks, avx2Opt)
	}
	return ks
}
