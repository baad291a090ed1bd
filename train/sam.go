package train

import (
	"math"

	ag "github.com/seed477ab429/multilabel/autograd"
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
}

// NewSAM wraps base with radius rho (the reference uses 0.05).
func NewSAM(base Optimizer, rho float64, adaptive bool) *SAM {
	return &SAM{Base: base, Rho: rho, Adaptive: adaptive}
}

// FirstStep perturbs the weights toward the local worst case. It returns
// false, with gradients zeroed and weights untouched, when any gradient is
// NaN or infinite: the caller skips the batch.
func (s *SAM) FirstStep() bool {
	groups := s.Base.Groups()
	var sq float64
	for _, g := range groups {
		for _, p := range g.Params {
			for i, gr := range p.Grad {
				v := float64(gr)
				if s.Adaptive {
					v *= math.Abs(float64(p.Data[i]))
				}
				sq += v * v
			}
		}
	}
	if math.IsNaN(sq) || math.IsInf(sq, 0) {
		ZeroGrad(groups)
		return false
	}
	scale := s.Rho / (math.Sqrt(sq) + 1e-12)
	k := 0
	for _, g := range groups {
		for _, p := range g.Params {
			// The copies are kept from step to step: SAM allocates its
			// one copy of the weights once, not every step.
			if k == len(s.saved) {
				s.saved = append(s.saved, make([]float32, len(p.Data)))
			}
			s.saved[k] = append(s.saved[k][:0], p.Data...)
			k++
			if p.Grad == nil {
				continue
			}
			for i, gr := range p.Grad {
				e := scale * float64(gr)
				if s.Adaptive {
					e *= float64(p.Data[i]) * float64(p.Data[i])
				}
				p.Data[i] += float32(e)
			}
		}
	}
	ZeroGrad(groups)
	return true
}

// SecondStep restores the weights saved by FirstStep and applies the base
// optimizer's update with the current gradients (those at w + e).
func (s *SAM) SecondStep(lr, momentum float64) {
	k := 0
	for _, g := range s.Base.Groups() {
		for _, p := range g.Params {
			copy(p.Data, s.saved[k])
			k++
		}
	}
	s.Base.Step(lr, momentum)
}

// gradsFinite reports whether every gradient of params is finite.
func gradsFinite(params []*ag.Tensor) bool {
	for _, p := range params {
		for _, g := range p.Grad {
			if math.IsNaN(float64(g)) || math.IsInf(float64(g), 0) {
				return false
			}
		}
	}
	return true
}
