package augment

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"testing"
)

// Fixtures written by testdata/gen_augment.py with Pillow 9.4: every
// RandAugment op at every level and sign on small images, cutouts at chosen
// centres, flips and grey conversions. Each Go op must match byte for byte.

type fixImage struct {
	W   int    `json:"w"`
	H   int    `json:"h"`
	Pix string `json:"pix"`
}

type fixtures struct {
	PILVersion string               `json:"pil_version"`
	Magnitudes map[string][]float64 `json:"magnitudes"`
	Images     map[string]fixImage  `json:"images"`
	Cases      []struct {
		Op    string `json:"op"`
		Image string `json:"image"`
		Level int    `json:"level"`
		Sign  int    `json:"sign"`
		Out   string `json:"out"`
	} `json:"cases"`
	Cutouts []struct {
		Kind   string  `json:"kind"`
		Image  string  `json:"image"`
		Level  int     `json:"level"`
		Factor float64 `json:"factor"`
		CX     int     `json:"cx"`
		CY     int     `json:"cy"`
		Color  [3]int  `json:"color"`
		Out    string  `json:"out"`
	} `json:"cutouts"`
	Rotations []struct {
		Image string  `json:"image"`
		Deg   float64 `json:"deg"`
		Out   string  `json:"out"`
	} `json:"rotations"`
	Affines []struct {
		Image string     `json:"image"`
		A     [6]float64 `json:"a"`
		Fill  [3]uint8   `json:"fill"`
		Out   string     `json:"out"`
	} `json:"affines"`
	Full448 []struct {
		Op     string `json:"op"`
		Level  int    `json:"level"`
		Sign   int    `json:"sign"`
		SHA256 string `json:"sha256"`
	} `json:"full448"`
	Flips []struct {
		Image string `json:"image"`
		Out   string `json:"out"`
	} `json:"flips"`
	Gray []struct {
		Image string `json:"image"`
		Out   string `json:"out"`
	} `json:"gray"`
}

func loadFixtures(t *testing.T) (*fixtures, map[string]*image.RGBA) {
	t.Helper()
	path := filepath.Join("testdata", "augment_fixtures.json")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%s: %v (regenerate with /usr/bin/python3 augment/testdata/gen_augment.py)", path, err)
	}
	var f fixtures
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	imgs := map[string]*image.RGBA{}
	for name, im := range f.Images {
		rgb := decodeB64(t, im.Pix)
		if len(rgb) != 3*im.W*im.H {
			t.Fatalf("image %s: %d bytes for %dx%d", name, len(rgb), im.W, im.H)
		}
		imgs[name] = fromRGB(rgb, im.W, im.H)
	}
	return &f, imgs
}

func decodeB64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fromRGB builds an RGBA image from packed RGB bytes. The alpha is set to 7
// on purpose: ops must ignore the input alpha and write 255.
func fromRGB(rgb []byte, w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < w*h; i++ {
		copy(img.Pix[4*i:4*i+3], rgb[3*i:3*i+3])
		img.Pix[4*i+3] = 7
	}
	return img
}

// diffRGB compares img with packed RGB bytes (and alpha 255) and describes
// the first mismatches.
func diffRGB(img *image.RGBA, want []byte) string {
	src, w, h := pixels(img)
	if len(want) != 3*w*h {
		return fmt.Sprintf("size: got %dx%d, want %d RGB bytes", w, h, len(want))
	}
	msg, n := "", 0
	for i := 0; i < w*h; i++ {
		g, e := src[4*i:4*i+4], want[3*i:3*i+3]
		if g[0] != e[0] || g[1] != e[1] || g[2] != e[2] || g[3] != 255 {
			if n < 4 {
				msg += fmt.Sprintf(" (x=%d,y=%d) got %v want %v;", i%w, i/w, g, e)
			}
			n++
		}
	}
	if n > 0 {
		return fmt.Sprintf("%d of %d pixels differ:%s", n, w*h, msg)
	}
	return ""
}

var fixtureOps = map[string]Op{
	"shearx": OpShearX, "sheary": OpShearY, "translatex": OpTranslateX, "translatey": OpTranslateY,
	"rotate": OpRotate, "color": OpColor, "contrast": OpContrast, "sharpness": OpSharpness,
	"brightness": OpBrightness, "posterize": OpPosterize, "solarize": OpSolarize,
	"autocontrast": OpAutoContrast, "equalize": OpEqualize, "invert": OpInvert, "cutout": OpCutout,
}

func TestMagnitudesMatchNumpy(t *testing.T) {
	f, _ := loadFixtures(t)
	for name, want := range f.Magnitudes {
		op, ok := fixtureOps[name]
		if !ok {
			t.Fatalf("fixture magnitude table %q has no op", name)
		}
		for level, v := range want {
			if got := Magnitude(op, level); got != v {
				t.Errorf("%s level %d: got %v, numpy %v", op, level, got, v)
			}
		}
	}
	if len(f.Magnitudes) != 12 {
		t.Errorf("fixture has %d magnitude tables, want 12", len(f.Magnitudes))
	}
}

