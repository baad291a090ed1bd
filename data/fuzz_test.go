package data

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Fuzz targets for every parser of a user's data files. `go test` runs the
// seeds below and the regression inputs under testdata/fuzz/; explore with
//
//	go test ./data/ -run '^$' -fuzz '^FuzzVOCXML$' -fuzztime 10m
//
// or bench/fuzz.sh for all of them (docs/RELIABILITY.md has the figures).
// Each target writes the fuzzed bytes where a user's file would be and
// calls the public loader. Properties: no panic, no allocation beyond what
// the input backs, and every error is one line naming the file.

// fuzzFile writes b to name in dir and returns the path.
func fuzzFile(t *testing.T, dir, name string, b []byte) string {
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// checkLoadError fails unless err is nil or one line naming file.
func checkLoadError(t *testing.T, err error, file string) {
	t.Helper()
	if err == nil {
		return
	}
	msg := err.Error()
	if strings.ContainsAny(msg, "\n\r") {
		t.Fatalf("error is not one line: %q", msg)
	}
	if !strings.Contains(msg, file) {
		t.Fatalf("error does not name %s: %q", file, msg)
	}
}

// checkDataset checks what a loader accepted: one target per class, each
// Positive, Negative or Ignored.
func checkDataset(t *testing.T, ds *Dataset) {
	t.Helper()
	for _, it := range ds.Items {
		if len(it.Labels) != len(ds.Classes) {
			t.Fatalf("%s: %d targets for %d classes", it.Path, len(it.Labels), len(ds.Classes))
		}
		for _, v := range it.Labels {
			if v != Positive && v != Negative && v != Ignored {
				t.Fatalf("%s: target %d", it.Path, v)
			}
		}
	}
}

func fuzzSeedFiles(f *testing.F, names ...string) {
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join("testdata", n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, false)
		f.Add(b, true)
		f.Add(b[:len(b)/2], false)
	}
}

// FuzzVOCXML fuzzes one annotation file of a VOC split.
func FuzzVOCXML(f *testing.F) {
	fuzzSeedFiles(f, "voc/VOC2007/Annotations/v1.xml", "voc/VOC2007/Annotations/v2.xml",
		"voc/VOC2007/Annotations/v3.xml", "voc/VOC2007/Annotations/v4.xml", "voc/VOC2007/Annotations/v5.xml")
	f.Add([]byte(`<annotation><object><name>cat</name><difficult>1</difficult><part><name>hand</name></part></object></annotation>`), true)
	f.Add([]byte(`<annotation><object><name>dog</name><difficult>2</difficult></object>`), false)
	dir := f.TempDir()
	for _, d := range []string{"Annotations", "ImageSets/Main", "JPEGImages"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			f.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "ImageSets/Main/fuzz.txt"), []byte("a\n"), 0o644); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, xml []byte, difficultIgnored bool) {
		fuzzFile(t, filepath.Join(dir, "Annotations"), "a.xml", xml)
		ds, err := LoadVOC(dir, "fuzz", VOCOptions{Options: Options{NoFileCheck: true}, DifficultIgnored: difficultIgnored})
		checkLoadError(t, err, "a.xml")
		if err == nil {
			checkDataset(t, ds)
		}
	})
}

// FuzzCOCO fuzzes a COCO instances file.
func FuzzCOCO(f *testing.F) {
	fuzzSeedFiles(f, "coco.json", "coco_bad.json", "coco_malformed.json")
	f.Add([]byte(`{"images":[{"id":1,"file_name":"a.jpg"}],"annotations":[{"image_id":1,"category_id":3}],"categories":[{"id":3,"name":"cat"},{"id":3,"name":"dog"}]}`), false)
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte, skipBad bool) {
		p := fuzzFile(t, dir, "instances_fuzz.json", b)
		ds, err := LoadCOCO(p, COCOOptions{Options: Options{NoFileCheck: true, SkipBad: skipBad}, ImageDir: dir})
		checkLoadError(t, err, p)
		if err == nil {
			checkDataset(t, ds)
		}
	})
}

