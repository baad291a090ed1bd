package recipe

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/seed477ab429/multilabel"
	"github.com/seed477ab429/multilabel/data"
	"github.com/seed477ab429/multilabel/synth"
)

// writeCSV writes n 32x32 PNG images into dir and a CSV listing them: image
// i is "red" when i is even and "blue" when i%3 == 0, drawn as a red left
// half and a blue right half, so a model can learn them.
func writeCSV(t *testing.T, dir, name string, n int) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("path,labels\n")
	for i := range n {
		img := image.NewRGBA(image.Rect(0, 0, 32, 32))
		red, blue := i%2 == 0, i%3 == 0
		for y := range 32 {
			for x := range 32 {
				c := color.RGBA{40, 160, 40, 255}
				if x < 16 && red {
					c = color.RGBA{220, 20, 20, 255}
				}
				if x >= 16 && blue {
					c = color.RGBA{20, 20, 220, 255}
				}
				img.Set(x, y, c)
			}
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			t.Fatal(err)
		}
		file := fmt.Sprintf("%s%03d.png", name, i)
		if err := os.WriteFile(filepath.Join(dir, file), buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		var labels []string
		if red {
			labels = append(labels, "red")
		}
		if blue {
			labels = append(labels, "blue")
		}
		fmt.Fprintf(&b, "%s,%s\n", file, strings.Join(labels, ";"))
	}
	path := filepath.Join(dir, name+".csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestResolvePresets(t *testing.T) {
	o := Defaults()
	o.Resolve()
	if o.Size != 128 || o.SizeStart != 64 || o.Batch != 32 || o.Epochs != 13 || o.LR != 0.001 || o.Optimizer != "adamw" || o.SAM || o.DecoderEmbed != 256 || o.GammaPos != 1 || o.GammaNeg != 2 || o.Activations != "keep" {
		t.Errorf("laptop preset: %+v", o)
	}
	p := Defaults()
	p.Paper, p.Model = true, "efficientnetv2_s"
	p.Resolve()
	if p.Size != 448 || p.SizeStart != 0 || p.Batch != 84 || p.Epochs != 60 || p.LR != 0.005 || p.Optimizer != "sgd" || !p.SAM || p.S != 17 || p.DecoderEmbed != 0 || p.Activations != "recompute" {
		t.Errorf("paper preset: %+v", p)
	}
	s := Defaults()
	s.Optimizer = "sgd"
	s.Resolve()
	if s.LR != 0.01 {
		t.Errorf("laptop preset with SGD: lr %v", s.LR)
	}
	r := Defaults()
	r.Model = "resnet50"
	r.Resolve()
	if r.Activations != "recompute" || trainConfig(&r).KeepActivations {
		t.Errorf("laptop preset with resnet50: activations %q", r.Activations)
	}
	if !trainConfig(&o).KeepActivations {
		t.Errorf("laptop preset: the trainer recomputes activations")
	}
	q := Defaults()
	q.Quick, q.Epochs, q.Loss = true, 3, "asl"
	q.Resolve()
	if q.Size != 64 || q.SizeStart != 0 || q.Epochs != 3 || q.GammaPos != 0 || q.GammaNeg != 4 {
		t.Errorf("quick preset with -epochs 3 and ASL: %+v", q)
	}
}

func TestCheckErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		edit func(*Options)
		want string
	}{
		{func(o *Options) { o.Loss = "hinge" }, "-loss"},
		{func(o *Options) { o.Optimizer = "rmsprop" }, "-optimizer"},
		{func(o *Options) { o.Augment = "mixup" }, "-augment"},
		{func(o *Options) { o.Activations = "discard" }, "-activations"},
		{func(o *Options) { o.Head = "mlp" }, "-head"},
		{func(o *Options) { o.Model = "resnet9000" }, "-model"},
		{func(o *Options) { o.Size = 16 }, "-size 16"},
		{func(o *Options) { o.CacheMB = -1 }, "-cache-mb -1"},
		{func(o *Options) { o.Data = filepath.Join(dir, "nope") }, "no such file"},
		{func(o *Options) { o.Weights = filepath.Join(dir, "w.pth") }, "-weights"},
		{func(o *Options) { o.Weights = dir }, "a folder"},
		{func(o *Options) { o.LabelVectors = filepath.Join(dir, "glove.txt") }, "-label-vectors"},
		{func(o *Options) { o.Resume = filepath.Join(dir, "run") }, "not a run folder"},
	} {
		o := Defaults()
		tc.edit(&o)
		o.Resolve()
		err := o.Check()
		if err == nil || !IsInputError(err) || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("want one-line InputError with %q, got %v", tc.want, err)
		}
	}
	o := Defaults()
	o.Resolve()
	if err := o.Check(); err != nil {
		t.Errorf("defaults: %v", err)
	}
}

