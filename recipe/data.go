package recipe

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sort"
	"strings"

	"github.com/seed477ab429/multilabel/data"
)

// splits are the three data sets of a run and how to name them.
type splits struct {
	train, val, test             *data.Dataset
	trainName, valName, testName string
}

// holdoutFraction is the share of the training images kept aside for
// validation when a non-VOC data set comes without a validation set.
const holdoutFraction = 0.1

// loadSplits reads the training, validation and test sets of o.
//
// For a VOC folder each split is an ImageSets/Main list of the same
// folder. Otherwise the data set file is the training set, and ValSplit /
// TestSplit name other files. Every set after the first is read with the
// training set's classes, so the class index means the same everywhere.
func loadSplits(o *Options, warn func(error)) (*splits, error) {
	opt := data.Options{Classes: o.Classes, SkipBad: o.SkipBad, Warn: warn}
	voc := isDir(o.Data)
	if voc && opt.Classes == nil {
		opt.Classes = vocClasses(o.Data, o.TrainSplit)
	}
	s := &splits{trainName: o.TrainSplit}
	var err error
	if s.train, err = OpenSplit(o.Data, o.TrainSplit, opt); err != nil {
		return nil, err
	}
	if !voc {
		s.trainName = filepath.Base(o.Data)
	}
	opt.Classes = s.train.Classes
	if o.ValSplit == "" {
		// No validation set: hold out a seeded tenth of the training images.
		s.train, s.val = holdout(s.train, holdoutFraction, o.Seed)
		s.trainName, s.valName = s.trainName+" (90%)", s.trainName+" (10% held out)"
		if len(s.val.Items) == 0 || len(s.train.Items) == 0 {
			return nil, inputf("-data %s: %d images, too few to hold out a validation set (give one)", o.Data, len(s.train.Items)+len(s.val.Items))
		}
	} else {
		if s.val, err = OpenSplit(o.Data, o.ValSplit, opt); err != nil {
			return nil, err
		}
		s.valName = o.ValSplit
	}
	s.test, s.testName = s.val, s.valName
	if o.TestSplit != "" && o.TestSplit != o.ValSplit {
		if s.test, err = OpenSplit(o.Data, o.TestSplit, opt); err != nil {
			return nil, err
		}
		s.testName = o.TestSplit
	}
	return s, nil
}

// OpenSplit reads one split of a data set. For a VOC folder root, split is
// an ImageSets/Main list name, unless it looks like a path (it holds a
// path separator or ends in .json or .csv): then it is a data set of its
// own. For any other root, a non-empty split is always such a path, and ""
// means root itself. Errors are InputErrors naming the path.
func OpenSplit(root, split string, opt data.Options) (*data.Dataset, error) {
	path := root
	if split != "" && (!isDir(root) || isPath(split)) {
		path, split = split, ""
	}
	ds, err := data.Open(path, split, opt)
	if err != nil {
		return nil, InputError{fmt.Errorf("-data %s: %w", path, err)}
	}
	if len(ds.Items) == 0 {
		return nil, inputf("-data %s: no images (split %q)", path, split)
	}
	return ds, nil
}

// isPath tells a data set path from a VOC split name. Only the spelling
// decides, never what happens to exist in the working folder (a folder
// named "test" there must not shadow VOC's test split).
func isPath(s string) bool {
	if strings.ContainsRune(s, '/') || strings.ContainsRune(s, filepath.Separator) {
		return true
	}
	switch strings.ToLower(filepath.Ext(s)) {
	case ".json", ".csv":
		return true
	}
	return false
}

// vocClasses lists the classes of a VOC folder from its per-class split
// files, ImageSets/Main/<class>_<split>.txt, sorted (for the 20 VOC classes
// that is data.VOCClasses). A VOC-format data set of other classes (the
// built-in synthetic one, a user's own) is thus read without a class list;
// nil when there are no such files (LoadVOC then uses the VOC classes).
func vocClasses(root, split string) []string {
	for _, d := range []string{root, filepath.Join(root, "VOC2007"), filepath.Join(root, "VOCdevkit", "VOC2007")} {
		files, _ := filepath.Glob(filepath.Join(d, "ImageSets", "Main", "*_"+split+".txt"))
		if len(files) == 0 {
			continue
		}
		var classes []string
		for _, f := range files {
			classes = append(classes, strings.TrimSuffix(filepath.Base(f), "_"+split+".txt"))
		}
		sort.Strings(classes)
		return classes
	}
	return nil
}

// holdout splits ds into (1-frac, frac) by a seeded shuffle.
func holdout(ds *data.Dataset, frac float64, seed uint64) (rest, held *data.Dataset) {
	idx := rand.New(rand.NewPCG(seed, 0x401d)).Perm(len(ds.Items))
	k := int(frac*float64(len(idx)) + 0.5)
	return ds.Subset(idx[k:]), ds.Subset(idx[:k])
}
