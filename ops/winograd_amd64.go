//go:build amd64 && !purego

package ops

import "golang.org/x/sys/cpu"

// winoInAVX2 and winoOutAVX2 are WinogradInput's and WinogradOutput's
// kernels (winograd_amd64.s). The callers have checked the bounds,
// rounded up to whole groups of 8 tiles.
//
//go:noescape
func winoInAVX2(v []float32, vs int, x []float32, ldx, tw int)

//go:noescape
func winoOutAVX2(y []float32, ldy int, m []float32, ms, tw int)

//go:noescape
func winoWAVX2(u []float32, us int, wt []float32, ws, n int)

var winoWKernel = func() func([]float32, int, []float32, int, int) {
	if cpu.X86.HasAVX2 {
		return winoWAVX2
	}
	return nil
}()

var winoInKernel, winoOutKernel = func() (func([]float32, int, []float32, int, int), func([]float32, int, []float32, int, int)) {
	if cpu.X86.HasAVX2 {
		return winoInAVX2, winoOutAVX2
	}
	return nil, nil
}()

// winoIn4AVX2, winoOut4AVX2 and winoW4AVX2 are the F(4x4, 3x3) transforms'
// kernels (winograd4_amd64.s), on the same terms.
//
//go:noescape
func winoIn4AVX2(v []float32, vs int, x []float32, ldx, tw int)

//go:noescape
func winoOut4AVX2(y []float32, ldy int, m []float32, ms, tw int)

//go:noescape
func winoW4AVX2(u []float32, us int, wt []float32, ws, n int)

// winoOutT4AVX2 is WinogradOutputGrad4's kernel (winograd4_amd64.s).
//
//go:noescape
func winoOutT4AVX2(y []float32, ldy int, m []float32, ms, tw int)

var winoOutT4Kernel = func() func([]float32, int, []float32, int, int) {
	if cpu.X86.HasAVX2 {
		return winoOutT4AVX2
	}
	return nil
}()

var winoW4Kernel, winoIn4Kernel, winoOut4Kernel = func() (w, in, out func([]float32, int, []float32, int, int)) {
	if cpu.X86.HasAVX2 {
		return winoW4AVX2, winoIn4AVX2, winoOut4AVX2
	}
	return nil, nil, nil
}()
