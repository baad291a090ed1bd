package main

import (
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
