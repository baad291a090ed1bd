package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// dwGeom builds a depthwise geometry (C channels) with bottom/right padding
// pb, pr, as the autograd op computes OH and OW.
func dwGeom(c, h, w, kh, kw, sh, sw, pt, pb, pl, pr, dh, dw int) ConvGeom {
	g := ConvGeom{C: c, H: h, W: w, KH: kh, KW: kw, StrideH: sh, StrideW: sw, PadT: pt, PadL: pl, DilH: dh, DilW: dw}
	g.OH = (h+pt+pb-dh*(kh-1)-1)/sh + 1
	g.OW = (w+pl+pr-dw*(kw-1)-1)/sw + 1
	return g
}

// dwCases: the fixed edge cases of convGeomCases plus random shapes with
// 3x3 and 5x5 kernels, strides 1 and 2, odd sizes, padding up to (and
// beyond) the kernel's reach, widths on both sides of 16 and 32 (the
// assembly's vector and block widths) and heights around its 4/8-row
// blocks.
func dwCases(rng *rand.Rand) []ConvGeom {
	var cs []ConvGeom
	for _, g := range convGeomCases() {
		g.C = 3
		cs = append(cs, g)
	}
	cs = append(cs,
		dwGeom(2, 1, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1),
		dwGeom(2, 1, 1, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1),
		dwGeom(2, 28, 28, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1),
		dwGeom(2, 17, 33, 5, 5, 2, 2, 2, 2, 2, 2, 1, 1),
		dwGeom(2, 9, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1),
		dwGeom(2, 9, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1),
		dwGeom(2, 15, 65, 3, 3, 2, 2, 0, 1, 0, 1, 1, 1), // TF SAME
		dwGeom(2, 7, 7, 5, 5, 1, 1, 4, 4, 4, 4, 1, 1),   // padding beyond k/2
		dwGeom(2, 6, 7, 3, 3, 3, 3, 2, 2, 2, 2, 1, 1),   // stride 3
		dwGeom(2, 10, 11, 3, 3, 2, 1, 1, 1, 1, 1, 2, 2), // stride (2,1), dilation 2
	)
	// The flat path's planes (3x3, stride 1, padding 1, H·W <= 400):
	// one partial chunk, whole chunks, rows across chunks, a row or column
	// alone, the size limit and one past it.
	for _, hw := range [][2]int{{3, 3}, {4, 4}, {8, 8}, {16, 16}, {5, 7}, {7, 14}, {14, 14}, {1, 17}, {17, 1}, {2, 40}, {20, 20}, {20, 21}} {
		cs = append(cs, dwGeom(3, hw[0], hw[1], 3, 3, 1, 1, 1, 1, 1, 1, 1, 1))
	}
	for len(cs) < 40 {
		k := 3 + 2*rng.IntN(2)
		s := 1 + rng.IntN(2)
		h, w := 1+rng.IntN(40), 1+rng.IntN(40)
		pt, pb, pl, pr := rng.IntN(k), rng.IntN(k), rng.IntN(k), rng.IntN(k)
		if h+pt+pb < k || w+pl+pr < k {
			continue
		}
		cs = append(cs, dwGeom(1+rng.IntN(3), h, w, k, k, s, s, pt, pb, pl, pr, 1, 1))
	}
	return cs
}

// guarded returns a slice of n elements from the middle of a buffer whose
// 16 elements before and after hold a sentinel, and a function that fails
// the test if any sentinel changed.
func guarded(t *testing.T, n int, fill func([]float32)) ([]float32, func(string)) {
	const band, sentinel = 16, float32(-12345)
	buf := make([]float32, n+2*band)
	for i := range buf {
		buf[i] = sentinel
	}
	s := buf[band : band+n : band+n]
	fill(s)
	return s, func(what string) {
		t.Helper()
		for i := 0; i < band; i++ {
			if buf[i] != sentinel || buf[band+n+i] != sentinel {
				t.Fatalf("%s: write outside the output (guard band)", what)
			}
		}
	}
}

// dwKernelSets: every kernel set, and each again without the flat
// small-plane kernels, so that the padded-buffer path stays tested on the
// shapes the flat path takes.
func dwKernelSets() []*dwKernels {
	ks := append([]*dwKernels{&goDW}, asmDWKernelSets()...)
	for _, k := range ks[:len(ks):len(ks)] {
		nf := *k
		nf.name += " (no flat)"
		nf.flat3x3, nf.flatDot3x3 = nil, nil
		ks = append(ks, &nf)
	}
	return ks
}

func TestDepthwiseFastMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for ci, g := range dwCases(rng) {
		const n = 2
		C, hw, ohw, kk := g.C, g.H*g.W, g.OH*g.OW, g.KH*g.KW
		x := im2colRandom(rng, n*C*hw)
		w := im2colRandom(rng, C*kk)
		bias := im2colRandom(rng, C)
		gout := im2colRandom(rng, n*C*ohw)
		dx0 := im2colRandom(rng, n*C*hw)
		dw0 := im2colRandom(rng, C*kk)

		// References, plane by plane.
		want := make([]float32, n*C*ohw)
		dxRef, dwRef := append([]float32(nil), dx0...), append([]float32(nil), dw0...)
		pg := g
		pg.C = 1
		for img := 0; img < n; img++ {
			for c := 0; c < C; c++ {
				pl := img*C + c
				DepthwiseConv2dRef(pg, x[pl*hw:(pl+1)*hw], w[c*kk:(c+1)*kk], bias[c], want[pl*ohw:(pl+1)*ohw])
				DepthwiseConv2dBackwardRef(pg, x[pl*hw:(pl+1)*hw], w[c*kk:(c+1)*kk], gout[pl*ohw:(pl+1)*ohw], dxRef[pl*hw:(pl+1)*hw], dwRef[c*kk:(c+1)*kk])
			}
		}
		for _, k := range dwKernelSets() {
			for _, threads := range []int{1, 2} {
				name := fmt.Sprintf("case %d %+v, %s kernels, %d threads", ci, g, k.name, threads)
				out, guardOut := guarded(t, n*C*ohw, func(s []float32) {
					for i := range s {
						s[i] = 99 // must be overwritten
					}
				})
				depthwiseForward(k, threads, g, n, x, w, bias, out, nil)
				guardOut(name + " forward")
				dwClose(t, name+" out", out, want, 1e-5)

				dx, guardDx := guarded(t, len(dx0), func(s []float32) { copy(s, dx0) })
				dw, guardDw := guarded(t, len(dw0), func(s []float32) { copy(s, dw0) })
				depthwiseBackward(k, threads, g, n, x, w, gout, dx, dw, false)
				guardDx(name + " dx")
				guardDw(name + " dw")
				dwClose(t, name+" dx", dx, dxRef, 1e-5)
				dwClose(t, name+" dw", dw, dwRef, 1e-4)

				// nil skips one gradient and leaves the other right.
				dx2 := append([]float32(nil), dx0...)
				depthwiseBackward(k, threads, g, n, x, w, gout, dx2, nil, false)
				dwClose(t, name+" dx only", dx2, dxRef, 1e-5)
				dw2 := append([]float32(nil), dw0...)
				depthwiseBackward(k, threads, g, n, x, w, gout, nil, dw2, false)
				dwClose(t, name+" dw only", dw2, dwRef, 1e-4)

				// Write mode: dx's old contents (NaN here) are ignored.
				dx3, guardDx3 := guarded(t, len(dx0), func(s []float32) {
					for i := range s {
						s[i] = float32(math.NaN())
					}
				})
				depthwiseBackward(k, threads, g, n, x, w, gout, dx3, nil, true)
				guardDx3(name + " dx write")
				for i := range dx3 {
					dx3[i] += dx0[i]
				}
				dwClose(t, name+" dx write", dx3, dxRef, 1e-5)

				// Without bias the output starts from zero.
				depthwiseForward(k, threads, g, n, x, w, nil, out, nil)
				for img := 0; img < n; img++ {
					for c := 0; c < C; c++ {
						pl := img*C + c
						for i := pl * ohw; i < (pl+1)*ohw; i++ {
							if d := out[i] + bias[c] - want[i]; d > 1e-5 || d < -1e-5 {
								t.Fatalf("%s: no-bias out[%d] = %v, want %v", name, i, out[i], want[i]-bias[c])
							}
						}
					}
				}
			}
		}
	}
}

// dwClose compares with a tolerance relative to max(1, |want|).
func dwClose(t *testing.T, what string, got, want []float32, tol float32) {
	t.Helper()
	for i := range want {
		d, s := got[i]-want[i], max(want[i], -want[i], 1)
		if d > tol*s || d < -tol*s || d != d {
			t.Fatalf("%s[%d] = %v, want %v", what, i, got[i], want[i])
		}
	}
}

// The kernels themselves against their Go loops, on random offsets, with
// guard bands (the assembly's masked tails must not write past n).
func TestDepthwiseKernelsMatchGo(t *testing.T) {
	ks := asmDWKernelSets()
	if len(ks) == 0 {
		t.Skip("no assembly depthwise kernels on this machine/build")
	}
	for _, k := range ks {
		t.Run(k.name, func(t *testing.T) { checkDepthwiseKernelsMatchGo(t, k) })
	}
}

