package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/seed477ab429/multilabel"
	"github.com/seed477ab429/multilabel/data"
	"github.com/seed477ab429/multilabel/metrics"
	"github.com/seed477ab429/multilabel/recipe"
	"github.com/seed477ab429/multilabel/train"
)

// eval: the paper's table for a saved run on a data set split: mAP, CP,
// CR, CF1, OP, OR, OF1 at threshold 0.5 and with the run's tuned
// per-class thresholds, then AP (and P/R/F1 at 0.5) per class.
//
//	multilabel eval -run runs/voc-20261125-1912 -data ~/data/VOCdevkit/VOC2007
//	multilabel eval -run RUN -data val.csv -thresholds none -json
func init() {
	commands["eval"] = command{summary: "the paper's metrics of a run on a data set split (-json)", run: runEval}
}

// evalResult is the -json output; metrics are fractions in [0, 1].
type evalResult struct {
	Run     string             `json:"run"`
	Data    string             `json:"data"`
	Split   string             `json:"split,omitempty"`
	Images  int                `json:"images"`
	Classes []string           `json:"classes"`
	At05    scores             `json:"threshold_0.5"`
	Tuned   *scores            `json:"per_class_thresholds,omitempty"`
	AP      map[string]float64 `json:"ap"`
}

type scores struct {
	MAP float64 `json:"map"`
	CP  float64 `json:"cp"`
	CR  float64 `json:"cr"`
	CF1 float64 `json:"cf1"`
	OP  float64 `json:"op"`
	OR  float64 `json:"or"`
	OF1 float64 `json:"of1"`
}

func scoresOf(r metrics.Result) scores {
	return scores{r.MAP, r.CP, r.CR, r.CF1, r.OP, r.OR, r.OF1}
}

func runEval(args []string, stdout io.Writer) error {
	fs := newFlags("eval", stdout)
	runDir := fs.String("run", "", "run folder (written by multilabel train or examples/voc)")
	dataPath := fs.String("data", "", "data set: a VOC folder, a COCO or reference-format .json, or a .csv")
	split := fs.String("split", "", "split of a VOC folder (default test)")
	thrFlag := fs.String("thresholds", "", "per-class thresholds: a thresholds.json, or none (default: the run's thresholds.json)")
	asJSON := fs.Bool("json", false, "print JSON")
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
	thr, err := evalThresholds(m, *runDir, *thrFlag)
	if err != nil {
		return err
	}
	ds, splitName, err := openData(*dataPath, *split, "test", m.Classes())
	if err != nil {
		return err
	}
	set, err := scoreData(m, ds, *batch, *workers)
	if err != nil {
		return err
	}
	at05, tuned, err := recipe.Evaluate(set, thr)
	if err != nil {
		return err
	}
	if *asJSON {
		res := evalResult{Run: *runDir, Data: *dataPath, Split: splitName, Images: set.N, Classes: m.Classes(),
			At05: scoresOf(at05), AP: map[string]float64{}}
		if tuned != nil {
			s := scoresOf(*tuned)
			res.Tuned = &s
		}
		for j, c := range m.Classes() {
			res.AP[c] = at05.AP[j]
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	where := *dataPath
	if splitName != "" {
		where += " (" + splitName + ")"
	}
	fmt.Fprintf(stdout, "%s on %s: %d images, %d classes\n\n", *runDir, where, set.N, set.C)
	recipe.PrintTable(stdout, at05, tuned, m.Classes())
	return nil
}

// loadRun loads a run folder's model; every failure is the user's folder
// or file (exit status 2).
func loadRun(dir string) (*multilabel.Model, error) {
	if dir == "" {
		return nil, usagef("-run is required: a run folder written by multilabel train or examples/voc")
	}
	if st, err := os.Stat(filepath.Join(dir, multilabel.SpecFile)); err != nil || st.IsDir() {
		return nil, usagef("-run %s: not a run folder (no %s)", dir, multilabel.SpecFile)
	}
	m, err := multilabel.Load(dir)
	if err != nil {
		return nil, usagef("-run %s: %v", dir, err)
	}
	return m, nil
}

// evalThresholds picks the per-class thresholds of eval: the run's own
// (nil when the run has no thresholds.json), none, or a file's.
func evalThresholds(m *multilabel.Model, runDir, flag string) ([]float64, error) {
	switch flag {
	case "none":
		return nil, nil
	case "":
		if _, err := os.Stat(filepath.Join(runDir, multilabel.ThresholdsFile)); err != nil {
			return nil, nil
		}
		return m.Thresholds(), nil
	}
	raw, err := os.ReadFile(flag)
	if err != nil {
		return nil, usagef("-thresholds: %v", err)
	}
	var byClass map[string]float64
	if err := json.Unmarshal(raw, &byClass); err != nil {
		return nil, usagef("-thresholds %s: want {\"class\": threshold, ...}: %v", flag, err)
	}
	t := make([]float64, len(m.Classes()))
	for j, c := range m.Classes() {
		v, ok := byClass[c]
		if !ok {
			return nil, usagef("-thresholds %s: no threshold for class %q", flag, c)
		}
		t[j] = v
	}
	return t, nil
}

// openData reads the split of a data set with the run's classes. A split
// name applies to VOC folders only; def is the VOC default.
func openData(path, split, def string, classes []string) (*data.Dataset, string, error) {
	if path == "" {
		return nil, "", usagef("-data is required: a VOC folder, a COCO or reference-format .json, or a .csv")
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, "", usagef("-data %s: %v", path, unwrapPath(err))
	}
	if !st.IsDir() && split != "" {
		return nil, "", usagef("-split %s: split names apply to VOC folders; %s is a file", split, path)
	}
	if st.IsDir() && split == "" {
		split = def
	}
	warn := func(err error) { fmt.Fprintln(logOut, "warning:", err) }
	ds, err := recipe.OpenSplit(path, split, data.Options{Classes: classes, Warn: warn})
	if err != nil {
		return nil, "", userError(err)
	}
	return ds, split, nil
}

// scoreData runs the model over ds with test transforms, with a progress
// bar on logOut.
func scoreData(m *multilabel.Model, ds *data.Dataset, batch, workers int) (*metrics.Set, error) {
	loader, err := recipe.EvalLoader(m.Spec(), ds, batch, workers)
	if err != nil {
		return nil, err
	}
	bar := train.NewProgress(logOut, isTerminal(logOut), "scoring", len(ds.Items), "images")
	set, err := recipe.Score(context.Background(), m.Net(), m.Spec().Scale, loader, func(done int) { bar.Update(done, done, "") })
	bar.Done()
	if err != nil {
		return nil, userError(err)
	}
	return set, nil
}

// unwrapPath drops the path from an *os.PathError (the message names it).
func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
