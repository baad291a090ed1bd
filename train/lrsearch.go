package train

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"time"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/losses"
	"github.com/seed477ab429/multilabel/nn"
	"github.com/seed477ab429/multilabel/train/data"
)

// Learning-rate search (METHOD.md §5.6), two ways:
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

// ErrNoSuggestion is returned (with the recorded curve) when the range
// test stopped with too few points to take a gradient.
var ErrNoSuggestion = errors.New("too few points for a learning-rate suggestion")

// RangeTest configures the LR range test.
type RangeTest struct {
	MinLR, MaxLR float64 // sweep ends: 1e-7 and 10 (fast.ai's lr_find; torch_lr_finder ends at 10)
	Steps        int     // sweep length in optimizer steps; 0: Fraction of an epoch
	Fraction     float64 // of an epoch, when Steps is 0 (the reference's fast_ai mode sweeps 1 epoch)
	Smooth       float64 // f of the exponential smoothing: 0.05 (torch_lr_finder; the reference passes 0.01); 0 is none
	Diverge      float64 // stop once smoothed loss > Diverge × its minimum so far: 5
	SkipStart    int     // points left out of the suggestion at the start: 10 (torch_lr_finder)
	SkipEnd      int     // and at the end: 5
}

// DefaultRangeTest is fast.ai's / torch_lr_finder's sweep over one epoch.
func DefaultRangeTest() RangeTest {
	return RangeTest{MinLR: 1e-7, MaxLR: 10, Fraction: 1, Smooth: 0.05, Diverge: 5, SkipStart: 10, SkipEnd: 5}
}

// RangeResult is the recorded sweep.
type RangeResult struct {
	LRs      []float64 // lr of each step
	Losses   []float64 // the batch loss at that step (before the update)
	Smoothed []float64 // exponentially smoothed losses
	Diverged bool      // stopped before the last step: loss above Diverge × best, or not finite
	// Suggestion is LRs[SuggestIndex], the steepest descent of Smoothed;
	// NaN and -1 when there were too few points.
	Suggestion   float64
	SuggestIndex int
	Seconds      float64
}

// smoother is torch_lr_finder's bookkeeping: smoothing, best and the
// divergence test.
type smoother struct {
	f, diverge float64
	n          int
	last, best float64
}

// add folds loss l in and returns the smoothed value and whether the
// sweep has diverged (smoothed > diverge × best so far).
func (s *smoother) add(l float64) (smoothed float64, diverged bool) {
	if s.n == 0 {
		s.last, s.best = l, l
	} else {
		s.last = s.f*l + (1-s.f)*s.last
		s.best = min(s.best, s.last)
	}
	s.n++
	return s.last, s.last > s.diverge*s.best
}

// SmoothLosses returns the exponential smoothing s_0 = l_0,
// s_i = f·l_i + (1−f)·s_{i−1} of losses (RangeTest's curve).
func SmoothLosses(losses []float64, f float64) []float64 {
	s := smoother{f: f, diverge: math.Inf(1)}
	out := make([]float64, len(losses))
	for i, l := range losses {
		out[i], _ = s.add(l)
	}
	return out
}

// SteepestDescent returns the index of the most negative gradient of
// losses (numpy.gradient over the index) among losses[skipStart :
// len−skipEnd], as torch_lr_finder's suggest_lr. When fewer than two
// points are left the skips are dropped; with fewer than two points in
// all it returns -1.
func SteepestDescent(losses []float64, skipStart, skipEnd int) int {
	lo, hi := skipStart, len(losses)-skipEnd
	if hi-lo < 2 {
		lo, hi = 0, len(losses)
	}
	if hi-lo < 2 {
		return -1
	}
	s := losses[lo:hi]
	n := len(s)
	best, at := math.Inf(1), -1
	for i := range n {
		var g float64
		switch i {
		case 0:
			g = s[1] - s[0]
		case n - 1:
			g = s[n-1] - s[n-2]
		default:
			g = (s[i+1] - s[i-1]) / 2
		}
		if g < best { // first minimum, as numpy's argmin
			best, at = g, i
		}
	}
	return lo + at
}

