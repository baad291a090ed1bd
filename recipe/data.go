package recipe

import (
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/seed477ab429/multilabel/data"
)

// splits are the three data sets of a run and how to name them.
type splits struct {
	train, val, test             *data.Dataset
	trainName, valName, testName string // for people: "train", "train (10% held out)", a file name
	plan                         splitPlan
}

// holdoutFraction is the share of the training images kept aside for
// validation when a data set comes without a validation set.
const holdoutFraction = 0.1

// HeldOutSplit is the name a run's plan (and its config.json, as
// val_split or test_split) gives the tenth of the training images held out
// for validation when the data has no validation set. HoldOut draws it
// again from the run's training set and seed.
const HeldOutSplit = "(held out)"

// splitPlan says where each set of a run comes from: a split name of the
// data folder (a VOC ImageSets list, a YOLO split), a path to a data set
// of its own, "" for the whole of Data, or HeldOutSplit.
type splitPlan struct {
	Train, Val, Test string
	Note             string // why, when the default needs saying (the paper's protocol)
}

// planSplits fills the splits o leaves empty from what the data set has.
//
//	VOC itself (trainval and test lists)   trainval / test / test: the paper's protocol
//	a folder with train and val splits     train / val / test (or val when there is no test)
//	a folder with trainval (VOC layout)    trainval / held-out tenth / test (or the held-out tenth)
//	a folder without splits, or a file     everything / held-out tenth / the held-out tenth
func planSplits(o *Options) (splitPlan, error) {
	p := splitPlan{Train: o.TrainSplit, Val: o.ValSplit, Test: o.TestSplit}
	format, err := data.Format(o.Data)
	if err != nil {
		return p, InputError{fmt.Errorf("-data %s: %w", o.Data, err)}
	}
	named, err := data.Splits(o.Data)
	if err != nil {
		return p, InputError{fmt.Errorf("-data %s: %w", o.Data, err)}
	}
	has := func(s string) bool { return slices.Contains(named, s) }
	val := ""
	for _, v := range []string{"val", "valid", "validation"} {
		if has(v) {
			val = v
			break
		}
	}
	paper := format == data.FormatVOC && has("trainval") && has("test") && data.IsVOCItself(o.Data, "")
	if p.Train == "" {
		switch {
		case paper:
			p.Train = "trainval"
		case has("train") && val != "":
			p.Train = "train"
		case has("trainval"):
			p.Train = "trainval"
		case has("train"):
			p.Train = "train"
		}
	}
	if p.Val == "" {
		switch {
		case paper && p.Train == "trainval":
			p.Val = "test"
			p.Note = "VOC itself: best epoch chosen on test, the paper's protocol (give -val to select on another split)"
		case val != "" && p.Train != "trainval" && p.Train != val:
			p.Val = val // trainval holds val: hold out instead
		default:
			p.Val = HeldOutSplit
		}
	}
	if p.Test == "" {
		p.Test = p.Val
		if has("test") && p.Train != "test" {
			p.Test = "test"
		}
	}
	return p, nil
}

// loadSplits reads the training, validation and test sets of o (see
// planSplits). Every set after the first is read with the training set's
// classes, so the class index means the same everywhere. Loading
// messages (classes found, labels left out) go to out.
func loadSplits(o *Options, warn func(error), out io.Writer) (*splits, error) {
	if out == nil {
		out = io.Discard
	}
	opt := data.Options{Classes: o.Classes, SkipBad: o.SkipBad, Warn: warn}
	if o.ClassesFile != "" {
		c, err := data.ReadClassList(o.ClassesFile)
		if err != nil {
			return nil, InputError{fmt.Errorf("-classes: %w", err)}
		}
		opt.Classes = c
	}
	opt.DropOthers = opt.Classes != nil // a given list picks a subset
	plan, err := planSplits(o)
	if err != nil {
		return nil, err
	}
	s := &splits{plan: plan}
	if s.train, err = openSplit("-train", o.Data, plan.Train, opt); err != nil {
		return nil, err
	}
	s.trainName = nameOf(o.Data, plan.Train)
	if opt.Classes == nil {
		fmt.Fprintf(out, "classes: %d from the data (%s); written to the run folder's classes.txt\n", len(s.train.Classes), abbreviate(s.train.Classes, 12))
	} else if len(s.train.DroppedLabels) > 0 {
		fmt.Fprintf(out, "classes: %d given; labels of other classes left out: %s\n", len(opt.Classes), countsText(s.train.DroppedLabels))
	}
	if n := s.train.Background(); n > 0 {
		fmt.Fprintf(out, "data: %d training images without any of the classes: negatives for all\n", n)
	}
	opt.Classes = s.train.Classes
	if plan.Val == HeldOutSplit {
		s.train, s.val = HoldOut(s.train, o.Seed)
		s.trainName, s.valName = s.trainName+" (90%)", s.trainName+" (10% held out)"
		if len(s.val.Items) == 0 || len(s.train.Items) == 0 {
			return nil, inputf("-data %s: %d images, too few to hold out a validation set: give one with -val (a split or a data set file)", o.Data, len(s.train.Items)+len(s.val.Items))
		}
	} else {
		if s.val, err = openSplit("-val", o.Data, plan.Val, opt); err != nil {
			return nil, err
		}
		s.valName = nameOf(o.Data, plan.Val)
	}
	s.test, s.testName = s.val, s.valName
	if plan.Test != plan.Val {
		if s.test, err = openSplit("-test", o.Data, plan.Test, opt); err != nil {
			return nil, err
		}
		s.testName = nameOf(o.Data, plan.Test)
	}
	if plan.Note != "" {
		fmt.Fprintln(out, "splits:", plan.Note)
	}
	return s, nil
}

