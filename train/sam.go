package train

import (
	"math"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/ops"
)

// SAM is sharpness-aware minimisation (Foret et al. 2021), as davda54/sam
// and the reference use it, wrapping any optimizer:
//
//  1. loss(w).backward()
//  2. FirstStep: if a gradient is not finite, zero the gradients and skip
//     the batch; else e = ρ·g/(‖g‖ + 1e-12) (global norm over all
//     groups), save w, move to w + e, zero the gradients
//  3. loss(w + e).backward() on the same batch
//  4. SecondStep: restore w and take the base optimizer's step with the
//     gradients computed at w + e.
//
// Adaptive SAM (Kwon et al. 2021) scales by |w|: e = ρ·w²·g / ‖|w|·g‖.
type SAM struct {
	Base     Optimizer
	Rho      float64
	Adaptive bool
	saved    [][]float32
	pl       *paramList
}

// NewSAM wraps base with radius rho (the reference uses 0.05).
func NewSAM(base Optimizer, rho float64, adaptive bool) *SAM {
	return &SAM{Base: base, Rho: rho, Adaptive: adaptive, pl: newParamList(base.Groups())}
}

// FirstStep perturbs the weights toward the local worst case. It returns
// false, with gradients zeroed and weights untouched, when any gradient is
// NaN or infinite: the caller skips the batch. The norm is summed per
// segment and the segments in order (segments.go): the same value on any
// thread count.
func (s *SAM) FirstStep() bool {
	groups := s.Base.Groups()
	pl := s.pl
	sq := sumSegments(pl.segs, func(sg segment) float64 {
		p := pl.params[sg.k]
		if p.Grad == nil {
			return 0
		}
		var sum float64
		for i, gr := range p.Grad[sg.lo:sg.hi] {
			v := float64(gr)
			if s.Adaptive {
				v *= math.Abs(float64(p.Data[sg.lo+i]))
			}
			sum += v * v
		}
		return sum
	})
	if math.IsNaN(sq) || math.IsInf(sq, 0) {
		ZeroGrad(groups)
		return false
	}
	scale := s.Rho / (math.Sqrt(sq) + 1e-12)
	// The copies are kept from step to step: SAM allocates its one copy
	// of the weights once, not every step.
	if s.saved == nil {
		for _, p := range pl.params {
			s.saved = append(s.saved, make([]float32, len(p.Data)))
		}
	}
	forSegments(pl.segs, func(sg segment) {
		p := pl.params[sg.k]
		data := p.Data[sg.lo:sg.hi]
		copy(s.saved[sg.k][sg.lo:sg.hi], data)
		if p.Grad == nil {
			return
		}
		ops.SAMPerturb(data, p.Grad[sg.lo:sg.hi], scale, s.Adaptive)
	})
	ZeroGrad(groups)
	return true
}

// SecondStep restores the weights saved by FirstStep and applies the base
// optimizer's update with the current gradients (those at w + e).
func (s *SAM) SecondStep(lr, momentum float64) {
	pl := s.pl
	forSegments(pl.segs, func(sg segment) {
		copy(pl.params[sg.k].Data[sg.lo:sg.hi], s.saved[sg.k][sg.lo:sg.hi])
	})
	s.Base.Step(lr, momentum)
}

// gradsFinite reports whether every gradient of params is finite.
func gradsFinite(params []*ag.Tensor) bool {
	var lens []int
	for _, p := range params {
		lens = append(lens, len(p.Grad))
	}
	bad := sumSegments(segmentsOf(lens), func(s segment) float64 {
		if ops.AllFinite(params[s.k].Grad[s.lo:s.hi]) {
			return 0
		}
		return 1
	})
	return bad == 0
}
