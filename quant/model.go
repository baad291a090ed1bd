package quant

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/models"
	"github.com/seed477ab429/multilabel/nn"
)

// File is the name of the calibration file in a run folder.
const File = "int8.json"

// Format identifies the layout of int8.json.
const Format = "multilabel-int8/1"

// Info is int8.json: how the model was quantized, and the calibration.
type Info struct {
	Format        string      `json:"format"`
	Weights       string      `json:"weights"`        // the weights file, relative to the run folder
	WeightsSHA256 string      `json:"weights_sha256"` // of that file when it was calibrated
	Images        int         `json:"calibration_images"`
	Data          string      `json:"calibration_data,omitempty"`
	Ranges        Calibration `json:"ranges"`
}

// Model is a classifier whose backbone runs through an Engine (int8, or
// folded float32) and whose head runs in float32 through autograd. It
// satisfies train.Model, so recipe.Score evaluates it like the float
// classifier.
type Model struct {
	Net    *models.Classifier
	Engine *Engine
}

// New wraps net with a folded float32 engine of its backbone.
func New(net *models.Classifier) (*Model, error) {
	e, err := NewEngine(net.Backbone)
	if err != nil {
		return nil, err
	}
	return &Model{Net: net, Engine: e}, nil
}

// Forward maps images [N, 3, S, S] to the head's outputs [N, classes]:
// eval only (it is an inference path; a training context is an error the
// caller made). The backbone records no graph; the head records none when
// its parameters require no gradient (a loaded, frozen model) or under
// ag.NoGrad. It is safe for concurrent use.
func (m *Model) Forward(c *nn.Ctx, x *ag.Tensor) *ag.Tensor {
	if c != nil && c.Training {
		panic("quant: Model.Forward is inference only")
	}
	if len(x.Shape) != 4 || x.Shape[1] != 3 {
		panic(fmt.Sprintf("quant: input %v, want [N, 3, H, W]", x.Shape))
	}
	f, ch, h, w := m.Engine.Features(x.Data, x.Shape[0], x.Shape[2], x.Shape[3])
	if ar := x.Arena(); ar != nil { // the head's activations from the caller's arena too
		return m.Net.Head.Forward(nn.Eval, ar.New(f, x.Shape[0], ch, h, w))
	}
	return m.Net.Head.Forward(nn.Eval, ag.New(f, x.Shape[0], ch, h, w))
}

// Visit visits the float classifier's tensors.
func (m *Model) Visit(prefix string, fn func(string, *ag.Tensor, nn.Kind)) { m.Net.Visit(prefix, fn) }

// FileSHA256 returns the hex SHA-256 of a file.
func FileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// WriteInfo writes int8.json into dir atomically (a temporary file renamed).
func WriteInfo(dir string, info *Info) error {
	info.Format = Format
	raw, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, File+".tmp*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(append(raw, '\n')); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), filepath.Join(dir, File))
}

// ErrNoCalibration is returned by ReadInfo for a run folder without int8.json.
var ErrNoCalibration = errors.New("quant: no int8.json (run multilabel quantize -run RUN first)")

// ReadInfo reads dir/int8.json and checks that it was calibrated on the
// weights file it names, as that file is now.
func ReadInfo(dir string) (*Info, error) {
	path := filepath.Join(dir, File)
	raw, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil, ErrNoCalibration
	}
	if err != nil {
		return nil, err
	}
	var info Info
	if err := json.Unmarshal(raw, &info); err != nil {
		return nil, fmt.Errorf("quant: %s: %w", path, err)
	}
	if info.Format != Format {
		return nil, fmt.Errorf("quant: %s: format %q, want %q", path, info.Format, Format)
	}
	if info.Weights == "" || filepath.IsAbs(info.Weights) || filepath.Base(info.Weights) != info.Weights {
		return nil, fmt.Errorf("quant: %s: weights %q must be a file name in the run folder", path, info.Weights)
	}
	sum, err := FileSHA256(filepath.Join(dir, info.Weights))
	if err != nil {
		return nil, fmt.Errorf("quant: %s: %w", path, err)
	}
	if sum != info.WeightsSHA256 {
		return nil, fmt.Errorf("quant: %s was calibrated on another %s (SHA-256 %.12s…, now %.12s…); run multilabel quantize again",
			path, info.Weights, info.WeightsSHA256, sum)
	}
	return &info, nil
}
