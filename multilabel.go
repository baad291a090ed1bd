// Package multilabel is the entry point for programs that use a trained
// model: Load a run folder written by `go run ./examples/voc` or
// `multilabel train`, then Classify images. Everything underneath is pure
// Go (package autograd and friends); no Python, no cgo.
//
//	m, err := multilabel.Load("runs/voc-20261125-1912")
//	labels, err := m.ClassifyFile("dog.jpg")
//	for _, l := range labels { fmt.Println(l.Class, l.Score) }
package multilabel

import (
	"encoding/json"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"sort"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/data"
	"github.com/seed477ab429/multilabel/metrics"
	"github.com/seed477ab429/multilabel/models"
	"github.com/seed477ab429/multilabel/nn"
)

// Files of a run folder that Load reads.
const (
	SpecFile       = "model.json"       // models.Spec
	WeightsFile    = "best.safetensors" // the selected weights
	ThresholdsFile = "thresholds.json"  // per-class thresholds, {"class": t}
)

// Model is a trained classifier ready for inference. It is safe for
// concurrent use by several goroutines only if they do not run at the same
// time (the engine's no-grad switch is process-wide); serialise calls or
// load one Model per goroutine.
type Model struct {
	Spec       models.Spec
	Net        *models.Classifier
	Thresholds []float64 // per class; 0.5 where none was tuned
	norm       data.Norm
}

// Label is one predicted class.
type Label struct {
	Class     string  `json:"class"`
	Score     float64 `json:"score"`     // σ(scale·output)
	Threshold float64 `json:"threshold"` // the class's threshold
}

// Load reads a run folder: model.json, best.safetensors and, if present,
// thresholds.json.
func Load(dir string) (*Model, error) {
	raw, err := os.ReadFile(filepath.Join(dir, SpecFile))
	if err != nil {
		return nil, fmt.Errorf("multilabel: %s is not a run folder: %w", dir, err)
	}
	spec, err := models.UnmarshalSpec(raw)
	if err != nil {
		return nil, fmt.Errorf("multilabel: %s: %w", filepath.Join(dir, SpecFile), err)
	}
	return LoadWeights(spec, filepath.Join(dir, WeightsFile), filepath.Join(dir, ThresholdsFile))
}

// LoadWeights builds the model of spec and loads its weights (a
// safetensors or .pth state dict with the Classifier's names) and,
// if thresholdsPath is not "" and exists, its thresholds.
func LoadWeights(spec models.Spec, weightsPath, thresholdsPath string) (*Model, error) {
	var g *models.Graph
	if spec.EmbedDim > 0 {
		g = models.ZeroGraph(len(spec.Classes), spec.EmbedDim)
	}
	net, err := models.Build(spec, models.Options{}, g)
	if err != nil {
		return nil, fmt.Errorf("multilabel: %w", err)
	}
	sd, err := nn.LoadWeights(weightsPath)
	if err != nil {
		return nil, fmt.Errorf("multilabel: %w", err)
	}
	if err := nn.LoadInto(nn.StateMap(net), sd, true); err != nil {
		return nil, fmt.Errorf("multilabel: %s: %w", weightsPath, err)
	}
	net.Freeze()
	m := &Model{Spec: spec, Net: net, Thresholds: make([]float64, len(spec.Classes))}
	for i := range m.Thresholds {
		m.Thresholds[i] = 0.5
	}
	if thresholdsPath != "" {
		if err := m.readThresholds(thresholdsPath); err != nil {
			return nil, err
		}
	}
	// The normalization the weights were trained with (model.json's
	// "norm", see data.ParseNorm): the same pixels in, the same scores out.
	if m.norm, err = data.ParseNorm(spec.Norm); err != nil {
		return nil, fmt.Errorf("multilabel: model spec: %w", err)
	}
	return m, nil
}

func (m *Model) readThresholds(path string) error {
	raw, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("multilabel: %w", err)
	}
	var t map[string]float64
	if err := json.Unmarshal(raw, &t); err != nil {
		return fmt.Errorf("multilabel: %s: %w", path, err)
	}
	for i, c := range m.Spec.Classes {
		if v, ok := t[c]; ok {
			m.Thresholds[i] = v
		}
	}
	return nil
}

// Scores returns σ(scale·output) for every class of each image, resized to
// the model's input size as in training (bilinear, no crop).
func (m *Model) Scores(imgs []image.Image) ([][]float64, error) {
	s := m.Spec.Size
	x := make([]float32, 0, len(imgs)*3*s*s)
	for _, img := range imgs {
		rgba := data.Resize(data.ToRGBA(img), s, s)
		x = append(x, data.Normalize(rgba, m.norm)...)
	}
	var out *ag.Tensor
	ag.NoGrad(func() { out = m.Net.Forward(nn.Eval, ag.New(x, len(imgs), 3, s, s)) })
	// The same float32 sigmoid as the metrics and the threshold tuning,
	// so a score lands on the same side of its threshold here as there.
	p := make([]float32, out.Numel())
	metrics.Sigmoid(p, out.Data, m.Spec.Scale)
	n := len(m.Spec.Classes)
	res := make([][]float64, len(imgs))
	for i := range res {
		res[i] = make([]float64, n)
		for j := range res[i] {
			res[i][j] = float64(p[i*n+j])
		}
	}
	return res, nil
}

// Classify returns the classes whose score is above their threshold,
// highest score first.
func (m *Model) Classify(img image.Image) ([]Label, error) {
	sc, err := m.Scores([]image.Image{img})
	if err != nil {
		return nil, err
	}
	var out []Label
	for j, p := range sc[0] {
		if p > m.Thresholds[j] {
			out = append(out, Label{m.Spec.Classes[j], p, m.Thresholds[j]})
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Score > out[b].Score })
	return out, nil
}

// ClassifyFile decodes an image file (JPEG, PNG, BMP, TIFF, WebP, GIF) and
// classifies it.
func (m *Model) ClassifyFile(path string) ([]Label, error) {
	img, err := data.DecodeFile(path)
	if err != nil {
		return nil, err
	}
	return m.Classify(img)
}
