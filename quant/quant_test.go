package quant

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/models"
	"github.com/seed477ab429/multilabel/nn"
)

// testNet builds a small classifier with random BatchNorm statistics (so
// that folding them is not the identity).
func testNet(t *testing.T, backbone, head string) *models.Classifier {
	t.Helper()
	spec := models.Spec{Backbone: backbone, Head: head, Classes: []string{"a", "b", "c", "d"}, Size: 32, Scale: 1, Norm: "half"}
	net, err := models.Build(spec, models.Options{Seed: 3}, nil)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, nt := range nn.Tensors(net) {
		switch {
		case strings.HasSuffix(nt.Name, "running_mean"):
			for i := range nt.Tensor.Data {
				nt.Tensor.Data[i] = float32(rng.NormFloat64() * 0.1)
			}
		case strings.HasSuffix(nt.Name, "running_var"):
			for i := range nt.Tensor.Data {
				nt.Tensor.Data[i] = float32(0.5 + rng.Float64())
			}
		case strings.Contains(nt.Name, ".1.weight") && len(nt.Tensor.Shape) == 1: // BN γ
			for i := range nt.Tensor.Data {
				nt.Tensor.Data[i] = float32(0.8 + 0.4*rng.Float64())
			}
		}
	}
	return net
}

func randImages(rng *rand.Rand, n, s int) []float32 {
	x := make([]float32, n*3*s*s)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	return x
}

// relErr is ‖a - b‖ / ‖b‖.
func relErr(a, b []float32) float64 {
	var num, den float64
	for i := range a {
		d := float64(a[i]) - float64(b[i])
		num += d * d
		den += float64(b[i]) * float64(b[i])
	}
	return math.Sqrt(num / den)
}

func TestEngineMatchesAutograd(t *testing.T) {
	for _, bb := range []string{"efficientnetv2_t"} {
		net := testNet(t, bb, "pool")
		e, err := NewEngine(net.Backbone)
		if err != nil {
			t.Fatal(err)
		}
		// Every quantized convolution is a conv weight of the state dict.
		state := nn.StateMap(net)
		for _, c := range e.convs {
			w := state[c.name+".weight"]
			if w == nil || len(w.Shape) != 4 || w.Shape[0] != c.cout {
				t.Fatalf("%s: %s.weight is not a convolution weight of the model", bb, c.name)
			}
		}
		rng := rand.New(rand.NewPCG(5, 6))
		for _, n := range []int{1, 3} {
			x := randImages(rng, n, 32)
			var want *ag.Tensor
			ag.NoGrad(func() { want = net.Backbone.Features(nn.Eval, ag.New(append([]float32(nil), x...), n, 3, 32, 32)) })
			got, c, h, w := e.Features(x, n, 32, 32)
			if c != want.Shape[1] || h != want.Shape[2] || w != want.Shape[3] {
				t.Fatalf("%s: engine features [%d %d %d], autograd %v", bb, c, h, w, want.Shape)
			}
			if r := relErr(got, want.Data); r > 1e-5 {
				t.Fatalf("%s batch %d: folded float32 engine differs from autograd by %.2g (relative)", bb, n, r)
			}
		}
	}
}

