package recipe

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"

	"github.com/seed477ab429/multilabel/data"
	"github.com/seed477ab429/multilabel/losses"
	"github.com/seed477ab429/multilabel/models"
)

// Options are the knobs of a training run. Zero values of the sizes mean
// "the preset's default" (see Resolve): the laptop recipe, the paper's VOC
// recipe with Paper, or a smoke test with Quick.
type Options struct {
	// Data is the data set: a VOC folder (VOCdevkit or VOC2007), a COCO
	// instances JSON, the reference's JSON or a CSV (data.Open).
	Data string
	// TrainSplit, ValSplit and TestSplit pick the splits: split names of a
	// VOC or YOLO folder (ImageSets/Main lists, data.yaml keys), or paths
	// of data sets of their own, read with the training classes. Left
	// empty, they follow the data: VOC itself trainval / test / test (the
	// paper's protocol selects and reports on test); a folder with train
	// and val splits train / val / test (val without a test split); else
	// the training split (trainval, or all images) with a seeded tenth held
	// out for validation, which is also the test set when there is no test
	// split.
	TrainSplit, ValSplit, TestSplit string
	// Classes fixes the class list and order (nil: the data set's own);
	// labels of other classes are left out. ClassesFile, when set, is read
	// into Classes (one name a line, as a run's classes.txt).
	Classes     []string
	ClassesFile string
	// DataName names the data in the report title (default Data).
	DataName string
	// SkipBad leaves out unreadable images and annotations with a warning.
	SkipBad bool

	Model        string // backbone (models.BackboneNames)
	Weights      string // pretrained weights: torchvision, timm or MIIL .pth/.safetensors, or a run's best.safetensors
	Norm         string // input normalization (data.ParseNorm); "": the weights' own (models.WeightNorm), else "half"
	Head         string // models.HeadNames
	Loss         string // aam, am, asl, bce
	LabelVectors string // GloVe text file for the graph heads ("": image-derived embeddings)
	DecoderEmbed int    // ML-Decoder width (0: 768, or 256 for the laptop efficientnetv2_t)
	DecoderFFN   int    // ML-Decoder FFN width (0: 2048, or 512 for the laptop efficientnetv2_t)

	Size, Batch, Epochs int // input pixels, batch size, epochs
	Workers             int // image decoding goroutines (0: GOMAXPROCS)
	CacheMB             int // decoded images kept in memory for later epochs, in MB (0: none)
	LR                  float64
	S, M, K             float64 // AM/AAM scale, margin, positive/negative balance
	GammaPos, GammaNeg  float64 // AAM/ASL focusing; negative: the loss's default
	EMADecay            float64 // 0: the preset's (off for the laptop preset, 0.9993 with Paper); negative disables
	WeightDecay         float64
	SAM                 bool
	Activations         string // keep or recompute the cheap activations for the backward (train.Config.KeepActivations); "": the preset's
	Optimizer           string // sgd or adamw ("": adamw for the laptop preset, sgd with Paper)
	Augment             string // full (RandAugment, Cutout, flip), flip, or none ("": full)
	Paper               bool   // the paper's VOC recipe
	Quick               bool   // smoke-test sizes
	Seed                uint64

	// SizeStart > 0 turns on progressive resizing (EfficientNetV2's
	// progressive learning): the training images grow from SizeStart in
	// the first epoch to Size in the last (ProgressiveSize); validation
	// and test always use Size. 0 turns it off; negative: the preset's
	// (half of Size for the laptop preset, off otherwise).
	SizeStart int
	// Precision of training's matrix products: "float32" (""), or "bf16"
	// for mixed precision (Precisions).
	Precision string

	Out    string   // parent folder of new run folders
	Name   string   // run folders are Out/Name-<time> (default "run")
	Resume string   // a run folder to continue from its last.safetensors
	Args   []string // the command line, recorded in config.json

	Log    io.Writer // progress bars and status lines (nil: os.Stderr)
	TTY    bool      // Log is a terminal: redraw progress in place
	Stdout io.Writer // the result tables (nil: os.Stdout)
}

