package train

import (
	"fmt"
	"time"
)

// Phases is where a training run's wall time went, summed over steps.
// Set Trainer.Phases to collect it (bench/step does, to print the split);
// a nil Phases costs nothing.
//
//	Data      waiting for the next batch from the loader, plus copying it
//	          into the step's input tensor
//	Forward   the model's forward pass and the loss (both SAM passes)
//	Backward  the backward pass (both SAM passes)
//	Update    SAM's perturbation and restore, the optimizer, EMA, zeroing
//	          the gradients
//	Eval      the evaluation after each epoch (raw and EMA models)
type Phases struct {
	Data, Forward, Backward, Update, Eval time.Duration
}

// Total is the sum of the phases.
func (p Phases) Total() time.Duration {
	return p.Data + p.Forward + p.Backward + p.Update + p.Eval
}

// Sub returns p minus an earlier snapshot q: the time spent in between.
func (p Phases) Sub(q Phases) Phases {
	return Phases{p.Data - q.Data, p.Forward - q.Forward, p.Backward - q.Backward, p.Update - q.Update, p.Eval - q.Eval}
}

func (p Phases) String() string {
	return fmt.Sprintf("data %v, forward %v, backward %v, update %v, eval %v", p.Data, p.Forward, p.Backward, p.Update, p.Eval)
}

type phase int

const (
	phaseData phase = iota
	phaseForward
	phaseBackward
	phaseUpdate
	phaseEval
)

// lap adds the time since *t0 to phase ph (when the trainer collects
// phases) and moves *t0 to now.
func (t *Trainer) lap(ph phase, t0 *time.Time) {
	if t.Phases == nil {
		return
	}
	now := time.Now()
	d := now.Sub(*t0)
	*t0 = now
	switch ph {
	case phaseData:
		t.Phases.Data += d
	case phaseForward:
		t.Phases.Forward += d
	case phaseBackward:
		t.Phases.Backward += d
	case phaseUpdate:
		t.Phases.Update += d
	case phaseEval:
		t.Phases.Eval += d
	}
}
