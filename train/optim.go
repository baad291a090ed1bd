package train

import (
	"fmt"
	"math"
	"strings"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/nn"
	"github.com/seed477ab429/multilabel/ops"
)

// Group is a set of parameters sharing a learning-rate multiplier and a
// weight decay, like a PyTorch param group.
type Group struct {
	Names       []string
	Params      []*ag.Tensor
	LRScale     float64 // group lr = schedule lr · LRScale (2 for biases under nbd)
	WeightDecay float64
}

// NoBiasDecayGroups splits trainable parameters as the reference's
// "no bias decay" (train.nbd, docs/method.md §5.2):
//
//	name ends with "bias"                               2× lr, no decay
//	1-D parameter (norm weights, ...)                   lr, no decay
//	"…weight" containing "norm" or "query_embed"        lr, no decay
//	everything else                                     lr, decay wd
//
// Empty groups are dropped.
func NoBiasDecayGroups(params []nn.NamedTensor, wd float64) []Group {
	bias := Group{LRScale: 2}
	noDecay := Group{LRScale: 1}
	decay := Group{LRScale: 1, WeightDecay: wd}
	for _, p := range params {
		g := &decay
		switch {
		case strings.HasSuffix(p.Name, "bias"):
			g = &bias
		case p.Tensor.Dims() <= 1:
			g = &noDecay
		case strings.HasSuffix(p.Name, "weight") && (strings.Contains(p.Name, "norm") || strings.Contains(p.Name, "query_embed")):
			g = &noDecay
		}
		g.Names = append(g.Names, p.Name)
		g.Params = append(g.Params, p.Tensor)
	}
	var out []Group
	for _, g := range []Group{decay, noDecay, bias} {
		if len(g.Params) > 0 {
			out = append(out, g)
		}
	}
	return out
}

// SingleGroup puts all parameters in one group with the given decay (no
// nbd: the reference's LR search uses it).
func SingleGroup(params []nn.NamedTensor, wd float64) []Group {
	g := Group{LRScale: 1, WeightDecay: wd}
	for _, p := range params {
		g.Names = append(g.Names, p.Name)
		g.Params = append(g.Params, p.Tensor)
	}
	return []Group{g}
}

// Optimizer updates parameters from their gradients.
type Optimizer interface {
	// Step applies one update with learning rate lr (times each group's
	// LRScale) and, for optimizers that have one, momentum / β₁ momentum.
	Step(lr, momentum float64)
	Groups() []Group
	// State returns the optimizer's buffers by parameter name, for
	// checkpoints; SetState restores them.
	State() map[string][]float32
	SetState(map[string][]float32) error
}

// ZeroGrad zeroes the gradients of every parameter of the groups.
func ZeroGrad(groups []Group) {
	var grads [][]float32
	var lens []int
	for _, g := range groups {
		for _, p := range g.Params {
			if p.Grad != nil {
				grads = append(grads, p.Grad)
				lens = append(lens, len(p.Grad))
			}
		}
	}
	forSegments(segmentsOf(lens), func(s segment) { clear(grads[s.k][s.lo:s.hi]) })
}

// SGD is torch.optim.SGD with coupled L2 weight decay, dampening 0:
//
//	g ← ∇ + wd·p
//	buf ← g (first step), else μ·buf + g
//	g ← g + μ·buf (Nesterov) or buf
//	p ← p − lr·g
type SGD struct {
	groups   []Group
	Nesterov bool
	buf      map[*ag.Tensor][]float32
	pl       *paramList
}

// NewSGD returns SGD over the groups.
func NewSGD(groups []Group, nesterov bool) *SGD {
	return &SGD{groups: groups, Nesterov: nesterov, buf: map[*ag.Tensor][]float32{}, pl: newParamList(groups)}
}

// Groups returns the parameter groups.
func (o *SGD) Groups() []Group { return o.groups }

// Step applies one SGD update; momentum 0 disables the buffer. The
// elements are updated in parallel (segments.go); each one's arithmetic
// is the same as a serial loop's.
func (o *SGD) Step(lr, momentum float64) {
	pl := o.pl
	bufs := make([][]float32, len(pl.params))
	fresh := make([]bool, len(pl.params))
	if momentum != 0 {
		for k, p := range pl.params {
			if p.Grad == nil {
				continue
			}
			b, seen := o.buf[p]
			if !seen {
				b = make([]float32, len(p.Data))
				o.buf[p] = b
				fresh[k] = true
			}
			bufs[k] = b
		}
	}
	mu := float32(momentum)
	forSegments(pl.segs, func(s segment) {
		p := pl.params[s.k]
		if p.Grad == nil {
			return
		}
		g := &o.groups[pl.group[s.k]]
		glr := float32(lr * g.LRScale)
		wd := float32(g.WeightDecay)
		data, grad := p.Data[s.lo:s.hi], p.Grad[s.lo:s.hi]
		if momentum == 0 {
			ops.SGD(data, grad, glr, wd)
			return
		}
		ops.SGDMomentum(data, grad, bufs[s.k][s.lo:s.hi], glr, wd, mu, fresh[s.k], o.Nesterov)
	})
}