// RangeTest sweeps the learning rate as described above and restores the
// model's initial state before returning. With too few points for a
// suggestion it returns the curve and an error wrapping ErrNoSuggestion.
func (s *LRSearch) RangeTest(ctx context.Context, rt RangeTest) (res *RangeResult, err error) {
	if err := s.check(false); err != nil {
		return nil, err
	}
	n := rt.Steps
	if n <= 0 {
		n = int(math.Round(rt.Fraction * float64(s.Train.Len())))
	}
	switch {
	case !(rt.MinLR > 0) || !(rt.MaxLR > rt.MinLR):
		return nil, fmt.Errorf("lr range test: need 0 < MinLR < MaxLR, got %v and %v", rt.MinLR, rt.MaxLR)
	case n < 2:
		return nil, fmt.Errorf("lr range test: %d steps (Steps %d, Fraction %v of %d batches); need at least 2", n, rt.Steps, rt.Fraction, s.Train.Len())
	case rt.Smooth < 0 || rt.Smooth >= 1:
		return nil, fmt.Errorf("lr range test: smoothing factor %v outside [0, 1)", rt.Smooth)
	case !(rt.Diverge > 1):
		return nil, fmt.Errorf("lr range test: divergence threshold %v must be above 1", rt.Diverge)
	}
	snap := TakeSnapshot(s.Model)
	defer func() {
		if rerr := snap.Restore(s.Model); rerr != nil && err == nil {
			err = rerr
		}
	}()

	start := time.Now()
	st := s.newStepper()
	sm := smoother{f: rt.Smooth, diverge: rt.Diverge}
	res = &RangeResult{Suggestion: math.NaN(), SuggestIndex: -1}
	bar := NewProgress(s.Out, s.TTY, "lr range test", n, "steps")
	images, lastLR := 0, 0.0
sweep:
	for epoch := 0; ; epoch++ {
		batches := 0
		for b, berr := range s.Train.Epoch(ctx, epoch) {
			batches++
			if berr != nil {
				bar.Done()
				return res, fmt.Errorf("lr range test: %w", berr)
			}
			i := len(res.LRs)
			lr := rt.MinLR * math.Pow(rt.MaxLR/rt.MinLR, float64(i)/float64(n-1))
			lastLR = lr
			l, serr := st.step(b, lr)
			images += b.N
			b.Release()
			if serr != nil { // step's only error: a non-finite loss or gradient
				res.Diverged = true
				break sweep
			}
			smoothed, diverged := sm.add(l)
			res.LRs = append(res.LRs, lr)
			res.Losses = append(res.Losses, l)
			res.Smoothed = append(res.Smoothed, smoothed)
			bar.Update(i+1, images, fmt.Sprintf("lr %.2e  loss %.4f", lr, smoothed))
			if diverged && i+1 < n {
				res.Diverged = true
				break sweep
			}
			if i+1 == n {
				break sweep
			}
		}
		if batches == 0 {
			bar.Done()
			return res, fmt.Errorf("lr range test: epoch %d of the training loader gave no batches", epoch+1)
		}
	}
	bar.Done()
	res.Seconds = time.Since(start).Seconds()
	res.SuggestIndex = SteepestDescent(res.Smoothed, rt.SkipStart, rt.SkipEnd)
	if res.SuggestIndex < 0 {
		return res, fmt.Errorf("lr range test: %w: %d recorded (diverged: %v); lower MaxLR or raise Steps", ErrNoSuggestion, len(res.LRs), res.Diverged)
	}
	res.Suggestion = res.LRs[res.SuggestIndex]
	if s.Out != nil {
		stop := "swept to the end"
		if res.Diverged {
			stop = fmt.Sprintf("stopped at lr %.2e: the loss diverged", lastLR)
		}
		fmt.Fprintf(s.Out, "lr range test: %d steps, %s; suggested lr %.2e (steepest descent of the smoothed loss)  %.0fs\n",
			len(res.LRs), stop, res.Suggestion, res.Seconds)
	}
	return res, nil
}

// GridSearch configures the reference's search (METHOD.md §5.6).
type GridSearch struct {
	Candidates   []float64 // learning rates to try, in order; nil: LogGrid(MinLR, MaxLR, Trials)
	MinLR, MaxLR float64   // 1e-5 and 1e-3: the reference's lr_finder.min_lr / max_lr
	Trials       int       // 15: the reference's n_trials
	Epochs       int       // epochs per trial at constant lr: 10, the reference's num_epochs
}

// DefaultGridSearch is the reference's search space and budget. On a CPU
// that is 150 epochs: scale Trials and Epochs down.
func DefaultGridSearch() GridSearch {
	return GridSearch{MinLR: 1e-5, MaxLR: 1e-3, Trials: 15, Epochs: 10}
}

// LogGrid returns n learning rates evenly spaced in log scale from lo to
// hi inclusive (n = 1: lo).
func LogGrid(lo, hi float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		if n == 1 {
			out[i] = lo
			break
		}
		out[i] = lo * math.Pow(hi/lo, float64(i)/float64(n-1))
	}
	return out
}

// LinearGrid returns lo, lo+step, … below hi, as numpy.arange (the
// reference's grid_search mode).
func LinearGrid(lo, hi, step float64) []float64 {
	var out []float64
	for i := 0; ; i++ {
		v := lo + float64(i)*step
		if v >= hi || !(step > 0) {
			return out
		}
		out = append(out, v)
	}
}

// Trial is one candidate's short training.
type Trial struct {
	LR        float64
	MAP       []float64 // the evaluation after each epoch
	TrainLoss []float64 // mean batch loss of each epoch
	Final     float64   // the last epoch's evaluation: the objective (the reference's)
	Diverged  bool      // a loss or gradient became non-finite; the trial stopped and cannot win
	Seconds   float64
}

