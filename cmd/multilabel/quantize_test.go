package main

import (
	"encoding/json"
	"image"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seed477ab429/multilabel"
	"github.com/seed477ab429/multilabel/data"
	"github.com/seed477ab429/multilabel/ops"
	"github.com/seed477ab429/multilabel/quant"
	"github.com/seed477ab429/multilabel/synth"
)

// TestQuantize trains a tiny run, quantizes it (calibration from the
// run's own data set, read from config.json), checks int8.json and the
// float32/int8 comparison, predicts with -precision int8, and the user's
// mistakes.
func TestQuantize(t *testing.T) {
	quiet(t)
	dir := t.TempDir()
	voc, err := synth.Generate(filepath.Join(dir, "data"), synth.Config{Seed: 3, Size: 48, Train: 24, Val: 8, Test: 8}, nil)
	if err != nil {
		t.Fatal(err)
	}
	runs := filepath.Join(dir, "runs")
	rc, _, errs := cli(t, "train", "-data", voc, "-split", "train", "-val", "val", "-size", "32", "-batch", "8", "-head", "pool",
		"-epochs", "1", "-workers", "2", "-out", runs)
	if rc != 0 {
		t.Fatalf("train: exit %d: %s", rc, errs)
	}
	found, _ := filepath.Glob(filepath.Join(runs, "voc2007-*"))
	if len(found) != 1 {
		t.Fatalf("run folders %v", found)
	}
	runDir := found[0]
	one := filepath.Join(voc, "JPEGImages", "000040.jpg")
	wantUsage(t, "quantize -run", "predict", "-run", runDir, "-precision", "int8", one)
	wantUsage(t, `-precision "int4"`, "predict", "-run", runDir, "-precision", "int4", one)

	rc, out, errs := cli(t, "quantize", "-run", runDir, "-images", "16", "-batch", "8", "-json")
	if rc != 0 {
		t.Fatalf("quantize: exit %d: %s", rc, errs)
	}
	var res quantizeResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("quantize -json: %v\n%s", err, out)
	}
	if res.CalibImages != 16 || res.Layers == 0 || res.CalibSplit != "train" {
		t.Errorf("quantize: %+v", res)
	}
	if ops.I8Available() {
		if res.Float32 == nil || res.Int8 == nil || res.TestImages != 8 {
			t.Fatalf("quantize did not score the test split: %+v", res)
		}
		if d := res.Int8.MAP - res.Float32.MAP; d < -0.1 || d > 0.1 {
			t.Errorf("int8 mAP %.3f against float32 %.3f", res.Int8.MAP, res.Float32.MAP)
		}
	}
	info, err := quant.ReadInfo(runDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(info.Ranges) != res.Layers || info.Images != 16 {
		t.Errorf("int8.json: %d ranges, %d images; quantize said %d layers", len(info.Ranges), info.Images, res.Layers)
	}

	// predict in int8 gives labels; through the API, the same scores as
	// its float32 ones up to int8 noise.
	rc, out, errs = cli(t, "predict", "-run", runDir, "-precision", "int8", "-json", one)
	if rc != 0 || !strings.Contains(out, `"labels"`) {
		t.Fatalf("predict -precision int8: exit %d %s\n%s", rc, errs, out)
	}
	m, err := multilabel.Load(runDir)
	if err != nil {
		t.Fatal(err)
	}
	im, err := data.DecodeFile(one)
	if err != nil {
		t.Fatal(err)
	}
	img := []image.Image{im}
	f32, _ := m.Scores(img)
	q, err := m.WithInt8(runDir)
	if err != nil {
		if err == multilabel.ErrNoInt8CPU {
			t.Skip(err)
		}
		t.Fatal(err)
	}
	if q.Precision() != "int8" || m.Precision() != "float32" {
		t.Fatalf("Precision() = %q after Int8", m.Precision())
	}
	i8, _ := q.Scores(img)
	for j := range f32[0] {
		if d := f32[0][j] - i8[0][j]; d > 0.05 || d < -0.05 {
			t.Errorf("class %d: int8 score %.4f, float32 %.4f", j, i8[0][j], f32[0][j])
		}
	}

	// Calibrated on other weights (int8.json's checksum differs): a clear
	// error naming the file.
	info.WeightsSHA256 = strings.Repeat("0", 64)
	if err := quant.WriteInfo(runDir, info); err != nil {
		t.Fatal(err)
	}
	wantUsage(t, "calibrated on another", "predict", "-run", runDir, "-precision", "int8", one)
	wantUsage(t, "-run is required", "quantize")
	wantUsage(t, "-images 0", "quantize", "-run", runDir, "-images", "0")
}
