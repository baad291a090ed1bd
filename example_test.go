package multilabel_test

import (
	"fmt"
	"image"
	"image/color"
	"log"
	"os"
	"path/filepath"

	"github.com/seed477ab429/multilabel"
	"github.com/seed477ab429/multilabel/models"
	"github.com/seed477ab429/multilabel/train"
)

// makeRun writes a run folder holding an untrained laptop-size model, as
// examples/voc writes a trained one.
func makeRun(dir string) {
	spec := models.Spec{Backbone: "efficientnetv2_t", Head: "pool", Classes: []string{"cat", "dog", "person"},
		Metric: true, Size: 64, Scale: 17, Norm: "half"}
	net, err := models.Build(spec, models.Options{Seed: 1}, nil)
	if err != nil {
		log.Fatal(err)
	}
	js, _ := models.MarshalSpec(spec)
	os.WriteFile(filepath.Join(dir, multilabel.SpecFile), js, 0o644)
	if err := train.SaveWeights(filepath.Join(dir, multilabel.WeightsFile), net, nil); err != nil {
		log.Fatal(err)
	}
}

// Load a run folder and classify an image: the whole inference API.
func Example() {
	dir, _ := os.MkdirTemp("", "run")
	defer os.RemoveAll(dir)
	makeRun(dir)

	m, err := multilabel.Load(dir)
	if err != nil {
		log.Fatal(err)
	}
	img := image.NewRGBA(image.Rect(0, 0, 100, 80))
	for i := range img.Pix {
		img.Pix[i] = uint8(i)
	}
	img.Set(3, 4, color.RGBA{255, 0, 0, 255})
	labels, err := m.Classify(img)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(m.Classes(), len(m.Thresholds()))
	for _, l := range labels {
		if l.Score <= l.Threshold {
			fmt.Println("a label below its threshold")
		}
	}
	// Output: [cat dog person] 3
}

// Scores gives every class's probability, σ(scale·output), for a batch.
func ExampleModel_Scores() {
	dir, _ := os.MkdirTemp("", "run")
	defer os.RemoveAll(dir)
	makeRun(dir)
	m, err := multilabel.Load(dir)
	if err != nil {
		log.Fatal(err)
	}
	a := image.NewRGBA(image.Rect(0, 0, 64, 64))
	b := image.NewGray(image.Rect(0, 0, 30, 50))
	scores, err := m.Scores([]image.Image{a, b})
	if err != nil {
		log.Fatal(err)
	}
	ok := true
	for _, row := range scores {
		for _, p := range row {
			ok = ok && p > 0 && p < 1
		}
	}
	fmt.Println(len(scores), len(scores[0]), ok)
	// Output: 2 3 true
}