// nameOf names a split for the log: the split, or the file's name.
func nameOf(root, split string) string {
	if split == "" {
		return filepath.Base(root)
	}
	if isPath(split) {
		return filepath.Base(split)
	}
	return split
}

func abbreviate(names []string, n int) string {
	if len(names) <= n {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:n], ", ") + fmt.Sprintf(", ... (%d more)", len(names)-n)
}

// countsText prints name ×count, most frequent first.
func countsText(m map[string]int) string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Slice(names, func(a, b int) bool {
		if m[names[a]] != m[names[b]] {
			return m[names[a]] > m[names[b]]
		}
		return names[a] < names[b]
	})
	var parts []string
	for _, n := range names {
		parts = append(parts, fmt.Sprintf("%s ×%d", n, m[n]))
	}
	return abbreviate(parts, 8)
}

// OpenSplit reads one split of a data set. For a folder root (VOC or
// YOLO) or a YOLO data.yaml, split is a split name, unless it looks like a path (it holds a
// path separator or ends in .json, .csv, .yaml or .yml): then it is a data
// set of its own; "" is every image of the folder. For a file root, a
// non-empty split is always such a path, and "" means root itself. Errors
// are InputErrors naming the path (and -split, when split was the path).
func OpenSplit(root, split string, opt data.Options) (*data.Dataset, error) {
	return openSplit("-split", root, split, opt)
}

// openSplit is OpenSplit with the flag that gave split, so that an error
// in a data set named by -val names -val, not -data.
func openSplit(flag, root, split string, opt data.Options) (*data.Dataset, error) {
	path, prefix := root, "-data"
	if split != "" && (!(isDir(root) || isYAML(root)) || isPath(split)) {
		path, split, prefix = split, "", flag
	}
	ds, err := data.Open(path, split, opt)
	if err != nil {
		return nil, InputError{fmt.Errorf("%s %s: %w", prefix, path, err)}
	}
	if len(ds.Items) == 0 {
		return nil, inputf("%s %s: no images (split %q)", prefix, path, split)
	}
	return ds, nil
}

// isYAML is a YOLO data.yaml given as the data set: it has named splits.
func isYAML(p string) bool {
	e := strings.ToLower(filepath.Ext(p))
	return e == ".yaml" || e == ".yml"
}

// isPath tells a data set path from a split name. Only the spelling
// decides, never what happens to exist in the working folder (a folder
// named "test" there must not shadow VOC's test split).
func isPath(s string) bool {
	if strings.ContainsRune(s, '/') || strings.ContainsRune(s, filepath.Separator) {
		return true
	}
	switch strings.ToLower(filepath.Ext(s)) {
	case ".json", ".csv", ".yaml", ".yml":
		return true
	}
	return false
}

// HoldOut splits ds as Run does when the data has no validation set: held
// is a tenth of the images (rounded), drawn by a shuffle seeded with seed
// (Options.Seed), and rest the others, in that shuffled order. The same
// data set and seed give the same split, so eval and thresholds can find
// a run's held-out images again.
func HoldOut(ds *data.Dataset, seed uint64) (rest, held *data.Dataset) {
	idx := rand.New(rand.NewPCG(seed, 0x401d)).Perm(len(ds.Items))
	k := int(holdoutFraction*float64(len(idx)) + 0.5)
	return ds.Subset(idx[k:]), ds.Subset(idx[:k])
}