// Defaults returns the options every knob starts from (the flag defaults
// of examples/voc and `multilabel train`); sizes left 0 are filled by
// Resolve from the preset.
func Defaults() Options {
	return Options{
		Model: "efficientnetv2_t", Head: "mldecoder", Loss: "aam",
		K: 0.7, GammaPos: -1, GammaNeg: -1, SizeStart: -1, WeightDecay: 5e-4, Seed: 5, Out: "runs", Name: "run",
		CacheMB: 1024,
	}
}

// AddDataFlags registers the data flags that examples/voc and `multilabel
// train` share on fs, writing into o: -data (described by dataUsage), the
// splits -train, -val and -test, -classes and -skip-bad. The older
// spellings -split (the command's) and -train-split, -val-split,
// -test-split (the example's) still work, as deprecated aliases.
func AddDataFlags(fs *flag.FlagSet, o *Options, dataUsage string) {
	fs.StringVar(&o.Data, "data", o.Data, dataUsage)
	fs.StringVar(&o.TrainSplit, "train", o.TrainSplit, "training set: a split of the -data folder (a VOC ImageSets/Main list, a YOLO split) or a data set file (default: train when there is a val split, else trainval or all images; trainval for VOC itself)")
	fs.StringVar(&o.ValSplit, "val", o.ValSplit, "validation set, evaluated every epoch to keep the best weights: a split or a data set file (default: the val split; test for VOC itself, the paper's protocol; else a tenth of the training images held out)")
	fs.StringVar(&o.TestSplit, "test", o.TestSplit, "set of the final report: a split or a data set file (default: the test split, else the validation set)")
	fs.StringVar(&o.ClassesFile, "classes", o.ClassesFile, "class list file, one name a line (a run's classes.txt): fixes the order and picks a subset; labels of other classes are left out (default: the data set's classes)")
	fs.BoolVar(&o.SkipBad, "skip-bad", o.SkipBad, "skip unreadable images and annotations with a warning (once per file) instead of stopping")
	fs.StringVar(&o.TrainSplit, "split", o.TrainSplit, "deprecated: use -train")
	fs.StringVar(&o.TrainSplit, "train-split", o.TrainSplit, "deprecated: use -train")
	fs.StringVar(&o.ValSplit, "val-split", o.ValSplit, "deprecated: use -val")
	fs.StringVar(&o.TestSplit, "test-split", o.TestSplit, "deprecated: use -test")
}

