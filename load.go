package multilabel

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/models"
	"github.com/seed477ab429/multilabel/nn"
)

// Load reads a run folder: model.json, best.safetensors and, if present,
// thresholds.json.
func Load(dir string) (*Model, error) {
	if dir == "" {
		dir = "."
	}
	return load(os.DirFS(dir), ".", func(name string) string { return filepath.Join(dir, filepath.FromSlash(name)) })
}

// LoadFS reads a run folder dir inside fsys (dir is slash-separated, "."
// for the root), as Load does from the file system. With an embed.FS it
// builds a model compiled into the binary:
//
//	//go:embed model
//	var modelFS embed.FS
//
//	m, err := multilabel.LoadFS(modelFS, "model")
func LoadFS(fsys fs.FS, dir string) (*Model, error) {
	return load(fsys, dir, func(name string) string { return name })
}

func load(fsys fs.FS, dir string, show func(string) string) (*Model, error) {
	specName := path.Join(dir, SpecFile)
	raw, err := fs.ReadFile(fsys, specName)
	if err != nil {
		return nil, fmt.Errorf("multilabel: %s is not a run folder: %w", show(dir), pathless(err))
	}
	spec, err := models.UnmarshalSpec(raw)
	if err != nil {
		return nil, fmt.Errorf("multilabel: %s: %w", show(specName), err)
	}
	m, err := build(spec)
	if err != nil {
		return nil, fmt.Errorf("multilabel: %s: %w", show(specName), err)
	}
	wName := path.Join(dir, WeightsFile)
	sd, err := readWeightsFS(fsys, wName, show(wName))
	if err != nil {
		return nil, err
	}
	var thr []float64
	tName := path.Join(dir, ThresholdsFile)
	raw, err = fs.ReadFile(fsys, tName)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("multilabel: %s: %w", show(tName), pathless(err))
	default:
		if thr, err = parseThresholds(raw, spec.Classes); err != nil {
			return nil, fmt.Errorf("multilabel: %s: %w", show(tName), err)
		}
	}
	if err := m.load(sd, thr); err != nil {
		return nil, fmt.Errorf("multilabel: %s: %w", show(wName), err)
	}
	return m, nil
}

// readWeightsFS reads a weight file from fsys without copying it whole
// into memory when the file can be read at offsets (os and embed files
// can).
func readWeightsFS(fsys fs.FS, name, shown string) (*nn.StateDict, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, fmt.Errorf("multilabel: %s: %w", shown, pathless(err))
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("multilabel: %s: %w", shown, pathless(err))
	}
	if ra, ok := f.(io.ReaderAt); ok && st.Mode().IsRegular() {
		sd, err := nn.ReadWeights(ra, st.Size(), shown)
		if err != nil {
			return nil, fmt.Errorf("multilabel: %w", err)
		}
		return sd, nil
	}
	raw, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("multilabel: %s: %w", shown, err)
	}
	sd, err := nn.ReadWeights(bytes.NewReader(raw), int64(len(raw)), shown)
	if err != nil {
		return nil, fmt.Errorf("multilabel: %w", err)
	}
	return sd, nil
}

