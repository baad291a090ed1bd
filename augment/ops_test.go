package augment

import (
	"image"
	"image/color"
	"math"
	"testing"
)

// Hand-computed checks of each op against its definition, on tiny images.

// imgRGB builds a w x h image from RGB triples, row-major.
func imgRGB(w, h int, rgb ...byte) *image.RGBA {
	if len(rgb) != 3*w*h {
		panic("imgRGB: wrong number of bytes")
	}
	return fromRGB(rgb, w, h)
}

// grey builds a w x h image with R = G = B = v[i].
func grey(w, h int, v ...byte) *image.RGBA {
	rgb := make([]byte, 0, 3*len(v))
	for _, x := range v {
		rgb = append(rgb, x, x, x)
	}
	return imgRGB(w, h, rgb...)
}

// reds returns the R channel of img, row-major.
func reds(img *image.RGBA) []byte {
	src, w, h := pixels(img)
	out := make([]byte, w*h)
	for i := range out {
		out[i] = src[4*i]
	}
	return out
}

func wantBytes(t *testing.T, what string, got, want []byte) {
	t.Helper()
	if string(got) != string(want) {
		t.Errorf("%s: got %v, want %v", what, got, want)
	}
}

func TestPointOpsByHand(t *testing.T) {
	in := grey(4, 1, 0, 10, 128, 255)
	wantBytes(t, "Invert", reds(Invert(in)), []byte{255, 245, 127, 0})

	wantBytes(t, "Posterize 4", reds(Posterize(grey(3, 1, 0xab, 0x0f, 0xff), 4)), []byte{0xa0, 0x00, 0xf0})
	wantBytes(t, "Posterize 8 (identity)", reds(Posterize(in, 8)), []byte{0, 10, 128, 255})

	s := grey(4, 1, 127, 128, 200, 227)
	wantBytes(t, "Solarize 128", reds(Solarize(s, 128)), []byte{127, 127, 55, 28})
	wantBytes(t, "Solarize 227.56", reds(Solarize(s, 227.55555555555554)), []byte{127, 128, 200, 227})
	wantBytes(t, "Solarize 256 (identity)", reds(Solarize(in, 256)), []byte{0, 10, 128, 255})
	wantBytes(t, "Solarize 0 (invert)", reds(Solarize(in, 0)), []byte{255, 245, 127, 0})

	// AutoContrast: lo 50, hi 150, scale 2.55: 100 -> int(127.5) = 127.
	wantBytes(t, "AutoContrast", reds(AutoContrast(grey(3, 1, 50, 100, 150))), []byte{0, 127, 255})
	// A single value (hi == lo) is left alone.
	wantBytes(t, "AutoContrast constant", reds(AutoContrast(grey(2, 1, 9, 9))), []byte{9, 9})
	// Channels are independent: R spans 0..255 already, G is stretched.
	ac := AutoContrast(imgRGB(2, 1, 0, 100, 7, 255, 110, 7))
	wantBytes(t, "AutoContrast per channel", ac.Pix, []byte{0, 0, 7, 255, 255, 255, 7, 255})
}

func TestEqualizeByHand(t *testing.T) {
	// 1024 pixels: 512 of 0, 256 of 100, 256 of 200. step = (1024-256)//255 = 3,
	// lut[0] = 1//3 = 0, lut[100] = (1+512)//3 = 171, lut[200] = (1+768)//3 = 256 -> 255.
	v := make([]byte, 1024)
	for i := 512; i < 768; i++ {
		v[i] = 100
	}
	for i := 768; i < 1024; i++ {
		v[i] = 200
	}
	got := reds(Equalize(grey(32, 32, v...)))
	if got[0] != 0 || got[600] != 171 || got[900] != 255 {
		t.Errorf("Equalize: got %d %d %d, want 0 171 255", got[0], got[600], got[900])
	}
	// Fewer than 256 pixels beyond the last bin: step 0, identity.
	wantBytes(t, "Equalize small", reds(Equalize(grey(3, 1, 5, 60, 61))), []byte{5, 60, 61})
}

