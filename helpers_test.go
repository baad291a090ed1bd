package multilabel_test

import (
	"image"
	"image/color"
	"os"
	"path/filepath"
	"testing"

	"github.com/seed477ab429/multilabel"
	"github.com/seed477ab429/multilabel/models"
	"github.com/seed477ab429/multilabel/nn"
)

// smallSpec is a laptop-size model with a narrow ML-Decoder head (the
// example's head), at a small input size so tests stay fast under -race.
func smallSpec(size int) models.Spec {
	return models.Spec{Backbone: "efficientnetv2_t", Head: "mldecoder", Classes: []string{"cat", "dog", "person", "car"},
		Metric: true, Size: size, Scale: 17, Norm: "half", DecoderEmbed: 32, DecoderHeads: 2, DecoderFFN: 64}
}

// writeRun writes a run folder for spec with seeded random weights and
// returns the network's state dict.
func writeRun(t testing.TB, dir string, spec models.Spec, seed uint64) *nn.StateDict {
	t.Helper()
	net, err := models.Build(spec, models.Options{Seed: seed}, nil)
	if err != nil {
		t.Fatal(err)
	}
	js, err := models.MarshalSpec(spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, multilabel.SpecFile), js, 0o644); err != nil {
		t.Fatal(err)
	}
	sd := nn.NewStateDict()
	for _, nt := range nn.Tensors(net) {
		sd.Set(nt.Name, nt.Tensor.Detach())
	}
	if err := nn.SaveSafetensors(filepath.Join(dir, multilabel.WeightsFile), sd); err != nil {
		t.Fatal(err)
	}
	return sd
}

// loadSmall writes and loads a small run folder.
func loadSmall(t testing.TB, size int) (*multilabel.Model, string) {
	t.Helper()
	dir := t.TempDir()
	writeRun(t, dir, smallSpec(size), 1)
	m, err := multilabel.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return m, dir
}

// testImages makes n different images of different sizes and kinds.
func testImages(n int) []image.Image {
	out := make([]image.Image, n)
	for k := range out {
		w, h := 40+7*k, 30+5*k
		if k%3 == 2 {
			g := image.NewGray(image.Rect(0, 0, w, h))
			for i := range g.Pix {
				g.Pix[i] = uint8(i*(k+3) + k)
			}
			out[k] = g
			continue
		}
		img := image.NewRGBA(image.Rect(0, 0, w, h))
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				img.Set(x, y, color.RGBA{uint8(x * (k + 5)), uint8(y * (2*k + 1)), uint8((x + y) * k), 255})
			}
		}
		out[k] = img
	}
	return out
}
