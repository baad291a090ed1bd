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

// eval: the paper's table for a saved run on a data set split: mAP, CP,
// CR, CF1, OP, OR, OF1 at threshold 0.5 and with the run's tuned
// per-class thresholds, then AP (and P/R/F1 at 0.5) per class.
//
//	multilabel eval -run runs/voc-20261125-191230 -data ~/data/VOCdevkit/VOC2007
//	multilabel eval -run RUN -data datasets/coco8/data.yaml -split val
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
	sf := addScoreFlags(fs, "split of a VOC or YOLO data set (default: on the run's own data, a CSV or JSON file too, the run's test set, be it a split or the tenth it held out; else test, else val, else every image)")
	thrFlag := fs.String("thresholds", "", "per-class thresholds: a thresholds.json, or none (default: the run's thresholds.json)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	sc, err := sf.score(func(c runConfig, splits []string) string {
		return splitOrDefault(c, *sf.data, c.TestSplit, splits, "test", "val", "valid")
	})
	if err != nil {
		return err
	}
	m, set := sc.model, sc.set
	thr, err := evalThresholds(m, *sf.run, *thrFlag)
	if err != nil {
		return err
	}
	at05, tuned, err := recipe.Evaluate(set, thr)
	if err != nil {
		return err
	}
	if *asJSON {
		res := evalResult{Run: *sf.run, Data: *sf.data, Split: sc.split, Images: set.N, Classes: m.Classes(),
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
	fmt.Fprintf(stdout, "%s on %s: %d images, %d classes\n\n", *sf.run, sc.where, set.N, set.C)
	recipe.PrintTable(stdout, at05, tuned, m.Classes())
	return nil
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
	return parseEvalThresholds(raw, flag, m.Classes())
}

// parseEvalThresholds parses the file of -thresholds (named path in
// errors), {"class": threshold, ...}: unlike a run's thresholds.json, it
// must name every one of classes, each with a value in [0, 1].
func parseEvalThresholds(raw []byte, path string, classes []string) ([]float64, error) {
	var byClass map[string]float64
	if err := json.Unmarshal(raw, &byClass); err != nil {
		return nil, usagef("-thresholds %s: want {\"class\": threshold, ...}: %v", path, err)
	}
	t := make([]float64, len(classes))
	for j, c := range classes {
		v, ok := byClass[c]
		if !ok {
			return nil, usagef("-thresholds %s: no threshold for class %q", path, c)
		}
		if !(v >= 0 && v <= 1) {
			return nil, usagef("-thresholds %s: class %q has threshold %v, want a value in [0, 1]", path, c, v)
		}
		t[j] = v
	}
	return t, nil
}
