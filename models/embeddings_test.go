package models

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeTemp(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// Multi-word names average their words; whole names with "_" win; missing
// words are listed; a class with no known word is an *OOVError.
func TestLabelEmbeddings(t *testing.T) {
	p := writeTemp(t, "g.txt", "dining 1 2 4\ntable 3 0 0\nperson 0 1 0\ntraffic_light 9 9 9\nplant 2 2 2\n")
	wv, err := ReadGloVe(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if wv.Dim != 3 || len(wv.Vectors) != 5 {
		t.Fatalf("dim %d, %d words", wv.Dim, len(wv.Vectors))
	}
	emb, oov, err := LabelEmbeddings(wv, []string{"dining table", "Person", "traffic light", "potted plant"})
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{2, 1, 2, 0, 1, 0, 9, 9, 9, 2, 2, 2}
	for i, w := range want {
		if emb[i] != w {
			t.Fatalf("embeddings %v, want %v", emb, want)
		}
	}
	if len(oov) != 1 || oov[0] != "potted plant: potted" {
		t.Errorf("oov %q, want [potted plant: potted]", oov)
	}
	_, _, err = LabelEmbeddings(wv, []string{"person", "zebra crossing"})
	var oe *OOVError
	if !errors.As(err, &oe) || len(oe.Classes) != 1 || oe.Classes[0] != "zebra crossing" {
		t.Errorf("err %v, want OOVError for zebra crossing", err)
	}

	// Only the needed words are loaded.
	emb, dim, _, err := ReadLabelEmbeddings(p, []string{"person"})
	if err != nil || dim != 3 || emb[1] != 1 {
		t.Errorf("ReadLabelEmbeddings: %v %d %v", emb, dim, err)
	}
}

func TestReadGloVeErrors(t *testing.T) {
	p := writeTemp(t, "bad.txt", "a 1 2 3\nb 1 2\n")
	if _, err := ReadGloVe(p, nil); err == nil || !strings.Contains(err.Error(), "bad.txt:2") {
		t.Errorf("short line: err %v", err)
	}
	p = writeTemp(t, "bad2.txt", "a 1 x 3\n")
	if _, err := ReadGloVe(p, nil); err == nil || !strings.Contains(err.Error(), "bad2.txt:1") {
		t.Errorf("bad value: err %v", err)
	}
	if _, err := ReadGloVe(filepath.Join(t.TempDir(), "none.txt"), nil); err == nil {
		t.Error("missing file accepted")
	}
}

// The 80 COCO class names ("traffic light", ...) all resolve in the shared
// per-class GloVe file, to its rows.
func TestCOCOGloVe(t *testing.T) {
	dir := filepath.Join(sharedData, "glove")
	raw, err := os.ReadFile(filepath.Join(dir, "coco_classes.txt"))
	if err != nil {
		t.Skipf("GloVe files beside the checkout absent (%v): see docs/README.md, Reference data beside the checkout", err)
	}
	classes := strings.Split(strings.TrimSpace(string(raw)), "\n")
	emb, dim, oov, err := ReadLabelEmbeddings(filepath.Join(dir, "coco_glove_300d.txt"), classes)
	if err != nil || len(oov) != 0 || dim != 300 || len(classes) != 80 {
		t.Fatalf("err %v, oov %v, dim %d, %d classes", err, oov, dim, len(classes))
	}
	wv, err := ReadGloVe(filepath.Join(dir, "coco_glove_300d.txt"), nil)
	if err != nil {
		t.Fatal(err)
	}
	for j, name := range classes {
		row := wv.Vectors[strings.ReplaceAll(name, " ", "_")]
		for i := 0; i < 300; i++ {
			if emb[j*300+i] != row[i] {
				t.Fatalf("class %q row differs at %d", name, i)
			}
		}
	}
}

// Image-derived embeddings keep the distances between centred class means
// (N ≤ dim), pad with zeros, and have mean row norm 0.385·√dim.
func TestClassFeatureMeans(t *testing.T) {
	rng := headRNG(12)
	n, c, dim := 4, 6, 5
	acc := NewClassFeatureMeans(n, c)
	var feats []float32
	var labels [][]int
	for b := 0; b < 40; b++ {
		for k := 0; k < c; k++ {
			feats = append(feats, 3+float32(rng.NormFloat64()))
		}
		labels = append(labels, []int{b % n, (b / n) % n})
	}
	if err := acc.Add(feats, labels); err != nil {
		t.Fatal(err)
	}
	emb, err := acc.Embeddings(dim)
	if err != nil {
		t.Fatal(err)
	}
	// Reference distances from the raw means.
	mean := func(j int) []float64 {
		m := make([]float64, c)
		cnt := 0
		for b, ls := range labels {
			for _, l := range ls {
				if l == j {
					cnt++
					for k := 0; k < c; k++ {
						m[k] += float64(feats[b*c+k])
					}
				}
			}
		}
		for k := range m {
			m[k] /= float64(cnt)
		}
		return m
	}
	dist := func(a, b []float64) float64 {
		var s float64
		for i := range a {
			s += (a[i] - b[i]) * (a[i] - b[i])
		}
		return math.Sqrt(s)
	}
	row := func(j int) []float64 {
		r := make([]float64, dim)
		for k := range r {
			r[k] = float64(emb[j*dim+k])
		}
		return r
	}
	var norm float64
	for j := 0; j < n; j++ {
		norm += dist(row(j), make([]float64, dim)) / float64(n)
	}
	if want := 0.385 * math.Sqrt(float64(dim)); math.Abs(norm-want) > 1e-4 {
		t.Errorf("mean row norm %v, want %v", norm, want)
	}
	// Ratios of distances are preserved (one global scale).
	r0 := dist(row(0), row(1)) / dist(mean(0), mean(1))
	for _, p := range [][2]int{{0, 2}, {1, 3}, {2, 3}} {
		r := dist(row(p[0]), row(p[1])) / dist(mean(p[0]), mean(p[1]))
		if math.Abs(r-r0) > 1e-4*r0 {
			t.Errorf("distance ratio %v for %v, %v for (0,1)", r, p, r0)
		}
	}
	// Rank ≤ N−1 = 3: the last of the 5 columns is zero padding.
	for j := 0; j < n; j++ {
		if emb[j*dim+4] != 0 {
			t.Errorf("row %d column 4 = %v, want 0 (padding)", j, emb[j*dim+4])
		}
	}
	empty := NewClassFeatureMeans(2, 3)
	empty.Add([]float32{1, 2, 3}, [][]int{{0}})
	if _, err := empty.Embeddings(4); err == nil {
		t.Error("class without images accepted")
	}
	if err := empty.Add([]float32{1, 2}, [][]int{{0}}); err == nil {
		t.Error("short feature row accepted")
	}
}
