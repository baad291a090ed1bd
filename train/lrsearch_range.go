package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"
)

// The LR range test; see lrsearch.go for the method.

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
