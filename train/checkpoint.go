package train

import (
	"encoding/json"
	"fmt"
	"strings"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/nn"
)

// A checkpoint is one safetensors file: the model's tensors under
// "model.<name>", the EMA's under "ema.<name>", the optimizer's buffers
// under "optim.<key>", and the rest of the training state as JSON in the
// header's metadata (key "state"). One file, written to a temporary file,
// synced and renamed (nn.SaveSafetensors), so a crash at any instant
// leaves either the previous checkpoint or the new one, never a mix.

// State is the JSON part of a checkpoint.
type State struct {
	Version     int          `json:"version"`
	Epoch       int          `json:"epoch"`         // epochs completed
	StepInEpoch int          `json:"step_in_epoch"` // batches of epoch Epoch already trained (interrupted mid-epoch)
	Step        int          `json:"step"`          // optimizer steps so far
	RNG         []byte       `json:"rng"`           // the model context's PCG state (dropout, stochastic depth)
	EMAUpdates  int          `json:"ema_updates"`
	Early       Early        `json:"early"`
	Best        float64      `json:"best"`       // best epoch metric so far
	BestEpoch   int          `json:"best_epoch"` // 1-based; 0 none
	Skipped     int          `json:"skipped_batches"`
	Classes     []string     `json:"classes"`
	Thresholds  []float64    `json:"thresholds,omitempty"`
	Config      Config       `json:"config"`
	History     []EpochStats `json:"history"`
}

// Early is the early-stopping state.
type Early struct {
	Smooth float64 `json:"smooth"`
	Wait   int     `json:"wait"`
	Best   float64 `json:"best"`
}

const checkpointVersion = 1

// SaveCheckpoint writes model, EMA (may be nil), optimizer buffers and
// state to path atomically.
func SaveCheckpoint(path string, m nn.Module, ema *EMA, opt Optimizer, st *State) error {
	sd := nn.NewStateDict()
	for _, nt := range nn.Tensors(m) {
		sd.Set("model."+nt.Name, nt.Tensor.Detach())
	}
	if ema != nil {
		for name, t := range ema.State() {
			sd.Set("ema."+name, t.Detach())
		}
	}
	if opt != nil {
		for k, v := range opt.State() {
			sd.Set("optim."+k, ag.New(v, len(v)))
		}
	}
	st.Version = checkpointVersion
	js, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("checkpoint %s: %w", path, err)
	}
	sd.Metadata["state"] = string(js)
	sd.Metadata["format"] = "multilabel-checkpoint"
	if err := nn.SaveSafetensors(path, sd); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}

// LoadCheckpoint reads a checkpoint written by SaveCheckpoint into m (its
// tensors must match by name and shape), ema (if not nil) and opt (if not
// nil), and returns the state.
func LoadCheckpoint(path string, m nn.Module, ema *EMA, opt Optimizer) (*State, error) {
	sd, err := nn.LoadWeights(path)
	if err != nil {
		return nil, err
	}
	js, ok := sd.Metadata["state"]
	if !ok || sd.Metadata["format"] != "multilabel-checkpoint" {
		return nil, fmt.Errorf("checkpoint %s: not a training checkpoint (no training state in its metadata); to load plain weights use nn.LoadWeights", path)
	}
	var st State
	if err := json.Unmarshal([]byte(js), &st); err != nil {
		return nil, fmt.Errorf("checkpoint %s: state: %w", path, err)
	}
	if st.Version != checkpointVersion {
		return nil, fmt.Errorf("checkpoint %s: version %d, this program reads %d", path, st.Version, checkpointVersion)
	}
	if err := st.check(); err != nil {
		return nil, fmt.Errorf("checkpoint %s: state: %w", path, err)
	}
	model, emaSD, optSt := split(sd)
	if err := nn.LoadInto(nn.StateMap(m), model, true); err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	if ema != nil {
		es := map[string]*ag.Tensor{}
		for _, n := range emaSD.Names() {
			es[n] = emaSD.Get(n)
		}
		if err := ema.SetState(es); err != nil {
			return nil, fmt.Errorf("checkpoint %s: %w", path, err)
		}
		ema.Updates = st.EMAUpdates
	}
	if opt != nil {
		if err := opt.SetState(optSt); err != nil {
			return nil, fmt.Errorf("checkpoint %s: %w", path, err)
		}
	}
	return &st, nil
}

// check reports the first count of a state read from a file that a run
// cannot have written: a negative counter, a best epoch after the last
// one, a history that is not one record per completed epoch.
func (st *State) check() error {
	for _, c := range []struct {
		name string
		v    int
	}{
		{"epoch", st.Epoch}, {"step_in_epoch", st.StepInEpoch}, {"step", st.Step},
		{"ema_updates", st.EMAUpdates}, {"skipped_batches", st.Skipped}, {"best_epoch", st.BestEpoch},
		{"early.wait", st.Early.Wait},
	} {
		if c.v < 0 {
			return fmt.Errorf("%s is %d, want a count (>= 0)", c.name, c.v)
		}
	}
	if st.BestEpoch > st.Epoch {
		return fmt.Errorf("best_epoch %d is after the %d epochs completed", st.BestEpoch, st.Epoch)
	}
	if len(st.History) != st.Epoch {
		return fmt.Errorf("history has %d records for %d completed epochs", len(st.History), st.Epoch)
	}
	return nil
}

// split separates a checkpoint's tensors by prefix.
func split(sd *nn.StateDict) (model, ema *nn.StateDict, opt map[string][]float32) {
	model, ema, opt = nn.NewStateDict(), nn.NewStateDict(), map[string][]float32{}
	for _, n := range sd.Names() {
		t := sd.Get(n)
		switch {
		case strings.HasPrefix(n, "model."):
			model.Set(strings.TrimPrefix(n, "model."), t)
		case strings.HasPrefix(n, "ema."):
			ema.Set(strings.TrimPrefix(n, "ema."), t)
		case strings.HasPrefix(n, "optim."):
			opt[strings.TrimPrefix(n, "optim.")] = t.Data
		}
	}
	return model, ema, opt
}

// SaveWeights writes m's tensors (plain state-dict names) with metadata to
// path atomically: the deployable artefact of a run.
func SaveWeights(path string, m nn.Module, meta map[string]string) error {
	sd := nn.NewStateDict()
	for _, nt := range nn.Tensors(m) {
		sd.Set(nt.Name, nt.Tensor.Detach())
	}
	for k, v := range meta {
		sd.Metadata[k] = v
	}
	return nn.SaveSafetensors(path, sd)
}
