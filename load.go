package multilabel

import (
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
	wName := path.Join(dir, WeightsFile)
	if err := readWeightsFS(m, fsys, wName, show(wName)); err != nil {
		return nil, err
	}
	if err := m.finish(thr); err != nil {
		return nil, fmt.Errorf("multilabel: %s: %w", show(wName), err)
	}
	return m, nil
}

// readWeightsFS reads a weight file from fsys into m's network, without a
// copy of the whole file: at offsets when the file allows it (os and embed
// files do), else as a stream.
func readWeightsFS(m *Model, fsys fs.FS, name, shown string) error {
	f, err := fsys.Open(name)
	if err != nil {
		return fmt.Errorf("multilabel: %s: %w", shown, pathless(err))
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("multilabel: %s: %w", shown, pathless(err))
	}
	if ra, ok := f.(io.ReaderAt); ok && st.Mode().IsRegular() {
		return m.readWeights(ra, st.Size(), shown, shown)
	}
	return m.streamWeights(f, shown, shown)
}

// readWeights reads size bytes of a weight file from r straight into m's
// network (nn.ReadWeightsInto: strictly, every name and shape). name
// labels the data in the file's own errors, context the names that do not
// fit the network.
func (m *Model) readWeights(r io.ReaderAt, size int64, name, context string) error {
	return m.wrapWeightsErr(nn.ReadWeightsInto(nn.StateMap(m.net), r, size, name), context)
}

// streamWeights is readWeights from a stream (nn.ReadWeightsFrom: each
// tensor read into place as it arrives).
func (m *Model) streamWeights(r io.Reader, name, context string) error {
	return m.wrapWeightsErr(nn.ReadWeightsFrom(nn.StateMap(m.net), r, name), context)
}

func (m *Model) wrapWeightsErr(err error, context string) error {
	var le *nn.LoadError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &le):
		return fmt.Errorf("multilabel: %s: %w", context, err)
	}
	return fmt.Errorf("multilabel: %w", err)
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
// DefaultThreshold everywhere). The weights go straight into the network,
// with no copy of the whole file: a reader that can be read at offsets (a
// *bytes.Reader, *strings.Reader or *io.SectionReader: an io.ReaderAt and
// io.Seeker with a Size method) from its current position to its end, any
// other reader (a network response) as a stream, each tensor as it
// arrives (a PyTorch .pth file is read whole first).
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
	var thr []float64
	if thresholds != nil {
		if raw, err = io.ReadAll(thresholds); err != nil {
			return nil, fmt.Errorf("multilabel: reading the thresholds: %w", err)
		}
		if thr, err = parseThresholds(raw, s.Classes); err != nil {
			return nil, fmt.Errorf("multilabel: thresholds: %w", err)
		}
	}
	if err := m.readFrom(weights); err != nil {
		return nil, err
	}
	if err := m.finish(thr); err != nil {
		return nil, fmt.Errorf("multilabel: weights: %w", err)
	}
	return m, nil
}

// sizedReaderAt is a reader that can also be read at offsets and knows its
// size: bytes.Reader, strings.Reader, io.SectionReader.
type sizedReaderAt interface {
	io.ReaderAt
	io.Seeker
	Size() int64
}

// readFrom reads the weights of Read into m's network, leaving weights at
// its end as io.ReadAll would.
func (m *Model) readFrom(weights io.Reader) error {
	if r, ok := weights.(sizedReaderAt); ok {
		if pos, err := r.Seek(0, io.SeekCurrent); err == nil && pos <= r.Size() {
			if err := m.readWeights(io.NewSectionReader(r, pos, r.Size()-pos), r.Size()-pos, "weights", "weights"); err != nil {
				return err
			}
			if _, err := r.Seek(0, io.SeekEnd); err != nil {
				return fmt.Errorf("multilabel: reading the weights: %w", err)
			}
			return nil
		}
	}
	return m.streamWeights(weights, "weights", "weights")
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
	return &Model{spec: spec, net: net, norm: norm, arenas: newArenaPool()}, nil
}

// load copies the weights of sd into m's network (strictly: every name,
// every shape), then finishes it.
func (m *Model) load(sd *nn.StateDict, thresholds []float64) error {
	if err := nn.LoadInto(nn.StateMap(m.net), sd, true); err != nil {
		return err
	}
	return m.finish(thresholds)
}

// finish makes a network whose weights are loaded ready for inference:
// it freezes it and sets the thresholds (nil: the default).
func (m *Model) finish(thresholds []float64) error {
	n := len(m.spec.Classes)
	if thresholds == nil {
		thresholds = make([]float64, n)
		for i := range thresholds {
			thresholds[i] = DefaultThreshold
		}
	} else if err := checkThresholds(thresholds, n); err != nil {
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
