package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/seed477ab429/multilabel"
	"github.com/seed477ab429/multilabel/data"
	"github.com/seed477ab429/multilabel/recipe"
	"github.com/seed477ab429/multilabel/synth"
)

// cli runs a subcommand in-process through the dispatcher and returns its
// exit status, stdout and stderr.
func cli(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	rc := run(args, &out, &errb)
	return rc, out.String(), errb.String()
}

// wantUsage checks the contract for the user's mistakes: exit status 2
// and exactly one line on stderr that mentions want (no stack trace).
func wantUsage(t *testing.T, want string, args ...string) {
	t.Helper()
	rc, _, errs := cli(t, args...)
	if rc != 2 || strings.Count(strings.TrimRight(errs, "\n"), "\n") != 0 || !strings.Contains(errs, want) ||
		strings.Contains(errs, "goroutine") {
		t.Errorf("%q: exit %d, stderr %q; want exit 2 and one line with %q", args, rc, errs, want)
	}
}

// quiet silences the progress output of the subcommands for a test.
func quiet(t *testing.T) {
	old := logOut
	logOut = io.Discard
	t.Cleanup(func() { logOut = old })
}

// tableRows returns the two rows of the paper's table from an output.
func tableRows(s string) []string {
	var rows []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, "threshold 0.5") || strings.HasPrefix(l, "per-class thresholds") {
			rows = append(rows, l)
		}
	}
	return rows
}

