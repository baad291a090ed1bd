package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/seed477ab429/multilabel"
	"github.com/seed477ab429/multilabel/data"
	"github.com/seed477ab429/multilabel/metrics"
	"github.com/seed477ab429/multilabel/recipe"
	"github.com/seed477ab429/multilabel/train"
)

// What eval and thresholds share: a saved run scores one split of a data
// set (test transforms, the run's classes), with a progress bar.

// scoreFlags are the flags of a command that scores a split with a run.
type scoreFlags struct {
	run, data, split *string
	batch, workers   *int
}

func addScoreFlags(fs *flag.FlagSet, splitUsage string) *scoreFlags {
	return &scoreFlags{
		run:     fs.String("run", "", "run folder (written by multilabel train or examples/voc)"),
		data:    fs.String("data", "", "data set: a VOC or YOLO folder, a data.yaml, a COCO or reference-format .json, or a .csv"),
		split:   fs.String("split", "", splitUsage),
		batch:   fs.Int("batch", 32, "batch size"),
		workers: fs.Int("workers", 0, "image decoding goroutines (default GOMAXPROCS)"),
	}
}

// scored is a split of a data set scored by a run.
type scored struct {
	model *multilabel.Model
	set   *metrics.Set
	where string // "DATA (split)" for people
	split string
}

// score loads the run, reads the split (def picks the default from the
// run's config and the data's splits) and scores it.
func (f *scoreFlags) score(def func(runConf runConfig, splits []string) string) (*scored, error) {
	if *f.batch < 1 {
		return nil, usagef("-batch %d: want at least 1", *f.batch)
	}
	m, err := loadRun(*f.run)
	if err != nil {
		return nil, err
	}
	ds, split, err := openData(*f.data, *f.split, readRunConfig(*f.run), def, m.Classes())
	if err != nil {
		return nil, err
	}
	set, err := scoreData(m, ds, *f.batch, *f.workers)
	if err != nil {
		return nil, err
	}
	where := *f.data
	if split != "" {
		where += " (" + split + ")"
	}
	return &scored{model: m, set: set, where: where, split: split}, nil
}

// runConfig is what eval and thresholds read from a run's config.json:
// the data set it was trained on and the splits it used.
type runConfig struct {
	Data       string `json:"data"`
	TrainSplit string `json:"train_split"`
	ValSplit   string `json:"val_split"`
	TestSplit  string `json:"test_split"`
	Train      struct {
		Seed uint64 `json:"seed"` // draws the held-out tenth
	} `json:"train"`
}

// The sets a default may pick on a run's own data when the run held out
// a tenth of its training images for validation (recipe.HeldOutSplit in
// config.json): that tenth, drawn again with the run's seed, or the rest,
// which the run trained on and tuned its thresholds on.
const (
	heldOutSet   = recipe.HeldOutSplit
	trainRestSet = "(trained on)"
)

func readRunConfig(runDir string) runConfig {
	var c runConfig
	if raw, err := os.ReadFile(filepath.Join(runDir, "config.json")); err == nil {
		json.Unmarshal(raw, &c) // best effort: an older or foreign run has less
	}
	return c
}

// sameData reports whether two data set paths name the same file or folder.
func sameData(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	sa, ea := os.Stat(a)
	sb, eb := os.Stat(b)
	return ea == nil && eb == nil && os.SameFile(sa, sb)
}

// splitOrDefault is the run's own split when data is the run's data set
// and that split is a named one (or the held-out tenth, heldOutSet, or
// the rest of it, trainRestSet), else the first of prefer the data set
// has, else "" (all of it).
func splitOrDefault(conf runConfig, dataPath, runSplit string, splits []string, prefer ...string) string {
	if sameData(conf.Data, dataPath) {
		switch {
		case runSplit == heldOutSet, runSplit == trainRestSet && conf.ValSplit == heldOutSet:
			return runSplit
		case slices.Contains(splits, runSplit):
			return runSplit
		}
	}
	for _, s := range prefer {
		if slices.Contains(splits, s) {
			return s
		}
	}
	return ""
}

// openData reads a split of a data set with the run's classes. Split
// names apply to VOC and YOLO data sets; when none is given, def chooses
// from the run's config and the data set's splits.
func openData(path, split string, conf runConfig, def func(runConfig, []string) string, classes []string) (*data.Dataset, string, error) {
	if path == "" {
		return nil, "", usagef("-data is required: a VOC or YOLO folder, a data.yaml, a COCO or reference-format .json, or a .csv")
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, "", usagef("-data %s: %v", path, unwrapPath(err))
	}
	if split != "" && !st.IsDir() && !isYAML(path) {
		return nil, "", usagef("-split %s: split names apply to VOC and YOLO data sets; %s is a file", split, path)
	}
	splits, err := data.Splits(path)
	if err != nil {
		return nil, "", usagef("-data %s: %v", path, err)
	}
	format, _ := data.Format(path)
	named := format == data.FormatVOC || format == data.FormatYOLO
	if split == "" && (named || sameData(conf.Data, path)) {
		split = def(conf, splits)
	}
	warn := func(err error) { fmt.Fprintln(logOut, "warning:", err) }
	opt := data.Options{Classes: classes, DropOthers: true, Warn: warn}
	var ds *data.Dataset
	switch split {
	case heldOutSet, trainRestSet:
		// The run's own images, split again as the run split them.
		all, err := recipe.OpenSplit(path, conf.TrainSplit, opt)
		if err != nil {
			return nil, "", userError(err)
		}
		rest, held := recipe.HoldOut(all, conf.Train.Seed)
		name := "the 10% the run held out"
		held.DroppedLabels, rest.DroppedLabels = all.DroppedLabels, all.DroppedLabels
		if ds = held; split == trainRestSet {
			ds, name = rest, "the 90% the run trained on"
		}
		if split = name; conf.TrainSplit != "" {
			split = conf.TrainSplit + ", " + name
		}
	default:
		if ds, err = recipe.OpenSplit(path, split, opt); err != nil {
			return nil, "", userError(err)
		}
	}
	if len(ds.DroppedLabels) > 0 {
		fmt.Fprintf(logOut, "note: labels of classes the run does not have were left out: %d\n", len(ds.DroppedLabels))
	}
	return ds, split, nil
}

// scoreData runs the model over ds with test transforms, with a progress
// bar on logOut.
func scoreData(m *multilabel.Model, ds *data.Dataset, batch, workers int) (*metrics.Set, error) {
	loader, err := recipe.EvalLoader(m.Spec(), ds, batch, workers)
	if err != nil {
		return nil, userError(err)
	}
	bar := train.NewProgress(logOut, isTerminal(logOut), "scoring", len(ds.Items), "images")
	set, err := recipe.Score(context.Background(), m.Net(), m.Spec().Scale, loader, func(done int) { bar.Update(done, done, "") })
	bar.Done()
	if err != nil {
		return nil, userError(err)
	}
	return set, nil
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

// unwrapPath drops the path from an *os.PathError (the message names it).
func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
