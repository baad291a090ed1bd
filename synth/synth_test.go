package synth

import (
	"encoding/xml"
	"fmt"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestClasses(t *testing.T) {
	names := Classes()
	if len(names) != 20 {
		t.Fatalf("%d classes", len(names))
	}
	seen := map[string]bool{}
	for i, n := range names {
		if seen[n] {
			t.Fatalf("duplicate class %q", n)
		}
		seen[n] = true
		if i > 0 && names[i-1] >= n {
			t.Fatalf("classes not sorted: %q before %q", names[i-1], n)
		}
	}
}

func TestGenerateLayoutAndDeterminism(t *testing.T) {
	cfg := Config{Seed: 3, Size: 48, Train: 6, Val: 2, Test: 4}
	a, err := Generate(t.TempDir(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Generate(t.TempDir(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"ImageSets/Main/train.txt", "ImageSets/Main/trainval.txt", "ImageSets/Main/test.txt", "Annotations/000001.xml", "JPEGImages/000012.jpg"} {
		x, err := os.ReadFile(filepath.Join(a, f))
		if err != nil {
			t.Fatal(err)
		}
		y, _ := os.ReadFile(filepath.Join(b, f))
		if string(x) != string(y) {
			t.Fatalf("%s differs between two runs with the same seed", f)
		}
	}
	ids, _ := os.ReadFile(filepath.Join(a, "ImageSets/Main/trainval.txt"))
	if n := len(strings.Fields(string(ids))); n != 8 {
		t.Fatalf("trainval has %d ids, want 8", n)
	}
	// Every annotation parses, names known classes, has valid boxes, and
	// agrees with the per-class split files.
	known := map[string]bool{}
	for _, c := range Classes() {
		known[c] = true
	}
	f, err := os.Open(filepath.Join(a, "JPEGImages", "000001.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := jpeg.Decode(f)
	f.Close()
	if err != nil || img.Bounds().Dx() != 48 {
		t.Fatalf("image: %v %v", err, img.Bounds())
	}
	for i := 1; i <= 12; i++ {
		raw, err := os.ReadFile(filepath.Join(a, "Annotations", fmt.Sprintf("%06d.xml", i)))
		if err != nil {
			t.Fatal(err)
		}
		var ann xmlAnnotation
		if err := xml.Unmarshal(raw, &ann); err != nil {
			t.Fatal(err)
		}
		if len(ann.Objects) == 0 || len(ann.Objects) > 4 {
			t.Fatalf("image %d has %d objects", i, len(ann.Objects))
		}
		for _, o := range ann.Objects {
			if !known[o.Name] {
				t.Fatalf("unknown class %q", o.Name)
			}
			if o.Box.Xmin < 1 || o.Box.Xmax > 48 || o.Box.Xmin > o.Box.Xmax || o.Box.Ymin > o.Box.Ymax {
				t.Fatalf("bad box %+v", o.Box)
			}
		}
	}
}

// Label sets must carry co-occurrence: classes of one group appear
// together far more often than classes of different groups.
func TestCooccurrence(t *testing.T) {
	var same, diff, pairsSame, pairsDiff float64
	for i := 0; i < 2000; i++ {
		rng := newRNG(uint64(i))
		ls := drawLabels(rng)
		for a := range ls {
			for b := range ls {
				if a < b && ls[a] != ls[b] {
					if classes[ls[a]].group == classes[ls[b]].group {
						same++
					} else {
						diff++
					}
				}
			}
		}
	}
	// 20 classes in 5 groups: a random pair is same-group with p 3/19.
	pairsSame, pairsDiff = 3, 16
	if same/pairsSame < 5*diff/pairsDiff {
		t.Fatalf("no co-occurrence structure: same-group %v, cross-group %v", same, diff)
	}
}