// FuzzRefJSON fuzzes the reference implementation's annotation JSON.
func FuzzRefJSON(f *testing.F) {
	fuzzSeedFiles(f, "ref.json", "ref_numeric.json", "ref_malformed.json", "ref_bad_label.json")
	f.Add([]byte(`{"classes": [1, "a"], "images": [["x", [1]]]}`), false)
	f.Add([]byte(`{"images": [["x", ["a", "a"]], ["y"], 3], "classes": ["a", "a"], "other": {}}`), true)
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte, skipBad bool) {
		p := fuzzFile(t, dir, "ref.json", b)
		ds, err := LoadJSON(p, Options{NoFileCheck: true, SkipBad: skipBad})
		checkLoadError(t, err, p)
		if err == nil {
			checkDataset(t, ds)
		}
	})
}

// FuzzCSV fuzzes an image,labels list.
func FuzzCSV(f *testing.F) {
	fuzzSeedFiles(f, "list.csv", "list_bad.csv")
	f.Add([]byte("path,labels\n# comment\n\"a,b.jpg\",cat; dog\nc.jpg,\n\"d.jpg\nx\",cat\n"), true)
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte, skipBad bool) {
		p := fuzzFile(t, dir, "list.csv", b)
		ds, err := LoadCSV(p, Options{NoFileCheck: true, SkipBad: skipBad})
		checkLoadError(t, err, p)
		if err == nil {
			checkDataset(t, ds)
		}
	})
}

// FuzzDecodeResize fuzzes an image file through what the Loader does with
// it: DecodeFile (every registered format, EXIF orientation), then Resize
// to a small square and Normalize.
func FuzzDecodeResize(f *testing.F) {
	for _, n := range []string{"rgb8x6.png", "gray8x6.png", "alpha8x6.png", "rgb8x6.gif", "rgb8x6.bmp",
		"rgb8x6.tiff", "rgb8x6.webp", "q444.jpg", "q444_progressive.jpg", "exif6.jpg"} {
		b, err := os.ReadFile(filepath.Join("testdata", "img", n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, uint8(5))
		f.Add(b[:len(b)*2/3], uint8(1))
	}
	f.Add(pngHeader(100000, 100000), uint8(3))
	dir := f.TempDir()
	old := MaxPixels
	MaxPixels = 1 << 20 // a 4 MiB image at most: the fuzzer's workers stay small
	f.Cleanup(func() { MaxPixels = old })
	f.Fuzz(func(t *testing.T, b []byte, side uint8) {
		p := fuzzFile(t, dir, "img", b)
		img, err := DecodeFile(p)
		checkLoadError(t, err, p)
		if err != nil {
			return
		}
		if r := img.Rect; r.Min.X != 0 || r.Min.Y != 0 || r.Empty() || len(img.Pix) < 4*r.Dx()*r.Dy() {
			t.Fatalf("decoded image %v with %d bytes", r, len(img.Pix))
		}
		s := int(side%32) + 1
		x := Normalize(Resize(img, s, s), NormHalf)
		if len(x) != 3*s*s {
			t.Fatalf("%d values for a %dx%d image", len(x), s, s)
		}
	})
}

// pngHeader is the start of a PNG file whose header claims w × h RGBA
// pixels, with no pixel data.
func pngHeader(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 17)
	copy(ihdr, "IHDR")
	binary.BigEndian.PutUint32(ihdr[4:], w)
	binary.BigEndian.PutUint32(ihdr[8:], h)
	ihdr[12], ihdr[13] = 8, 6 // 8-bit RGBA
	binary.Write(&b, binary.BigEndian, uint32(13))
	b.Write(ihdr)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(ihdr))
	return b.Bytes()
}

// A header that claims more than MaxPixels is refused before any pixel is
// allocated, with an error naming the file.
func TestDecodeRefusesHugeImages(t *testing.T) {
	p := fuzzFile(t, t.TempDir(), "bomb.png", pngHeader(100000, 100000))
	_, err := DecodeFile(p)
	if err == nil || !strings.Contains(err.Error(), "bomb.png") || !strings.Contains(err.Error(), "100000x100000") {
		t.Fatalf("err = %v", err)
	}
	// Within the limit the same truncated file fails later, on its data.
	p = fuzzFile(t, t.TempDir(), "small.png", pngHeader(4, 4))
	if _, err := DecodeFile(p); err == nil || strings.Contains(err.Error(), "MaxPixels") {
		t.Fatalf("err = %v", err)
	}
}

