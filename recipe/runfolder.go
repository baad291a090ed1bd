package recipe

import (
	"cmp"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/seed477ab429/multilabel"
	"github.com/seed477ab429/multilabel/data"
	"github.com/seed477ab429/multilabel/metrics"
	"github.com/seed477ab429/multilabel/models"
	"github.com/seed477ab429/multilabel/train"
)

// writeRunFiles writes what describes the run before it trains:
// model.json (the models.Spec that Load rebuilds), classes.txt (one name a
// line, in output order) and config.json (the trainer's config and the
// loss knobs, with the command line).
func writeRunFiles(dir string, spec models.Spec, cfg train.Config, o *Options, sp *splits) error {
	js, err := models.MarshalSpec(spec)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, multilabel.SpecFile), js, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "classes.txt"), []byte(strings.Join(spec.Classes, "\n")+"\n"), 0o644); err != nil {
		return err
	}
	conf := map[string]any{"train": cfg, "args": o.Args, "size": o.Size, "size_start": o.SizeStart, "batch": o.Batch, "loss": o.Loss,
		"s": o.S, "m": o.M, "k": o.K, "gamma_pos": o.GammaPos, "gamma_neg": o.GammaNeg, "data": o.Data,
		"train_split": sp.plan.Train, "val_split": sp.plan.Val, "test_split": sp.plan.Test, "augment": o.Augment,
		"classes_file": o.ClassesFile, "norm": spec.Norm, "weights": o.Weights, "precision": cmp.Or(o.Precision, "float32")}
	if o.Args == nil {
		conf["args"] = []string{}
	}
	b, _ := json.MarshalIndent(conf, "", "  ")
	return os.WriteFile(filepath.Join(dir, "config.json"), b, 0o644)
}

// reportInfo is what the one-page HTML report shows.
type reportInfo struct {
	o           *Options
	sp          *splits
	net         *models.Classifier
	set         *metrics.Set // test-split scores, in data set order
	thr         []float64
	r05, rTuned metrics.Result
	st          *train.State
	params      int
	gmacs       float64
	took        time.Duration
}

// write copies the first 12 test images into dir/examples with their true
// and predicted labels (tuned thresholds) and writes dir/report.html.
func (r *reportInfo) write(dir string) error {
	exDir := filepath.Join(dir, "examples")
	if err := os.MkdirAll(exDir, 0o755); err != nil {
		return err
	}
	testDS := r.sp.test
	var ex []train.Example
	for i := 0; i < min(12, r.set.N); i++ {
		it := testDS.Items[i]
		name, err := train.CopyFile(it.Path, exDir, filepath.Base(it.Path))
		if err != nil {
			return err
		}
		e := train.Example{Image: "examples/" + name}
		for j, c := range testDS.Classes {
			if it.Labels[j] == data.Positive {
				e.Truth = append(e.Truth, c)
			}
			if p := float64(r.set.Scores[i*r.set.C+j]); p > r.thr[j] {
				e.Predicted = append(e.Predicted, train.Prediction{Class: c, Score: p, Right: it.Labels[j] == data.Positive})
			}
		}
		sort.Slice(e.Predicted, func(a, b int) bool { return e.Predicted[a].Score > e.Predicted[b].Score })
		ex = append(ex, e)
	}
	o := r.o
	name := o.DataName
	if name == "" {
		name = o.Data
	}
	return train.WriteReport(filepath.Join(dir, "report.html"), &train.Report{
		Title: fmt.Sprintf("multilabel: %s + %s on %s", o.Model, o.Head, name), Model: o.Model + " + " + o.Head,
		Params: r.params, GMACs: r.gmacs, Size: o.Size, Config: r.st.Config, Classes: testDS.Classes, At05: r.r05, Adapt: &r.rTuned,
		History: r.st.History, Examples: ex, Duration: r.took.Round(time.Second), Curves: "curves.png", PR: "pr_curves.png",
		Notes: []string{fmt.Sprintf("Best epoch %d (mAP %.2f on the %s split); thresholds tuned on the %s split, examples from %s with those thresholds.",
			r.st.BestEpoch, 100*r.st.Best, r.sp.valName, r.sp.trainName, r.sp.testName)},
	})
}