func checkDepthwiseKernelsMatchGo(t *testing.T, k *dwKernels) {
	rng := rand.New(rand.NewPCG(8, 8))
	for it := 0; it < 200; it++ {
		rows, n := 1+rng.IntN(12), 1+rng.IntN(70)
		ntaps := rng.IntN(27)
		offs := make([]int, ntaps)
		for i := range offs {
			offs[i] = rng.IntN(20)
		}
		ss := n + 20 + rng.IntN(5)
		src := im2colRandom(rng, (rows-1)*ss+20+n)
		w := im2colRandom(rng, ntaps)
		ds := n + rng.IntN(3)
		d0 := im2colRandom(rng, (rows-1)*ds+n)
		acc := rng.IntN(2)
		want := append([]float32(nil), d0...)
		dwTapsGo(want, ds, rows, n, src, ss, offs, w, 0.5, acc)
		got, guard := guarded(t, len(d0), func(s []float32) { copy(s, d0) })
		k.taps(got, ds, rows, n, src, ss, offs, w, 0.5, acc)
		guard("taps")
		// Rows overlap nothing, but between rows (ds > n) dst must be untouched.
		dwClose(t, fmt.Sprintf("taps rows %d n %d taps %d acc %d", rows, n, ntaps, acc), got, want, 1e-5)

		if rows4 := rows &^ 3; rows4 > 0 {
			cols := [3]int{rng.IntN(8), rng.IntN(8), rng.IntN(8)}
			var w9 [9]float32
			copy(w9[:], im2colRandom(rng, 9))
			src3 := im2colRandom(rng, (rows4+1)*ss+8+n)
			want3 := append([]float32(nil), d0...)
			dw3x3Go(want3, ds, rows4, n, src3, ss, &cols, &w9, 0.5, acc)
			got3, guard3 := guarded(t, len(d0), func(s []float32) { copy(s, d0) })
			k.taps3x3(got3, ds, rows4, n, src3, ss, &cols, &w9, 0.5, acc)
			guard3("taps3x3")
			dwClose(t, fmt.Sprintf("taps3x3 rows %d n %d acc %d", rows4, n, acc), got3, want3, 1e-5)
		}

		a0 := im2colRandom(rng, ntaps)
		wantA := append([]float32(nil), a0...)
		gs := n + rng.IntN(3)
		gg := im2colRandom(rng, (rows-1)*gs+n)
		dwDotGo(wantA, gg, gs, rows, n, src, ss, offs)
		gotA, guardA := guarded(t, ntaps, func(s []float32) { copy(s, a0) })
		k.dot(gotA, gg, gs, rows, n, src, ss, offs)
		guardA("dot")
		dwClose(t, fmt.Sprintf("dot rows %d n %d taps %d", rows, n, ntaps), gotA, wantA, 1e-4)
	}
}

func TestDepthwiseFillKernelsMatchGo(t *testing.T) {
	ks := asmDWKernelSets()
	if len(ks) == 0 {
		t.Skip("no assembly depthwise kernels on this machine/build")
	}
	for _, k := range ks {
		t.Run(k.name, func(t *testing.T) { checkDepthwiseFillKernelsMatchGo(t, k) })
	}
}

func checkDepthwiseFillKernelsMatchGo(t *testing.T, k *dwKernels) {
	rng := rand.New(rand.NewPCG(9, 9))
	for it := 0; it < 200; it++ {
		rows, n := 1+rng.IntN(6), rng.IntN(80)
		ss, ds := n+rng.IntN(4), n+rng.IntN(4)
		src := im2colRandom(rng, max(0, (rows-1)*ss+n))
		d0 := im2colRandom(rng, max(0, (rows-1)*ds+n))
		want := append([]float32(nil), d0...)
		dwCopyRowsGo(want, ds, src, ss, rows, n)
		got, guard := guarded(t, len(d0), func(s []float32) { copy(s, d0) })
		k.copyRows(got, ds, src, ss, rows, n)
		guard("copyRows")
		dwClose(t, "copyRows", got, want, 0)

		e0, o0 := im2colRandom(rng, (n+1)/2), im2colRandom(rng, n/2)
		we, wo := append([]float32(nil), e0...), append([]float32(nil), o0...)
		dwSplit2Go(we, wo, src, n)
		ge, guardE := guarded(t, len(e0), func(s []float32) { copy(s, e0) })
		gd, guardO := guarded(t, len(o0), func(s []float32) { copy(s, o0) })
		k.split2(ge, gd, src, n)
		guardE("split2 even")
		guardO("split2 odd")
		dwClose(t, fmt.Sprintf("split2 even n %d", n), ge, we, 0)
		dwClose(t, fmt.Sprintf("split2 odd n %d", n), gd, wo, 0)
	}
}

// The epilogue gives the bits of the forward followed by Epilogue.Apply
// on each plane, on both paths (padded buffer and flat) and every
// kernel set.
func TestDepthwiseEpilogue(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 9))
	for ci, g := range dwCases(rng) {
		const n = 2
		C, hw, ohw, kk := g.C, g.H*g.W, g.OH*g.OW, g.KH*g.KW
		x := im2colRandom(rng, n*C*hw)
		w := im2colRandom(rng, C*kk)
		bias := im2colRandom(rng, C)
		ep := &Epilogue{Scale: im2colRandom(rng, C), Shift: im2colRandom(rng, C), Act: Act(ci % 4), Slope: 0.1}
		for _, k := range dwKernelSets() {
			want := make([]float32, n*C*ohw)
			depthwiseForward(k, 2, g, n, x, w, bias, want, nil)
			for img := 0; img < n; img++ {
				for c := 0; c < C; c++ {
					pl := img*C + c
					ep.Apply(want[pl*ohw:(pl+1)*ohw], c)
				}
			}
			got := make([]float32, len(want))
			depthwiseForward(k, 2, g, n, x, w, bias, got, ep)
			for i := range got {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("case %d %+v, %s kernels, act %d: element %d = %v, want %v", ci, g, k.name, ep.Act, i, got[i], want[i])
				}
			}
		}
	}
}
