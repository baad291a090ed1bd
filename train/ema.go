package train

import (
	"fmt"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/nn"
	"github.com/seed477ab429/multilabel/ops"
)

// EMA keeps an exponential moving average of every tensor of a model's
// state — parameters and BN running statistics alike (timm's ModelEmaV2,
// as the reference uses it):
//
//	e ← d·e + (1 − d)·w     after every optimizer step
//
// With Warmup the decay ramps up as timm's does,
// d_t = min(Decay, (1 + t)/(10 + t)), so short CPU runs (a few hundred
// steps, where 0.9993 would leave the average near the initial weights)
// also benefit (docs/method.md §10). The reference has no warm-up.
type EMA struct {
	Decay   float64
	Warmup  bool
	Updates int
	names   []string
	shadow  []*ag.Tensor
	segs    segments
}

// NewEMA starts an average at m's current state.
func NewEMA(m nn.Module, decay float64, warmup bool) *EMA {
	e := &EMA{Decay: decay, Warmup: warmup}
	var lens []int
	for _, nt := range nn.Tensors(m) {
		e.names = append(e.names, nt.Name)
		e.shadow = append(e.shadow, nt.Tensor.Clone())
		lens = append(lens, len(nt.Tensor.Data))
	}
	e.segs = segmentsOf(lens)
	return e
}

// DecayAt is the decay used for update number t (0-based).
func (e *EMA) DecayAt(t int) float64 {
	if e.Warmup {
		return min(e.Decay, (1+float64(t))/(10+float64(t)))
	}
	return e.Decay
}

// Update folds m's current state into the average (in parallel over
// segments, segments.go).
func (e *EMA) Update(m nn.Module) {
	d := float32(e.DecayAt(e.Updates))
	e.Updates++
	ts := nn.Tensors(m)
	forSegments(e.segs, func(sg segment) {
		// e ← d·e + (1−d)·w, 1−d rounded to float32 once.
		ops.Axpby(e.shadow[sg.k].Data[sg.lo:sg.hi], ts[sg.k].Tensor.Data[sg.lo:sg.hi], d, 1-d)
	})
}

// Swap exchanges m's tensors with the averaged ones (no copy): call it
// once to evaluate the EMA model and again to go back.
func (e *EMA) Swap(m nn.Module) {
	for k, nt := range nn.Tensors(m) {
		nt.Tensor.Data, e.shadow[k].Data = e.shadow[k].Data, nt.Tensor.Data
	}
}

// State returns the averaged tensors by name (for checkpoints).
func (e *EMA) State() map[string]*ag.Tensor {
	out := make(map[string]*ag.Tensor, len(e.names))
	for k, n := range e.names {
		out[n] = e.shadow[k]
	}
	return out
}

// SetState restores averaged tensors saved by State.
func (e *EMA) SetState(st map[string]*ag.Tensor) error {
	for k, n := range e.names {
		t, ok := st[n]
		if !ok {
			return fmt.Errorf("ema state: missing %s", n)
		}
		if len(t.Data) != len(e.shadow[k].Data) {
			return fmt.Errorf("ema state: %s has %d values, model has %d", n, len(t.Data), len(e.shadow[k].Data))
		}
		copy(e.shadow[k].Data, t.Data)
	}
	return nil
}
