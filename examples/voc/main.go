// Command voc trains and evaluates the paper's multilabel classifier end to
// end on a laptop CPU.
//
// With no arguments it generates a synthetic multilabel data set in the
// real VOCdevkit layout (once, into the user cache folder), trains the
// laptop-size EfficientNetV2 with an ML-Decoder head and the AAM loss on
// it, and evaluates it with the paper's metrics:
//
//	go run ./examples/voc            # the default run: about 4.5 minutes on 2 AVX-512 cores, 7.5 on 2 AVX2 ones (README)
//	go run ./examples/voc -quick     # a smoke test, under a minute
//	go run ./examples/voc -data ~/data/VOCdevkit/VOC2007 -model efficientnetv2_s \
//	        -weights efficientnet_v2_s-dd5fe13b.pth -paper
//	go run ./examples/voc -quick -data data/testdata/shapes-voc    # VOC layout, its own classes
//	go run ./examples/voc -quick -data data/testdata/shapes-yolo   # YOLO layout (data.yaml)
//
// -data takes any data set multilabel train does (docs/data.md); the flags
// are the same as the command's (docs/cli.md).
//
// Everything lands in a run folder (runs/voc-<time>/): the best weights,
// the thresholds, the class names, the config, the JSONL log, PNG curves
// and a one-page HTML report. The pipeline itself is package
// recipe, which `multilabel train` runs too; this program adds the
// flags and the synthetic data set.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/seed477ab429/multilabel/recipe"
	"github.com/seed477ab429/multilabel/synth"
	"github.com/seed477ab429/multilabel/train"
)

func main() {
	o, err := parseFlags(os.Args[1:])
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "voc:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "voc:", err)
		if recipe.IsInputError(err) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

// run fills in the built-in data set when no -data is given and hands the
// rest to the recipe.
func run(ctx context.Context, o *options) error {
	o.Log, o.Stdout = os.Stderr, os.Stdout
	o.TTY = isTerminal(os.Stderr)
	if o.Data == "" {
		root, err := synthetic(o)
		if err != nil {
			return err
		}
		o.Data, o.Classes, o.DataName = root, synth.Classes(), "the built-in synthetic set"
	}
	_, err := recipe.Run(ctx, o.Options)
	return err
}

// synthetic returns the VOC2007 folder of the built-in data set,
// generating it into the user cache folder the first time.
func synthetic(o *options) (string, error) {
	out := o.Log
	cfg := synth.Config{Seed: 1, Size: 160, Train: o.synthTrain, Val: o.synthTest / 2, Test: o.synthTest}
	if o.Quick {
		cfg.Size = 96
	}
	fmt.Fprintf(out, "data: built-in synthetic VOC-format set (%d train / %d val / %d test images, %d classes)\n",
		cfg.Train, cfg.Val, cfg.Test, len(synth.Classes()))
	var bar *train.Progress
	root, err := synth.Cached("", cfg, func(done, total int) {
		if bar == nil {
			bar = train.NewProgress(out, o.TTY, "generating", total, "images")
		}
		bar.Update(done, done, "")
	})
	bar.Done()
	if err != nil {
		return "", err
	}
	fmt.Fprintf(out, "data: %s\n", root)
	return root, nil
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