func TestInt8Engine(t *testing.T) {
	net := testNet(t, "efficientnetv2_t", "mldecoder")
	m, err := New(net)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 8))
	calib := randImages(rng, 8, 32)
	m.Engine.BeginCalibration()
	m.Engine.Features(calib, 8, 32, 32)
	cal, err := m.Engine.EndCalibration()
	if err != nil {
		t.Fatal(err)
	}
	if len(cal) != m.Engine.Layers() {
		t.Fatalf("%d ranges for %d layers", len(cal), m.Engine.Layers())
	}
	x := randImages(rng, 2, 32)
	ref := m.Forward(nn.Eval, ag.New(append([]float32(nil), x...), 2, 3, 32, 32))
	var direct *ag.Tensor
	ag.NoGrad(func() { direct = net.Forward(nn.Eval, ag.New(append([]float32(nil), x...), 2, 3, 32, 32)) })
	if r := relErr(ref.Data, direct.Data); r > 1e-4 {
		t.Fatalf("float32 engine + head differs from the classifier by %.2g", r)
	}
	if err := m.Engine.Quantize(cal); err != nil {
		t.Fatal(err)
	}
	q := m.Forward(nn.Eval, ag.New(append([]float32(nil), x...), 2, 3, 32, 32))
	// int8 noise: a few percent of the outputs' scale on a random network.
	if r := relErr(q.Data, ref.Data); r > 0.1 || r == 0 {
		t.Fatalf("int8 outputs differ from float32 by %.3g (relative)", r)
	}
	t.Logf("int8 vs float32 outputs: relative error %.3g", relErr(q.Data, ref.Data))
	// An input in an arena (as the Go API passes it): the head runs there
	// too, with the same bits.
	ar := ag.NewArena()
	qa := m.Forward(nn.Eval, ar.New(x, 2, 3, 32, 32))
	if qa.Arena() != ar {
		t.Error("the head's output is not in the input's arena")
	}
	for i := range q.Data {
		if math.Float32bits(qa.Data[i]) != math.Float32bits(q.Data[i]) {
			t.Fatalf("output %d: %v with the input in an arena, %v on the heap", i, qa.Data[i], q.Data[i])
		}
	}
	// A calibration that misses a layer, or names an unknown one.
	bad := Calibration{}
	for k, v := range cal {
		bad[k] = v
	}
	delete(bad, m.Engine.convs[0].name)
	if err := m.Engine.Quantize(bad); err == nil || !strings.Contains(err.Error(), m.Engine.convs[0].name) {
		t.Fatalf("Quantize without %s: %v", m.Engine.convs[0].name, err)
	}
	bad[m.Engine.convs[0].name] = Range{-1, 1}
	bad["backbone.nothing"] = Range{-1, 1}
	if err := m.Engine.Quantize(bad); err == nil || !strings.Contains(err.Error(), "backbone.nothing") {
		t.Fatalf("Quantize with an unknown layer: %v", err)
	}
}

func TestNotSupported(t *testing.T) {
	spec := models.Spec{Backbone: "resnet50", Head: "pool", Classes: []string{"a"}, Size: 32, Scale: 1}
	net, err := models.Build(spec, models.Options{Seed: 1}, nil)
	if err != nil {
		t.Skip(err)
	}
	if _, err := New(net); err == nil || !strings.Contains(err.Error(), "ResNet") {
		t.Fatalf("New(resnet50) = %v, want an error naming the backbone", err)
	}
}

func TestInfoFile(t *testing.T) {
	dir := t.TempDir()
	w := filepath.Join(dir, "best.safetensors")
	if err := os.WriteFile(w, []byte("weights"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadInfo(dir); err != ErrNoCalibration {
		t.Fatalf("ReadInfo without int8.json: %v", err)
	}
	sum, err := FileSHA256(w)
	if err != nil {
		t.Fatal(err)
	}
	in := &Info{Weights: "best.safetensors", WeightsSHA256: sum, Images: 3, Ranges: Calibration{"x": {-1, 2}}}
	if err := WriteInfo(dir, in); err != nil {
		t.Fatal(err)
	}
	out, err := ReadInfo(dir)
	if err != nil {
		t.Fatal(err)
	}
	if out.Ranges["x"] != (Range{-1, 2}) || out.Images != 3 {
		t.Fatalf("read back %+v", out)
	}
	if err := os.WriteFile(w, []byte("other weights"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadInfo(dir); err == nil || !strings.Contains(err.Error(), "calibrated on another") {
		t.Fatalf("ReadInfo after the weights changed: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, File), []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadInfo(dir); err == nil || !strings.Contains(err.Error(), File) {
		t.Fatalf("ReadInfo of a corrupt file: %v", err)
	}
}
