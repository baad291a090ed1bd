package train

import (
	"math"
	"testing"
)

// A schedule shorter than 1/PctStart steps (one epoch of a few batches)
// has no warm-up phase: every rate is finite, the first is the peak.
func TestOneCycleFewSteps(t *testing.T) {
	for _, n := range []int{1, 2, 3, 5} {
		s := NewOneCycle(0.001, n)
		for step := range n {
			lr, mom := s.At(step)
			if math.IsNaN(lr) || math.IsInf(lr, 0) || lr <= 0 || lr > 0.001 || math.IsNaN(mom) {
				t.Errorf("%d steps: At(%d) = %v, %v", n, step, lr, mom)
			}
		}
	}
	if lr, _ := NewOneCycle(0.001, 5).At(0); lr != 0.001 {
		t.Errorf("5 steps: first lr %v, want the peak", lr)
	}
}