// AddFlags registers the model and recipe knobs on fs, writing into o
// (whose current values are the defaults shown). The data flags are
// AddDataFlags'.
func AddFlags(fs *flag.FlagSet, o *Options) {
	fs.StringVar(&o.Model, "model", o.Model, "backbone: "+strings.Join(models.BackboneNames(), ", "))
	fs.StringVar(&o.Weights, "weights", o.Weights, "pretrained weights (.pth or .safetensors): a torchvision, timm or MIIL backbone, told apart by its tensor names, or a run's best.safetensors to fine-tune")
	fs.StringVar(&o.Norm, "norm", o.Norm, "input normalization: half (mean = std = 0.5), imagenet, unit (mean 0, std 1), or m1,m2,m3/s1,s2,s3 (default: what the -weights expect: torchvision imagenet, timm tf_ half, MIIL unit, a run its own; half without weights)")
	fs.StringVar(&o.Head, "head", o.Head, "head: "+strings.Join(models.HeadNames, ", "))
	fs.StringVar(&o.Loss, "loss", o.Loss, "loss: aam, am, asl, bce")
	fs.StringVar(&o.LabelVectors, "label-vectors", o.LabelVectors, "GloVe-format label vectors for the gat and mlgcn heads (default: image-derived embeddings)")
	fs.StringVar(&o.Out, "out", o.Out, "folder for run folders")
	fs.StringVar(&o.Resume, "resume", o.Resume, "a run folder to continue (its last.safetensors)")
	fs.IntVar(&o.Size, "size", o.Size, "input size in pixels (default 128; 448 with -paper)")
	fs.IntVar(&o.SizeStart, "size-start", o.SizeStart, "progressive resizing: the first epoch trains at this size, later ones at sizes growing in steps of 16 px to -size in the last (EfficientNetV2's progressive learning); 0: -size throughout (default half of -size, 64 for 128; 0 with -paper and -quick)")
	fs.IntVar(&o.Batch, "batch", o.Batch, "batch size (default 32; 84 with -paper)")
	fs.IntVar(&o.Epochs, "epochs", o.Epochs, "epochs (default 13; 60 with -paper)")
	fs.IntVar(&o.Workers, "workers", o.Workers, "image decoding goroutines (default GOMAXPROCS)")
	fs.IntVar(&o.CacheMB, "cache-mb", o.CacheMB, "keep decoded images in memory, up to this many MB (1.5 bytes a pixel for most JPEGs, 3 for other images), so that later epochs and evaluations skip reading and decoding them; the batches are the same either way; 0: no cache")
	fs.Float64Var(&o.LR, "lr", o.LR, "peak learning rate (default 0.001 with adamw, 0.01 with sgd; 0.005 with -paper)")
	fs.Float64Var(&o.S, "s", o.S, "AM/AAM scale s (default 17, the paper's VOC value)")
	fs.Float64Var(&o.M, "m", o.M, "AM/AAM margin m")
	fs.Float64Var(&o.K, "k", o.K, "AM/AAM positive/negative balance k")
	fs.Float64Var(&o.GammaPos, "gamma-pos", o.GammaPos, "AAM/ASL γ+ (default: AAM 1, ASL 0)")
	fs.Float64Var(&o.GammaNeg, "gamma-neg", o.GammaNeg, "AAM/ASL γ- (default: AAM 2, ASL 4)")
	fs.Float64Var(&o.EMADecay, "ema", o.EMADecay, "EMA decay of the averaged weights, evaluated beside the raw ones every epoch (default: off; 0.9993 with -paper, without warm-up; with a warm-up when set without -paper); negative disables")
	fs.Float64Var(&o.WeightDecay, "wd", o.WeightDecay, "weight decay")
	fs.BoolVar(&o.SAM, "sam", o.SAM, "use SAM (ρ 0.05); -paper turns it on")
	fs.StringVar(&o.Activations, "activations", o.Activations, "keep every activation until the backward, or recompute batch norm's outputs, SqueezeExcitation's products and every other residual sum there (same results either way; recompute takes less memory and a little more time); default keep for the laptop preset's efficientnetv2_t, recompute otherwise")
	fs.StringVar(&o.Optimizer, "optimizer", o.Optimizer, "sgd or adamw (default adamw; sgd with -paper)")
	fs.StringVar(&o.Augment, "augment", o.Augment, "training augmentation: full (RandAugment, Cutout, flip, the reference's), flip, or none (default full; flip for examples/voc's synthetic data, whose classes are colours and textures)")
	fs.BoolVar(&o.Quick, "quick", o.Quick, "a smoke test: 64 px, batch 16, 2 epochs (the example also makes its synthetic set tiny)")
	fs.BoolVar(&o.Paper, "paper", o.Paper, "the paper's VOC recipe: 448 px, batch 84, 60 epochs, lr 0.005, SAM, EMA 0.9993, s 17, γ-/γ+ 2/1")
	fs.Uint64Var(&o.Seed, "seed", o.Seed, "random seed")
	fs.StringVar(&o.Precision, "precision", o.Precision, "training's matrix products: float32, or bf16 (mixed precision on AVX512_BF16: bf16 inputs, float32 accumulation; weights, optimizer state, BatchNorm statistics and losses stay float32; float32 with a notice on other CPUs)")
	fs.IntVar(&o.DecoderEmbed, "decoder-embed", o.DecoderEmbed, "ML-Decoder width (default 768; 256 for the laptop default)")
	fs.IntVar(&o.DecoderFFN, "decoder-ffn", o.DecoderFFN, "ML-Decoder FFN width (default 2048; 512 for the laptop default)")
}

