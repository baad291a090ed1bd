package recipe

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/seed477ab429/multilabel/augment"
	"github.com/seed477ab429/multilabel/data"
	"github.com/seed477ab429/multilabel/metrics"
	"github.com/seed477ab429/multilabel/models"
	"github.com/seed477ab429/multilabel/nn"
	"github.com/seed477ab429/multilabel/train"
)

// Result is what a finished run measured on its test split.
type Result struct {
	RunDir     string
	Spec       models.Spec
	At05       metrics.Result // threshold 0.5
	Tuned      metrics.Result // per-class thresholds tuned on the training split
	Thresholds []float64      // [C] the tuned thresholds (also in thresholds.json)
	BestEpoch  int            // 1-based epoch of best.safetensors
	Epochs     int            // epochs run
	Params     int
	GMACs      float64 // per image at Spec.Size
	Took       time.Duration
}

// Run trains a model as o says and writes its run folder (see the package
// comment): data, model, loaders, training, thresholds tuned on the
// training split, the paper's table on the test split (printed to
// o.Stdout), the report. Progress goes to o.Log.
func Run(ctx context.Context, o Options) (*Result, error) {
	start := time.Now()
	o.Resolve()
	if o.Data == "" {
		return nil, inputf("-data: no data set given")
	}
	if err := o.Check(); err != nil {
		return nil, err
	}
	out, stdout := o.Log, o.Stdout
	if out == nil {
		out = os.Stderr
	}
	if stdout == nil {
		stdout = os.Stdout
	}
	warn := func(err error) { fmt.Fprintln(out, "warning:", err) }

	// 1. Data.
	sp, err := loadSplits(&o, warn)
	if err != nil {
		return nil, err
	}
	trainDS, valDS, testDS := sp.train, sp.val, sp.test
	fmt.Fprintf(out, "data: %s %d images (%.2f labels/image), %s %d, %s %d\n", sp.trainName, len(trainDS.Items), trainDS.LabelsPerImage(),
		sp.valName, len(valDS.Items), sp.testName, len(testDS.Items))

	// 2. Model.
	loss := makeLoss(&o)
	spec := models.Spec{
		Backbone: o.Model, Head: o.Head, Classes: trainDS.Classes, Metric: o.Loss == "aam" || o.Loss == "am",
		Size: o.Size, Scale: loss.Scale(), Norm: "half", DecoderEmbed: o.DecoderEmbed, DecoderFFN: o.DecoderFFN,
	}
	if o.Weights != "" && !isRunWeights(o.Weights) {
		spec.Norm = "imagenet" // torchvision/timm ImageNet weights expect ImageNet statistics
	}
	graph, err := labelGraph(&o, &spec, trainDS, out)
	if err != nil {
		return nil, err
	}
	net, err := models.Build(spec, models.Options{Seed: o.Seed}, graph)
	if err != nil {
		return nil, err
	}
	if o.Weights != "" {
		if err := loadPretrained(net, o.Weights, out); err != nil {
			return nil, err
		}
	}
	params, _ := nn.CountParams(net)
	gmacs := float64(net.MACs(o.Size)) / 1e9
	fmt.Fprintf(out, "model: %s + %s, %.2fM parameters, %.3f GMACs per %dx%d image; loss %s (scale %g)\n",
		o.Model, o.Head, float64(params)/1e6, gmacs, o.Size, o.Size, o.Loss, loss.Scale())

	// 3. Loaders: the training transform (the reference's RandAugment,
	// Cutout and flip, or less) on the training split only.
	lc := loaderConfig(spec, o.Batch, o.Workers, o.Seed, o.SkipBad, warn)
	trainCfg := lc
	trainCfg.Shuffle, trainCfg.DropLast = true, true
	trainCfg.Transform = trainTransform(o.Augment)
	trainLoader, err := data.NewLoader(trainDS, trainCfg)
	if err != nil {
		return nil, err
	}
	valLoader, err := data.NewLoader(valDS, lc)
	if err != nil {
		return nil, err
	}
	tuneLoader, err := data.NewLoader(trainDS, lc) // training images with test transforms
	if err != nil {
		return nil, err
	}
	if graph != nil && o.LabelVectors == "" && o.Resume == "" {
		fmt.Fprintln(out, "label embeddings: from the images (per-class means of backbone features; no -label-vectors given)")
		if err := imageEmbeddings(ctx, net, tuneLoader, trainDS); err != nil {
			return nil, err
		}
	}

	// 4. Train.
	runDir := o.Resume
	if runDir == "" {
		runDir = filepath.Join(o.Out, o.Name+"-"+time.Now().Format("20060102-150405"))
	}
	if err := os.MkdirAll(runDir, 0o755); err != nil {
		return nil, err
	}
	cfg := train.DefaultConfig()
	cfg.Epochs, cfg.LR, cfg.SAM, cfg.Seed, cfg.WeightDecay = o.Epochs, o.LR, o.SAM, o.Seed, o.WeightDecay
	cfg.Optimizer = o.Optimizer
	cfg.EMADecay, cfg.EMAWarmup = max(o.EMADecay, 0), !o.Paper
	if o.Paper {
		cfg.Patience = 5
	} else {
		cfg.Patience = 0 // a fixed short schedule
	}
	tr := &train.Trainer{Model: net, Loss: loss, Train: trainLoader, Val: valLoader, Classes: trainDS.Classes,
		Config: cfg, RunDir: runDir, Out: out, TTY: o.TTY}
	var steps []train.StepStats
	tr.OnStep = func(s train.StepStats) { steps = append(steps, s) }
	if err := writeRunFiles(runDir, spec, cfg, &o); err != nil {
		return nil, err
	}
	if o.Resume != "" {
		if err := tr.Resume(filepath.Join(runDir, "last.safetensors")); err != nil {
			return nil, InputError{err}
		}
		fmt.Fprintf(out, "resuming %s at epoch %d\n", runDir, tr.State().Epoch+1)
	}
	fmt.Fprintf(out, "train: %d epochs of %d batches of %d at %dpx, lr %g, SAM %v, EMA %g; run folder %s\n",
		cfg.Epochs, trainLoader.Len(), o.Batch, o.Size, cfg.LR, cfg.SAM, cfg.EMADecay, runDir)
	st, err := tr.Run(ctx)
	if err != nil {
		return nil, err
	}
	if err := train.PlotCurves(filepath.Join(runDir, "curves.png"), st.History, steps); err != nil {
		return nil, err
	}

	// 5. Final evaluation: thresholds tuned on the training split (test
	// transforms), applied to the test split.
	net.Freeze()
	fmt.Fprintln(out, "evaluating...")
	trainSet, err := Score(ctx, net, loss.Scale(), tuneLoader, nil)
	if err != nil {
		return nil, err
	}
	tuned := metrics.TuneThresholds(trainSet, 0.5)
	testLoader, err := data.NewLoader(testDS, lc)
	if err != nil {
		return nil, err
	}
	testSet, err := Score(ctx, net, loss.Scale(), testLoader, nil)
	if err != nil {
		return nil, err
	}
	r05, rTuned, err := Evaluate(testSet, tuned.T)
	if err != nil {
		return nil, err
	}
	if err := WriteThresholds(runDir, trainDS.Classes, tuned.T); err != nil {
		return nil, err
	}
	if err := train.PlotPR(filepath.Join(runDir, "pr_curves.png"), metrics.PRCurves(testSet), trainDS.Classes); err != nil {
		return nil, err
	}

	// 6. Report.
	fmt.Fprintf(out, "\nTest split %q, best epoch %d of %d:\n", sp.testName, st.BestEpoch, len(st.History))
	PrintTable(stdout, r05, rTuned, trainDS.Classes)
	fmt.Fprintf(stdout, "\ndeployed model: %.3f GMACs (%.3f GFLOPs) per %dx%d image, %.2fM parameters\n", gmacs, 2*gmacs, o.Size, o.Size, float64(params)/1e6)
	rep := reportInfo{o: &o, sp: sp, net: net, set: testSet, thr: tuned.T, r05: r05, rTuned: *rTuned, st: st,
		params: params, gmacs: gmacs, took: time.Since(start)}
	if err := rep.write(runDir); err != nil {
		return nil, err
	}
	fmt.Fprintf(stdout, "run folder: %s (report.html)\ntook %s\n", runDir, time.Since(start).Round(time.Second))
	return &Result{RunDir: runDir, Spec: spec, At05: r05, Tuned: *rTuned, Thresholds: tuned.T, BestEpoch: st.BestEpoch,
		Epochs: len(st.History), Params: params, GMACs: gmacs, Took: time.Since(start)}, nil
}

// loaderConfig is the test-transform loader of a model: its input size and
// normalisation, no shuffling, no augmentation.
func loaderConfig(spec models.Spec, batch, workers int, seed uint64, skipBad bool, warn func(error)) data.LoaderConfig {
	norm := data.NormHalf
	if spec.Norm == "imagenet" {
		norm = data.NormImageNet
	}
	return data.LoaderConfig{Size: spec.Size, BatchSize: batch, Seed: seed, Workers: workers, Norm: norm, SkipBad: skipBad, Warn: warn}
}

// trainTransform is the training augmentation: "full" is the reference's
// (RandAugment, Cutout p 0.5 factor 0.4, flip p 0.5, docs/method.md §5.7),
// "flip" the horizontal flip alone, "none" nothing.
func trainTransform(kind string) data.Transform {
	switch kind {
	case "none":
		return nil
	case "flip":
		return data.Transform(augment.RandomHorizontalFlip(0.5))
	}
	return data.Transform(augment.Train(augment.DefaultTrainOptions()))
}
