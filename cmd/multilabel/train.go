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
//	multilabel train -data BCCD                          # a VOC-layout folder with its own classes
//	multilabel train -data datasets/coco8/data.yaml      # YOLO: train/val from data.yaml
//	multilabel train -data coco/annotations/instances_train2017.json \
//	        -val coco/annotations/instances_val2017.json -size 224
//	multilabel train -data labels.csv -epochs 20        # a tenth held out for validation
func init() {
	commands["train"] = command{summary: "train on a data set (VOC or YOLO folder, COCO or reference JSON, CSV) into a run folder", run: runTrain}
}

// logOut receives progress bars and status lines of the long-running
// subcommands (stdout keeps the results); tests silence it.
var logOut io.Writer = os.Stderr

func runTrain(args []string, stdout io.Writer) error {
	fs := newFlags("train", stdout)
	o := recipe.Defaults()
	o.Name = ""
	recipe.AddDataFlags(fs, &o, "data set: a VOC folder (Annotations/, any classes), a YOLO folder or data.yaml, a COCO instances .json, a reference-format .json or a .csv")
	fs.StringVar(&o.Name, "name", "", "run folders are <out>/<name>-<time> (default: the data set's file or folder name)")
	recipe.AddFlags(fs, &o)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if o.Data == "" {
		return usagef("-data is required: a VOC or YOLO folder, a data.yaml, a COCO or reference-format .json, or a .csv")
	}
	if st, err := os.Stat(o.Data); err == nil && !st.IsDir() && !isYAML(o.Data) && o.TrainSplit != "" {
		return usagef("-train %s: split names apply to VOC and YOLO data sets; %s is a file", o.TrainSplit, o.Data)
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
// ".../VOC2007" → "voc2007", "instances_train2017.json" → "instances_train2017",
// "coco8/data.yaml" → "coco8".
func runName(path string) string {
	path = filepath.Clean(path)
	base := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	if isYAML(path) && (base == "data" || base == "dataset") { // a YOLO data.yaml: its folder names the set
		base = filepath.Base(filepath.Dir(path))
	}
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

// isYAML is a YOLO data.yaml, which has named splits.
func isYAML(p string) bool {
	e := strings.ToLower(filepath.Ext(p))
	return e == ".yaml" || e == ".yml"
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