// Resolve fills the knobs left 0 from the preset (laptop, Paper or
// Quick). Splits left empty are chosen when the data is read, from what
// the data set has (see TrainSplit).
//
//	           laptop  paper  quick
//	size        128     448     64
//	size-start   64       –      –   (progressive resizing: ½ of size)
//	batch        32      84     16
//	epochs       13      60      2
//	optimizer  adamw    sgd  adamw
//	lr        0.001   0.005  0.001   (SGD without -paper: 0.01)
//	ema         off  0.9993    off
func (o *Options) Resolve() {
	set := func(v *int, laptop, paper, quick int) {
		if *v == 0 {
			switch {
			case o.Paper:
				*v = paper
			case o.Quick:
				*v = quick
			default:
				*v = laptop
			}
		}
	}
	set(&o.Size, 128, 448, 64)
	set(&o.Batch, 32, 84, 16)
	set(&o.Epochs, 13, 60, 2)
	if o.SizeStart < 0 {
		o.SizeStart = 0
		if !o.Paper && !o.Quick {
			if s := round16(float64(o.Size) / 2); s >= 32 && s < o.Size {
				o.SizeStart = s
			}
		}
	}

	if o.S == 0 {
		o.S = 17
	}
	if o.GammaPos < 0 {
		o.GammaPos = map[bool]float64{true: 1, false: 0}[o.Loss == "aam"]
	}
	if o.GammaNeg < 0 {
		o.GammaNeg = map[bool]float64{true: 2, false: 4}[o.Loss == "aam"]
	}
	if o.EMADecay == 0 {
		// The laptop preset trains without the EMA: in its 13 short epochs
		// the average (decay 0.9993, about 1,400 steps of memory, for 975
		// steps) never scored above the raw weights at the best epoch
		// (seeds 1-3, docs/quickstart.md), and evaluating it every epoch
		// cost about 17 s of the run.
		o.EMADecay = -1
		if o.Paper {
			o.EMADecay = 0.9993
		}
	}
	if o.Paper {
		o.SAM = true
	}
	if o.Optimizer == "" {
		o.Optimizer = "adamw"
		if o.Paper {
			o.Optimizer = "sgd"
		}
	}
	if o.Augment == "" {
		o.Augment = "full"
	}
	if o.Activations == "" {
		// Recomputing costs the laptop default's step about 6% and saves
		// 520 -> 355 MB it does not need (bench/step (a),
		// docs/PERFORMANCE.md); larger models and images need the memory.
		o.Activations = "recompute"
		if !o.Paper && o.Model == "efficientnetv2_t" {
			o.Activations = "keep"
		}
	}
	if o.LR == 0 {
		switch {
		case o.Paper:
			o.LR = 0.005
		case o.Optimizer == "adamw":
			o.LR = 0.001
		default:
			o.LR = 0.01
		}
	}
	// The laptop default narrows ML-Decoder (768/2048 → 256/512): at 128 px
	// the paper's head would cost more than the backbone.
	if !o.Paper && o.Model == "efficientnetv2_t" {
		if o.DecoderEmbed == 0 {
			o.DecoderEmbed = 256
		}
		if o.DecoderFFN == 0 {
			o.DecoderFFN = 512
		}
	}
	if o.Name == "" {
		o.Name = "run"
	}
}

// Check reports the first bad knob or missing file as an InputError.
func (o *Options) Check() error {
	switch o.Loss {
	case "aam", "am", "asl", "bce":
	default:
		return inputf("-loss %q: want aam, am, asl or bce", o.Loss)
	}
	if o.Optimizer != "sgd" && o.Optimizer != "adamw" {
		return inputf("-optimizer %q: want sgd or adamw", o.Optimizer)
	}
	if o.Activations != "keep" && o.Activations != "recompute" {
		return inputf("-activations %q: want keep or recompute", o.Activations)
	}
	if o.Augment != "full" && o.Augment != "flip" && o.Augment != "none" {
		return inputf("-augment %q: want full, flip or none", o.Augment)
	}
	if o.Precision != "" && !slices.Contains(Precisions, o.Precision) {
		return inputf("-precision %q: want float32 or bf16", o.Precision)
	}
	if !slices.Contains(models.HeadNames, o.Head) {
		return inputf("-head %q: want one of %s", o.Head, strings.Join(models.HeadNames, ", "))
	}
	if !slices.Contains(models.BackboneNames(), o.Model) {
		return inputf("-model %q: want one of %s", o.Model, strings.Join(models.BackboneNames(), ", "))
	}
	if o.Norm != "" {
		if _, err := data.ParseNorm(o.Norm); err != nil {
			return inputf("-norm: %v", err)
		}
	}
	if o.CacheMB < 0 {
		return inputf("-cache-mb %d: want 0 (no cache) or more", o.CacheMB)
	}
	if o.SizeStart != 0 && (o.SizeStart < 32 || o.SizeStart > o.Size) {
		return inputf("-size-start %d: want 32 to -size (%d), or 0 for no progressive resizing", o.SizeStart, o.Size)
	}
	if o.Size < 32 || o.Batch < 1 || o.Epochs < 1 || !(o.LR > 0) {
		return inputf("bad sizes: -size %d (min 32), -batch %d, -epochs %d, -lr %v", o.Size, o.Batch, o.Epochs, o.LR)
	}
	if o.ClassesFile != "" {
		if _, err := os.Stat(o.ClassesFile); err != nil {
			return inputf("-classes %s: %v", o.ClassesFile, statReason(err))
		}
	}
	if o.Data != "" { // Run insists on one; a caller may fill it in later
		if _, err := os.Stat(o.Data); err != nil {
			return inputf("-data %s: %v", o.Data, statReason(err))
		}
	}
	for _, f := range []struct{ flag, path string }{{"-weights", o.Weights}, {"-label-vectors", o.LabelVectors}} {
		if f.path == "" {
			continue
		}
		if st, err := os.Stat(f.path); err != nil {
			return inputf("%s %s: %v", f.flag, f.path, statReason(err))
		} else if st.IsDir() {
			return inputf("%s %s: a folder, want a file", f.flag, f.path)
		}
	}
	if o.Resume != "" && !isDir(o.Resume) {
		return inputf("-resume %s: not a run folder", o.Resume)
	}
	return nil
}

