package main

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seed477ab429/multilabel"
	"github.com/seed477ab429/multilabel/models"
	"github.com/seed477ab429/multilabel/nn"
)

// The page's side of the app, natively and as wasm under Node
// (GOOS=js GOARCH=wasm go test ./examples/wasm, with go_js_wasm_exec on
// PATH): a run folder's bytes load, an image classifies as
// multilabel.Model does, and bad input gives messages.

func runFiles(t *testing.T) (spec, weights, thr []byte) {
	t.Helper()
	s := models.Spec{Backbone: "efficientnetv2_t", Head: "pool", Classes: []string{"cat", "dog", "car"}, Size: 32, Scale: 1, Norm: "half"}
	net, err := models.Build(s, models.Options{Seed: 4}, nil)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "best.safetensors")
	if err := nn.SaveSafetensors(path, nn.FromTensors(nn.StateMap(net))); err != nil {
		t.Fatal(err)
	}
	if weights, err = os.ReadFile(path); err != nil {
		t.Fatal(err)
	}
	spec, _ = models.MarshalSpec(s)
	thr, _ = json.Marshal(map[string]float64{"cat": 0.1, "dog": 0.2, "car": 0.99})
	return spec, weights, thr
}

func pngBytes(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 40, 30))
	for y := 0; y < 30; y++ {
		for x := 0; x < 40; x++ {
			img.Set(x, y, color.RGBA{uint8(6 * x), uint8(8 * y), uint8(3 * (x + y)), 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestClassify(t *testing.T) {
	spec, weights, thr := runFiles(t)
	var a app
	if err := a.load(spec, bytes.NewReader(weights), thr); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(a.info(), "efficientnetv2_t + pool, 3 classes, 32x32") {
		t.Errorf("info %q", a.info())
	}
	file := pngBytes(t)
	r := a.classify(file)
	if r.Error != "" || r.Width != 40 || r.Height != 30 || len(r.Top) != 3 || r.Ms <= 0 {
		t.Fatalf("result %+v", r)
	}
	// The labels multilabel.Model.Classify gives for the same bytes.
	m, err := multilabel.Read(bytes.NewReader(spec), bytes.NewReader(weights), bytes.NewReader(thr))
	if err != nil {
		t.Fatal(err)
	}
	img, err := multilabel.Decode(bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	want, err := m.Classify(img)
	if err != nil {
		t.Fatal(err)
	}
	if len(want) != len(r.Labels) {
		t.Fatalf("labels %v, Classify %v", r.Labels, want)
	}
	for i := range want {
		if want[i] != r.Labels[i] {
			t.Errorf("label %d: %v, Classify %v", i, r.Labels[i], want[i])
		}
	}
	for _, l := range r.Top {
		if l.Class == "car" && (l.Threshold != 0.99 || l.Score > 0.99) {
			t.Errorf("car: %+v (threshold 0.99, not above it)", l)
		}
	}
}

// readerOf is a reader of b, nil for no file.
func readerOf(b []byte) io.Reader {
	if b == nil {
		return nil
	}
	return bytes.NewReader(b)
}

func TestBadInput(t *testing.T) {
	spec, weights, thr := runFiles(t)
	var a app
	if r := a.classify(pngBytes(t)); r.Error != "no model loaded" {
		t.Errorf("classify before load: %+v", r)
	}
	for _, tc := range []struct {
		name         string
		spec, w, thr []byte
		want         string
	}{
		{"no weights", spec, nil, thr, "has no best.safetensors"},
		{"no spec", nil, weights, thr, "has no model.json"},
		{"corrupt weights", spec, weights[:len(weights)/2], thr, "weights"},
		{"not a spec", []byte("{"), weights, thr, "spec"},
		{"bad thresholds", spec, weights, []byte("[1,2"), "thresholds"},
	} {
		if err := a.load(tc.spec, readerOf(tc.w), tc.thr); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error with %q", tc.name, err, tc.want)
		}
	}
	if err := a.load(spec, bytes.NewReader(weights), nil); err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][]byte{nil, []byte("not an image"), pngBytes(t)[:60]} {
		if r := a.classify(bad); !strings.Contains(r.Error, "could not be decoded") {
			t.Errorf("classify(%d bytes): %+v, want a decode error", len(bad), r)
		}
	}
}
