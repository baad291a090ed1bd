// Package multilabel classifies images with a trained multilabel model:
// Load a run folder written by `go run ./examples/voc` or `multilabel
// train`, then Classify images. Everything underneath is pure Go (package
// autograd and friends); no Python, no cgo.
//
//	m, err := multilabel.Load("runs/voc-20261125-191230")
//	labels, err := m.ClassifyFile("dog.jpg")
//	for _, l := range labels { fmt.Println(l.Class, l.Score) }
//
// A model can also come from an fs.FS (LoadFS, e.g. an embed.FS holding a
// run folder compiled into the binary), from readers (Read) or from a state
// dict in memory (New). Decode reads an uploaded image exactly as
// ClassifyFile reads a file, EXIF orientation included. examples/serve is
// an HTTP service built on this package.
//
// A run folder comes from training: `multilabel train -data DATA` on the
// command line, or recipe.Run from Go (see the train example below). The
// data layouts it reads are in docs/data.md, the pretrained backbones in
// docs/weights.md.
//
// # Concurrency
//
// A *Model is safe for concurrent use: any number of goroutines may call
// its methods at the same time, and every call returns what it would return
// alone. A Model never changes after it is made (WithThresholds returns a
// new one). Inference records no autograd graph because the model's
// parameters do not require gradients, and it never touches the engine's
// process-wide no-grad switch (autograd.NoGrad), so a goroutine training
// another network in the same process is unaffected. Each forward pass
// takes its activations from an arena of its own (a pool of them, kept
// between calls and dropped by the garbage collector when unused): memory
// grows with the number of calls in flight, so a server bounds them
// (examples/serve -slots).
//
// The Context methods (ScoresContext, ClassifyContext, ClassifyBatch)
// check for cancellation before each image is prepared and before each
// forward pass over a batch of at most BatchSize images; a forward pass
// that has started runs to its end.
package multilabel

import (
	"fmt"
	"slices"
	"sync"

	"github.com/seed477ab429/multilabel/data"
	"github.com/seed477ab429/multilabel/models"
	"github.com/seed477ab429/multilabel/quant"
)

// Files of a run folder that Load reads.
const (
	SpecFile       = "model.json"       // models.Spec
	WeightsFile    = "best.safetensors" // the selected weights
	ThresholdsFile = "thresholds.json"  // per-class thresholds, {"class": t}
)

// BatchSize is the largest number of images one forward pass takes; a
// longer slice given to Scores or ClassifyBatch is cut into batches of
// this size.
const BatchSize = 8

// DefaultThreshold is the threshold of a class that has no tuned one.
const DefaultThreshold = 0.5

// Model is a trained classifier ready for inference. It is immutable and
// safe for concurrent use by many goroutines (see the package doc).
type Model struct {
	spec       models.Spec
	net        *models.Classifier
	thresholds []float64 // per class
	norm       data.Norm
	int8       *quant.Model // set by WithInt8 (int8.go): the backbone runs in int8
	arenas     *sync.Pool   // *ag.Arena, one per forward pass in flight (classify.go)
}

// Label is one predicted class.
type Label struct {
	Class     string  `json:"class"`
	Score     float64 `json:"score"`     // σ(scale·output)
	Threshold float64 `json:"threshold"` // the class's threshold
}

// Spec returns the model's description (a copy: changing it changes
// nothing in the model).
func (m *Model) Spec() models.Spec {
	s := m.spec
	s.Classes = slices.Clone(s.Classes)
	return s
}

// Classes returns the class names in output order (a copy).
func (m *Model) Classes() []string { return slices.Clone(m.spec.Classes) }

// Size is the side, in pixels, that images are resized to.
func (m *Model) Size() int { return m.spec.Size }

// Thresholds returns the per-class thresholds in class order (a copy):
// tuned ones from thresholds.json, DefaultThreshold for the others.
func (m *Model) Thresholds() []float64 { return slices.Clone(m.thresholds) }

// Norm is the input normalization the model was trained with.
func (m *Model) Norm() data.Norm { return m.norm }

// Net returns the network. It is shared by every call on m and by the
// models WithThresholds derives from m: read it (evaluation, export) but do
// not change it. Its parameters do not require gradients; to fine-tune,
// build a fresh network with models.Build and load m's weights into it.
func (m *Model) Net() *models.Classifier { return m.net }

// WithThresholds returns a model that shares m's network and uses the given
// per-class thresholds (one per class, in class order). m is unchanged.
func (m *Model) WithThresholds(t []float64) (*Model, error) {
	if err := checkThresholds(t, len(m.spec.Classes)); err != nil {
		return nil, fmt.Errorf("multilabel: %w", err)
	}
	c := *m
	c.thresholds = slices.Clone(t)
	return &c, nil
}

func checkThresholds(t []float64, n int) error {
	if len(t) != n {
		return fmt.Errorf("%d thresholds for %d classes", len(t), n)
	}
	for j, v := range t {
		if !(v >= 0 && v <= 1) {
			return fmt.Errorf("threshold %d is %v, want a value in [0, 1]", j, v)
		}
	}
	return nil
}

// inputNorm is the normalization the weights were trained with
// (model.json's "norm", see data.ParseNorm): the same pixels in, the same
// scores out.
func inputNorm(spec models.Spec) (data.Norm, error) {
	n, err := data.ParseNorm(spec.Norm)
	if err != nil {
		return data.Norm{}, fmt.Errorf("model spec: %w", err)
	}
	return n, nil
}
