package train

import "math"

// Schedule gives the learning rate and momentum at each optimizer step.
type Schedule interface {
	// At returns the learning rate and the momentum (0: leave the
	// optimizer's own) for step t = 0, 1, ...
	At(t int) (lr, momentum float64)
}

// OneCycle is torch.optim.lr_scheduler.OneCycleLR with two phases and
// cosine annealing, stepped every iteration (docs/method.md §5.3):
//
//	initial = max/div      min = initial/finalDiv
//	phase 1, steps 0 .. pct·T−1:   lr initial → max,   momentum maxM → baseM
//	phase 2, steps .. T−1:         lr max → min,       momentum baseM → maxM
//	anneal(a, b, p) = b + (a − b)/2 · (1 + cos(π·p))
//
// with p the fraction of the phase done, exactly as PyTorch computes it.
type OneCycle struct {
	MaxLR                     float64
	TotalSteps                int
	PctStart                  float64 // 0.2 in the reference (PyTorch default 0.3)
	DivFactor, FinalDiv       float64 // 100 and 1000 in the reference (PyTorch 25, 1e4)
	BaseMomentum, MaxMomentum float64 // 0.85, 0.95
	CycleMomentum             bool
}

// NewOneCycle returns the reference's OneCycle: pct_start 0.2, div 100,
// final div 1000, momentum cycling 0.95 ↔ 0.85.
func NewOneCycle(maxLR float64, totalSteps int) *OneCycle {
	return &OneCycle{MaxLR: maxLR, TotalSteps: totalSteps, PctStart: 0.2, DivFactor: 100, FinalDiv: 1000,
		BaseMomentum: 0.85, MaxMomentum: 0.95, CycleMomentum: true}
}

func cosAnneal(start, end, pct float64) float64 {
	return end + (start-end)/2*(1+math.Cos(math.Pi*pct))
}

// At returns the learning rate and momentum of step t.
func (s *OneCycle) At(t int) (lr, momentum float64) {
	initial := s.MaxLR / s.DivFactor
	minLR := initial / s.FinalDiv
	end1 := s.PctStart*float64(s.TotalSteps) - 1
	end2 := float64(s.TotalSteps - 1)
	step := float64(t)
	var pct float64
	// With fewer than 1/PctStart steps phase 1 is empty (end1 <= 0, where
	// PyTorch's OneCycleLR divides by zero): start at the peak.
	if step <= end1 && end1 > 0 {
		pct = step / end1
		lr = cosAnneal(initial, s.MaxLR, pct)
		momentum = cosAnneal(s.MaxMomentum, s.BaseMomentum, pct)
	} else {
		pct = 1
		if end2 > end1 {
			pct = (step - end1) / (end2 - end1)
		}
		lr = cosAnneal(s.MaxLR, minLR, pct)
		momentum = cosAnneal(s.BaseMomentum, s.MaxMomentum, pct)
	}
	if !s.CycleMomentum {
		momentum = 0
	}
	return lr, momentum
}

// WarmupDone reports whether step t is past phase 1 (the reference's
// "warm-up finished" flag that arms early stopping).
func (s *OneCycle) WarmupDone(t int) bool { return float64(t) > s.PctStart*float64(s.TotalSteps)-1 }

// Cosine decays from LR to LR·MinFactor over TotalSteps with a half cosine
// (no warm-up), at fixed momentum.
type Cosine struct {
	LR, MinFactor, Momentum float64
	TotalSteps              int
}

// At returns the learning rate and momentum of step t.
func (s Cosine) At(t int) (float64, float64) {
	p := math.Min(1, float64(t)/float64(max(1, s.TotalSteps-1)))
	return cosAnneal(s.LR, s.LR*s.MinFactor, p), s.Momentum
}

// Constant keeps the learning rate and momentum fixed (the LR search).
type Constant struct{ LR, Momentum float64 }

// At returns the constant values.
func (s Constant) At(int) (float64, float64) { return s.LR, s.Momentum }
