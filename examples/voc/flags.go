package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/seed477ab429/multilabel/models"
)

// options are the command-line settings.
type options struct {
	data, split, valSplit, testSplit string
	model, weights, head, loss       string
	labelVectors, out, resume        string
	size, batch, epochs, workers     int
	lr, s, m, k, gammaPos, gammaNeg  float64
	emaDecay, wd                     float64
	sam, paper, quick, skipBad       bool
	seed                             uint64
	decoderEmbed, decoderFFN         int
	synthTrain, synthTest            int
}

func parseFlags(args []string) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("voc", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.data, "data", "", "a VOCdevkit or VOC2007 folder; empty: the built-in synthetic data set")
	fs.StringVar(&o.split, "train-split", "", "training split (default: train for synthetic data, trainval for VOC)")
	fs.StringVar(&o.valSplit, "val-split", "", "split evaluated every epoch to pick the best model (default: val for synthetic data, test for VOC as the paper does)")
	fs.StringVar(&o.testSplit, "test-split", "test", "split of the final report")
	fs.StringVar(&o.model, "model", "efficientnetv2_t", "backbone: "+strings.Join(models.BackboneNames(), ", "))
	fs.StringVar(&o.weights, "weights", "", "pretrained weights: torchvision/timm .pth or .safetensors for the backbone, or a run's best.safetensors")
	fs.StringVar(&o.head, "head", "mldecoder", "head: "+strings.Join(models.HeadNames, ", "))
	fs.StringVar(&o.loss, "loss", "aam", "loss: aam, am, asl, bce")
	fs.StringVar(&o.labelVectors, "label-vectors", "", "GloVe-format label vectors for the gat and mlgcn heads (default: image-derived embeddings)")
	fs.StringVar(&o.out, "out", "runs", "folder for run folders")
	fs.StringVar(&o.resume, "resume", "", "a run folder to continue (its last.safetensors)")
	fs.IntVar(&o.size, "size", 0, "input size in pixels (default 128; 448 with -paper)")
	fs.IntVar(&o.batch, "batch", 0, "batch size (default 32; 84 with -paper)")
	fs.IntVar(&o.epochs, "epochs", 0, "epochs (default 8; 60 with -paper)")
	fs.IntVar(&o.workers, "workers", 0, "image decoding goroutines (default GOMAXPROCS)")
	fs.Float64Var(&o.lr, "lr", 0, "peak learning rate (default 0.05; 0.005 with -paper)")
	fs.Float64Var(&o.s, "s", 0, "AM/AAM scale s (default 17, the paper's VOC value)")
	fs.Float64Var(&o.m, "m", 0, "AM/AAM margin m")
	fs.Float64Var(&o.k, "k", 0.7, "AM/AAM positive/negative balance k")
	fs.Float64Var(&o.gammaPos, "gamma-pos", -1, "AAM/ASL γ+ (default: AAM 1, ASL 0)")
	fs.Float64Var(&o.gammaNeg, "gamma-neg", -1, "AAM/ASL γ- (default: AAM 2, ASL 4)")
	fs.Float64Var(&o.emaDecay, "ema", 0, "EMA decay (default 0.9993 with a warm-up; 0.9993 without warm-up with -paper); negative disables")
	fs.Float64Var(&o.wd, "wd", 5e-4, "weight decay")
	fs.BoolVar(&o.sam, "sam", false, "use SAM (ρ 0.05); -paper turns it on")
	fs.BoolVar(&o.paper, "paper", false, "the paper's VOC recipe: 448 px, batch 84, 60 epochs, lr 0.005, SAM, EMA 0.9993, s 17, γ-/γ+ 2/1")
	fs.BoolVar(&o.quick, "quick", false, "a smoke test: a tiny synthetic set, 2 epochs, under a minute")
	fs.BoolVar(&o.skipBad, "skip-bad", false, "skip unreadable images and annotations with a warning instead of stopping")
	fs.Uint64Var(&o.seed, "seed", 5, "random seed")
	fs.IntVar(&o.decoderEmbed, "decoder-embed", 0, "ML-Decoder width (default 768; 256 for the laptop default)")
	fs.IntVar(&o.decoderFFN, "decoder-ffn", 0, "ML-Decoder FFN width (default 2048; 512 for the laptop default)")
	fs.IntVar(&o.synthTrain, "synth-train", 0, "synthetic training images (default 1600)")
	fs.IntVar(&o.synthTest, "synth-test", 0, "synthetic test images (default 600)")
	fs.Usage = func() {}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			fs.SetOutput(os.Stdout)
			fmt.Println("usage: go run ./examples/voc [flags]")
			fs.PrintDefaults()
			return nil, err
		}
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q (flags only; see -h)", fs.Arg(0))
	}
	o.defaults()
	return o, o.check()
}

func (o *options) defaults() {
	set := func(v *int, laptop, paper, quick int) {
		if *v == 0 {
			switch {
			case o.paper:
				*v = paper
			case o.quick:
				*v = quick
			default:
				*v = laptop
			}
		}
	}
	set(&o.size, 128, 448, 64)
	set(&o.batch, 32, 84, 16)
	set(&o.epochs, 8, 60, 2)
	set(&o.synthTrain, 1600, 1600, 160)
	set(&o.synthTest, 600, 600, 64)
	if o.lr == 0 {
		o.lr = 0.05
		if o.paper {
			o.lr = 0.005
		}
	}
	if o.s == 0 {
		o.s = 17
	}
	if o.gammaPos < 0 {
		o.gammaPos = map[bool]float64{true: 1, false: 0}[o.loss == "aam"]
	}
	if o.gammaNeg < 0 {
		o.gammaNeg = map[bool]float64{true: 2, false: 4}[o.loss == "aam"]
	}
	if o.emaDecay == 0 {
		o.emaDecay = 0.9993
	}
	if o.paper {
		o.sam = true
	}
	if !o.paper && o.model == "efficientnetv2_t" {
		if o.decoderEmbed == 0 {
			o.decoderEmbed = 256
		}
		if o.decoderFFN == 0 {
			o.decoderFFN = 512
		}
	}
	if o.split == "" {
		o.split = map[bool]string{true: "train", false: "trainval"}[o.data == ""]
	}
	if o.valSplit == "" {
		o.valSplit = map[bool]string{true: "val", false: "test"}[o.data == ""]
	}
}

func (o *options) check() error {
	switch o.loss {
	case "aam", "am", "asl", "bce":
	default:
		return fmt.Errorf("-loss %q: want aam, am, asl or bce", o.loss)
	}
	known := false
	for _, h := range models.HeadNames {
		known = known || h == o.head
	}
	if !known {
		return fmt.Errorf("-head %q: want one of %s", o.head, strings.Join(models.HeadNames, ", "))
	}
	known = false
	for _, b := range models.BackboneNames() {
		known = known || b == o.model
	}
	if !known {
		return fmt.Errorf("-model %q: want one of %s", o.model, strings.Join(models.BackboneNames(), ", "))
	}
	if o.size < 32 || o.batch < 1 || o.epochs < 1 || o.lr <= 0 {
		return fmt.Errorf("bad sizes: -size %d (min 32), -batch %d, -epochs %d, -lr %v", o.size, o.batch, o.epochs, o.lr)
	}
	if o.data != "" {
		if st, err := os.Stat(o.data); err != nil || !st.IsDir() {
			return fmt.Errorf("-data %s: not a folder", o.data)
		}
	}
	return nil
}