// TestEndToEnd trains one epoch on a tiny synthetic VOC-format set, then
// runs eval, thresholds and predict on the run folder and checks that they
// agree with what train reported.
func TestEndToEnd(t *testing.T) {
	quiet(t)
	dir := t.TempDir()
	voc, err := synth.Generate(filepath.Join(dir, "data"), synth.Config{Seed: 2, Size: 48, Train: 24, Val: 8, Test: 8}, nil)
	if err != nil {
		t.Fatal(err)
	}
	runs := filepath.Join(dir, "runs")
	// The pooled head: after one epoch its scores vary more between images
	// than ML-Decoder's (which recipe's TestRunCSV trains), so fewer of
	// predict's decisions are near-ties (see checkPredictAccuracy).
	rc, trainOut, errs := cli(t, "train", "-data", voc, "-split", "train", "-val", "val", "-size", "32", "-batch", "8", "-head", "pool",
		"-epochs", "1", "-lr", "0.01", "-workers", "2", "-out", runs)
	if rc != 0 {
		t.Fatalf("train: exit %d: %s", rc, errs)
	}
	found, _ := filepath.Glob(filepath.Join(runs, "voc2007-*"))
	if len(found) != 1 {
		t.Fatalf("run folders %v", found)
	}
	runDir := found[0]
	for _, f := range []string{"best.safetensors", "last.safetensors", "model.json", "thresholds.json", "classes.txt",
		"config.json", "log.jsonl", "curves.png", "pr_curves.png", "report.html"} {
		if st, err := os.Stat(filepath.Join(runDir, f)); err != nil || st.Size() == 0 {
			t.Errorf("run folder lacks %s", f)
		}
	}
	trainRows := tableRows(trainOut)
	if len(trainRows) != 2 {
		t.Fatalf("train output has no table:\n%s", trainOut)
	}

	// eval on the test split reproduces train's final table (same batch
	// size as train, so the same batches go through the same kernels).
	rc, evalOut, errs := cli(t, "eval", "-run", runDir, "-data", voc, "-batch", "8")
	if rc != 0 || !slices.Equal(tableRows(evalOut), trainRows) || !strings.Contains(evalOut, "(test): 8 images, 20 classes") {
		t.Errorf("eval: exit %d %s\n%s\nwant rows %q", rc, errs, evalOut, trainRows)
	}
	rc, js, errs := cli(t, "eval", "-run", runDir, "-data", voc, "-json", "-thresholds", "none")
	var res evalResult
	if rc != 0 || json.Unmarshal([]byte(js), &res) != nil {
		t.Fatalf("eval -json: exit %d %s\n%s", rc, errs, js)
	}
	if res.Images != 8 || res.Tuned != nil || len(res.AP) != 20 || res.At05.MAP <= 0 || res.At05.MAP > 1 {
		t.Errorf("eval -json -thresholds none: %+v", res)
	}

	// thresholds on the training split gives back the file train wrote.
	thrPath := filepath.Join(runDir, multilabel.ThresholdsFile)
	before := readThresholds(t, thrPath)
	os.Remove(thrPath)
	rc, out, errs := cli(t, "thresholds", "-run", runDir, "-data", voc, "-batch", "8")
	if rc != 0 || !strings.Contains(out, "(train): 24 images") {
		t.Fatalf("thresholds: exit %d %s\n%s", rc, errs, out)
	}
	if after := readThresholds(t, thrPath); !maps.Equal(before, after) {
		t.Errorf("thresholds rewritten as %v, train wrote %v", after, before)
	}

	// predict: a folder (walked for images; other files ignored) and a file.
	imgs := filepath.Join(dir, "imgs")
	os.MkdirAll(filepath.Join(imgs, "sub"), 0o755)
	for i, id := range []string{"000025", "000026", "000033"} {
		src, _ := os.ReadFile(filepath.Join(voc, "JPEGImages", id+".jpg"))
		dst := filepath.Join(imgs, id+".jpg")
		if i == 2 {
			dst = filepath.Join(imgs, "sub", id+".JPG")
		}
		os.WriteFile(dst, src, 0o644)
	}
	os.WriteFile(filepath.Join(imgs, "notes.txt"), []byte("not an image"), 0o644)
	one := filepath.Join(voc, "JPEGImages", "000040.jpg")
	rc, out, errs = cli(t, "predict", "-run", runDir, imgs, "-json", one)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if rc != 0 || len(lines) != 4 {
		t.Fatalf("predict: exit %d %s\n%s", rc, errs, out)
	}
	for _, l := range lines {
		var p struct {
			Image  string
			Labels []multilabel.Label
		}
		if err := json.Unmarshal([]byte(l), &p); err != nil || p.Labels == nil {
			t.Fatalf("predict -json line %q: %v", l, err)
		}
		for _, lab := range p.Labels {
			if !(lab.Score > lab.Threshold) || lab.Threshold != before[lab.Class] {
				t.Errorf("%s: %+v, thresholds.json has %v", p.Image, lab, before[lab.Class])
			}
		}
	}
	if !strings.Contains(lines[2], "sub/000033.JPG") || !strings.Contains(lines[3], "000040.jpg") {
		t.Errorf("predict order: %q", lines)
	}
	checkPredictAccuracy(t, runDir, voc, trainRows[1])
	rc, out, _ = cli(t, "predict", "-run", runDir, one)
	if rc != 0 || !strings.HasPrefix(out, one+":") {
		t.Errorf("predict text: exit %d %q", rc, out)
	}

	// An image that does not decode is skipped with a warning; exit 1.
	os.WriteFile(filepath.Join(imgs, "broken.jpg"), []byte("not a jpeg"), 0o644)
	rc, out, _ = cli(t, "predict", "-run", runDir, imgs)
	if rc != 1 || strings.Count(out, "\n") != 3 {
		t.Errorf("predict with a broken image: exit %d, stdout %q", rc, out)
	}

	// The user's mistakes on a real run folder: exit 2, one line.
	bad := filepath.Join(dir, "bad.safetensors")
	os.WriteFile(bad, []byte("these are not weights"), 0o644)
	wantUsage(t, "-weights", "train", "-data", voc, "-split", "train", "-val", "val", "-size", "32", "-weights", bad, "-out", runs)
	broken := filepath.Join(dir, "broken")
	os.MkdirAll(broken, 0o755)
	for _, f := range []string{"model.json", "thresholds.json"} {
		b, _ := os.ReadFile(filepath.Join(runDir, f))
		os.WriteFile(filepath.Join(broken, f), b, 0o644)
	}
	os.WriteFile(filepath.Join(broken, multilabel.WeightsFile), []byte("garbage"), 0o644)
	wantUsage(t, "-run "+broken, "eval", "-run", broken, "-data", voc)
	wantUsage(t, "-run "+broken, "predict", "-run", broken, one)
	wantUsage(t, "-thresholds", "eval", "-run", runDir, "-data", voc, "-thresholds", filepath.Join(dir, "none.json"))
	wantUsage(t, "-split", "eval", "-run", runDir, "-data", thrPath, "-split", "val")
	wantUsage(t, "-data", "thresholds", "-run", runDir, "-data", filepath.Join(dir, "imgs", "notes.txt"))
	wantUsage(t, "nosuch.txt", "eval", "-run", runDir, "-data", voc, "-split", "nosuch")
}