func TestEnhanceByHand(t *testing.T) {
	in := grey(3, 1, 201, 101, 200)
	// Brightness: blend with black, v*f truncated (and clipped above 1).
	wantBytes(t, "Brightness 0.5", reds(EnhanceBrightness(in, 0.5)), []byte{100, 50, 100})
	wantBytes(t, "Brightness 1.5", reds(EnhanceBrightness(in, 1.5)), []byte{255, 151, 255})
	wantBytes(t, "Brightness 1", reds(EnhanceBrightness(in, 1)), []byte{201, 101, 200})

	// Color: factor 0 is the luma grey; factor 2 doubles the distance to it.
	c := imgRGB(1, 1, 200, 100, 50) // luma = (200*19595 + 100*38470 + 50*7471 + 32768) >> 16 = 124
	if l := luma(200, 100, 50); l != 124 {
		t.Fatalf("luma(200,100,50) = %d, want 124", l)
	}
	wantBytes(t, "Color 0", EnhanceColor(c, 0).Pix, []byte{124, 124, 124, 255})
	wantBytes(t, "Color 2", EnhanceColor(c, 2).Pix, []byte{255, 76, 0, 255})

	// Contrast: degenerate is the rounded mean luma, (10 + 20 + 31)/3 = 20.33 -> 20.
	ct := grey(3, 1, 10, 20, 31)
	wantBytes(t, "Contrast 0", reds(EnhanceContrast(ct, 0)), []byte{20, 20, 20})
	wantBytes(t, "Contrast 2", reds(EnhanceContrast(ct, 2)), []byte{0, 20, 42})

	// Smooth: the centre of a ring of 13s around a 0 is (8*13*1 + 0*5)/13 + 0.5 -> 8.
	ring := grey(3, 3, 13, 13, 13, 13, 0, 13, 13, 13, 13)
	wantBytes(t, "Smooth", reds(Smooth(ring)), []byte{13, 13, 13, 13, 8, 13, 13, 13, 13})
	// Sharpness 2 extrapolates away from the smoothed value: 8 + 2*(0-8) < 0 -> 0;
	// the border is copied by SMOOTH, so it never changes.
	wantBytes(t, "Sharpness 2", reds(EnhanceSharpness(ring, 2)), []byte{13, 13, 13, 13, 0, 13, 13, 13, 13})
	// A constant image is a fixed point of every enhancer except Brightness.
	k := grey(4, 4, 90, 90, 90, 90, 90, 90, 90, 90, 90, 90, 90, 90, 90, 90, 90, 90)
	for _, f := range []float64{0.1, 0.5, 1.9} {
		for name, got := range map[string]*image.RGBA{
			"Color": EnhanceColor(k, f), "Contrast": EnhanceContrast(k, f), "Sharpness": EnhanceSharpness(k, f),
		} {
			wantBytes(t, name+" constant", reds(got), reds(k))
		}
	}
}

