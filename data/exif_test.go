package data

import (
	"bytes"
	"encoding/binary"
	"image"
	"os"
	"strings"
	"testing"
)

func TestOrient(t *testing.T) {
	// 3x2 source, pixel values 1..6 in the red byte:
	//   1 2 3
	//   4 5 6
	src := image.NewRGBA(image.Rect(0, 0, 3, 2))
	for i := 0; i < 6; i++ {
		src.Pix[4*i] = uint8(i + 1)
	}
	want := map[int][][]uint8{
		1: {{1, 2, 3}, {4, 5, 6}},
		2: {{3, 2, 1}, {6, 5, 4}},
		3: {{6, 5, 4}, {3, 2, 1}},
		4: {{4, 5, 6}, {1, 2, 3}},
		5: {{1, 4}, {2, 5}, {3, 6}},
		6: {{4, 1}, {5, 2}, {6, 3}}, // 90° clockwise
		7: {{6, 3}, {5, 2}, {4, 1}},
		8: {{3, 6}, {2, 5}, {1, 4}}, // 90° anticlockwise
	}
	for o, rows := range want {
		got := orient(src, o)
		if got.Rect.Dx() != len(rows[0]) || got.Rect.Dy() != len(rows) {
			t.Fatalf("orientation %d: size %v", o, got.Rect)
		}
		for y, row := range rows {
			for x, v := range row {
				if p := got.Pix[y*got.Stride+4*x]; p != v {
					t.Fatalf("orientation %d (%d,%d): %d, want %d", o, x, y, p, v)
				}
			}
		}
	}
}

func TestEXIFOrientationJPEG(t *testing.T) {
	img, err := DecodeFile("testdata/img/exif6.jpg")
	if err != nil {
		t.Fatal(err)
	}
	if img.Rect.Dx() != 8 || img.Rect.Dy() != 16 {
		t.Fatalf("size %v, want 8x16 after turning 90° clockwise", img.Rect)
	}
	// Quadrant centres after the turn: blue, red / white, green.
	for _, c := range []struct {
		x, y    int
		r, g, b uint8
	}{{2, 4, 0, 0, 255}, {6, 4, 255, 0, 0}, {2, 12, 255, 255, 255}, {6, 12, 0, 255, 0}} {
		p := img.Pix[c.y*img.Stride+4*c.x:]
		if absInt(int(p[0])-int(c.r)) > 8 || absInt(int(p[1])-int(c.g)) > 8 || absInt(int(p[2])-int(c.b)) > 8 {
			t.Errorf("(%d,%d): %v, want %d %d %d", c.x, c.y, p[:3], c.r, c.g, c.b)
		}
	}
}

// A big-endian ("MM") EXIF block, written by hand, and malformed ones.
func TestTIFFOrientation(t *testing.T) {
	b := make([]byte, 8+2+12*2)
	copy(b, "MM")
	binary.BigEndian.PutUint16(b[2:], 42)
	binary.BigEndian.PutUint32(b[4:], 8)
	binary.BigEndian.PutUint16(b[8:], 2)
	e := b[10:]
	binary.BigEndian.PutUint16(e[0:], 0x010F) // Make, ASCII: skipped
	binary.BigEndian.PutUint16(e[2:], 2)
	binary.BigEndian.PutUint16(e[12:], 0x0112)
	binary.BigEndian.PutUint16(e[14:], 3)
	binary.BigEndian.PutUint32(e[16:], 1)
	binary.BigEndian.PutUint16(e[20:], 8)
	if o := tiffOrientation(b); o != 8 {
		t.Fatalf("MM orientation %d, want 8", o)
	}
	binary.BigEndian.PutUint16(b[8:], 9) // count past the end
	binary.BigEndian.PutUint16(e[20:], 8)
	e[12] = 0 // tag no longer 0x0112
	if o := tiffOrientation(b); o != 1 {
		t.Fatalf("truncated IFD: %d, want 1", o)
	}
	for _, bad := range [][]byte{nil, {0xFF, 0xD8}, {0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF}, []byte("not a jpeg")} {
		if o := jpegOrientation(bad); o != 1 {
			t.Fatalf("jpegOrientation(%q) = %d", bad, o)
		}
	}
}

// Decode from a reader applies the orientation exactly as DecodeFile does,
// so an uploaded image is preprocessed as the same file on disk.
func TestDecodeReaderMatchesFile(t *testing.T) {
	for _, name := range []string{"testdata/img/exif6.jpg", "testdata/img/q444.jpg", "testdata/img/rgb8x6.png"} {
		want, err := DecodeFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Decode(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if got.Rect != want.Rect || !bytes.Equal(got.Pix, want.Pix) {
			t.Errorf("%s: Decode gives %v, DecodeFile %v (or other pixels)", name, got.Rect, want.Rect)
		}
	}
	if _, err := Decode(strings.NewReader("not an image")); err == nil || !strings.HasPrefix(err.Error(), "image: ") {
		t.Errorf("Decode of garbage: %v", err)
	}
}
