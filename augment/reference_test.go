package augment

import (
	"image"
	"testing"
)

// Plain reference kernels for the optimized ones, written straight from
// Pillow's C with no tables or shortcuts, and tests that the fast kernels
// agree with them on random images and parameters.

// affineBicubicRef is Pillow's generic transform with bicubic_filter32RGB,
// one pixel and one band at a time, always evaluating all four rows.
func affineBicubicRef(img *image.RGBA, a [6]float64, fill [3]byte) []byte {
	src, w, h := pixels(img)
	out := make([]byte, 3*w*h)
	at := func(x, y, c int) byte {
		return src[4*(min(max(y, 0), h-1)*w+min(max(x, 0), w-1))+c]
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			o := 3 * (y*w + x)
			copy(out[o:o+3], fill[:])
			X, Y := float64(x)+0.5, float64(y)+0.5
			xin := float64(float64(a[0]*X)+float64(a[1]*Y)) + a[2]
			yin := float64(float64(a[3]*X)+float64(a[4]*Y)) + a[5]
			if xin < 0 || xin >= float64(w) || yin < 0 || yin >= float64(h) {
				continue
			}
			xin, yin = xin-0.5, yin-0.5
			ix, iy := pyFloor(xin), pyFloor(yin)
			dx, dy := xin-float64(ix), yin-float64(iy)
			ix, iy = ix-1, iy-1
			for c := 0; c < 3; c++ {
				var v [4]float64
				for k := 0; k < 4; k++ {
					r := iy + k
					if k > 0 && (r < 0 || r >= h) {
						v[k] = v[k-1] // Pillow repeats the previous row's result
						continue
					}
					v[k] = cubicRow(at(ix, r, c), at(ix+1, r, c), at(ix+2, r, c), at(ix+3, r, c), dx)
				}
				out[o+c] = clip8(cubic(v[0], v[1], v[2], v[3], dy))
			}
		}
	}
	return out
}

// smoothRef is ImagingFilter3x3 for SMOOTH with the products computed in place.
func smoothRef(img *image.RGBA) []byte {
	src, w, h := pixels(img)
	out := rgbOf(img)
	k1, k5 := float32(1)/float32(13), float32(5)/float32(13)
	at := func(x, y, c int) float32 { return float32(src[4*(y*w+x)+c]) }
	for y := 1; y < h-1; y++ {
		for x := 1; x < w-1; x++ {
			for c := 0; c < 3; c++ {
				ss := float32(0.5)
				ss += float32(float32(float32(at(x-1, y+1, c)*k1)+float32(at(x, y+1, c)*k1)) + float32(at(x+1, y+1, c)*k1))
				ss += float32(float32(float32(at(x-1, y, c)*k1)+float32(at(x, y, c)*k5)) + float32(at(x+1, y, c)*k1))
				ss += float32(float32(float32(at(x-1, y-1, c)*k1)+float32(at(x, y-1, c)*k1)) + float32(at(x+1, y-1, c)*k1))
				out[3*(y*w+x)+c] = byte(min(max(ss, 0), 255))
			}
		}
	}
	return out
}

func randomImage(w, h int, seed uint64) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	r := newRNG(seed)
	for i := range img.Pix {
		img.Pix[i] = uint8(r.IntN(256))
	}
	return img
}

func TestAffineBicubicAgainstReference(t *testing.T) {
	rng := newRNG(21)
	for trial := 0; trial < 60; trial++ {
		w, h := 1+rng.IntN(12), 1+rng.IntN(12)
		img := randomImage(w, h, uint64(trial))
		var a [6]float64
		switch trial % 3 {
		case 0: // shear in x: dy == 0 shortcut
			a = [6]float64{1, rng.Float64() - 0.5, 0, 0, 1, 0}
		case 1: // shear in y: dx == 0 shortcut
			a = [6]float64{1, 0, 0, rng.Float64() - 0.5, 1, 0}
		default: // general map
			for i := range a {
				a[i] = 2*rng.Float64() - 1
			}
			a[0], a[4] = a[0]+1, a[4]+1
			a[2], a[5] = 3*a[2], 3*a[5]
		}
		got := rgbOf(AffineBicubic(img, a, Grey))
		want := affineBicubicRef(img, a, [3]byte{Grey.R, Grey.G, Grey.B})
		if string(got) != string(want) {
			t.Fatalf("trial %d (%dx%d, a=%v): fast and reference bicubic differ", trial, w, h, a)
		}
	}
}

func TestSmoothAndBlendAgainstReference(t *testing.T) {
	for seed := uint64(0); seed < 10; seed++ {
		img := randomImage(3+int(seed), 9-int(seed)/2, seed)
		if string(rgbOf(Smooth(img))) != string(smoothRef(img)) {
			t.Fatalf("seed %d: Smooth differs from the reference", seed)
		}
	}
	// The tabulated blends against blendValue byte by byte, interpolating and extrapolating.
	img := randomImage(16, 16, 99)
	deg := randomImage(16, 16, 98)
	for _, f := range []float64{-0.3, 0.1, 0.37, 0.9, 1.1, 1.9, 2.5} {
		out := make([]byte, len(img.Pix))
		blend(out, deg.Pix, img.Pix, f)
		outC := make([]byte, len(img.Pix))
		blendConst(outC, 77, img.Pix, f)
		for i := range out {
			if i%4 == 3 {
				if out[i] != 255 || outC[i] != 255 {
					t.Fatalf("blend: alpha not 255")
				}
				continue
			}
			if want := blendValue(float32(f), deg.Pix[i], img.Pix[i]); out[i] != want {
				t.Fatalf("blend factor %v byte %d: %d, want %d", f, i, out[i], want)
			}
			if want := blendValue(float32(f), 77, img.Pix[i]); outC[i] != want {
				t.Fatalf("blendConst factor %v byte %d: %d, want %d", f, i, outC[i], want)
			}
		}
	}
}
