package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
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
//	multilabel thresholds -run runs/voc-20261125-1912 -data ~/data/VOCdevkit/VOC2007 -split trainval
func init() {
	commands["thresholds"] = command{summary: "tune per-class thresholds of a run on a split and write RUN/thresholds.json", run: runThresholds}
}

func runThresholds(args []string, stdout io.Writer) error {
	fs := newFlags("thresholds", stdout)
	runDir := fs.String("run", "", "run folder (written by multilabel train or examples/voc)")
	dataPath := fs.String("data", "", "data set: a VOC folder, a COCO or reference-format .json, or a .csv")
	split := fs.String("split", "", "split of a VOC folder (default: the run's training split, else train)")
	batch := fs.Int("batch", 32, "batch size")
	workers := fs.Int("workers", 0, "image decoding goroutines (default GOMAXPROCS)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *batch < 1 {
		return usagef("-batch %d: want at least 1", *batch)
	}
	m, err := loadRun(*runDir)
	if err != nil {
		return err
	}
	ds, splitName, err := openData(*dataPath, *split, trainSplitOf(*runDir), m.Classes())
	if err != nil {
		return err
	}
	set, err := scoreData(m, ds, *batch, *workers)
	if err != nil {
		return err
	}
	tuned := metrics.TuneThresholds(set, 0.5)
	if err := recipe.WriteThresholds(*runDir, m.Classes(), tuned.T); err != nil {
		return err
	}
	where := *dataPath
	if splitName != "" {
		where += " (" + splitName + ")"
	}
	fmt.Fprintf(stdout, "thresholds tuned on %s: %d images\n", where, set.N)
	fmt.Fprintf(stdout, "%-16s %9s %6s\n", "class", "threshold", "F1")
	for j, c := range m.Classes() {
		if tuned.Fallback[j] {
			fmt.Fprintf(stdout, "%-16s %9.4f %6s  (no positive: kept 0.5)\n", c, tuned.T[j], "-")
			continue
		}
		fmt.Fprintf(stdout, "%-16s %9.4f %6.2f\n", c, tuned.T[j], 100*tuned.F1[j])
	}
	fmt.Fprintf(stdout, "wrote %s\n", filepath.Join(*runDir, multilabel.ThresholdsFile))
	return nil
}

// trainSplitOf reads the training split from the run's config.json
// (written by the recipe), "train" when it has none.
func trainSplitOf(runDir string) string {
	var conf struct {
		TrainSplit string `json:"train_split"`
	}
	raw, err := os.ReadFile(filepath.Join(runDir, "config.json"))
	if err == nil && json.Unmarshal(raw, &conf) == nil && conf.TrainSplit != "" {
		return conf.TrainSplit
	}
	return "train"
}
