package multilabel

import (
	"context"
	"image"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"testing"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/metrics"
	"github.com/seed477ab429/multilabel/models"
	"github.com/seed477ab429/multilabel/nn"
)

// TestForwardArenaSameBits checks that forward, whose activations come
// from a pooled arena, gives the scores of the same network run on the Go
// heap bit for bit, on a first call, on calls that reuse an arena with a
// smaller and a larger batch, and on concurrent calls.
func TestForwardArenaSameBits(t *testing.T) {
	spec := models.Spec{Backbone: "efficientnetv2_t", Head: "mldecoder", Classes: []string{"a", "b", "c"},
		Metric: true, Size: 32, Scale: 17, Norm: "half", DecoderEmbed: 32, DecoderHeads: 2, DecoderFFN: 64}
	dir := t.TempDir()
	net, err := models.Build(spec, models.Options{Seed: 3}, nil)
	if err != nil {
		t.Fatal(err)
	}
	js, err := models.MarshalSpec(spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, SpecFile), js, 0o644); err != nil {
		t.Fatal(err)
	}
	sd := nn.NewStateDict()
	for _, nt := range nn.Tensors(net) {
		sd.Set(nt.Name, nt.Tensor.Detach())
	}
	if err := nn.SaveSafetensors(filepath.Join(dir, WeightsFile), sd); err != nil {
		t.Fatal(err)
	}
	m, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	imgs := make([]image.Image, 5)
	for k := range imgs {
		img := image.NewRGBA(image.Rect(0, 0, 30+9*k, 41-3*k))
		for y := range img.Rect.Dy() {
			for x := range img.Rect.Dx() {
				img.Set(x, y, color.RGBA{uint8(x*(k+3) + y), uint8(y * (2*k + 5)), uint8((x ^ y) * (k + 1)), 255})
			}
		}
		imgs[k] = img
	}
	// want: the network on heap tensors, the way forward ran before it
	// took an arena.
	want := func(batch []image.Image) []float32 {
		s := spec.Size
		plane := 3 * s * s
		x := make([]float32, len(batch)*plane)
		for i, img := range batch {
			if err := m.prepare(x[i*plane:(i+1)*plane], img, "image"); err != nil {
				t.Error(err) // check runs on several goroutines: no Fatal
				return nil
			}
		}
		out := m.network().Forward(nn.Eval, ag.New(x, len(batch), 3, s, s))
		if out.Arena() != nil {
			t.Error("the reference forward ran in an arena")
			return nil
		}
		p := make([]float32, out.Numel())
		metrics.Sigmoid(p, out.Data, spec.Scale)
		return p
	}
	check := func(what string, batch []image.Image) {
		got, err := m.forward(context.Background(), batch, 0, false)
		if err != nil {
			t.Error(err)
			return
		}
		w := want(batch)
		if w == nil {
			return
		}
		if len(got) != len(w) {
			t.Errorf("%s: %d scores, want %d", what, len(got), len(w))
			return
		}
		for i := range w {
			if math.Float32bits(got[i]) != math.Float32bits(w[i]) {
				t.Errorf("%s: score %d = %v, on the heap %v", what, i, got[i], w[i])
				return
			}
		}
	}
	check("batch of 3", imgs[:3])
	check("batch of 1 after 3", imgs[3:4])
	check("batch of 5 after 1", imgs)
	done := make(chan struct{})
	for g := range 3 {
		go func() {
			defer func() { done <- struct{}{} }()
			check("concurrent", imgs[g:g+2])
		}()
	}
	for range 3 {
		<-done
	}
}