// State returns the momentum buffers by parameter name.
func (o *SGD) State() map[string][]float32 {
	st := map[string][]float32{}
	for _, g := range o.groups {
		for i, p := range g.Params {
			if b, ok := o.buf[p]; ok {
				st["momentum_buffer."+g.Names[i]] = b
			}
		}
	}
	return st
}

// SetState restores momentum buffers saved by State.
func (o *SGD) SetState(st map[string][]float32) error {
	return restoreBuffers(o.groups, st, map[string]map[*ag.Tensor][]float32{"momentum_buffer.": o.buf})
}

// AdamW is torch.optim.AdamW (decoupled weight decay):
//
//	p ← p·(1 − lr·wd)
//	m ← β₁m + (1−β₁)g      v ← β₂v + (1−β₂)g²
//	p ← p − lr/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + ε)
//
// A momentum passed to Step replaces β₁ (OneCycle's cycling), unless it
// is 0.
type AdamW struct {
	groups       []Group
	Beta1, Beta2 float64
	Eps          float64
	t            int
	m, v         map[*ag.Tensor][]float32
	pl           *paramList
}

// NewAdamW returns AdamW with β = (0.9, 0.999), ε = 1e-8.
func NewAdamW(groups []Group) *AdamW {
	return &AdamW{groups: groups, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, m: map[*ag.Tensor][]float32{}, v: map[*ag.Tensor][]float32{},
		pl: newParamList(groups)}
}

// Groups returns the parameter groups.
func (o *AdamW) Groups() []Group { return o.groups }

// Step applies one AdamW update, the elements in parallel (segments.go).
func (o *AdamW) Step(lr, momentum float64) {
	o.t++
	b1, b2 := o.Beta1, o.Beta2
	if momentum > 0 {
		b1 = momentum
	}
	bc1 := 1 - math.Pow(b1, float64(o.t))
	bc2 := math.Sqrt(1 - math.Pow(b2, float64(o.t)))
	pl := o.pl
	ms := make([][]float32, len(pl.params))
	vs := make([][]float32, len(pl.params))
	for k, p := range pl.params {
		if p.Grad == nil {
			continue
		}
		m, ok := o.m[p]
		if !ok {
			m = make([]float32, len(p.Data))
			o.m[p] = m
			o.v[p] = make([]float32, len(p.Data))
		}
		ms[k], vs[k] = m, o.v[p]
	}
	forSegments(pl.segs, func(s segment) {
		p := pl.params[s.k]
		if p.Grad == nil {
			return
		}
		g := &o.groups[pl.group[s.k]]
		glr := lr * g.LRScale
		data, grad := p.Data[s.lo:s.hi], p.Grad[s.lo:s.hi]
		m, v := ms[s.k][s.lo:s.hi], vs[s.k][s.lo:s.hi]
		ops.AdamW(data, grad, m, v, ops.AdamWCoef{
			Decay: float32(1 - glr*g.WeightDecay), Beta1: float32(b1), C1: float32(1 - b1),
			Beta2: float32(b2), C2: float32(1 - b2), BC2: float32(bc2), Eps: float32(o.Eps),
			StepLR: float32(glr / bc1),
		})
	})
}

// State returns the moments and the step count.
func (o *AdamW) State() map[string][]float32 {
	st := map[string][]float32{"step": {float32(o.t)}}
	for _, g := range o.groups {
		for i, p := range g.Params {
			if m, ok := o.m[p]; ok {
				st["exp_avg."+g.Names[i]] = m
				st["exp_avg_sq."+g.Names[i]] = o.v[p]
			}
		}
	}
	return st
}

// SetState restores what State saved.
func (o *AdamW) SetState(st map[string][]float32) error {
	if s, ok := st["step"]; ok && len(s) == 1 {
		o.t = int(s[0])
	}
	return restoreBuffers(o.groups, st, map[string]map[*ag.Tensor][]float32{"exp_avg.": o.m, "exp_avg_sq.": o.v})
}

// restoreBuffers copies saved per-parameter buffers (keyed prefix+name)
// into the optimizer's maps, checking lengths.
func restoreBuffers(groups []Group, st map[string][]float32, dst map[string]map[*ag.Tensor][]float32) error {
	for _, g := range groups {
		for i, p := range g.Params {
			for prefix, m := range dst {
				b, ok := st[prefix+g.Names[i]]
				if !ok {
					continue
				}
				if len(b) != len(p.Data) {
					return fmt.Errorf("optimizer state %s%s: %d values for a parameter of %d", prefix, g.Names[i], len(b), len(p.Data))
				}
				m[p] = append([]float32(nil), b...)
			}
		}
	}
	return nil
}