// FuzzDataYAML fuzzes an Ultralytics data.yaml: the YAML subset reader,
// the split entries, path, nc and names (a list or an index map). It stops
// short of listing the images the file names: an absolute path in a
// fuzzed file would walk the fuzzing machine's disk. FuzzYOLOLabels covers
// the loading.
func FuzzDataYAML(f *testing.F) {
	b, err := os.ReadFile(filepath.Join("testdata", "shapes-yolo", "data.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	for _, s := range []string{
		"train: images/train\nval: [images/val, list.txt]\nnames: ['a', \"b: c\", d]\n",
		"path: ../data  # root\ntrain:\n  - a\n  - b\nnc: 2\n",
		"train: x\nnames:\n  - a\n  - a\n", "train: x\nnc: 3\nnames: [a, b]\n",
		"train: x\nnames: {0: a, 2: b}\n", "train: 'unterminated\n", "names:\n\t- a\n", "- a\n- b\n", ":\n",
	} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		p := fuzzFile(t, dir, "data.yaml", b)
		y, err := readDataYAML(p)
		checkLoadError(t, err, p)
		if err != nil {
			return
		}
		if len(y.splits) == 0 || len(y.names) == 0 {
			t.Fatalf("accepted %d splits and %d names", len(y.splits), len(y.names))
		}
		seen := map[string]bool{}
		for _, n := range y.names {
			if seen[n] {
				t.Fatalf("class %q accepted twice", n)
			}
			seen[n] = true
		}
	})
}

// FuzzYOLOLabels fuzzes one YOLO label file ("class x y w h" or a
// polygon per line) of a split, through LoadYOLO.
func FuzzYOLOLabels(f *testing.F) {
	for _, s := range []string{
		"1 0.187500 0.343750 0.343750 0.343750\n2 0.5 0.2 0.2 0.3\n", "0 0.1 0.1 0.2 0.1 0.3 0.3 0.1 0.4\n",
		"\n\n", "3 0.5 0.5 0.1 0.1\n", "1.0 0.5 0.5 0.1 0.1\n", "-1 0 0 0 0\n", "0 NaN 0 0 0\n", "0 1.5 0 0 0\n", "0 0.5\n",
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	dir := f.TempDir()
	for _, d := range []string{"images/train", "labels/train"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			f.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "data.yaml"), []byte("train: images/train\nnames: [a, b, c]\n"), 0o644); err != nil {
		f.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "images/train/x.jpg"), nil, 0o644); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte, skipBad bool) {
		fuzzFile(t, filepath.Join(dir, "labels/train"), "x.txt", b)
		ds, err := LoadYOLO(dir, "train", Options{NoFileCheck: true, SkipBad: skipBad})
		checkLoadError(t, err, "x.txt")
		if err == nil {
			checkDataset(t, ds)
		}
	})
}

// FuzzClassList fuzzes a class list (a YOLO classes.txt, a run folder's
// classes.txt, the file of -classes) through ReadClassList: what is
// accepted is at least one name, each unique, non-blank and trimmed.
func FuzzClassList(f *testing.F) {
	for _, s := range []string{
		"cat\ndog\ntraffic light\n", "\uFEFFcat\r\ndog\r\n", "# classes\n\n  cat  \n#dog\nbird", "cat\ncat\n",
		"\n\n", "", "a\x00b\n\xff\xfe\n", strings.Repeat("x", 70000) + "\n",
	} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		p := fuzzFile(t, dir, "classes.txt", b)
		names, err := ReadClassList(p)
		checkLoadError(t, err, p)
		if err != nil {
			return
		}
		if len(names) == 0 {
			t.Fatal("no names accepted without an error")
		}
		seen := map[string]bool{}
		for _, n := range names {
			if n == "" || n != strings.TrimSpace(n) || strings.HasPrefix(n, "#") || seen[n] {
				t.Fatalf("name %q accepted (names %q)", n, names)
			}
			seen[n] = true
		}
	})
}
