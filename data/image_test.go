package data

import (
	"image"
	"image/color"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
)

func readRaw(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rgbOf drops the alpha bytes.
func rgbOf(img *image.RGBA) []byte {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	out := make([]byte, 0, 3*w*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			out = append(out, img.Pix[y*img.Stride+4*x:y*img.Stride+4*x+3]...)
		}
	}
	return out
}

// Every lossless format decodes to the same 8x6 picture (gen_fixtures.py).
func TestDecodeLosslessFormats(t *testing.T) {
	want := readRaw(t, "testdata/img/rgb8x6.raw")
	for _, ext := range []string{"png", "bmp", "tiff", "webp", "gif"} {
		img, err := DecodeFile("testdata/img/rgb8x6." + ext)
		if err != nil {
			t.Fatalf("%s: %v", ext, err)
		}
		if img.Rect != image.Rect(0, 0, 8, 6) {
			t.Fatalf("%s: bounds %v", ext, img.Rect)
		}
		if got := rgbOf(img); string(got) != string(want) {
			t.Errorf("%s: pixels differ from rgb8x6.raw\n got %v\nwant %v", ext, got[:12], want[:12])
		}
		for i := 3; i < len(img.Pix); i += 4 {
			if img.Pix[i] != 255 {
				t.Fatalf("%s: alpha %d", ext, img.Pix[i])
			}
		}
	}
	// Transparent PNG: stored RGB kept (cv2.imread IMREAD_COLOR drops alpha).
	img, err := DecodeFile("testdata/img/alpha8x6.png")
	if err != nil {
		t.Fatal(err)
	}
	if got := rgbOf(img); string(got) != string(want) {
		t.Errorf("alpha png: RGB changed: %v", got[:12])
	}
	// Grey: R = G = B = the stored level.
	img, err = DecodeFile("testdata/img/gray8x6.png")
	if err != nil {
		t.Fatal(err)
	}
	for y := 0; y < 6; y++ {
		for x := 0; x < 8; x++ {
			p := img.Pix[y*img.Stride+4*x:]
			v := uint8((x*30 + y*7) % 256)
			if p[0] != v || p[1] != v || p[2] != v || p[3] != 255 {
				t.Fatalf("gray (%d,%d): %v, want %d", x, y, p[:4], v)
			}
		}
	}
}

