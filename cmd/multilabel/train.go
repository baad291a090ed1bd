package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/seed477ab429/multilabel/recipe"
)

// train: the whole recipe (package recipe) on any data set that
// data.Open reads, writing a run folder.
//
//	multilabel train -data ~/data/VOCdevkit/VOC2007 -model efficientnetv2_s \
//	        -weights efficientnet_v2_s-dd5fe13b.pth -paper
//	multilabel train -data coco/annotations/instances_train2017.json \
//	        -val coco/annotations/instances_val2017.json -size 224
//	multilabel train -data labels.csv -epochs 20        # a tenth held out for validation
func init() {
	commands["train"] = command{summary: "train on a data set (VOC folder, COCO or reference JSON, CSV) into a run folder", run: runTrain}
}

// logOut receives progress bars and status lines of the long-running
// subcommands (stdout keeps the results); tests silence it.
var logOut io.Writer = os.Stderr

func runTrain(args []string, stdout io.Writer) error {
	fs := newFlags("train", stdout)
	o := recipe.Defaults()
	o.Name = ""
	fs.StringVar(&o.Data, "data", "", "data set: a VOC folder (VOCdevkit or VOC2007), a COCO instances .json, a reference-format .json or a .csv")
	fs.StringVar(&o.TrainSplit, "split", "", "training split of a VOC folder (default trainval)")
	fs.StringVar(&o.ValSplit, "val", "", "validation set, evaluated every epoch to keep the best weights: a VOC split name (default test, as the paper does) or a data set file; for a file -data, default: a tenth of it held out")
	fs.StringVar(&o.TestSplit, "test", "", "set of the final report: a VOC split name (default test) or a data set file (default: the validation set)")
	fs.StringVar(&o.Name, "name", "", "run folders are <out>/<name>-<time> (default: the data set's file or folder name)")
	recipe.AddFlags(fs, &o)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if o.Data == "" {
		return usagef("-data is required: a VOC folder, a COCO or reference-format .json, or a .csv")
	}
	if st, err := os.Stat(o.Data); err == nil && !st.IsDir() && o.TrainSplit != "" {
		return usagef("-split %s: split names apply to VOC folders; %s is a file", o.TrainSplit, o.Data)
	}
	if o.Name == "" {
		o.Name = runName(o.Data)
	}
	o.Args = append([]string{"train"}, args...)
	o.Log, o.Stdout, o.TTY = logOut, stdout, isTerminal(logOut)
	o.Resolve()
	if err := o.Check(); err != nil {
		return userError(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	_, err := recipe.Run(ctx, o)
	return userError(err)
}

// runName makes a run-folder prefix from a data set path:
// ".../VOC2007" → "voc2007", "instances_train2017.json" → "instances_train2017".
func runName(path string) string {
	base := strings.TrimSuffix(filepath.Base(filepath.Clean(path)), filepath.Ext(path))
	var b strings.Builder
	for _, r := range strings.ToLower(base) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_', r == '-', r == '.':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return "run"
	}
	return b.String()
}

// userError turns the recipe's InputErrors (the user's paths and knobs)
// into usage errors: one line, exit status 2.
func userError(err error) error {
	if err != nil && recipe.IsInputError(err) {
		return usageError{err.Error()}
	}
	return err
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