func TestGeometryByHand(t *testing.T) {
	g := Grey.R
	row := grey(5, 1, 0, 1, 2, 3, 4)
	// Output x samples input COORD(x + t + 0.5), nearest.
	wantBytes(t, "TranslateX 1", reds(TranslateX(row, 1, Grey)), []byte{1, 2, 3, 4, g})
	wantBytes(t, "TranslateX 0.6", reds(TranslateX(row, 0.6, Grey)), []byte{1, 2, 3, 4, g})
	wantBytes(t, "TranslateX 0.4", reds(TranslateX(row, 0.4, Grey)), []byte{0, 1, 2, 3, 4})
	wantBytes(t, "TranslateX -0.6", reds(TranslateX(row, -0.6, Grey)), []byte{g, 0, 1, 2, 3})
	wantBytes(t, "TranslateX -2", reds(TranslateX(row, -2, Grey)), []byte{g, g, 0, 1, 2})
	col := grey(1, 3, 7, 8, 9)
	wantBytes(t, "TranslateY 1", reds(TranslateY(col, 1, Grey)), []byte{8, 9, g})
	wantBytes(t, "TranslateY -1", reds(TranslateY(col, -1, Grey)), []byte{g, 7, 8})

	// At pixel centres the bicubic filter reproduces the pixel: zero shear is the identity.
	sq := grey(3, 3, 1, 2, 3, 40, 50, 60, 200, 210, 220)
	wantBytes(t, "ShearX 0", reds(ShearX(sq, 0, Grey)), reds(sq))
	wantBytes(t, "ShearY 0", reds(ShearY(sq, 0, Grey)), reds(sq))
	// A shear whose source leaves the image fills grey: in row y the source is
	// x + 0.5 + s*(y + 0.5); with s = 2, row 2 starts at 5.5 >= 3: all grey.
	sh := reds(ShearX(sq, 2, Grey))
	wantBytes(t, "ShearX 2 row 2", sh[6:9], []byte{g, g, g})

	// Rotation by 90 on a square image: output (x, y) <- input (w-1-y, x), counter-clockwise.
	wantBytes(t, "Rotate 90", reds(Rotate(sq, 90, Grey)), []byte{3, 60, 220, 2, 50, 210, 1, 40, 200})
	wantBytes(t, "Rotate 180", reds(Rotate(sq, 180, Grey)), []byte{220, 210, 200, 60, 50, 40, 3, 2, 1})
	wantBytes(t, "Rotate 360", reds(Rotate(sq, 360, Grey)), reds(sq))
	// A small rotation keeps the centre pixel and fills nothing on a 1x1 image.
	wantBytes(t, "Rotate 10 1x1", reds(Rotate(grey(1, 1, 77), 10, Grey)), []byte{77})
	// 30 degrees on a 9x9 image: the corners leave the disc of the image and turn grey,
	// the centre stays.
	big := make([]byte, 81)
	for i := range big {
		big[i] = byte(i)
	}
	r := reds(Rotate(grey(9, 9, big...), 30, Grey))
	if r[0] != g || r[8] != g || r[72] != g || r[80] != g || r[40] != 40 {
		t.Errorf("Rotate 30: corners %d %d %d %d (want grey), centre %d (want 40)", r[0], r[8], r[72], r[80], r[40])
	}
}

func TestRotateMatrix(t *testing.T) {
	// The inverse map of a counter-clockwise rotation by θ about (cx, cy):
	// (cos θ, -sin θ, ., sin θ, cos θ, .) with the centre fixed.
	m := rotateMatrix(30, 8, 6)
	c, s := math.Cos(math.Pi/6), math.Sin(math.Pi/6)
	want := [6]float64{c, -s, 4 - 4*c + 3*s, s, c, 3 - 4*s - 3*c}
	for i := range m {
		if math.Abs(m[i]-want[i]) > 1e-14 {
			t.Errorf("rotateMatrix[%d] = %v, want %v", i, m[i], want[i])
		}
	}
	if pyRound15(0.1234567890123456789) != 0.123456789012346 {
		t.Errorf("pyRound15: got %v", pyRound15(0.1234567890123456789))
	}
}

func TestCutoutByHand(t *testing.T) {
	v := make([]byte, 64)
	for i := range v {
		v[i] = 1
	}
	img := grey(8, 8, v...)
	count := func(img *image.RGBA, c color.RGBA) (n int) {
		p := img.Pix
		for i := 0; i < len(p); i += 4 {
			if p[i] == c.R && p[i+1] == c.G && p[i+2] == c.B {
				n++
			}
		}
		return n
	}
	// Package cutout: half-open square of side 2*(size/2).
	if n := count(CutoutSquare(img, 4, 4, 4), PackageCutoutColor); n != 16 {
		t.Errorf("CutoutSquare size 4 inside: %d pixels, want 16", n)
	}
	if n := count(CutoutSquare(img, 4, 4, 7), PackageCutoutColor); n != 36 {
		t.Errorf("CutoutSquare size 7 inside: %d pixels, want 36", n)
	}
	if n := count(CutoutSquare(img, 0, 7, 4), PackageCutoutColor); n != 6 {
		t.Errorf("CutoutSquare size 4 at corner (0,7): %d pixels, want 6 ([0,2) x [5,8))", n)
	}
	// ASL box at 448 with factor 0.4: side 179 = 2*89 + 1 (closed box).
	big := image.NewRGBA(image.Rect(0, 0, 448, 448))
	red := color.RGBA{250, 1, 2, 255}
	if n := count(CutoutBox(big, 224, 224, 0.4, red), red); n != 179*179 {
		t.Errorf("CutoutBox 448 centre: %d pixels, want %d", n, 179*179)
	}
	// At a corner the box is clipped: x in [0, 89], y in [0, 89].
	if n := count(CutoutBox(big, 0, 0, 0.4, red), red); n != 90*90 {
		t.Errorf("CutoutBox 448 corner: %d pixels, want %d", n, 90*90)
	}
	// At the far corner: x in [447-89, 448] clipped to 447: 90 columns.
	if n := count(CutoutBox(big, 447, 447, 0.4, red), red); n != 90*90 {
		t.Errorf("CutoutBox 448 far corner: %d pixels, want %d", n, 90*90)
	}
}

