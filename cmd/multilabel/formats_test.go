package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The custom-class VOC fixture and the YOLO fixture (data/testdata, made
// by tools/genfixtures) go through train, eval and predict with
// their own classes, splits and run-folder names.
func TestFixturesTrainEvalPredict(t *testing.T) {
	quiet(t)
	for _, tc := range []struct {
		data, name, images string
		classes            []string
	}{
		{"../../data/testdata/shapes-voc", "shapes-voc", "../../data/testdata/shapes-voc/JPEGImages", []string{"Cross", "hexagon", "ring", "star"}},
		{"../../data/testdata/shapes-yolo/data.yaml", "shapes-yolo", "../../data/testdata/shapes-yolo/images/test", []string{"star", "ring", "Cross", "hexagon"}},
	} {
		runs := t.TempDir()
		rc, out, errs := cli(t, "train", "-data", tc.data, "-size", "32", "-batch", "8", "-head", "pool", "-epochs", "1", "-workers", "2", "-out", runs)
		if rc != 0 || len(tableRows(out)) != 2 {
			t.Fatalf("%s: train: exit %d: %s\n%s", tc.data, rc, errs, out)
		}
		found, _ := filepath.Glob(filepath.Join(runs, tc.name+"-*"))
		if len(found) != 1 {
			t.Fatalf("%s: run folders %v", tc.data, found)
		}
		run := found[0]
		b, _ := os.ReadFile(filepath.Join(run, "classes.txt"))
		if got := strings.Fields(string(b)); !slices.Equal(got, tc.classes) {
			t.Errorf("%s: classes.txt %v, want %v", tc.data, got, tc.classes)
		}
		// eval's default split is the run's test split: train's table again.
		rc, evalOut, errs := cli(t, "eval", "-run", run, "-data", tc.data, "-batch", "8")
		if rc != 0 || !slices.Equal(tableRows(evalOut), tableRows(out)) || !strings.Contains(evalOut, "(test): 12 images, 4 classes") {
			t.Errorf("%s: eval: exit %d %s\n%s\nwant rows %q", tc.data, rc, errs, evalOut, tableRows(out))
		}
		rc, pred, errs := cli(t, "predict", "-run", run, tc.images)
		if rc != 0 || strings.Count(pred, "\n") < 12 {
			t.Errorf("%s: predict: exit %d %s\n%s", tc.data, rc, errs, pred)
		}
	}
}

// The CSV layout as docs/data.md gives it (a header, paths relative to the
// file, labels joined by ';', an empty field for a background image),
// trained with a tenth held out: eval's default scores that tenth again
// (train's table), thresholds' default tunes on the other 90% (the run's
// thresholds.json bit for bit), and a missing -val file is named as -val.
func TestCSVHeldOutEvalThresholds(t *testing.T) {
	quiet(t)
	dir := t.TempDir()
	src, _ := filepath.Glob("../../data/testdata/shapes-voc/JPEGImages/*")
	if len(src) < 30 {
		t.Fatalf("%d fixture images", len(src))
	}
	names := []string{"cat", "dog", "bird"}
	csv := "path,labels\n"
	os.Mkdir(filepath.Join(dir, "images"), 0o755)
	for i := 1; i <= 30; i++ {
		b, err := os.ReadFile(src[i-1])
		if err != nil {
			t.Fatal(err)
		}
		img := fmt.Sprintf("images/%03d%s", i, filepath.Ext(src[i-1]))
		os.WriteFile(filepath.Join(dir, img), b, 0o644)
		var labels []string
		for c, n := range names {
			if i>>c&1 == 1 {
				labels = append(labels, n)
			}
		}
		csv += img + "," + strings.Join(labels, ";") + "\n"
	}
	data := filepath.Join(dir, "labels.csv")
	os.WriteFile(data, []byte(csv), 0o644)
	runs := t.TempDir()
	rc, out, errs := cli(t, "train", "-data", data, "-size", "32", "-batch", "8", "-head", "pool", "-epochs", "1", "-workers", "2", "-seed", "3", "-out", runs)
	if rc != 0 || len(tableRows(out)) != 2 {
		t.Fatalf("train: exit %d: %s\n%s", rc, errs, out)
	}
	found, _ := filepath.Glob(filepath.Join(runs, "labels-*"))
	if len(found) != 1 {
		t.Fatalf("run folders %v", found)
	}
	run := found[0]
	rc, evalOut, errs := cli(t, "eval", "-run", run, "-data", data, "-batch", "8")
	if rc != 0 || !slices.Equal(tableRows(evalOut), tableRows(out)) || !strings.Contains(evalOut, "(the 10% the run held out): 3 images") {
		t.Errorf("eval: exit %d %s\n%s\nwant rows %q", rc, errs, evalOut, tableRows(out))
	}
	thr := filepath.Join(run, "thresholds.json")
	want, _ := os.ReadFile(thr)
	rc, thrOut, errs := cli(t, "thresholds", "-run", run, "-data", data, "-batch", "8")
	got, _ := os.ReadFile(thr)
	if rc != 0 || string(got) != string(want) || !strings.Contains(thrOut, "(the 90% the run trained on): 27 images") {
		t.Errorf("thresholds: exit %d %s\n%s\n%s\nwant %s", rc, errs, thrOut, got, want)
	}
	rc, pred, errs := cli(t, "predict", "-run", run, filepath.Join(dir, "images"))
	if rc != 0 || strings.Count(pred, "\n") != 30 {
		t.Errorf("predict: exit %d %s\n%s", rc, errs, pred)
	}
	wantUsage(t, "-val nothere.csv", "train", "-data", data, "-val", "nothere.csv", "-out", runs)
}
