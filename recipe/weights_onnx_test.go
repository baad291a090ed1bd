package recipe

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/seed477ab429/multilabel/models"
	"github.com/seed477ab429/multilabel/nn"
	"github.com/seed477ab429/multilabel/onnx"
)

func init() {
	// The configuration of onnx/testdata/resnet_tiny_torch.onnx (a tiny
	// torchvision ResNet exported by torch.onnx.export).
	models.Register("resnet_onnxtest", "test only: ResNet, base 4", func(o models.Options) (models.Backbone, error) {
		return models.NewResNetFromConfig(models.ResNetConfig{Name: "resnet_onnxtest", Layers: [4]int{1, 1, 1, 1}, Base: 4, NumClasses: o.NumClasses, Seed: o.Seed})
	})
}

// -weights model.onnx loads a backbone exported from PyTorch, with the
// normalization of its source (torchvision: ImageNet statistics).
func TestWeightsONNX(t *testing.T) {
	dir := t.TempDir()
	csv := writeCSV(t, dir, "all", 12)
	path := filepath.Join("..", "onnx", "testdata", "resnet_tiny_torch.onnx")
	o := Defaults()
	o.Data, o.Model, o.Head, o.Weights, o.Size = csv, "resnet_onnxtest", "pool", path, 32
	r, err := buildOnly(t, o)
	if err != nil {
		t.Fatal(err)
	}
	if r.spec.Norm != "imagenet" {
		t.Errorf("norm %q, want imagenet (a torchvision export)", r.spec.Norm)
	}
	// The same weights as a direct import.
	m, err := onnx.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := models.NewResNetFromConfig(models.ResNetConfig{Name: "w", Layers: [4]int{1, 1, 1, 1}, Base: 4, Seed: 99})
	if _, err := onnx.ImportBackbone(want, m, path); err != nil {
		t.Fatal(err)
	}
	got := nn.StateMap(r.net.Backbone)
	for name, w := range nn.StateMap(want) {
		for i, v := range w.Data {
			if got[name].Data[i] != v {
				t.Fatalf("%s[%d] = %g, direct import %g", name, i, got[name].Data[i], v)
			}
		}
	}

	// A whole classifier's ONNX file is refused, naming the op.
	o.Weights = filepath.Join("..", "onnx", "testdata", "effnet_mldecoder.onnx")
	_, err = buildOnly(t, o)
	if err == nil || !IsInputError(err) || !strings.Contains(err.Error(), "LayerNormalization") {
		t.Errorf("a classifier's ONNX as -weights: %v; want an input error naming LayerNormalization", err)
	}
}