// checkPredictAccuracy runs predict -json over the test split's images and
// checks its labels against the scores the reported table came from
// (recipe.Score over the test loader), and that they give the overall
// precision and recall (OP, OR) of the per-class-thresholds row train
// printed.
//
// Near-ties are the one allowed difference: a tuned threshold sits just
// below a training score, and a barely trained model gives test images
// scores within 1e-7 of it. predict's scores (package multilabel, float64
// σ) and the metrics' (float32 σ) round differently there, so a decision
// within 1e-6 of its threshold may flip; it is counted as the metrics
// decided it.
func checkPredictAccuracy(t *testing.T, runDir, voc, row string) {
	t.Helper()
	ds, err := data.LoadVOC(voc, "test", data.VOCOptions{Options: data.Options{Classes: synth.Classes()}})
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"predict", "-run", runDir, "-json"}
	for _, it := range ds.Items {
		args = append(args, it.Path)
	}
	rc, out, errs := cli(t, args...)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if rc != 0 || len(lines) != len(ds.Items) {
		t.Fatalf("predict on the test split: exit %d %s\n%s", rc, errs, out)
	}
	m, err := multilabel.Load(runDir)
	if err != nil {
		t.Fatal(err)
	}
	loader, err := recipe.EvalLoader(m.Spec(), ds, 8, 1)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := recipe.Score(context.Background(), m.Net(), m.Spec().Scale, loader, nil)
	if err != nil {
		t.Fatal(err)
	}
	tp, fp, fn, ties := 0, 0, 0, 0
	for i, l := range lines {
		var p struct{ Labels []multilabel.Label }
		if err := json.Unmarshal([]byte(l), &p); err != nil {
			t.Fatal(err)
		}
		predicted := map[string]bool{}
		for _, lab := range p.Labels {
			predicted[lab.Class] = true
		}
		for j, c := range ds.Classes {
			s, thr := float64(ref.Scores[i*ref.C+j]), m.Thresholds()[j]
			if predicted[c] != (s > thr) {
				if math.Abs(s-thr) > 1e-6 {
					t.Errorf("image %d class %s: predict says %v, score %.9g threshold %.9g", i, c, predicted[c], s, thr)
				}
				ties++
				predicted[c] = s > thr
			}
			switch truth := ds.Items[i].Labels[j] == data.Positive; {
			case truth && predicted[c]:
				tp++
			case predicted[c]:
				fp++
			case truth:
				fn++
			}
		}
	}
	f := strings.Fields(row) // "per-class thresholds mAP CP CR CF1 OP OR OF1"
	op, or := fmt.Sprintf("%.2f", 100*float64(tp)/float64(max(tp+fp, 1))), fmt.Sprintf("%.2f", 100*float64(tp)/float64(tp+fn))
	if len(f) != 9 || f[6] != op || f[7] != or {
		t.Errorf("predict on the test split: OP %s OR %s; train reported %q", op, or, row)
	}
	if ties > 0 {
		t.Logf("%d of %d predict decisions were near-ties (|score - threshold| < 1e-6) decided the other way", ties, len(lines)*len(ds.Classes))
	}
}

func readThresholds(t *testing.T, path string) map[string]float64 {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]float64
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestUsageErrorsNoRun covers the mistakes that need no trained run.
func TestUsageErrorsNoRun(t *testing.T) {
	quiet(t)
	dir := t.TempDir()
	txt := filepath.Join(dir, "notes.txt")
	os.WriteFile(txt, []byte("hello\n"), 0o644)
	csv := filepath.Join(dir, "list.csv")
	os.WriteFile(csv, []byte("a.jpg,cat\n"), 0o644)
	wantUsage(t, "-data is required", "train")
	wantUsage(t, "-epochs", "train", "-data", dir, "-epochs", "many")
	wantUsage(t, "flag provided but not defined", "train", "-data", dir, "-nosuch")
	wantUsage(t, "no such file", "train", "-data", filepath.Join(dir, "nowhere"))
	wantUsage(t, "unknown data set format", "train", "-data", txt)
	wantUsage(t, "not a data set folder", "train", "-data", dir)
	wantUsage(t, "-model", "train", "-data", dir, "-model", "resnet9000")
	wantUsage(t, "-head", "train", "-data", dir, "-head", "mlp")
	wantUsage(t, "-weights", "train", "-data", dir, "-weights", filepath.Join(dir, "none.pth"))
	wantUsage(t, "-train val: split names", "train", "-data", csv, "-split", "val") // the deprecated alias of -train
	wantUsage(t, "-run is required", "eval", "-data", dir)
	wantUsage(t, "not a run folder", "eval", "-run", dir, "-data", dir)
	wantUsage(t, "not a run folder", "thresholds", "-run", dir, "-data", dir)
	wantUsage(t, "not a run folder", "predict", "-run", dir, txt)
	wantUsage(t, "no images given", "predict", "-run", dir)
	wantUsage(t, "no such file", "predict", "-run", dir, filepath.Join(dir, "none.jpg"))
	wantUsage(t, "no image files", "predict", "-run", dir, t.TempDir())
	wantUsage(t, "flag provided but not defined", "predict", "-run", dir, "-top", "3", txt)
}

func TestRunName(t *testing.T) {
	for in, want := range map[string]string{
		"/data/VOCdevkit/VOC2007/":      "voc2007",
		"coco/instances_train2017.json": "instances_train2017",
		"my labels.csv":                 "my_labels",
		"/":                             "_",
	} {
		if got := runName(in); got != want {
			t.Errorf("runName(%q) = %q, want %q", in, got, want)
		}
	}
}
