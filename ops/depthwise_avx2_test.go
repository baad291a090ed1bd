//go:build amd64 && !purego

package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// Fused models: what the AVX-512 depthwise kernels compute, element by
// element, with fma32 (one rounding per multiply-add) in their order.
// The AVX2 kernels must give these bits exactly, so a run on an AVX2
// machine reproduces one on an AVX-512 machine.

// dwTapsFused is dwTapsAVX512: s = bias (+ dst), then each tap fused in
// tap order.
func dwTapsFused(dst []float32, ds, rows, n int, src []float32, ss int, offs []int, w []float32, bias float32, acc int) {
	for r := 0; r < rows; r++ {
		for i := 0; i < n; i++ {
			s := bias
			if acc != 0 {
				s = bias + dst[r*ds+i]
			}
			for t, o := range offs {
				s = fma32(w[t], src[r*ss+o+i], s)
			}
			dst[r*ds+i] = s
		}
	}
}

// dw3x3Fused is dw3x3AVX512: column tap b outermost, then kernel row a.
func dw3x3Fused(dst []float32, ds, rows, n int, src []float32, ss int, cols *[3]int, w *[9]float32, bias float32, acc int) {
	for r := 0; r < rows; r++ {
		for i := 0; i < n; i++ {
			s := bias
			if acc != 0 {
				s = bias + dst[r*ds+i]
			}
			for b := 0; b < 3; b++ {
				for a := 0; a < 3; a++ {
					s = fma32(w[a*3+b], src[(r+a)*ss+cols[b]+i], s)
				}
			}
			dst[r*ds+i] = s
		}
	}
}

// dwDotFused is dwDotAVX512: per 32-column strip and tap, lane l sums
// g·src of column i0+l over the rows (fused, from +0; lanes past n stay
// +0), then the tree of HSUM: lanes l and l+16, then l and l+8, l and
// l+4, l and l+2, 0 and 1, and that sum plus acc[t].
func dwDotFused(acc, g []float32, gs, rows, n int, src []float32, ss int, offs []int) {
	for i0 := 0; i0 < n; i0 += 32 {
		for t, o := range offs {
			var L [32]float32
			for r := 0; r < rows; r++ {
				for l := 0; l < 32 && i0+l < n; l++ {
					L[l] = fma32(g[r*gs+i0+l], src[r*ss+o+i0+l], L[l])
				}
			}
			for h := 16; h >= 1; h /= 2 {
				for l := 0; l < h; l++ {
					L[l] = L[l] + L[l+h]
				}
			}
			acc[t] = L[0] + acc[t]
		}
	}
}

// fusedDW: the fused models as a kernel set (data movement as the Go
// twins, which are exact); no flat kernels, so every shape takes the
// padded-buffer path.
var fusedDW = dwKernels{name: "fused", taps: dwTapsFused, dot: dwDotFused, copyRows: dwCopyRowsGo, split2: dwSplit2Go,
	taps3x3: dw3x3Fused, split2Rows: dwSplit2RowsGo, merge2: dwMerge2Go}

// dwBitSets: the assembly sets this CPU runs (asmDWKernelSets), whose bits
// must equal the fused models.
func dwBitSets(t *testing.T) []*dwKernels {
	ks := asmDWKernelSets()
	if len(ks) == 0 {
		t.Skip("no AVX2 or AVX-512 depthwise kernels on this machine")
	}
	return ks
}

func dwSameBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if i := flatFirstDiff(got[:len(want)], want); i >= 0 {
		t.Fatalf("%s: [%d] = %v (%#x), want %v (%#x)", what, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
	}
}

// The kernels against the fused models bit for bit, on every width 1..70
// and row count 1..12 (random taps, offsets, strides, acc), with guard
// bands; dst between rows (stride > n) must stay untouched.
func TestDepthwiseAVX2MatchesAVX512(t *testing.T) {
	for _, k := range dwBitSets(t) {
		t.Run(k.name, func(t *testing.T) { checkDepthwiseFused(t, k) })
	}
}

