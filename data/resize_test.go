package data

import (
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"testing"
)

// rgbaOf builds a w x h image from per-pixel grey levels (R = G = B = v).
func rgbaOf(w, h int, v func(x, y int) uint8) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			g := v(x, y)
			copy(img.Pix[y*img.Stride+4*x:], []uint8{g, g, g, 255})
		}
	}
	return img
}

func randomRGBA(r *rand.Rand, w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = uint8(r.IntN(256))
	}
	return img
}

// Hand-computed cases, each with its arithmetic.
func TestResizeHandCases(t *testing.T) {
	for _, kernel := range []struct {
		name string
		fn   func(*image.RGBA, int, int) *image.RGBA
	}{{"fast", Resize}, {"ref", resizeRef}} {
		t.Run(kernel.name, func(t *testing.T) {
			// 2x1 [0, 255] -> 4x1. scale 0.5; f = (d+0.5)/2 - 0.5:
			// d=0: -0.25 -> clamped to s=0, t=0          -> 0
			// d=1:  0.25 -> w = (1536, 512): h = 255*512  = 130560
			//       (130560*2048 + 2^21) >> 22 = floor(63.75 + 0.5) = 64
			// d=2:  0.75 -> h = 255*1536 -> floor(191.25 + 0.5) = 191
			// d=3:  1.25 -> s >= W-1: s=1, t=0           -> 255
			// Rows: one row, weights (2048, 0). 12 bytes < 16: scalar path.
			src := rgbaOf(2, 1, func(x, _ int) uint8 { return uint8(255 * x) })
			got := kernel.fn(src, 4, 1)
			for x, want := range []uint8{0, 64, 191, 255} {
				if p := got.Pix[4*x : 4*x+4]; p[0] != want || p[1] != want || p[2] != want || p[3] != 255 {
					t.Errorf("upsample x=%d: %v, want %d", x, p, want)
				}
			}

			// 4x4 -> 2x2, exact halving: t = 0.5 everywhere, weights 1024,
			// out = ((a+b+c+d) 2^20 + 2^21) >> 22 = (a+b+c+d+2) >> 2, the
			// INTER_AREA value OpenCV switches to for this case.
			vals := [4][4]uint8{{10, 20, 0, 255}, {30, 41, 255, 255}, {1, 2, 100, 100}, {3, 5, 100, 101}}
			src = rgbaOf(4, 4, func(x, y int) uint8 { return vals[y][x] })
			got = kernel.fn(src, 2, 2)
			want := [2][2]uint8{{(10 + 20 + 30 + 41 + 2) >> 2, (0 + 255 + 255 + 255 + 2) >> 2}, {(1 + 2 + 3 + 5 + 2) >> 2, (100 + 100 + 100 + 101 + 2) >> 2}}
			for y := 0; y < 2; y++ {
				for x := 0; x < 2; x++ {
					if g := got.Pix[y*got.Stride+4*x]; g != want[y][x] {
						t.Errorf("halving (%d,%d): %d, want %d", x, y, g, want[y][x])
					}
				}
			}

			// SIMD and scalar vertical paths disagree. 6x3 -> 6x5: columns
			// keep t = 0, so h = 2048 S. Output row 1: f = 1.5*0.6 - 0.5 = 0.4,
			// rows 0 (value 1) and 1 (value 5), b = (1229, 819).
			//   scalar: (1*2048*1229 + 5*2048*819 + 2^21) >> 22 = floor(3.0996) = 3
			//   SIMD:   (1*128*1229)>>16 + (5*128*819)>>16 = 2 + 7 = 9, (9+2)>>2 = 2
			// A 6-pixel BGR row has 18 bytes: bytes 0-15 take the 16-byte
			// SIMD loop, bytes 16-17 (pixel 5, channels 1 and 2) the scalar one.
			rows := []uint8{1, 5, 9}
			src = rgbaOf(6, 3, func(_, y int) uint8 { return rows[y] })
			got = kernel.fn(src, 6, 5)
			row := got.Pix[got.Stride : got.Stride+24]
			for x := 0; x < 5; x++ {
				if p := row[4*x : 4*x+3]; p[0] != 2 || p[1] != 2 || p[2] != 2 {
					t.Errorf("SIMD part, pixel %d: %v, want 2 2 2", x, p)
				}
			}
			if p := row[20:23]; p[0] != 2 || p[1] != 3 || p[2] != 3 {
				t.Errorf("pixel 5: %v, want 2 (SIMD) 3 3 (scalar)", p)
			}
		})
	}
}