func TestFlipByHand(t *testing.T) {
	in := imgRGB(3, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9)
	wantBytes(t, "HorizontalFlip", HorizontalFlip(in).Pix, []byte{7, 8, 9, 255, 4, 5, 6, 255, 1, 2, 3, 255})
}

// Ops accept sub-images (non-zero origin, padded stride) and give the same
// pixels as on a tight copy.
func TestSubImage(t *testing.T) {
	_, imgs := loadFixtures(t)
	base := imgs["r13x11"]
	sub := base.SubImage(image.Rect(2, 3, 10, 9)).(*image.RGBA)
	tight := Clone(sub)
	if tight.Rect != sub.Rect || tight.Stride != 4*8 {
		t.Fatalf("Clone: rect %v stride %d", tight.Rect, tight.Stride)
	}
	for op := Op(0); op < NumOps; op++ {
		for _, level := range []int{1, 5, 9} {
			a := ApplyOpSigned(sub, op, level, -1, 3, 2)
			b := ApplyOpSigned(tight, op, level, -1, 3, 2)
			if a.Rect != sub.Rect {
				t.Errorf("%s: output rect %v, want %v", op, a.Rect, sub.Rect)
			}
			if string(rgbOf(a)) != string(rgbOf(b)) {
				t.Errorf("%s level %d: sub-image and tight copy differ", op, level)
			}
		}
	}
	for _, c := range []struct {
		name string
		fn   func(*image.RGBA) *image.RGBA
	}{{"flip", HorizontalFlip}, {"grey", Grayscale}, {"smooth", Smooth}} {
		if string(rgbOf(c.fn(sub))) != string(rgbOf(c.fn(tight))) {
			t.Errorf("%s: sub-image and tight copy differ", c.name)
		}
	}
}

// Pillow switches to running float64 positions when a corner maps beyond
// ±32768. On a map with exact (integer) coefficients both engines sample
// the same pixels, and a map that lands far outside gives only fill.
func TestAffineNearestFloatPath(t *testing.T) {
	_, imgs := loadFixtures(t)
	img := imgs["r8x8"]
	a := [6]float64{0, 1, 0, -1, 0, 8} // output (x, y) <- input (y, 7-x) in pixel centres
	if string(affineNearestFloat(img, a, Grey).Pix) != string(affineNearestFixed(img, a, Grey).Pix) {
		t.Errorf("float and fixed-point nearest engines differ on an exact map")
	}
	want := reds(Rotate(img, 270, Grey)) // the same map (clockwise), by Pillow's transpose shortcut
	wantBytes(t, "AffineNearest quarter turn", reds(AffineNearest(img, a, Grey)), want)
	far := AffineNearest(img, [6]float64{0, 1, 0, -1, 0, 40008}, Grey)
	for i := 0; i < len(far.Pix); i += 4 {
		if far.Pix[i] != Grey.R || far.Pix[i+1] != Grey.G || far.Pix[i+2] != Grey.B {
			t.Fatalf("float path: pixel %d is not fill", i/4)
		}
	}
}