func TestOpenSplitVOC(t *testing.T) {
	dir := t.TempDir()
	root, err := synth.Generate(dir, synth.Config{Seed: 3, Size: 32, Train: 5, Val: 2, Test: 3}, nil)
	if err != nil {
		t.Fatal(err)
	}
	opt := data.Options{Classes: synth.Classes()}
	for split, n := range map[string]int{"train": 5, "val": 2, "trainval": 7, "test": 3} {
		ds, err := OpenSplit(root, split, opt)
		if err != nil || len(ds.Items) != n {
			t.Fatalf("split %s: %v, want %d images", split, err, n)
		}
	}
	// Without a class list, the classes come from the annotations.
	o := Defaults()
	o.Data, o.TrainSplit, o.ValSplit = root, "train", "val"
	sp, err := loadSplits(&o, nil, nil)
	if err != nil || !slices.Equal(sp.train.Classes, synth.Classes()) || len(sp.val.Items) != 2 || len(sp.test.Items) != 3 {
		t.Fatalf("VOC splits without classes: %v; classes %v, %d val, %d test", err, sp.train.Classes, len(sp.val.Items), len(sp.test.Items))
	}
	// A path beside a VOC folder is its own data set.
	csv := writeCSV(t, dir, "extra", 4)
	ds, err := OpenSplit(root, csv, data.Options{})
	if err != nil || len(ds.Items) != 4 || !slices.Equal(ds.Classes, []string{"blue", "red"}) {
		t.Fatalf("csv split: %v %+v", err, ds)
	}
	// Errors: a split that the VOC folder does not list, a split name for a
	// file data set, a file that is not a data set.
	txt := filepath.Join(dir, "notes.txt")
	os.WriteFile(txt, []byte("hello\n"), 0o644)
	for _, c := range [][2]string{{root, "nosuch"}, {csv, "val"}, {txt, ""}, {filepath.Join(dir, "none.csv"), ""}} {
		if _, err := OpenSplit(c[0], c[1], opt); err == nil || !IsInputError(err) {
			t.Errorf("OpenSplit(%s, %q): %v, want an InputError", c[0], c[1], err)
		}
	}
}

