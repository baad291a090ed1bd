package train

import (
	"context"
	"fmt"
	"runtime/trace"
	"time"
)

// Phases is where a training run's time went, summed over steps: wall
// time, and the process's CPU time (user + system, all threads; zero
// where the OS does not report it) in the same phases, so that CPU / wall
// tells how busy the cores were in each. Set Trainer.Phases to collect it
// (bench/step does, to print the split); a nil Phases costs nothing.
type Phases struct {
	Wall, CPU PhaseTimes
}

// PhaseTimes is a duration per phase:
//
//	Data      waiting for the next batch from the loader, plus copying it
//	          into the step's input tensor
//	Forward   the model's forward pass and the loss (both SAM passes)
//	Backward  the backward pass (both SAM passes)
//	Update    SAM's perturbation and restore, the optimizer, EMA, zeroing
//	          the gradients
//	Eval      the evaluation after each epoch (raw and EMA models)
type PhaseTimes struct {
	Data, Forward, Backward, Update, Eval time.Duration
}

// Total is the sum of the phases.
func (p PhaseTimes) Total() time.Duration {
	return p.Data + p.Forward + p.Backward + p.Update + p.Eval
}

// Sub returns p minus an earlier snapshot q: the time spent in between.
func (p PhaseTimes) Sub(q PhaseTimes) PhaseTimes {
	return PhaseTimes{p.Data - q.Data, p.Forward - q.Forward, p.Backward - q.Backward, p.Update - q.Update, p.Eval - q.Eval}
}

func (p PhaseTimes) String() string {
	return fmt.Sprintf("data %v, forward %v, backward %v, update %v, eval %v", p.Data, p.Forward, p.Backward, p.Update, p.Eval)
}

// Sub returns p minus an earlier snapshot q.
func (p Phases) Sub(q Phases) Phases { return Phases{p.Wall.Sub(q.Wall), p.CPU.Sub(q.CPU)} }

type phase int

const (
	phaseData phase = iota
	phaseForward
	phaseBackward
	phaseUpdate
	phaseEval
)

var phaseNames = [...]string{"data", "forward", "backward", "update", "eval"}

func (ph phase) String() string { return phaseNames[ph] }

// mark is a point in wall and CPU time.
type mark struct {
	wall time.Time
	cpu  time.Duration
}

// now returns the current mark (the CPU time only when phases are
// collected: it costs a system call).
func (t *Trainer) now() mark {
	m := mark{wall: time.Now()}
	if t.Phases != nil {
		m.cpu = processCPU()
	}
	return m
}

// lap adds the time since *m0 to phase ph (when the trainer collects
// phases) and moves *m0 to now. While a runtime/trace is being written, it
// also logs the end of the phase (category "train.phase", the phase's
// name), so that a trace of a run tells which phase each stretch of it
// belongs to (bench/step -trace).
func (t *Trainer) lap(ph phase, m0 *mark) {
	if trace.IsEnabled() {
		trace.Log(context.Background(), "train.phase", ph.String())
	}
	if t.Phases == nil {
		return
	}
	m := t.now()
	dw, dc := m.wall.Sub(m0.wall), m.cpu-m0.cpu
	*m0 = m
	add := func(p *PhaseTimes, d time.Duration) {
		switch ph {
		case phaseData:
			p.Data += d
		case phaseForward:
			p.Forward += d
		case phaseBackward:
			p.Backward += d
		case phaseUpdate:
			p.Update += d
		case phaseEval:
			p.Eval += d
		}
	}
	add(&t.Phases.Wall, dw)
	add(&t.Phases.CPU, dc)
}
