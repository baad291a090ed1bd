package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seed477ab429/multilabel"
	"github.com/seed477ab429/multilabel/models"
	"github.com/seed477ab429/multilabel/nn"
	"github.com/seed477ab429/multilabel/onnx"
)

// writeRun writes a run folder of an untrained model (what export needs:
// model.json, best.safetensors, thresholds.json).
func writeRun(t *testing.T, spec models.Spec) string {
	t.Helper()
	dir := t.TempDir()
	net, err := models.Build(spec, models.Options{Seed: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	js, _ := models.MarshalSpec(spec)
	if err := os.WriteFile(filepath.Join(dir, multilabel.SpecFile), js, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := nn.SaveSafetensors(filepath.Join(dir, multilabel.WeightsFile), nn.FromTensors(nn.StateMap(net))); err != nil {
		t.Fatal(err)
	}
	thr, _ := json.Marshal(map[string]float64{spec.Classes[0]: 0.25})
	if err := os.WriteFile(filepath.Join(dir, multilabel.ThresholdsFile), thr, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestExport(t *testing.T) {
	spec := models.Spec{Backbone: "efficientnetv2_t", Head: "pool", Classes: []string{"cat", "dog", "bird"}, Size: 32, Scale: 1, Norm: "imagenet"}
	run := writeRun(t, spec)
	rc, out, errs := cli(t, "export", "-run", run)
	if rc != 0 {
		t.Fatalf("export: exit %d: %s", rc, errs)
	}
	path := filepath.Join(run, "model.onnx")
	if !strings.Contains(out, "wrote "+path) {
		t.Errorf("export output %q", out)
	}
	m, err := onnx.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	meta := map[string]string{}
	for _, kv := range m.MetadataProps {
		meta[kv.GetKey()] = kv.GetValue()
	}
	if meta[onnx.MetaClasses] != `["cat","dog","bird"]` || meta[onnx.MetaThresholds] != `[0.25,0.5,0.5]` ||
		meta[onnx.MetaSize] != "32" || !strings.Contains(meta[onnx.MetaMean], "0.485") {
		t.Errorf("metadata %v", meta)
	}
	if in := m.Graph.Input[0]; in.GetName() != onnx.InputName || in.GetType().GetTensorType().GetShape().GetDim()[0].GetDimParam() != "batch" {
		t.Errorf("input %v: want %s with a symbolic batch", in, onnx.InputName)
	}
	for _, n := range m.Graph.Node {
		if n.GetOpType() == "BatchNormalization" {
			t.Fatalf("node %s: BatchNorm should be folded into the convolutions", n.GetName())
		}
	}

	st := filepath.Join(t.TempDir(), "w.safetensors")
	if rc, _, errs := cli(t, "export", "-run", run, "-format", "safetensors", "-o", st); rc != 0 {
		t.Fatalf("export -format safetensors: exit %d: %s", rc, errs)
	}
	sd, err := nn.LoadWeights(st)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"features.0.0.weight", "features.1.0.block.0.1.running_var", "head.weight", "head.bias"} {
		if sd.Get(name) == nil {
			t.Errorf("safetensors export lacks %s (has %d tensors)", name, sd.Len())
		}
	}
}

func TestExportBadInput(t *testing.T) {
	wantUsage(t, "-run is required", "export")
	wantUsage(t, "not a run folder", "export", "-run", t.TempDir())
	spec := models.Spec{Backbone: "efficientnetv2_t", Head: "pool", Classes: []string{"a", "b"}, Size: 32, Scale: 1}
	run := writeRun(t, spec)
	wantUsage(t, `-format "tflite": want onnx or safetensors`, "export", "-run", run, "-format", "tflite")
	if err := os.Remove(filepath.Join(run, multilabel.WeightsFile)); err != nil {
		t.Fatal(err)
	}
	wantUsage(t, "has no best.safetensors", "export", "-run", run)
}