func TestLoadSplitsHoldout(t *testing.T) {
	dir := t.TempDir()
	o := Defaults()
	o.Data = writeCSV(t, dir, "all", 30)
	o.Resolve()
	sp, err := loadSplits(&o, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(sp.train.Items) != 27 || len(sp.val.Items) != 3 || sp.test != sp.val {
		t.Fatalf("holdout: %d train, %d val, test==val %v", len(sp.train.Items), len(sp.val.Items), sp.test == sp.val)
	}
	seen := map[string]bool{}
	for _, it := range sp.train.Items {
		seen[it.Path] = true
	}
	for _, it := range sp.val.Items {
		if seen[it.Path] {
			t.Errorf("%s in both train and the held-out val", it.Path)
		}
	}
	again, _ := loadSplits(&o, nil, nil)
	if again.val.Items[0].Path != sp.val.Items[0].Path {
		t.Error("holdout is not deterministic")
	}
	// A separate validation file keeps the training classes; a label the
	// training set never saw is an error.
	o.ValSplit = writeCSV(t, dir, "val", 4)
	if sp, err = loadSplits(&o, nil, nil); err != nil || len(sp.train.Items) != 30 || len(sp.val.Items) != 4 {
		t.Fatalf("separate val: %v", err)
	}
	os.WriteFile(o.ValSplit, []byte("val000.png,green\n"), 0o644)
	if _, err := loadSplits(&o, nil, nil); err == nil || !IsInputError(err) {
		t.Errorf("unknown class in val: %v", err)
	}
	o.ValSplit = ""
	o.Data = writeCSV(t, dir, "one", 1)
	if _, err := loadSplits(&o, nil, nil); err == nil || !strings.Contains(err.Error(), "too few") {
		t.Errorf("one image, no val: %v", err)
	}
}

// TestRunCSV trains one epoch on a CSV data set (validation held out) and
// checks the run folder loads for inference.
func TestRunCSV(t *testing.T) {
	dir := t.TempDir()
	o := Defaults()
	o.Data = writeCSV(t, dir, "all", 24)
	o.Size, o.Batch, o.Epochs, o.Out, o.Name = 32, 8, 1, filepath.Join(dir, "runs"), "csv"
	var log, out bytes.Buffer
	o.Log, o.Stdout = &log, &out
	res, err := Run(context.Background(), o)
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	if !strings.HasPrefix(filepath.Base(res.RunDir), "csv-") || res.Epochs != 1 || len(res.Thresholds) != 2 {
		t.Errorf("result %+v", res)
	}
	for _, f := range []string{"model.json", "best.safetensors", "thresholds.json", "classes.txt", "config.json", "report.html", "curves.png"} {
		if st, err := os.Stat(filepath.Join(res.RunDir, f)); err != nil || st.Size() == 0 {
			t.Errorf("run folder lacks %s", f)
		}
	}
	if !strings.Contains(out.String(), "per-class thresholds") || !strings.Contains(log.String(), "all.csv (90%) 22 images") {
		t.Errorf("stdout:\n%s\nlog:\n%s", out.String(), log.String())
	}
	m, err := multilabel.Load(res.RunDir)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m.Classes(), []string{"blue", "red"}) || m.Thresholds()[0] != res.Thresholds[0] {
		t.Errorf("loaded %v %v, want thresholds %v", m.Classes(), m.Thresholds(), res.Thresholds)
	}
}

// A bad image skipped with SkipBad is reported once per run, however many
// epochs and evaluations meet it, and counted at the end; -resume on a run
// that has no checkpoint yet says so.
func TestWarningsOncePerRun(t *testing.T) {
	dir := t.TempDir()
	o := Defaults()
	o.Data = writeCSV(t, dir, "all", 24)
	if err := os.WriteFile(filepath.Join(dir, "all004.png"), []byte("not a png"), 0o644); err != nil {
		t.Fatal(err)
	}
	o.Size, o.Batch, o.Epochs, o.Workers, o.Out, o.SkipBad, o.Head = 32, 8, 3, 1, filepath.Join(dir, "runs"), true, "pool"
	var log bytes.Buffer
	o.Log, o.Stdout = &log, io.Discard
	res, err := Run(context.Background(), o)
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	if n := strings.Count(log.String(), "all004.png"); n != 1 {
		t.Errorf("the bad image is named %d times, want once:\n%s", n, log.String())
	}
	if !strings.Contains(log.String(), "warnings: 9 (each printed once above;") { // the bad image and 8 images without labels
		t.Errorf("no count at the end:\n%s", log.String())
	}

	// -resume on a run folder without last.safetensors.
	os.Remove(filepath.Join(res.RunDir, "last.safetensors"))
	o.Resume = res.RunDir
	if _, err := Run(context.Background(), o); err == nil || !IsInputError(err) || !strings.Contains(err.Error(), "no checkpoint yet") {
		t.Errorf("resume without a checkpoint: %v", err)
	}
}
