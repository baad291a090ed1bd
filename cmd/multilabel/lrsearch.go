package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"syscall"

	"github.com/seed477ab429/multilabel/recipe"
	"github.com/seed477ab429/multilabel/train"
)

// lrsearch: the learning-rate search (docs/method.md §5.6) on the model,
// data and optimizer that `multilabel train` with the same flags would
// train, with its plot.
//
//	multilabel lrsearch -data BCCD                           # LR range test: 100 steps from 1e-7 to 10
//	multilabel lrsearch -data BCCD -mode grid -trials 5 -trial-epochs 2
//	multilabel train -data BCCD -lr 0.0023                   # then train with the suggestion
//
// The range test (Smith 2017; fast.ai's lr_find, torch_lr_finder) sweeps
// the learning rate exponentially, one batch a step, and suggests the rate
// where the smoothed loss falls fastest. The grid search is the
// reference's: one short training per candidate at constant rate, the best
// final mAP on the validation set wins.
func init() {
	commands["lrsearch"] = command{summary: "learning-rate search (range test or grid) for a training setup, with its plot", run: runLRSearch}
}

// lrsearchResult is the -json output.
type lrsearchResult struct {
	Mode      string      `json:"mode"`
	Suggested *float64    `json:"suggested_lr"` // null: no suggestion
	Plot      string      `json:"plot,omitempty"`
	LRs       []float64   `json:"lrs,omitempty"`      // range: the lr of each step
	Losses    []float64   `json:"losses,omitempty"`   // range: the batch loss at each step
	Smoothed  []float64   `json:"smoothed,omitempty"` // range: smoothed losses
	Diverged  bool        `json:"diverged,omitempty"` // range: stopped early
	Trials    []trialJSON `json:"trials,omitempty"`   // grid: each candidate
}

type trialJSON struct {
	LR        float64   `json:"lr"`
	MAP       []float64 `json:"map"`        // after each epoch
	TrainLoss []float64 `json:"train_loss"` // mean batch loss of each epoch
	Final     *float64  `json:"final"`      // null when it diverged
	Diverged  bool      `json:"diverged"`
}

// finite is v, or nil for NaN and infinities (JSON has no NaN).
func finite(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

func runLRSearch(args []string, stdout io.Writer) error {
	fs := newFlags("lrsearch", stdout)
	o := recipe.Defaults()
	recipe.AddDataFlags(fs, &o, "data set: a VOC folder (Annotations/, any classes), a YOLO folder or data.yaml, a COCO instances .json, a reference-format .json or a .csv")
	recipe.AddFlags(fs, &o)
	mode := fs.String("mode", "range", "range (the LR range test: one sweep, a suggestion from the loss curve) or grid (short trainings at candidate rates, the best final mAP wins)")
	minLR := fs.Float64("min-lr", 0, "lowest rate (default: range 1e-7, grid 1e-5)")
	maxLR := fs.Float64("max-lr", 0, "highest rate (default: range 10, grid 1e-3)")
	steps := fs.Int("steps", 100, "range: sweep length in steps (batches; the training set repeats as needed); 0: one epoch")
	trials := fs.Int("trials", 15, "grid: candidate rates, evenly spaced in log scale")
	trialEpochs := fs.Int("trial-epochs", 10, "grid: epochs per candidate at constant rate")
	plot := fs.String("plot", "lrsearch.png", "PNG of the search (loss or final mAP against lr); empty: none")
	asJSON := fs.Bool("json", false, "print JSON (the curve or the trials)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if o.Data == "" {
		return usagef("-data is required: a VOC or YOLO folder, a data.yaml, a COCO or reference-format .json, or a .csv")
	}
	so := recipe.LRSearchOptions{Mode: *mode, Range: train.DefaultRangeTest(), Grid: train.DefaultGridSearch(), Plot: *plot}
	if *steps < 0 || *trials < 1 || *trialEpochs < 1 {
		return usagef("-steps %d, -trials %d, -trial-epochs %d: want -steps >= 0 and at least one trial of one epoch", *steps, *trials, *trialEpochs)
	}
	so.Range.Steps = *steps
	so.Grid.Trials, so.Grid.Epochs = *trials, *trialEpochs
	for _, lim := range []struct {
		v        float64
		rng, grd *float64
	}{{*minLR, &so.Range.MinLR, &so.Grid.MinLR}, {*maxLR, &so.Range.MaxLR, &so.Grid.MaxLR}} {
		if lim.v != 0 {
			*lim.rng, *lim.grd = lim.v, lim.v
		}
	}
	o.Log, o.TTY = logOut, isTerminal(logOut)
	o.Resolve()
	if err := o.Check(); err != nil {
		return userError(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := recipe.LRSearch(ctx, o, so)
	if err != nil && (res == nil || !recipe.IsInputError(err)) {
		return userError(err)
	}
	if *asJSON {
		js := lrsearchResult{Mode: *mode, Suggested: finite(res.Suggested), Plot: *plot}
		if r := res.Range; r != nil {
			js.LRs, js.Losses, js.Smoothed, js.Diverged = r.LRs, r.Losses, r.Smoothed, r.Diverged
		}
		if g := res.Grid; g != nil {
			for _, t := range g.Trials {
				js.Trials = append(js.Trials, trialJSON{LR: t.LR, MAP: t.MAP, TrainLoss: t.TrainLoss, Final: finite(t.Final), Diverged: t.Diverged})
			}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(js); err != nil {
			return err
		}
		return userError(err)
	}
	if g := res.Grid; g != nil {
		fmt.Fprintf(stdout, "%-10s %9s  %s\n", "lr", "final mAP", "mAP per epoch")
		for k, t := range g.Trials {
			mark := ""
			if k == g.BestIndex {
				mark = "  <- best"
			}
			if t.Diverged {
				fmt.Fprintf(stdout, "%-10.2e %9s  diverged after %d epochs\n", t.LR, "-", len(t.MAP))
				continue
			}
			var per string
			for _, m := range t.MAP {
				per += fmt.Sprintf(" %.2f", 100*m)
			}
			fmt.Fprintf(stdout, "%-10.2e %9.2f %s%s\n", t.LR, 100*t.Final, per, mark)
		}
	}
	if err != nil { // the range test's curve without a suggestion
		if *plot != "" {
			fmt.Fprintf(stdout, "plot: %s\n", *plot)
		}
		return userError(err)
	}
	fmt.Fprintln(stdout, res)
	if *plot != "" {
		fmt.Fprintf(stdout, "plot: %s\n", *plot)
	}
	fmt.Fprintf(stdout, "train with it: multilabel train -data %s -lr %.2g (the same model and optimizer flags)\n", o.Data, res.Suggested)
	return nil
}
