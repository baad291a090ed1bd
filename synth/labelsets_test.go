package synth

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seed477ab429/multilabel/data"
)

// checkLabels loads a split with the VOC loader and checks that every
// image's positives are a non-empty subset of its given label set (an
// object can be hidden or marked difficult, never added). It returns how
// many images kept their whole set.
func checkLabels(t *testing.T, voc, split string, classes []string, sets [][]int) int {
	t.Helper()
	ds, err := data.LoadVOC(voc, split, data.VOCOptions{Options: data.Options{Classes: classes}})
	if err != nil {
		t.Fatal(err)
	}
	if len(ds.Items) != len(sets) {
		t.Fatalf("%s: %d images, want %d", split, len(ds.Items), len(sets))
	}
	whole := 0
	for i, it := range ds.Items {
		want := map[int]bool{}
		for _, c := range sets[i] {
			want[c] = true
		}
		n := 0
		for c, v := range it.Labels {
			if v != data.Positive {
				continue
			}
			n++
			if !want[c] {
				t.Fatalf("%s image %d: class %s positive but not in its label set %v", split, i, classes[c], sets[i])
			}
		}
		if n == len(sets[i]) {
			whole++
		}
	}
	return whole
}

func TestGenerateWithLabelSets(t *testing.T) {
	classes := []string{"cat", "dog", "person"}
	ls := LabelSets{
		Classes: classes,
		Train:   [][]int{{0}, {1, 2}, {2}, {0, 1, 2}},
		Test:    [][]int{{2, 0}, {1}},
	}
	voc, err := GenerateWithLabelSets(t.TempDir(), Config{Seed: 1, Size: 64}, ls, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The per-class files use the given names, not the synthetic ones.
	if _, err := os.Stat(filepath.Join(voc, "ImageSets", "Main", "person_train.txt")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(voc, "ImageSets", "Main", Classes()[0]+"_train.txt")); err == nil {
		t.Fatal("synthetic class names written for a data set with given names")
	}
	ids, err := os.ReadFile(filepath.Join(voc, "ImageSets", "Main", "val.txt"))
	if err != nil || strings.TrimSpace(string(ids)) != "" {
		t.Fatalf("val split should be empty: %q %v", ids, err)
	}
	// Single-object images always keep their label.
	if w := checkLabels(t, voc, "train", classes, ls.Train); w < 2 {
		t.Fatalf("only %d of 4 train images kept their whole label set", w)
	}
	checkLabels(t, voc, "test", classes, ls.Test)

	for _, bad := range []LabelSets{
		{Classes: classes, Train: [][]int{{3}}},
		{Classes: classes, Train: [][]int{{1, 1}}},
		{Classes: []string{"a", "a"}, Train: [][]int{{0}}},
		{Classes: classes},
	} {
		if _, err := GenerateWithLabelSets(t.TempDir(), Config{Size: 48}, bad, nil); err == nil {
			t.Fatalf("no error for %+v", bad)
		}
	}
}

func TestSampleLabelSets(t *testing.T) {
	sets := [][]int{{0}, {1}, {2}, {3}, {4}, {5}}
	a, err := SampleLabelSets(sets, 6, 9)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := SampleLabelSets(sets, 4, 9)
	seen := map[int]bool{}
	for i, s := range a {
		if seen[s[0]] {
			t.Fatalf("set %v drawn twice", s)
		}
		seen[s[0]] = true
		if i < 4 && b[i][0] != s[0] {
			t.Fatal("a smaller sample with the same seed is not a prefix of a larger one")
		}
	}
	if _, err := SampleLabelSets(sets, 7, 9); err == nil {
		t.Fatal("no error sampling more sets than given")
	}
}

// TestVOC2007LabelSets reads the real VOC 2007 label lists (from the
// reference data beside the checkout, docs/README.md) and builds a small
// synthetic set from them.
func TestVOC2007LabelSets(t *testing.T) {
	dir := filepath.Join("..", "..", "shared", "data", "voc2007-labels")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("VOC 2007 label lists not available (%s): %v", dir, err)
	}
	train, err := ReadLabelSets(filepath.Join(dir, "labels_trainval.txt"), data.VOCClasses)
	if err != nil {
		t.Fatal(err)
	}
	test, err := ReadLabelSets(filepath.Join(dir, "labels_test.txt"), data.VOCClasses)
	if err != nil {
		t.Fatal(err)
	}
	// VOC 2007: 5011 trainval and 4952 test images.
	if len(train) != 5011 || len(test) != 4952 {
		t.Fatalf("%d trainval and %d test label sets, want 5011 and 4952", len(train), len(test))
	}
	if _, err := ReadLabelSets(filepath.Join(dir, "labels_test.txt"), data.VOCClasses[:5]); err == nil {
		t.Fatal("no error for a class not in the list")
	}
	tr, err := SampleLabelSets(train, 6, 1)
	if err != nil {
		t.Fatal(err)
	}
	te, _ := SampleLabelSets(test, 3, 1)
	ls := LabelSets{Classes: data.VOCClasses, Train: tr, Test: te}
	voc, err := GenerateWithLabelSets(t.TempDir(), Config{Seed: 2, Size: 48}, ls, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkLabels(t, voc, "train", data.VOCClasses, tr)
	checkLabels(t, voc, "test", data.VOCClasses, te)
}
