package recipe

import (
	"context"
	"errors"
	"fmt"

	"github.com/seed477ab429/multilabel/train"
)

// LRSearchOptions configure LRSearch: the learning-rate search of
// docs/method.md §5.6 on the model, data and optimizer a run of the same
// Options would train.
type LRSearchOptions struct {
	// Mode is "range" (the LR range test: one sweep, a suggestion from the
	// steepest descent of the smoothed loss) or "grid" (the reference's
	// search: one short training per candidate, the best final mAP on the
	// validation set wins).
	Mode  string
	Range train.RangeTest
	Grid  train.GridSearch
	// Plot, when set, is where the PNG of the search goes (loss against lr,
	// or final mAP against lr).
	Plot string
}

// LRSearchResult holds the search's outcome: Range or Grid is set.
type LRSearchResult struct {
	Range     *train.RangeResult
	Grid      *train.GridResult
	Suggested float64 // the learning rate to train with
}

// LRSearch builds what Run would (data, model, weights, loaders) and runs
// the learning-rate search instead of training. The model, its weights and
// the loaders are those of o; the search trains with o's optimizer alone
// (no SAM, EMA or schedule), as the reference's search does, and at
// o.Size throughout (no progressive resizing: every rate is compared on the
// same images).
func LRSearch(ctx context.Context, o Options, so LRSearchOptions) (*LRSearchResult, error) {
	if so.Mode != "range" && so.Mode != "grid" {
		return nil, inputf("-mode %q: want range or grid", so.Mode)
	}
	o.SizeStart = 0
	r, err := newRun(o)
	if err != nil {
		return nil, err
	}
	for _, phase := range []func(context.Context) error{r.loadData, r.buildModel, r.loaders} {
		if err := phase(ctx); err != nil {
			return nil, err
		}
	}
	cfg := trainConfig(&r.o)
	s := &train.LRSearch{
		Model: r.net, Loss: r.loss, Train: r.trainLoader, Val: r.valLoader,
		Optimizer: cfg.Optimizer, Momentum: cfg.Momentum, Nesterov: cfg.Nesterov,
		WeightDecay: cfg.WeightDecay, Seed: cfg.Seed, Out: r.out, TTY: r.o.TTY,
	}
	res := &LRSearchResult{}
	defer usePrecision(&r.o, r.out)()
	if so.Mode == "range" {
		rr, err := s.RangeTest(ctx, so.Range)
		res.Range = rr
		if err != nil && !(errors.Is(err, train.ErrNoSuggestion) && rr != nil && len(rr.LRs) > 0) {
			return nil, err
		}
		if so.Plot != "" && rr != nil && len(rr.LRs) > 0 {
			if perr := rr.Plot(so.Plot); perr != nil {
				return nil, perr
			}
		}
		if err != nil { // the curve is plotted; the suggestion is missing
			return res, InputError{err}
		}
		res.Suggested = rr.Suggestion
	} else {
		gr, err := s.GridSearch(ctx, so.Grid)
		res.Grid = gr
		if err != nil {
			return nil, err
		}
		if so.Plot != "" {
			if err := gr.Plot(so.Plot); err != nil {
				return nil, err
			}
		}
		res.Suggested = gr.Best
	}
	r.warn.summary()
	return res, nil
}

// String is a one-line summary of the search's suggestion.
func (r *LRSearchResult) String() string {
	switch {
	case r.Range != nil:
		return fmt.Sprintf("suggested lr %.2e (steepest descent of the smoothed loss, %d steps)", r.Suggested, len(r.Range.LRs))
	case r.Grid != nil:
		return fmt.Sprintf("best lr %.2e (final mAP %.2f over %d trials)", r.Suggested, 100*r.Grid.BestMAP, len(r.Grid.Trials))
	}
	return "no result"
}
