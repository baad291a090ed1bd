//go:build amd64 && !purego

package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// The flat kernels' fused models: what the AVX-512 kernels compute, lane by
// lane, and what the AVX2 ones must reproduce bit for bit.

// flatFwdModel is dwFlat3x3AVX512: per output, acc = bias (+ out), then one
// rounding per tap (fma32) in tap order, masked-off taps skipped.
func flatFwdModel(out, x []float32, n, cstride, hw, w int, masks []uint16, wt *[9]float32, bias float32, acc int) {
	for i := 0; i < n; i++ {
		o, xs := out[i*cstride:][:hw], x[i*cstride:]
		for p := range o {
			m := masks[p/16*flatMaskStride:][:flatMaskStride]
			bit := uint16(1) << (p % 16)
			s := bias
			if acc != 0 {
				s = bias + o[p]
			}
			for t := 0; t < 9; t++ {
				if m[t]&bit != 0 {
					s = fma32(wt[t], xs[p+(t/3-1)*w+t%3-1], s)
				}
			}
			o[p] = s
		}
	}
}

// flatDotModel is dwFlatDot3x3AVX512: tap t's products gather in 16 lanes
// (lane p%16), plane by plane and chunk by chunk, g read under the store
// mask (0 past the plane) and the product taken only under tap t's mask;
// then HSUM16's tree (lanes i and i+8, then i and i+4, then 0+2 and 1+3,
// then those two) and dw[t] = sum + dw[t].
func flatDotModel(dw *[9]float32, g, x []float32, n, cstride, hw, w int, masks []uint16) {
	chunks := (hw + 15) / 16
	for t := 0; t < 9; t++ {
		off := (t/3-1)*w + t%3 - 1
		var lane [16]float32
		for i := 0; i < n; i++ {
			gs, xs := g[i*cstride:], x[i*cstride:]
			for j := 0; j < chunks; j++ {
				m := masks[j*flatMaskStride:][:flatMaskStride]
				for l := 0; l < 16; l++ {
					p, bit := j*16+l, uint16(1)<<l
					var gv float32
					if m[9]&bit != 0 {
						gv = gs[p]
					}
					if m[t]&bit != 0 {
						lane[l] = fma32(gv, xs[p+off], lane[l])
					}
				}
			}
		}
		var s8 [8]float32
		for l := range s8 {
			s8[l] = lane[l] + lane[l+8]
		}
		var s4 [4]float32
		for l := range s4 {
			s4[l] = s8[l] + s8[l+4]
		}
		s := (s4[0] + s4[2]) + (s4[1] + s4[3])
		dw[t] = s + dw[t]
	}
}

type flatKernelPair struct {
	name string
	fwd  func(out, x []float32, n, cstride, hw, w int, masks []uint16, wt *[9]float32, bias float32, acc int)
	dot  func(dw *[9]float32, g, x []float32, n, cstride, hw, w int, masks []uint16)
}

// flatAsmKernels: the flat kernels of the assembly sets this CPU runs
// (asmDWKernelSets).
func flatAsmKernels() []flatKernelPair {
	var ks []flatKernelPair
	for _, k := range asmDWKernelSets() {
		ks = append(ks, flatKernelPair{k.name, k.flat3x3, k.flatDot3x3})
	}
	return ks
}

// flatValue draws an operand: mostly uniform in [-1, 1), with special
// values when special is set: ±0 (a −0 sum stays −0 only if masked-off taps
// leave it alone), tiny values (their products round to ±0), and ±Inf
// when inf is set too (Inf·0 is NaN: a masked-off tap must not compute it).
func flatValue(rng *rand.Rand, special, inf bool) float32 {
	if special {
		switch rng.IntN(8) {
		case 0:
			return 0
		case 1:
			return float32(math.Copysign(0, -1))
		case 2:
			return float32(rng.IntN(2)*2-1) * 1e-30
		case 3:
			if inf {
				return float32(math.Inf(rng.IntN(2)*2 - 1))
			}
		}
	}
	return rng.Float32()*2 - 1
}