// JPEG against libjpeg (PIL's decode, q444.raw): Go's IDCT rounds
// differently, so allow a few levels; progressive must match baseline closely.
func TestDecodeJPEG(t *testing.T) {
	want := readRaw(t, "testdata/img/q444.raw")
	base, err := DecodeFile("testdata/img/q444.jpg")
	if err != nil {
		t.Fatal(err)
	}
	prog, err := DecodeFile("testdata/img/q444_progressive.jpg")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readRaw(t, "testdata/img/q444_progressive.jpg")), "\xff\xc2") {
		t.Fatal("q444_progressive.jpg has no SOF2 marker")
	}
	for name, img := range map[string]*image.RGBA{"baseline": base, "progressive": prog} {
		got := rgbOf(img)
		if len(got) != len(want) {
			t.Fatalf("%s: %d bytes, want %d", name, len(got), len(want))
		}
		worst := 0
		for i := range got {
			worst = max(worst, absInt(int(got[i])-int(want[i])))
		}
		t.Logf("%s: worst %d", name, worst)
		if worst > 3 {
			t.Errorf("%s: differs from libjpeg by up to %d levels", name, worst)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	if _, err := DecodeFile("testdata/img/none.png"); err == nil || !strings.Contains(err.Error(), "none.png") {
		t.Fatalf("missing: %v", err)
	}
	if _, err := DecodeFile("testdata/ref.json"); err == nil || !strings.Contains(err.Error(), "ref.json") {
		t.Fatalf("not an image: %v", err)
	}
}

func absInt(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// The direct conversion loops equal the generic color conversions.
func TestToRGBAFastPaths(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	ratios := []image.YCbCrSubsampleRatio{
		image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio420,
		image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410,
	}
	for _, ratio := range ratios {
		full := image.NewYCbCr(image.Rect(0, 0, 13, 9), ratio)
		neg := image.NewYCbCr(image.Rect(-4, -3, 9, 6), ratio)
		for _, s := range [][]uint8{full.Y, full.Cb, full.Cr, neg.Y, neg.Cb, neg.Cr} {
			for i := range s {
				s[i] = uint8(r.IntN(256))
			}
		}
		// Odd-origin sub-images exercise the chroma offsets, and a
		// negative origin Go's truncating ones.
		for _, img := range []*image.YCbCr{full, full.SubImage(image.Rect(3, 1, 12, 8)).(*image.YCbCr),
			full.SubImage(image.Rect(4, 2, 12, 8)).(*image.YCbCr), neg} {
			got := ToRGBA(img)
			b := img.Bounds()
			for y := b.Min.Y; y < b.Max.Y; y++ {
				for x := b.Min.X; x < b.Max.X; x++ {
					c := img.YCbCrAt(x, y)
					rr, gg, bb := color.YCbCrToRGB(c.Y, c.Cb, c.Cr)
					p := got.Pix[(y-b.Min.Y)*got.Stride+4*(x-b.Min.X):]
					if p[0] != rr || p[1] != gg || p[2] != bb || p[3] != 255 {
						t.Fatalf("%v %v (%d,%d): %v, want %d %d %d", ratio, b, x, y, p[:4], rr, gg, bb)
					}
				}
			}
		}
	}
	// Paletted and NRGBA.
	pal := image.NewPaletted(image.Rect(0, 0, 4, 3), color.Palette{color.RGBA{1, 2, 3, 255}, color.NRGBA{200, 100, 50, 128}})
	pal.Pix[5] = 1
	got := ToRGBA(pal)
	if p := got.Pix[20:24]; p[0] != 200 || p[1] != 100 || p[2] != 50 || p[3] != 255 {
		t.Fatalf("paletted: %v", p)
	}
	if p := got.Pix[0:4]; p[0] != 1 || p[1] != 2 || p[2] != 3 {
		t.Fatalf("paletted: %v", p)
	}
	// Generic path (CMYK) agrees with the colour model.
	cmyk := image.NewCMYK(image.Rect(0, 0, 3, 2))
	for i := range cmyk.Pix {
		cmyk.Pix[i] = uint8(r.IntN(256))
	}
	got = ToRGBA(cmyk)
	for i := 0; i < 6; i++ {
		c := color.RGBAModel.Convert(cmyk.At(i%3, i/3)).(color.RGBA)
		if p := got.Pix[4*i:]; p[0] != c.R || p[1] != c.G || p[2] != c.B || p[3] != 255 {
			t.Fatalf("cmyk %d: %v vs %v", i, p[:4], c)
		}
	}
}

func TestNormalize(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 2, 1))
	copy(img.Pix, []uint8{0, 255, 51, 9, 128, 64, 255, 0})
	got := Normalize(img, NormHalf)
	// CHW: R plane (0, 128), G plane (255, 64), B plane (51, 255);
	// x = (p/255 - 0.5)/0.5.
	want := []float32{-1, (128.0/255 - 0.5) / 0.5, 1, (64.0/255 - 0.5) / 0.5, (51.0/255 - 0.5) / 0.5, 1}
	for i := range want {
		if d := got[i] - want[i]; d > 1e-6 || d < -1e-6 {
			t.Fatalf("half: %v, want %v", got, want)
		}
	}
	got = Normalize(img, NormImageNet)
	// R of pixel 0: (0 - 0.485)/0.229; exactly the float32 ops of torchvision.
	if w := (float32(0)/255 - float32(0.485)) / float32(0.229); got[0] != w {
		t.Fatalf("imagenet: %v, want %v", got[0], w)
	}
	if w := (float32(64)/255 - float32(0.456)) / float32(0.224); got[3] != w {
		t.Fatalf("imagenet G: %v, want %v", got[3], w)
	}
}
