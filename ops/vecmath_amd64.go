//go:build amd64 && !purego

package ops

import "golang.org/x/sys/cpu"

// Assembly twins of the dispatched element-wise kernels (vecmath_amd64.s).
// Each takes slices of one common length n (the Go wrapper in vecmath.go
// has checked it) and covers all n elements, the tail with masked loads
// and stores; the stub's doc comment in the .s file is the Go loop it
// computes.

//go:noescape
func expAVX2(y, x []float32)

//go:noescape
func sigmoidAVX2(y, x []float32)

//go:noescape
func siluAVX2(y, x []float32)

//go:noescape
func sigmoidGradAVX2(gx, g, y []float32)

//go:noescape
func siluGradAVX2(gx, g, x []float32)

//go:noescape
func siluGradToAVX2(gx, g, x []float32)

//go:noescape
func mulAddAVX2(z, x, y []float32)

//go:noescape
func scaleShiftAVX2(y, x []float32, a, b float32)

//go:noescape
func sumAVX2(x []float32) float64

//go:noescape
func sumSqAVX2(x []float32, c float32) (s1, s2 float32)

//go:noescape
func sumSqPlanesAVX2(s1, s2, x []float32, hw int, c []float32)

//go:noescape
func sumDotPlanesAVX2(sg, sgx, g, x []float32, hw int, c []float32)

//go:noescape
func sumDotAVX2(g, x []float32, c float32) (sg, sgx float32)

// Plane-wise forms (vecmath_planes_avx2_amd64.s): each plane through the
// single-plane AVX2 kernel's instructions, one call for all planes.

//go:noescape
func scaleShiftSiLUPlanesAVX2(y, x []float32, hw int, a, b []float32)

//go:noescape
func scaleShiftSiLUGradPlanesAVX2(sg, sgx, gz, g, x []float32, hw int, a, b, c []float32)

//go:noescape
func scaleShiftPlanesAVX2(y, x []float32, hw int, a, b []float32)

//go:noescape
func combinePlanesAVX2(z, x, y []float32, hw int, a, b, c, d []float32)

//go:noescape
func combineAddPlanesAVX2(z, x, y []float32, hw int, a, b, c, d []float32)

//go:noescape
func scaleToPlanesAVX2(y, x []float32, hw int, a []float32)

//go:noescape
func axpyPlanesAVX2(y, x []float32, hw int, a []float32)

//go:noescape
func combineAVX2(z, x, y []float32, a, b, c, d float32)

//go:noescape
func combineAddAVX2(z, x, y []float32, a, b, c, d float32)

//go:noescape
func scaleShiftSiLUAVX2(y, x []float32, a, b float32)

//go:noescape
func scaleShiftLeakyAVX2(y, x []float32, a, b, slope float32)

//go:noescape
func scaleShiftSiLUGradAVX2(gz, g, x []float32, a, b, c float32) (sg, sgx float32)

//go:noescape
func scaleShiftLeakyGradAVX2(gz, g, x []float32, a, b, slope, c float32) (sg, sgx float32)

//go:noescape
func scaleAddAVX2(z, x []float32, a float32, y []float32)

//go:noescape
func scaleAddLeakyAVX2(z, x []float32, a float32, y []float32, slope float32)

//go:noescape
func leakyGradInPlaceAVX2(g, y []float32, slope float32)

// One operation per element (vecmath_plain_amd64.s).

//go:noescape
func scaleToAVX2(y, x []float32, a float32)

//go:noescape
func axpyAVX2(y, x []float32, a float32)

//go:noescape
func addAVX2(z, x, y []float32)

//go:noescape
func subAVX2(z, x, y []float32)

//go:noescape
func mulAVX2(z, x, y []float32)