func checkDepthwiseFused(t *testing.T, k *dwKernels) {
	rng := rand.New(rand.NewPCG(11, 12))
	for n := 1; n <= 70; n++ {
		for rows := 1; rows <= 12; rows++ {
			ntaps := rng.IntN(27)
			if rows == 5 {
				ntaps = 25 // 5x5
			}
			offs := make([]int, ntaps)
			for i := range offs {
				offs[i] = rng.IntN(20)
			}
			ss := n + 20 + rng.IntN(5)
			src := im2colRandom(rng, (rows-1)*ss+20+n)
			w := im2colRandom(rng, ntaps)
			ds := n + rng.IntN(3)
			d0 := im2colRandom(rng, (rows-1)*ds+n)
			for acc := 0; acc < 2; acc++ {
				name := fmt.Sprintf("rows %d n %d taps %d acc %d", rows, n, ntaps, acc)
				want := append([]float32(nil), d0...)
				dwTapsFused(want, ds, rows, n, src, ss, offs, w, 0.5, acc)
				got, guard := guarded(t, len(d0), func(s []float32) { copy(s, d0) })
				k.taps(got, ds, rows, n, src, ss, offs, w, 0.5, acc)
				guard("taps " + name)
				dwSameBits(t, "taps "+name, got, want)

				if rows4 := rows &^ 3; rows4 > 0 {
					cols := [3]int{rng.IntN(8), rng.IntN(8), rng.IntN(8)}
					var w9 [9]float32
					copy(w9[:], im2colRandom(rng, 9))
					src3 := im2colRandom(rng, (rows4+1)*ss+8+n)
					want3 := append([]float32(nil), d0...)
					dw3x3Fused(want3, ds, rows4, n, src3, ss, &cols, &w9, 0.5, acc)
					got3, guard3 := guarded(t, len(d0), func(s []float32) { copy(s, d0) })
					k.taps3x3(got3, ds, rows4, n, src3, ss, &cols, &w9, 0.5, acc)
					guard3("taps3x3 " + name)
					dwSameBits(t, "taps3x3 "+name, got3, want3)
				}
			}

			a0 := im2colRandom(rng, ntaps)
			gs := n + rng.IntN(3)
			g := im2colRandom(rng, (rows-1)*gs+n)
			wantA := append([]float32(nil), a0...)
			dwDotFused(wantA, g, gs, rows, n, src, ss, offs)
			gotA, guardA := guarded(t, ntaps, func(s []float32) { copy(s, a0) })
			k.dot(gotA, g, gs, rows, n, src, ss, offs)
			guardA("dot")
			dwSameBits(t, fmt.Sprintf("dot rows %d n %d taps %d", rows, n, ntaps), gotA, wantA)
		}
	}
}

// The data movement kernels against the Go twins, bit for bit (NaN
// payloads included), every width 0..80, with guard bands; split2Rows
// and merge2 too, which TestDepthwiseFillKernelsMatchGo leaves out.
func TestDepthwiseMoveKernelsExact(t *testing.T) {
	for _, k := range dwBitSets(t) {
		t.Run(k.name, func(t *testing.T) { checkDepthwiseMoves(t, k) })
	}
}