// GridResult is the outcome of a GridSearch.
type GridResult struct {
	Trials    []Trial
	BestIndex int     // the trial with the highest Final (the first on ties)
	Best      float64 // its learning rate
	BestMAP   float64 // its Final
}

// GridSearch runs one short training per candidate and returns the
// candidate with the best final evaluation. Every trial starts from the
// model's initial state, a fresh optimizer and the same data order and
// dropout randomness, so candidates differ by their lr only; the initial
// state is restored when GridSearch returns.
func (s *LRSearch) GridSearch(ctx context.Context, g GridSearch) (res *GridResult, err error) {
	if err := s.check(true); err != nil {
		return nil, err
	}
	cands := g.Candidates
	if cands == nil {
		if !(g.MinLR > 0) || !(g.MaxLR >= g.MinLR) || g.Trials < 1 {
			return nil, fmt.Errorf("lr search: need 0 < MinLR <= MaxLR and Trials >= 1, got %v, %v, %d", g.MinLR, g.MaxLR, g.Trials)
		}
		cands = LogGrid(g.MinLR, g.MaxLR, g.Trials)
	}
	if len(cands) == 0 || g.Epochs < 1 {
		return nil, fmt.Errorf("lr search: %d candidates, %d epochs per trial; need at least one of each", len(cands), g.Epochs)
	}
	for _, lr := range cands {
		if !(lr > 0) || math.IsInf(lr, 0) {
			return nil, fmt.Errorf("lr search: candidate learning rate %v is not a positive number", lr)
		}
	}
	snap := TakeSnapshot(s.Model)
	defer func() {
		if rerr := snap.Restore(s.Model); rerr != nil && err == nil {
			err = rerr
		}
	}()

	res = &GridResult{BestIndex: -1, Best: math.NaN(), BestMAP: math.Inf(-1)}
	start := time.Now()
	for k, lr := range cands {
		if err := snap.Restore(s.Model); err != nil {
			return res, err
		}
		tr, err := s.trial(ctx, lr, fmt.Sprintf("lr %.2e (%d/%d)", lr, k+1, len(cands)), g.Epochs)
		res.Trials = append(res.Trials, tr)
		if err != nil {
			return res, fmt.Errorf("lr search, trial %d (lr %.3g): %w", k+1, lr, err)
		}
		if !tr.Diverged && tr.Final > res.BestMAP {
			res.BestIndex, res.Best, res.BestMAP = k, lr, tr.Final
		}
		if s.Out != nil {
			el := time.Since(start)
			eta := time.Duration(float64(el) / float64(k+1) * float64(len(cands)-k-1)).Round(time.Second)
			line := fmt.Sprintf("lr search %d/%d: lr %.2e  final %.2f", k+1, len(cands), lr, 100*tr.Final)
			if tr.Diverged {
				line = fmt.Sprintf("lr search %d/%d: lr %.2e  diverged after %d epochs", k+1, len(cands), lr, len(tr.MAP))
			}
			best := "no finished trial yet"
			if res.BestIndex >= 0 {
				best = fmt.Sprintf("best so far lr %.2e, %.2f", res.Best, 100*res.BestMAP)
			}
			fmt.Fprintf(s.Out, "%s  (%s)  %.0fs  ETA %s\n", line, best, tr.Seconds, eta)
		}
	}
	if res.BestIndex < 0 {
		return res, errors.New("lr search: every candidate diverged; lower the learning rates")
	}
	return res, nil
}

// trial trains at constant lr for epochs epochs, evaluating after each.
func (s *LRSearch) trial(ctx context.Context, lr float64, label string, epochs int) (tr Trial, err error) {
	tr = Trial{LR: lr, Final: math.NaN()}
	start := time.Now()
	defer func() { tr.Seconds = time.Since(start).Seconds() }()
	st := s.newStepper()
	for e := range epochs {
		bar := NewProgress(s.Out, s.TTY, fmt.Sprintf("%s epoch %d/%d", label, e+1, epochs), s.Train.Len(), "batches")
		var sum float64
		count, images := 0, 0
		for b, berr := range s.Train.Epoch(ctx, e) {
			if berr != nil {
				bar.Done()
				return tr, berr
			}
			l, err := st.step(b, lr)
			images += b.N
			b.Release()
			if err != nil { // step's only error: a non-finite loss or gradient
				tr.Diverged = true
				break
			}
			sum += l
			count++
			bar.Update(count, images, fmt.Sprintf("loss %.4f", sum/float64(count)))
		}
		bar.Done()
		if tr.Diverged {
			return tr, nil
		}
		tr.TrainLoss = append(tr.TrainLoss, sum/float64(max(count, 1)))
		m, err := s.evaluate(ctx)
		if err != nil {
			return tr, fmt.Errorf("evaluation after epoch %d: %w", e+1, err)
		}
		tr.MAP = append(tr.MAP, m)
		tr.Final = m
	}
	return tr, nil
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