var avx2Vec = vecKernels{
	name:        "avx2",
	exp:         expAVX2,
	sigmoid:     sigmoidAVX2,
	silu:        siluAVX2,
	sigmoidGrad: sigmoidGradAVX2,
	siluGrad:    siluGradAVX2,
	siluGradTo:  siluGradToAVX2,
	mulAdd:      mulAddAVX2,
	scaleShift:  scaleShiftAVX2,
	sum:         sumAVX2,
	sumSq:       sumSqAVX2,
	sumDot:      sumDotAVX2,
	combine:     combineAVX2,
	combineAdd:  combineAddAVX2,

	scaleShiftSiLU:      scaleShiftSiLUAVX2,
	scaleShiftLeaky:     scaleShiftLeakyAVX2,
	scaleShiftSiLUGrad:  scaleShiftSiLUGradAVX2,
	scaleShiftLeakyGrad: scaleShiftLeakyGradAVX2,
	scaleAdd:            scaleAddAVX2,
	scaleAddLeaky:       scaleAddLeakyAVX2,
	leakyGradInPlace:    leakyGradInPlaceAVX2,
	scaleTo:             scaleToAVX2,
	axpy:                axpyAVX2,
	add:                 addAVX2,
	sub:                 subAVX2,
	mul:                 mulAVX2,

	sumSqPlanes:              sumSqPlanesAVX2,
	sumDotPlanes:             sumDotPlanesAVX2,
	scaleShiftSiLUPlanes:     scaleShiftSiLUPlanesAVX2,
	scaleShiftSiLUGradPlanes: scaleShiftSiLUGradPlanesAVX2,
	scaleShiftPlanes:         scaleShiftPlanesAVX2,
	combinePlanes:            combinePlanesAVX2,
	combineAddPlanes:         combineAddPlanesAVX2,
	scaleToPlanes:            scaleToPlanesAVX2,
	axpyPlanes:               axpyPlanesAVX2,
}

// AVX-512 (F + DQ) twins (vecmath_avx512_amd64.s) of the compute-bound
// kernels, the SiLU family; every element gets the AVX2 kernel's
// operations, so both give the same bits.

//go:noescape
func siluAVX512(y, x []float32)

//go:noescape
func siluGradToAVX512(gx, g, x []float32)

//go:noescape
func scaleShiftSiLUAVX512(y, x []float32, a, b float32)

//go:noescape
func scaleShiftSiLUGradAVX512(gz, g, x []float32, a, b, c float32) (sg, sgx float32)

//go:noescape
func scaleShiftSiLUPlanesAVX512(y, x []float32, hw int, a, b []float32)

//go:noescape
func scaleShiftSiLUGradPlanesAVX512(sg, sgx, gz, g, x []float32, hw int, a, b, c []float32)

//go:noescape
func scaleShiftPlanesAVX512(y, x []float32, hw int, a, b []float32)

//go:noescape
func combinePlanesAVX512(z, x, y []float32, hw int, a, b, c, d []float32)

//go:noescape
func combineAddPlanesAVX512(z, x, y []float32, hw int, a, b, c, d []float32)

//go:noescape
func scaleToPlanesAVX512(y, x []float32, hw int, a []float32)

//go:noescape
func axpyPlanesAVX512(y, x []float32, hw int, a []float32)

// avx512Vec is avx2Vec with the AVX-512 kernels in place; the others are
// bound by memory, where 16 lanes would gain nothing.
var avx512Vec = func() vecKernels {
	k := avx2Vec
	k.name = "avx512"
	k.silu = siluAVX512
	k.siluGradTo = siluGradToAVX512
	k.scaleShiftSiLU = scaleShiftSiLUAVX512
	k.scaleShiftSiLUGrad = scaleShiftSiLUGradAVX512
	k.scaleShiftSiLUPlanes = scaleShiftSiLUPlanesAVX512
	k.scaleShiftSiLUGradPlanes = scaleShiftSiLUGradPlanesAVX512
	k.scaleShiftPlanes = scaleShiftPlanesAVX512
	k.combinePlanes = combinePlanesAVX512
	k.combineAddPlanes = combineAddPlanesAVX512
	k.scaleToPlanes = scaleToPlanesAVX512
	k.axpyPlanes = axpyPlanesAVX512
	return k
}()

// asmVecKernels lists the assembly implementations this CPU and OS support
// (x/sys/cpu checks the XSAVE state too), best first.
func asmVecKernels() []vecKernels {
	var ks []vecKernels
	avx2 := cpu.X86.HasAVX2 && cpu.X86.HasFMA
	if avx2 && cpu.X86.HasAVX512F && cpu.X86.HasAVX512DQ && cpu.X86.HasBMI2 {
		ks = append(ks, avx512Vec)
	}
	if avx2 {
		ks = append(ks, avx2Vec)
	}
	return ks
}