func TestOpsMatchPIL(t *testing.T) {
	f, imgs := loadFixtures(t)
	t.Logf("fixtures from Pillow %s: %d op cases", f.PILVersion, len(f.Cases))
	seen := map[Op]int{}
	for _, c := range f.Cases {
		op, ok := fixtureOps[c.Op]
		if !ok {
			t.Fatalf("unknown fixture op %q", c.Op)
		}
		in := imgs[c.Image]
		before := append([]byte(nil), in.Pix...)
		got := ApplyOpSigned(in, op, c.Level, c.Sign, 0, 0)
		if d := diffRGB(got, decodeB64(t, c.Out)); d != "" {
			t.Errorf("%s level %d sign %+d on %s: %s", op, c.Level, c.Sign, c.Image, d)
		}
		if string(in.Pix) != string(before) {
			t.Fatalf("%s modified its input", op)
		}
		seen[op]++
	}
	for op := Op(0); op < NumOps; op++ {
		if op != OpCutout && seen[op] == 0 {
			t.Errorf("no fixture case for %s", op)
		}
	}
}

// rgbOf packs an image's RGB bytes.
func rgbOf(img *image.RGBA) []byte {
	src, w, h := pixels(img)
	out := make([]byte, 3*w*h)
	for i := 0; i < w*h; i++ {
		copy(out[3*i:3*i+3], src[4*i:4*i+3])
	}
	return out
}

func TestCutoutsMatchPIL(t *testing.T) {
	f, imgs := loadFixtures(t)
	for _, c := range f.Cutouts {
		in := imgs[c.Image]
		var got *image.RGBA
		switch c.Kind {
		case "package":
			got = ApplyOpSigned(in, OpCutout, c.Level, 0, c.CX, c.CY)
		case "asl":
			got = CutoutBox(in, c.CX, c.CY, c.Factor, color.RGBA{uint8(c.Color[0]), uint8(c.Color[1]), uint8(c.Color[2]), 255})
		default:
			t.Fatalf("unknown cutout kind %q", c.Kind)
		}
		if d := diffRGB(got, decodeB64(t, c.Out)); d != "" {
			t.Errorf("%s cutout level %d factor %v at (%d,%d) on %s: %s", c.Kind, c.Level, c.Factor, c.CX, c.CY, c.Image, d)
		}
	}
}

func TestRotationsMatchPIL(t *testing.T) {
	f, imgs := loadFixtures(t)
	for _, c := range f.Rotations {
		if d := diffRGB(Rotate(imgs[c.Image], c.Deg, Grey), decodeB64(t, c.Out)); d != "" {
			t.Errorf("rotate %v on %s: %s", c.Deg, c.Image, d)
		}
	}
}

// At the training size 448 x 448 the outputs hash to PIL's. The image is
// rebuilt from the generator's formula.
func TestOpsMatchPIL448(t *testing.T) {
	if testing.Short() {
		t.Skip("448 x 448 op hashes: skipped in -short mode")
	}
	f, _ := loadFixtures(t)
	if len(f.Full448) == 0 {
		t.Fatal("no 448 fixtures")
	}
	const n = 448
	big := image.NewRGBA(image.Rect(0, 0, n, n))
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			p := big.Pix[4*(y*n+x):]
			p[0], p[1], p[2], p[3] = byte(x*x+3*y+x*y), byte(5*x+7*y+17), byte(x*11+y*y), 255
		}
	}
	for _, c := range f.Full448 {
		got := ApplyOpSigned(big, fixtureOps[c.Op], c.Level, c.Sign, 0, 0)
		sum := sha256.Sum256(rgbOf(got))
		if hex.EncodeToString(sum[:]) != c.SHA256 {
			t.Errorf("%s level %d sign %+d at 448x448: output differs from PIL's", c.Op, c.Level, c.Sign)
		}
	}
}

func TestAffineBicubicMatchesPIL(t *testing.T) {
	f, imgs := loadFixtures(t)
	if len(f.Affines) == 0 {
		t.Fatal("no affine fixtures")
	}
	for _, c := range f.Affines {
		fill := color.RGBA{c.Fill[0], c.Fill[1], c.Fill[2], 255}
		if d := diffRGB(AffineBicubic(imgs[c.Image], c.A, fill), decodeB64(t, c.Out)); d != "" {
			t.Errorf("affine %v on %s: %s", c.A, c.Image, d)
		}
	}
}

func TestFlipAndGrayMatchPIL(t *testing.T) {
	f, imgs := loadFixtures(t)
	for _, c := range f.Flips {
		if d := diffRGB(HorizontalFlip(imgs[c.Image]), decodeB64(t, c.Out)); d != "" {
			t.Errorf("flip %s: %s", c.Image, d)
		}
	}
	for _, c := range f.Gray {
		l := decodeB64(t, c.Out)
		rgb := make([]byte, 3*len(l))
		for i, v := range l {
			rgb[3*i], rgb[3*i+1], rgb[3*i+2] = v, v, v
		}
		if d := diffRGB(Grayscale(imgs[c.Image]), rgb); d != "" {
			t.Errorf("grayscale %s: %s", c.Image, d)
		}
	}
}
