package train

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/data"
	"github.com/seed477ab429/multilabel/losses"
	"github.com/seed477ab429/multilabel/nn"
)

// Learning-rate search (docs/method.md §5.6), two ways:
//
//   - RangeTest, the LR range test of Smith (2017) as fast.ai's lr_find
//     and torch_lr_finder run it: one short run whose learning rate grows
//     exponentially from MinLR to MaxLR, step by step,
//
//     lr_i = MinLR · (MaxLR/MinLR)^(i/(N−1)),   i = 0 … N−1,
//
//     recording each batch's loss l_i and its exponential smoothing
//
//     s_0 = l_0,   s_i = f·l_i + (1−f)·s_{i−1}    (f = Smooth, 0.05),
//
//     stopping once s_i > Diverge · min_{j≤i} s_j (5×: the loss blew up).
//     The suggestion is the lr where the smoothed loss falls fastest:
//     argmin of its gradient (numpy.gradient: central differences inside,
//     one-sided at the ends) after dropping SkipStart points at the start
//     and SkipEnd at the end, exactly torch_lr_finder's suggest_lr. Since
//     the lrs are evenly spaced in log lr, the gradient over the index is
//     the slope d s / d log lr up to a constant.
//
//   - GridSearch, the reference's search: a few short trainings, one per
//     candidate lr, each from the same initial weights with a fresh
//     optimizer, at constant lr for Epochs epochs, evaluating mAP after
//     every epoch; the candidate with the best last-epoch mAP wins. The
//     reference samples candidates with Optuna's TPE (15 trials over
//     [1e-5, 1e-3] in steps of 1e-5, MedianPruner); here the candidates are
//     a fixed, deterministic list (LogGrid by default) and no trial is
//     pruned, so the search costs Trials × Epochs epochs exactly.
//
// Both train the plain optimizer over a single parameter group, as the
// reference's search does: no SAM, no EMA, no schedule, no "no bias
// decay" groups. Both start from a Snapshot of the model and restore it
// when they return — on success, error or cancellation — so the model's
// tensors (BN running statistics included) are bit-identical to before.
// The reference rebuilds its model after the search without reloading the
// pretrained weights; we never lose them.

// LRSearch holds what both searches need. NewLRSearch fills it from a
// Trainer; the result's lr then goes into Config.LR before Run:
//
//	s := train.NewLRSearch(tr)
//	r, err := s.RangeTest(ctx, train.DefaultRangeTest())
//	if err == nil { tr.Config.LR = r.Suggestion }
type LRSearch struct {
	Model Model
	Loss  losses.Loss
	Train *data.Loader
	Val   *data.Loader // GridSearch's evaluation (mAP); not used by RangeTest

	Optimizer   string  // "sgd" (default, as the reference) or "adamw"
	Momentum    float64 // SGD momentum, AdamW β₁ (0: SGD without momentum, AdamW's 0.9)
	Nesterov    bool    //
	WeightDecay float64 // one group: coupled L2 for SGD, decoupled for AdamW
	Seed        uint64  // dropout / stochastic-depth randomness, the same for every trial

	Out io.Writer // progress bars and a line per trial; nil is silent
	TTY bool      // redraw progress in place

	// Evaluate scores the model after each epoch of a GridSearch trial
	// (higher is better). nil: mAP on Val with σ(Loss.Scale()·output).
	Evaluate func(ctx context.Context, m Model) (float64, error)
}

// NewLRSearch takes the model, loss, loaders, output and the optimizer
// settings (optimizer, momentum, Nesterov, weight decay, seed) of a
// Trainer's Config. SAM, EMA, the schedule and nbd are left out on purpose.
func NewLRSearch(t *Trainer) *LRSearch {
	c := t.Config
	return &LRSearch{
		Model: t.Model, Loss: t.Loss, Train: t.Train, Val: t.Val,
		Optimizer: c.Optimizer, Momentum: c.Momentum, Nesterov: c.Nesterov,
		WeightDecay: c.WeightDecay, Seed: c.Seed, Out: t.Out, TTY: t.TTY,
	}
}

func (s *LRSearch) evaluate(ctx context.Context) (float64, error) {
	if s.Evaluate != nil {
		return s.Evaluate(ctx, s.Model)
	}
	r, _, err := Evaluate(ctx, s.Model, s.Val, s.Loss.Scale(), nil)
	return r.MAP, err
}

func (s *LRSearch) check(needEval bool) error {
	switch {
	case s.Model == nil || s.Loss == nil || s.Train == nil:
		return errors.New("lr search: needs Model, Loss and Train")
	case s.Train.Len() == 0:
		return errors.New("lr search: the training loader has no batches (fewer images than one batch with drop-last?)")
	case s.Optimizer != "" && s.Optimizer != "sgd" && s.Optimizer != "adamw":
		return fmt.Errorf("lr search: unknown optimizer %q (sgd, adamw)", s.Optimizer)
	case needEval && s.Val == nil && s.Evaluate == nil:
		return errors.New("lr search: the grid search needs Val (or an Evaluate function)")
	}
	return nil
}

// stepper is the trainer's step without SAM, EMA or schedule: forward,
// loss, backward, one plain optimizer step at the given lr.
type stepper struct {
	model    Model
	loss     losses.Loss
	opt      Optimizer
	groups   []Group
	params   []*ag.Tensor
	momentum float64
	ctx      *nn.Ctx
	arena    *ag.Arena
}

// newStepper builds a fresh optimizer over one group (no nbd) and a
// training context seeded with s.Seed.
func (s *LRSearch) newStepper() *stepper {
	groups := SingleGroup(nn.Parameters(s.Model), s.WeightDecay)
	var opt Optimizer = NewSGD(groups, s.Nesterov)
	if s.Optimizer == "adamw" {
		opt = NewAdamW(groups)
	}
	return &stepper{
		model: s.Model, loss: s.Loss, opt: opt, groups: groups, params: flatParams(groups), momentum: s.Momentum,
		ctx: &nn.Ctx{Training: true, RNG: rand.New(rand.NewPCG(s.Seed, 0x6c7273))}, arena: ag.NewArena(),
	}
}

// step trains on one batch at learning rate lr and returns the loss
// computed before the update. A non-finite loss or gradient returns an
// error wrapping ErrNonFinite, with the weights not updated.
func (p *stepper) step(b *data.Batch, lr float64) (float64, error) {
	defer p.arena.Reset()
	x := p.arena.New(b.Images[:b.N*3*b.Size*b.Size], b.N, 3, b.Size, b.Size)
	ZeroGrad(p.groups)
	l := p.loss.Loss(p.model.Forward(p.ctx, x), b.Targets[:b.N*b.Classes])
	v := float64(l.Item())
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return v, fmt.Errorf("%w (%v) at lr %.3g", ErrNonFinite, v, lr)
	}
	l.Backward()
	if !gradsFinite(p.params) {
		ZeroGrad(p.groups)
		return v, fmt.Errorf("%w: gradients at lr %.3g", ErrNonFinite, lr)
	}
	p.opt.Step(lr, p.momentum)
	return v, nil
}