// resizeFloat is the textbook bilinear with OpenCV's geometry in float64,
// rounded once: the fixed-point kernels must stay within 1 of it.
func resizeFloat(src *image.RGBA, w, h int) *image.RGBA {
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	at := func(x, y, c int) float64 {
		x, y = min(max(x, 0), sw-1), min(max(y, 0), sh-1)
		return float64(src.Pix[y*src.Stride+4*x+c])
	}
	for dy := 0; dy < h; dy++ {
		fy := (float64(dy)+0.5)*float64(sh)/float64(h) - 0.5
		sy := math.Floor(fy)
		ty := fy - sy
		for dx := 0; dx < w; dx++ {
			fx := (float64(dx)+0.5)*float64(sw)/float64(w) - 0.5
			sx := math.Floor(fx)
			tx := fx - sx
			for c := 0; c < 3; c++ {
				x, y := int(sx), int(sy)
				top := at(x, y, c)*(1-tx) + at(x+1, y, c)*tx
				bot := at(x, y+1, c)*(1-tx) + at(x+1, y+1, c)*tx
				dst.Pix[dy*dst.Stride+4*dx+c] = uint8(math.Round(top*(1-ty) + bot*ty))
			}
		}
	}
	return dst
}

func TestResizeAgainstReferences(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	sizes := [][4]int{
		{7, 5, 3, 2}, {5, 7, 16, 16}, {33, 17, 12, 40}, {1, 1, 5, 3}, {9, 1, 4, 4},
		{40, 30, 21, 21}, {100, 60, 32, 32}, {64, 64, 32, 32}, {13, 29, 13, 7},
	}
	var reuse *image.RGBA
	for _, s := range sizes {
		src := randomRGBA(r, s[0], s[1])
		name := fmt.Sprintf("%dx%d->%dx%d", s[0], s[1], s[2], s[3])
		fast := ResizeInto(reuse, src, s[2], s[3])
		reuse = fast
		ref := resizeRef(src, s[2], s[3])
		flt := resizeFloat(src, s[2], s[3])
		for i := range fast.Pix {
			if fast.Pix[i] != ref.Pix[i] {
				t.Fatalf("%s: fast and reference differ at byte %d: %d vs %d", name, i, fast.Pix[i], ref.Pix[i])
			}
			if i%4 == 3 {
				if fast.Pix[i] != 255 {
					t.Fatalf("%s: alpha %d", name, fast.Pix[i])
				}
				continue
			}
			if d := int(fast.Pix[i]) - int(flt.Pix[i]); d < -1 || d > 1 {
				t.Fatalf("%s: byte %d is %d, float bilinear %d", name, i, fast.Pix[i], flt.Pix[i])
			}
		}
	}
}

// A sub-image (non-zero origin, stride wider than the row) resizes like its copy.
func TestResizeSubImage(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	big := randomRGBA(r, 20, 16)
	sub := big.SubImage(image.Rect(3, 5, 14, 12)).(*image.RGBA)
	cp := ToRGBA(sub) // opaque copy with origin (0,0)
	a, b := Resize(sub, 9, 9), Resize(cp, 9, 9)
	for i := range a.Pix {
		if a.Pix[i] != b.Pix[i] {
			t.Fatalf("byte %d: %d vs %d", i, a.Pix[i], b.Pix[i])
		}
	}
	if got := Resize(cp, 11, 7); got.Rect.Dx() != 11 || got.Pix[0] != cp.Pix[0] {
		t.Fatalf("same-size resize should copy")
	}
}

func TestLinearCoefs(t *testing.T) {
	// 500 -> 448 (a VOC width to the reference's size): weights sum to 2048
	// and source indices stay in range.
	ofs, w0, w1 := linearCoefs(500, 448, true)
	for d := range ofs {
		if w0[d]+w1[d] != 2048 || ofs[d] < 0 || ofs[d] > 499 {
			t.Fatalf("d=%d: s=%d w=(%d,%d)", d, ofs[d], w0[d], w1[d])
		}
	}
	if simdEnd(448) != 1344 || simdEnd(5) != 0 || simdEnd(6) != 16 {
		t.Fatalf("simdEnd: %d %d %d", simdEnd(448), simdEnd(5), simdEnd(6))
	}
}

func BenchmarkResize500x375To448(b *testing.B) {
	src := randomRGBA(rand.New(rand.NewPCG(1, 1)), 500, 375)
	var dst *image.RGBA
	for b.Loop() {
		dst = ResizeInto(dst, src, 448, 448)
	}
}