func checkDepthwiseMoves(t *testing.T, k *dwKernels) {
	rng := rand.New(rand.NewPCG(13, 14))
	for n := 0; n <= 80; n++ {
		for it := 0; it < 3; it++ {
			rows := 1 + rng.IntN(6)
			ss, ds := n+rng.IntN(4), n+rng.IntN(4)
			src := im2colRandom(rng, max(0, (rows-1)*ss+n))
			if n > 0 {
				src[rng.IntN(len(src))] = math.Float32frombits(0x7fc01234) // a NaN with a payload
			}
			d0 := im2colRandom(rng, max(0, (rows-1)*ds+n))
			want := append([]float32(nil), d0...)
			dwCopyRowsGo(want, ds, src, ss, rows, n)
			got, guard := guarded(t, len(d0), func(s []float32) { copy(s, d0) })
			k.copyRows(got, ds, src, ss, rows, n)
			guard("copyRows")
			dwSameBits(t, fmt.Sprintf("copyRows rows %d n %d", rows, n), got, want)

			e0, o0 := im2colRandom(rng, (n+1)/2), im2colRandom(rng, n/2)
			we, wo := append([]float32(nil), e0...), append([]float32(nil), o0...)
			dwSplit2Go(we, wo, src, n)
			ge, guardE := guarded(t, len(e0), func(s []float32) { copy(s, e0) })
			gd, guardO := guarded(t, len(o0), func(s []float32) { copy(s, o0) })
			k.split2(ge, gd, src, n)
			guardE("split2 even")
			guardO("split2 odd")
			dwSameBits(t, fmt.Sprintf("split2 even n %d", n), ge, we)
			dwSameBits(t, fmt.Sprintf("split2 odd n %d", n), gd, wo)

			// split2Rows: evens at r*rs, odds at r*rs+oddOff.
			oddOff := (n+1)/2 + rng.IntN(3)
			rs := oddOff + n/2 + rng.IntN(3)
			r0 := im2colRandom(rng, (rows-1)*rs+oddOff+n/2)
			wantR := append([]float32(nil), r0...)
			dwSplit2RowsGo(wantR, rs, oddOff, src, ss, rows, n)
			gotR, guardR := guarded(t, len(r0), func(s []float32) { copy(s, r0) })
			k.split2Rows(gotR, rs, oddOff, src, ss, rows, n)
			guardR("split2Rows")
			dwSameBits(t, fmt.Sprintf("split2Rows rows %d n %d", rows, n), gotR, wantR)

			// dwMerge2Go reads odd[i/2] for every i (so one more odd when n
			// is odd); the kernels read only n/2.
			o0 = append(o0, im2colRandom(rng, n%2)...)
			for acc := 0; acc < 2; acc++ {
				m0 := im2colRandom(rng, n)
				wantM := append([]float32(nil), m0...)
				dwMerge2Go(wantM, e0, o0, n, acc)
				gotM, guardM := guarded(t, n, func(s []float32) { copy(s, m0) })
				ev, guardEv := guarded(t, len(e0), func(s []float32) { copy(s, e0) })
				od, guardOd := guarded(t, len(o0), func(s []float32) { copy(s, o0) })
				k.merge2(gotM, ev, od, n, acc)
				guardM("merge2")
				guardEv("merge2 even")
				guardOd("merge2 odd")
				dwSameBits(t, fmt.Sprintf("merge2 n %d acc %d", n, acc), gotM, wantM)
			}
		}
	}
}

// Whole convolutions: each bit set without the flat kernels against the
// fused models' set, forward and both gradients (write and add), on the
// shapes of TestDepthwiseFastMatchesReference plus wider planes.
func TestDepthwiseAVX2MatchesAVX512Conv(t *testing.T) {
	ks := dwBitSets(t)
	rng := rand.New(rand.NewPCG(15, 16))
	cs := append(dwCases(rng),
		dwGeom(2, 56, 56, 5, 5, 2, 2, 2, 2, 2, 2, 1, 1),
		dwGeom(2, 30, 45, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1),
		dwGeom(2, 23, 71, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1),
		dwGeom(2, 21, 37, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1),
	)
	for ci, g := range cs {
		const n = 2
		C, hw, ohw, kk := g.C, g.H*g.W, g.OH*g.OW, g.KH*g.KW
		x := im2colRandom(rng, n*C*hw)
		w := im2colRandom(rng, C*kk)
		bias := im2colRandom(rng, C)
		gout := im2colRandom(rng, n*C*ohw)
		dx0 := im2colRandom(rng, n*C*hw)
		dw0 := im2colRandom(rng, C*kk)
		run := func(k *dwKernels) (out, dx, dxw, dw []float32) {
			out = make([]float32, n*C*ohw)
			depthwiseForward(k, 1, g, n, x, w, bias, out, nil)
			dx, dw = append([]float32(nil), dx0...), append([]float32(nil), dw0...)
			depthwiseBackward(k, 1, g, n, x, w, gout, dx, dw, false)
			dxw = make([]float32, len(dx0))
			depthwiseBackward(k, 1, g, n, x, w, gout, dxw, nil, true)
			return
		}
		wo, wdx, wdxw, wdw := run(&fusedDW)
		for _, k := range ks {
			nf := *k
			nf.flat3x3, nf.flatDot3x3 = nil, nil
			o, dx, dxw, dw := run(&nf)
			name := fmt.Sprintf("case %d %+v, %s", ci, g, k.name)
			dwSameBits(t, name+" out", o, wo)
			dwSameBits(t, name+" dx", dx, wdx)
			dwSameBits(t, name+" dx write", dxw, wdxw)
			dwSameBits(t, name+" dw", dw, wdw)
		}
	}
}