// makeLoss builds the loss of o.Loss with its knobs.
func makeLoss(o *Options) losses.Loss {
	switch o.Loss {
	case "am":
		l := losses.NewAM(float32(o.S))
		l.M, l.K = float32(o.M), float32(o.K)
		return l
	case "asl":
		l := losses.NewASL()
		l.GammaPos, l.GammaNeg = float32(o.GammaPos), float32(o.GammaNeg)
		return l
	case "bce":
		return losses.BCE{}
	}
	l := losses.NewAAM(float32(o.S), float32(o.GammaPos), float32(o.GammaNeg))
	l.M, l.K = float32(o.M), float32(o.K)
	return l
}

// InputError marks an error in what the user asked for (a bad knob, a
// path that is not a data set, an unreadable weights file): a command line
// prints it as one line and exits with status 2.
type InputError struct{ Err error }

func (e InputError) Error() string { return e.Err.Error() }
func (e InputError) Unwrap() error { return e.Err }

// IsInputError reports whether err (or an error it wraps) is an InputError.
func IsInputError(err error) bool {
	var ie InputError
	return errors.As(err, &ie)
}

func inputf(format string, a ...any) error { return InputError{fmt.Errorf(format, a...)} }

// statReason shortens os.Stat's error to its cause ("no such file or
// directory"), since the message already names the path.
func statReason(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func isDir(path string) bool {
	if path == "" {
		return false
	}
	st, err := os.Stat(path)
	return err == nil && st.IsDir()
}

// ProgressiveSize is the training image size of epoch e (0-based) of
// epochs under progressive resizing from start to size: linear in the
// epoch, start at the first and size at the last, rounded to the nearest
// multiple of 16 (ties up) and kept within [start, size]. With start 0 (or
// start ≥ size, or one epoch) every epoch is at size. The laptop preset's
// 13 epochs from 64 to 128 are 64 64 | 80 80 80 | 96 96 96 | 112 112 112 |
// 128 128. The early epochs, where the network learns colours and coarse
// shapes, go fastest, though not by (s/128)²: on the example a 64 px epoch
// takes about 0.6 of a 128 px one (validation and per-step costs do not
// shrink with the image), and the 13 take about 1.3x the time of 8 at
// 128 px (docs/quickstart.md).
func ProgressiveSize(e, epochs, start, size int) int {
	if start <= 0 || start >= size || epochs <= 1 {
		return size
	}
	e = min(max(e, 0), epochs-1)
	s := round16(float64(start) + float64(size-start)*float64(e)/float64(epochs-1))
	return min(max(s, start), size)
}

// round16 rounds x to the nearest multiple of 16, ties up.
func round16(x float64) int { return int(math.Floor(x/16+0.5)) * 16 }