// pathless drops the *fs.PathError wrapper, whose path is relative to an
// fs.FS: the caller names the file itself.
func pathless(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Read builds a model from the three parts of a run folder given as
// readers: spec (model.json), weights (safetensors or a PyTorch .pth zip
// with the Classifier's names) and thresholds (thresholds.json; nil for
// DefaultThreshold everywhere). The weights are read whole into memory.
func Read(spec, weights, thresholds io.Reader) (*Model, error) {
	if spec == nil || weights == nil {
		return nil, errors.New("multilabel: Read needs a spec and weights")
	}
	raw, err := io.ReadAll(spec)
	if err != nil {
		return nil, fmt.Errorf("multilabel: reading the spec: %w", err)
	}
	s, err := models.UnmarshalSpec(raw)
	if err != nil {
		return nil, fmt.Errorf("multilabel: spec: %w", err)
	}
	m, err := build(s)
	if err != nil {
		return nil, fmt.Errorf("multilabel: spec: %w", err)
	}
	if raw, err = io.ReadAll(weights); err != nil {
		return nil, fmt.Errorf("multilabel: reading the weights: %w", err)
	}
	sd, err := nn.ReadWeights(bytes.NewReader(raw), int64(len(raw)), "weights")
	if err != nil {
		return nil, fmt.Errorf("multilabel: %w", err)
	}
	var thr []float64
	if thresholds != nil {
		if raw, err = io.ReadAll(thresholds); err != nil {
			return nil, fmt.Errorf("multilabel: reading the thresholds: %w", err)
		}
		if thr, err = parseThresholds(raw, s.Classes); err != nil {
			return nil, fmt.Errorf("multilabel: thresholds: %w", err)
		}
	}
	if err := m.load(sd, thr); err != nil {
		return nil, fmt.Errorf("multilabel: weights: %w", err)
	}
	return m, nil
}

// New builds the model of spec from a state dict with the Classifier's
// names (every tensor must be present with its shape) and per-class
// thresholds in class order (nil: DefaultThreshold for every class). The
// state dict's tensors are copied: sd may be reused.
func New(spec models.Spec, sd *nn.StateDict, thresholds []float64) (*Model, error) {
	if sd == nil {
		return nil, errors.New("multilabel: New needs a state dict")
	}
	m, err := build(spec)
	if err == nil {
		err = m.load(sd, thresholds)
	}
	if err != nil {
		return nil, fmt.Errorf("multilabel: %w", err)
	}
	return m, nil
}

// build makes the network of spec with every weight zero: all of them are
// loaded next (m.load, strictly), so it draws no random initialization
// (models.Options.NoInit), a third to a half of loading a file natively
// and more in a browser.
func build(spec models.Spec) (*Model, error) {
	if spec.Size < 1 {
		return nil, fmt.Errorf("spec has input size %d", spec.Size)
	}
	norm, err := inputNorm(spec)
	if err != nil {
		return nil, err
	}
	var g *models.Graph
	if spec.EmbedDim > 0 {
		g = models.ZeroGraph(len(spec.Classes), spec.EmbedDim)
	}
	net, err := models.Build(spec, models.Options{NoInit: true}, g)
	if err != nil {
		return nil, err
	}
	spec.Classes = append([]string(nil), spec.Classes...)
	return &Model{spec: spec, net: net, norm: norm}, nil
}

// load copies the weights of sd into m's network (strictly: every name,
// every shape), freezes it and sets the thresholds (nil: the default).
func (m *Model) load(sd *nn.StateDict, thresholds []float64) error {
	n := len(m.spec.Classes)
	if thresholds == nil {
		thresholds = make([]float64, n)
		for i := range thresholds {
			thresholds[i] = DefaultThreshold
		}
	} else if err := checkThresholds(thresholds, n); err != nil {
		return err
	}
	if err := nn.LoadInto(nn.StateMap(m.net), sd, true); err != nil {
		return err
	}
	// Parameters that require no gradient make every op record nothing by
	// itself: inference needs no process-wide no-grad switch.
	m.net.Visit("", func(_ string, t *ag.Tensor, _ nn.Kind) {
		if t.RequiresGrad() {
			t.SetRequiresGrad(false)
		}
	})
	m.net.Freeze()
	m.thresholds = append([]float64(nil), thresholds...)
	return nil
}

// parseThresholds reads thresholds.json, {"class": t}: classes it does not
// name keep DefaultThreshold.
func parseThresholds(raw []byte, classes []string) ([]float64, error) {
	var t map[string]float64
	if err := json.Unmarshal(raw, &t); err != nil {
		return nil, err
	}
	out := make([]float64, len(classes))
	for i, c := range classes {
		out[i] = DefaultThreshold
		if v, ok := t[c]; ok {
			if !(v >= 0 && v <= 1) {
				return nil, fmt.Errorf("class %q has threshold %v, want a value in [0, 1]", c, v)
			}
			out[i] = v
		}
	}
	return out, nil
}
