package recipe

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const (
	shapesVOC  = "../data/testdata/shapes-voc"
	shapesYOLO = "../data/testdata/shapes-yolo"
)

// copyDir copies src's files below dst, leaving out the top-level entries
// named in skip.
func copyDir(t *testing.T, src, dst string, skip ...string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if slices.Contains(skip, rel) {
			return filepath.SkipDir
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// The default splits follow what the data set has.
func TestPlanSplits(t *testing.T) {
	noSets := filepath.Join(t.TempDir(), "export")
	copyDir(t, shapesVOC, noSets, "ImageSets")
	trainval := filepath.Join(t.TempDir(), "tv")
	copyDir(t, shapesVOC, trainval)
	for _, f := range []string{"train.txt", "val.txt"} {
		os.Remove(filepath.Join(trainval, "ImageSets", "Main", f))
	}
	csv := writeCSV(t, t.TempDir(), "all", 20)
	for _, tc := range []struct {
		data, train, val, test string // -data and -split/-val/-test
		want                   splitPlan
		counts                 [3]int
	}{
		{shapesVOC, "", "", "", splitPlan{Train: "train", Val: "val", Test: "test"}, [3]int{40, 12, 12}},
		{shapesVOC, "trainval", "", "", splitPlan{Train: "trainval", Val: HeldOutSplit, Test: "test"}, [3]int{47, 5, 12}},
		{shapesVOC, "", "test", "", splitPlan{Train: "train", Val: "test", Test: "test"}, [3]int{40, 12, 12}},
		{trainval, "", "", "", splitPlan{Train: "trainval", Val: HeldOutSplit, Test: "test"}, [3]int{47, 5, 12}},
		{noSets, "", "", "", splitPlan{Train: "", Val: HeldOutSplit, Test: HeldOutSplit}, [3]int{58, 6, 6}},
		{shapesYOLO, "", "", "", splitPlan{Train: "train", Val: "val", Test: "test"}, [3]int{40, 12, 12}},
		{filepath.Join(shapesYOLO, "data.yaml"), "", "", "val", splitPlan{Train: "train", Val: "val", Test: "val"}, [3]int{40, 12, 12}},
		{csv, "", "", "", splitPlan{Val: HeldOutSplit, Test: HeldOutSplit}, [3]int{18, 2, 2}},
	} {
		o := Defaults()
		o.Data, o.TrainSplit, o.ValSplit, o.TestSplit = tc.data, tc.train, tc.val, tc.test
		o.Resolve()
		sp, err := loadSplits(&o, nil, nil)
		if err != nil {
			t.Fatalf("%s: %v", tc.data, err)
		}
		sp.plan.Note = ""
		got := [3]int{len(sp.train.Items), len(sp.val.Items), len(sp.test.Items)}
		if sp.plan != tc.want || got != tc.counts {
			t.Errorf("%s -split %q -val %q -test %q: plan %+v sizes %v, want %+v %v", tc.data, tc.train, tc.val, tc.test, sp.plan, got, tc.want, tc.counts)
		}
		if tc.want.Test == tc.want.Val && sp.test != sp.val {
			t.Errorf("%s: test is not the validation set", tc.data)
		}
	}
}

// VOC itself gets the paper's protocol, with a note saying so.
func TestPlanSplitsVOCItself(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "VOCdevkit", "VOC2007")
	copyDir(t, shapesVOC, dir)
	// Rename the classes to VOC's.
	names := map[string]string{"Cross": "cat", "hexagon": "dog", "ring": "person", "star": "car"}
	files, _ := filepath.Glob(filepath.Join(dir, "Annotations", "*.xml"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		for from, to := range names {
			b = bytes.ReplaceAll(b, []byte("<name>"+from+"</name>"), []byte("<name>"+to+"</name>"))
		}
		os.WriteFile(f, b, 0o644)
	}
	o := Defaults()
	o.Data = filepath.Dir(dir)
	var log bytes.Buffer
	sp, err := loadSplits(&o, nil, &log)
	if err != nil {
		t.Fatal(err)
	}
	if sp.plan.Train != "trainval" || sp.plan.Val != "test" || sp.plan.Test != "test" || len(sp.train.Classes) != 20 || !strings.Contains(log.String(), "paper's protocol") {
		t.Errorf("plan %+v, %d classes, log %q", sp.plan, len(sp.train.Classes), log.String())
	}
}

// -classes FILE fixes order and subset; other labels are left out and
// reported.
func TestClassesFile(t *testing.T) {
	dir := t.TempDir()
	cf := filepath.Join(dir, "classes.txt")
	os.WriteFile(cf, []byte("star\nCross\n"), 0o644)
	for _, d := range []string{shapesVOC, shapesYOLO} {
		o := Defaults()
		o.Data, o.ClassesFile = d, cf
		var log bytes.Buffer
		sp, err := loadSplits(&o, nil, &log)
		if err != nil {
			t.Fatal(err)
		}
		for _, ds := range []*struct{ c []string }{{sp.train.Classes}, {sp.val.Classes}, {sp.test.Classes}} {
			if !slices.Equal(ds.c, []string{"star", "Cross"}) {
				t.Errorf("%s: classes %v", d, ds.c)
			}
		}
		if !strings.Contains(log.String(), "left out: ") || !strings.Contains(log.String(), "ring ×") {
			t.Errorf("%s: log %q", d, log.String())
		}
	}
	o := Defaults()
	o.Data, o.ClassesFile = shapesVOC, filepath.Join(dir, "none.txt")
	o.Resolve()
	if err := o.Check(); err == nil || !IsInputError(err) || !strings.Contains(err.Error(), "-classes") {
		t.Errorf("missing -classes file: %v", err)
	}
}