func flatValues(rng *rand.Rand, n int, special, inf bool) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = flatValue(rng, special, inf)
	}
	return s
}

// flatFirstDiff is the first index where a and b differ in bits, or -1.
func flatFirstDiff(a, b []float32) int {
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return i
		}
	}
	return -1
}

// The flat kernels against the fused models, bit for bit, with guard bands
// around out and dw and the gaps between planes (cstride > hw) untouched.
func TestDepthwiseFlatKernelsExact(t *testing.T) {
	ks := flatAsmKernels()
	if len(ks) == 0 {
		t.Skip("no flat assembly kernels on this CPU")
	}
	rng := rand.New(rand.NewPCG(41, 3))
	shapes := [][2]int{{1, 1}, {1, 2}, {2, 1}, {1, 17}, {17, 1}, {3, 3}, {4, 4}, {5, 7}, {8, 8}, {14, 14}, {16, 16}, {20, 20}, {2, 40}, {1, 400}, {400, 1}, {16, 25}}
	for len(shapes) < 80 {
		h := 1 + rng.IntN(40)
		w := 1 + rng.IntN(40)
		if h*w <= flatMaxHW {
			shapes = append(shapes, [2]int{h, w})
		}
	}
	for _, k := range ks {
		for si, sh := range shapes {
			h, w := sh[0], sh[1]
			hw := h * w
			masks := flatMasks(h, w)
			for it := 0; it < 6; it++ {
				n := 1 + rng.IntN(5)
				cstride := hw + []int{0, 1, 7, 16, 33}[rng.IntN(5)]
				size := (n-1)*cstride + hw
				special, inf := it >= 2, it >= 4
				x := flatValues(rng, size, special, inf)
				var wt [9]float32
				copy(wt[:], flatValues(rng, 9, special, inf))
				bias := flatValue(rng, special, false)
				if it%2 == 1 {
					bias = float32(math.Copysign(0, -1))
				}
				out0 := flatValues(rng, size, special, false)
				name := fmt.Sprintf("%s shape %d (%dx%d) n %d cstride %d it %d", k.name, si, h, w, n, cstride, it)

				for acc := 0; acc < 2; acc++ {
					want := append([]float32(nil), out0...)
					flatFwdModel(want, x, n, cstride, hw, w, masks, &wt, bias, acc)
					got, guard := guarded(t, size, func(s []float32) { copy(s, out0) })
					k.fwd(got, x, n, cstride, hw, w, masks, &wt, bias, acc)
					guard(name + " forward")
					if i := flatFirstDiff(got, want); i >= 0 {
						t.Fatalf("%s acc %d: out[%d] = %v (%#x), model %v (%#x)", name, acc, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
					}
				}

				g := flatValues(rng, size, special, inf)
				var dw0 [9]float32
				copy(dw0[:], flatValues(rng, 9, special, false))
				wantDw := dw0
				flatDotModel(&wantDw, g, x, n, cstride, hw, w, masks)
				gotDw, guard := guarded(t, 9, func(s []float32) { copy(s, dw0[:]) })
				k.dot((*[9]float32)(gotDw), g, x, n, cstride, hw, w, masks)
				guard(name + " dot")
				if i := flatFirstDiff(gotDw, wantDw[:]); i >= 0 {
					t.Fatalf("%s: dw[%d] = %v (%#x), model %v (%#x)", name, i, gotDw[i], math.Float32bits(gotDw[i]), wantDw[i], math.Float32bits(wantDw[i]))
				}
			}
		}
		// No planes: dw[t] = +0 + dw[t] (a −0 becomes +0), out untouched.
		var dw [9]float32
		dw[0] = float32(math.Copysign(0, -1))
		k.dot(&dw, nil, nil, 0, 16, 16, 4, flatMasks(4, 4))
		if math.Float32bits(dw[0]) != 0 {
			t.Fatalf("%s: no planes: dw[0] = %#x, want +0", k.name, math.Float32bits(dw[0]))
		}
	}
}
