package multilabel_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"log"
	"os"
	"path/filepath"
	"strings"
	"testing/fstest"
	"time"

	"github.com/seed477ab429/multilabel"
	"github.com/seed477ab429/multilabel/models"
	"github.com/seed477ab429/multilabel/nn"
	"github.com/seed477ab429/multilabel/recipe"
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
	makeRun(dir) // go run ./examples/voc or multilabel train write real ones

	m, err := multilabel.Load(dir)
	if err != nil {
		log.Fatal(err)
	}
	img := image.NewRGBA(image.Rect(0, 0, 100, 80))
	for i := range img.Pix {
		img.Pix[i] = uint8(i)
	}
	labels, err := m.Classify(img) // the classes above their thresholds, best first
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(m.Classes(), m.Thresholds())
	for _, l := range labels {
		if l.Score <= l.Threshold {
			fmt.Println("a label below its threshold")
		}
	}
	// Output: [cat dog person] [0.5 0.5 0.5]
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

// ClassifyBatch classifies several images within a deadline; the one
// Model may serve many goroutines at once.
func ExampleModel_ClassifyBatch() {
	dir, _ := os.MkdirTemp("", "run")
	defer os.RemoveAll(dir)
	makeRun(dir)
	m, err := multilabel.Load(dir)
	if err != nil {
		log.Fatal(err)
	}
	imgs := []image.Image{image.NewGray(image.Rect(0, 0, 40, 30)), image.NewRGBA(image.Rect(0, 0, 64, 64))}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	labels, err := m.ClassifyBatch(ctx, imgs)
	if err != nil {
		log.Fatal(err) // ctx.Err() if the deadline passed first
	}
	fmt.Println(len(labels))

	done, stop := context.WithCancel(context.Background())
	stop()
	_, err = m.ClassifyBatch(done, imgs)
	fmt.Println(err)
	// Output:
	// 2
	// context canceled
}

// A model compiled into the binary: LoadFS reads a run folder from any
// fs.FS. With an embed.FS it is
//
//	//go:embed model
//	var modelFS embed.FS
//
//	m, err := multilabel.LoadFS(modelFS, "model")
//
// where the folder model/ holds the run's model.json, best.safetensors and
// thresholds.json. Here an in-memory fs.FS stands for it.
func ExampleLoadFS() {
	dir, _ := os.MkdirTemp("", "run")
	defer os.RemoveAll(dir)
	makeRun(dir)
	fsys := fstest.MapFS{}
	for _, f := range []string{multilabel.SpecFile, multilabel.WeightsFile} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			log.Fatal(err)
		}
		fsys["model/"+f] = &fstest.MapFile{Data: b}
	}
	fsys["model/"+multilabel.ThresholdsFile] = &fstest.MapFile{Data: []byte(`{"dog": 0.35}`)}

	m, err := multilabel.LoadFS(fsys, "model")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(m.Classes(), m.Thresholds())
	// Output: [cat dog person] [0.5 0.35 0.5]
}

// New builds a model from weights loaded by hand: a safetensors file or a
// PyTorch .pth state dict with the classifier's names (backbone.*, head.*),
// and a spec describing the network.
func ExampleNew() {
	dir, _ := os.MkdirTemp("", "run")
	defer os.RemoveAll(dir)
	makeRun(dir)

	sd, err := nn.LoadWeights(filepath.Join(dir, multilabel.WeightsFile)) // or a .pth
	if err != nil {
		log.Fatal(err)
	}
	spec := models.Spec{Backbone: "efficientnetv2_t", Head: "pool", Classes: []string{"cat", "dog", "person"},
		Metric: true, Size: 64, Scale: 17, Norm: "half"}
	m, err := multilabel.New(spec, sd, []float64{0.4, 0.6, 0.5})
	if err != nil {
		log.Fatal(err) // a missing tensor or a shape mismatch is named here
	}
	fmt.Println(m.Size(), m.Classes(), m.Thresholds())

	spec.Classes = spec.Classes[:2] // weights of a 3-class model do not fit a 2-class spec
	_, err = multilabel.New(spec, sd, nil)
	fmt.Println(err != nil)
	// Output:
	// 64 [cat dog person] [0.4 0.6 0.5]
	// true
}

// Decode reads an uploaded image as ClassifyFile reads a file (a JPEG's
// EXIF orientation applied), so a service classifies it the same way.
func ExampleDecode() {
	var upload bytes.Buffer // the body of an HTTP request, say
	png.Encode(&upload, image.NewGray(image.Rect(0, 0, 40, 30)))

	img, err := multilabel.Decode(&upload)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(img.Bounds())
	_, err = multilabel.Decode(strings.NewReader("not an image"))
	fmt.Println(err)
	// Output:
	// (0,0)-(40,30)
	// multilabel: image: image: unknown format
}

// Train a small model from Go (package recipe, the pipeline behind
// examples/voc and multilabel train), then classify with it. The data set
// is a CSV file of image paths and labels (docs/data.md); the run folder
// holds the weights, the spec and the tuned thresholds.
func Example_train() {
	dir, _ := os.MkdirTemp("", "train")
	defer os.RemoveAll(dir)
	// 24 images: the left half red for "red", the right half blue for "blue".
	var csv strings.Builder
	csv.WriteString("path,labels\n")
	for i := range 24 {
		red, blue := i%2 == 0, i%3 == 0
		img := image.NewRGBA(image.Rect(0, 0, 32, 32))
		for y := range 32 {
			for x := range 32 {
				c := color.RGBA{40, 160, 40, 255}
				if x < 16 && red {
					c = color.RGBA{220, 20, 20, 255}
				} else if x >= 16 && blue {
					c = color.RGBA{20, 20, 220, 255}
				}
				img.Set(x, y, c)
			}
		}
		name := fmt.Sprintf("img%02d.png", i)
		f, _ := os.Create(filepath.Join(dir, name))
		png.Encode(f, img)
		f.Close()
		var labels []string
		if red {
			labels = append(labels, "red")
		}
		if blue {
			labels = append(labels, "blue")
		}
		fmt.Fprintf(&csv, "%s,%s\n", name, strings.Join(labels, ";"))
	}
	os.WriteFile(filepath.Join(dir, "labels.csv"), []byte(csv.String()), 0o644)

	o := recipe.Defaults() // efficientnetv2_t + ML-Decoder + AAM, AdamW
	o.Data = filepath.Join(dir, "labels.csv")
	o.Size, o.Batch, o.Epochs = 32, 8, 1
	o.Out, o.Name = filepath.Join(dir, "runs"), "colours"
	o.Log, o.Stdout = io.Discard, io.Discard // progress and the metrics table
	res, err := recipe.Run(context.Background(), o)
	if err != nil {
		log.Fatal(err)
	}

	m, err := multilabel.Load(res.RunDir)
	if err != nil {
		log.Fatal(err)
	}
	_, err = m.ClassifyFile(filepath.Join(dir, "img00.png"))
	fmt.Println(m.Classes(), m.Size(), err)
	// Output: [blue red] 32 <nil>
}
