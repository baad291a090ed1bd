// Command voc trains and evaluates the paper's multilabel classifier end to
// end on a laptop CPU.
//
// With no arguments it generates a synthetic multilabel data set in the
// real VOCdevkit layout (once, into the user cache folder), trains the
// laptop-size EfficientNetV2 with an ML-Decoder head and the AAM loss on
// it, and evaluates it with the paper's metrics:
//
//	go run ./examples/voc            # the default run, about 10 minutes on 2 cores
//	go run ./examples/voc -quick     # a smoke test, under a minute
//	go run ./examples/voc -data ~/data/VOCdevkit/VOC2007 -model efficientnetv2_s \
//	        -weights efficientnet_v2_s-dd5fe13b.pth -paper
//
// Everything lands in a run folder (runs/voc-<time>/): the best weights,
// the thresholds, the class names, the config, the JSONL log, PNG curves
// and a one-page HTML report.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
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
		var u usageError
		if errors.As(err, &u) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

// usageError marks errors in what the user asked for (bad data path,
// unreadable weights): exit code 2, one line.
type usageError struct{ error }

func (u usageError) Unwrap() error { return u.error }
