package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"
)

// The reference's search: short trainings at candidate rates; see
// lrsearch.go for the method.

// GridSearch configures the reference's search (docs/method.md §5.6).
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
