package main

import (
	"fmt"
	"io"
	"path/filepath"

	"github.com/seed477ab429/multilabel"
	"github.com/seed477ab429/multilabel/metrics"
	"github.com/seed477ab429/multilabel/recipe"
)

// thresholds: tune per-class thresholds of a saved run on a split (test
// transforms; per class, the score threshold that maximises F1 there, as
// the recipe does after training) and write RUN/thresholds.json, which
// predict, eval and package multilabel then use.
//
//	multilabel thresholds -run runs/voc-20261125-191230 -data ~/data/VOCdevkit/VOC2007 -split trainval
func init() {
	commands["thresholds"] = command{summary: "tune per-class thresholds of a run on a split and write RUN/thresholds.json", run: runThresholds}
}

func runThresholds(args []string, stdout io.Writer) error {
	fs := newFlags("thresholds", stdout)
	sf := addScoreFlags(fs, "split of a VOC or YOLO data set (default: on the run's own data, a CSV or JSON file too, the images the run trained on, less any tenth it held out; else train, else trainval, else every image)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	sc, err := sf.score(func(c runConfig, splits []string) string {
		own := c.TrainSplit
		if c.ValSplit == heldOutSet {
			own = trainRestSet // the run tuned on its training images less the tenth held out
		}
		return splitOrDefault(c, *sf.data, own, splits, "train", "trainval")
	})
	if err != nil {
		return err
	}
	m, set := sc.model, sc.set
	tuned := metrics.TuneThresholds(set, 0.5)
	if err := recipe.WriteThresholds(*sf.run, m.Classes(), tuned.T); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "thresholds tuned on %s: %d images\n", sc.where, set.N)
	fmt.Fprintf(stdout, "%-16s %9s %6s\n", "class", "threshold", "F1")
	for j, c := range m.Classes() {
		if tuned.Fallback[j] {
			fmt.Fprintf(stdout, "%-16s %9.4f %6s  (no positive: kept 0.5)\n", c, tuned.T[j], "-")
			continue
		}
		fmt.Fprintf(stdout, "%-16s %9.4f %6.2f\n", c, tuned.T[j], 100*tuned.F1[j])
	}
	fmt.Fprintf(stdout, "wrote %s\n", filepath.Join(*sf.run, multilabel.ThresholdsFile))
	return nil
}
