package recipe

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/seed477ab429/multilabel/augment"
	"github.com/seed477ab429/multilabel/data"
	"github.com/seed477ab429/multilabel/losses"
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
	r, err := newRun(o)
	if err != nil {
		return nil, err
	}
	for _, phase := range []func(context.Context) error{
		r.loadData,   // 1. the splits
		r.buildModel, // 2. the model, its weights and label graph
		r.loaders,    // 3. loaders (and image-derived label embeddings)
		r.train,      // 4. training into the run folder
		r.evaluate,   // 5. thresholds on the training split, metrics on the test split
		r.report,     // 6. tables, plots, report.html
	} {
		if err := phase(ctx); err != nil {
			return nil, err
		}
	}
	r.warn.summary()
	return r.result(), nil
}

// run is the state a run builds up, phase by phase.
type run struct {
	o           Options
	start       time.Time
	out, stdout io.Writer
	warn        *warnings

	sp     *splits
	loss   losses.Loss
	spec   models.Spec
	graph  *models.Graph
	net    *models.Classifier
	params int
	gmacs  float64

	lc                             data.LoaderConfig // test transforms
	trainLoader, valLoader, tuneLd *data.Loader
	runDir                         string
	st                             *train.State

	testSet     *metrics.Set
	thresholds  []float64
	r05, rTuned metrics.Result
}

// newRun resolves and checks the options and sets up the outputs.
func newRun(o Options) (*run, error) {
	r := &run{o: o, start: time.Now()}
	r.o.Resolve()
	if r.o.Data == "" {
		return nil, inputf("-data: no data set given")
	}
	if err := r.o.Check(); err != nil {
		return nil, err
	}
	r.out, r.stdout = o.Log, o.Stdout
	if r.out == nil {
		r.out = os.Stderr
	}
	if r.stdout == nil {
		r.stdout = os.Stdout
	}
	r.warn = newWarnings(r.out)
	return r, nil
}

// loadData reads the training, validation and test sets.
func (r *run) loadData(context.Context) error {
	sp, err := loadSplits(&r.o, r.warn.warn, r.out)
	if err != nil {
		return err
	}
	r.sp = sp
	fmt.Fprintf(r.out, "data: %s %d images (%.2f labels/image), %s %d, %s %d\n", sp.trainName, len(sp.train.Items), sp.train.LabelsPerImage(),
		sp.valName, len(sp.val.Items), sp.testName, len(sp.test.Items))
	return nil
}

// buildModel reads -weights (whose source decides the normalization),
// builds the classifier with its label graph and loads the weights.
func (r *run) buildModel(context.Context) error {
	o := &r.o
	r.loss = makeLoss(o)
	classes := r.sp.train.Classes
	r.spec = models.Spec{
		Backbone: o.Model, Head: o.Head, Classes: classes, Metric: o.Loss == "aam" || o.Loss == "am",
		Size: o.Size, Scale: r.loss.Scale(), Norm: models.DefaultNorm, DecoderEmbed: o.DecoderEmbed, DecoderFFN: o.DecoderFFN,
	}
	var pre *pretrained
	keepHead := false
	if o.Weights != "" {
		var err error
		if pre, err = readPretrained(o); err != nil {
			return err
		}
		keepHead = pre.fineTune(&r.spec, r.out)
		if pre.norm != "" {
			r.spec.Norm = pre.norm
		}
	}
	if o.Norm != "" {
		r.spec.Norm = o.Norm // -norm overrides what the weights imply
	}
	if _, err := normOf(r.spec); err != nil {
		return err
	}
	if keepHead {
		if r.spec.EmbedDim > 0 { // buffers loaded from the run below
			r.graph = models.ZeroGraph(len(classes), r.spec.EmbedDim)
		}
	} else {
		g, err := labelGraph(o, &r.spec, r.sp.train, r.out)
		if err != nil {
			return err
		}
		r.graph = g
	}
	net, err := models.Build(r.spec, models.Options{Seed: o.Seed}, r.graph)
	if err != nil {
		return err
	}
	if pre != nil {
		if err := pre.load(net, keepHead, r.out); err != nil {
			return err
		}
		if keepHead {
			r.graph = nil // nothing left to fill: the run's embeddings are in
		}
	}
	r.net = net
	r.params, _ = nn.CountParams(net)
	r.gmacs = float64(net.MACs(o.Size)) / 1e9
	fmt.Fprintf(r.out, "model: %s + %s, %.2fM parameters, %.3f GMACs per %dx%d image; loss %s (scale %g); input normalization %s\n",
		r.spec.Backbone, r.spec.Head, float64(r.params)/1e6, r.gmacs, o.Size, o.Size, o.Loss, r.loss.Scale(), r.spec.Norm)
	if note := fusedBuildNote(); note != "" {
		fmt.Fprintln(r.out, note)
	}
	return nil
}

// fillCache decodes the training and validation images into the run's
// image cache (as many as -cache-mb holds) before training starts: later
// epochs read them from memory, and the memory the trainer fits its
// limit to after the first step already includes them.
func (r *run) fillCache(ctx context.Context) error {
	c := r.lc.Cache
	if c == nil {
		return nil
	}
	var paths []string
	for _, ds := range []*data.Dataset{r.sp.train, r.sp.val} {
		if ds == nil {
			continue
		}
		for _, it := range ds.Items {
			paths = append(paths, it.Path)
		}
	}
	t0 := time.Now()
	var bar *train.Progress
	if r.o.TTY {
		bar = train.NewProgress(r.out, true, "image cache", len(paths), "images")
	}
	err := c.Fill(ctx, paths, r.o.Workers, func(done int) { bar.Update(done, done, "") })
	bar.Done()
	if err != nil {
		return err
	}
	st := c.Stats()
	more := ""
	if st.Images < len(paths) {
		more = fmt.Sprintf("; the other %d are read from disk each time", len(paths)-st.Images)
	}
	fmt.Fprintf(r.out, "image cache: %d of %d training and validation images decoded into memory, %.0f of %d MB (-cache-mb), in %.1fs%s\n",
		st.Images, len(paths), float64(st.Bytes)/(1<<20), st.Budget>>20, time.Since(t0).Seconds(), more)
	return nil
}

// loaders makes the training loader (the reference's RandAugment, Cutout
// and flip, or less) and the test-transform loaders, and fills the graph
// heads' label embeddings from the images when no -label-vectors are given.
func (r *run) loaders(ctx context.Context) error {
	o := &r.o
	var err error
	if r.lc, err = loaderConfig(r.spec, o.Batch, o.Workers, o.Seed, o.SkipBad, r.warn.warn); err != nil {
		return err
	}
	r.lc.Cache = data.NewImageCache(int64(o.CacheMB) << 20) // shared by every loader of the run
	if err := r.fillCache(ctx); err != nil {
		return err
	}
	trainCfg := r.lc
	trainCfg.Shuffle, trainCfg.DropLast = true, true
	trainCfg.Transform = trainTransform(o.Augment)
	if o.SizeStart > 0 {
		epochs, start, size := o.Epochs, o.SizeStart, o.Size
		trainCfg.SizeAt = func(e int) int { return ProgressiveSize(e, epochs, start, size) }
	}
	if r.trainLoader, err = data.NewLoader(r.sp.train, trainCfg); err != nil {
		return err
	}
	if r.valLoader, err = data.NewLoader(r.sp.val, r.lc); err != nil {
		return err
	}
	if r.tuneLd, err = data.NewLoader(r.sp.train, r.lc); err != nil { // training images with test transforms
		return err
	}
	if r.graph != nil && o.LabelVectors == "" && o.Resume == "" {
		fmt.Fprintln(r.out, "label embeddings: from the images (per-class means of backbone features; no -label-vectors given)")
		return imageEmbeddings(ctx, r.net, r.tuneLd, r.sp.train)
	}
	return nil
}

// train runs the Trainer into the run folder (new, or -resume's).
func (r *run) train(ctx context.Context) error {
	o := &r.o
	r.runDir = o.Resume
	if r.runDir == "" {
		r.runDir = filepath.Join(o.Out, o.Name+"-"+time.Now().Format("20060102-150405"))
	}
	if err := os.MkdirAll(r.runDir, 0o755); err != nil {
		return err
	}
	cfg := trainConfig(o)
	tr := &train.Trainer{Model: r.net, Loss: r.loss, Train: r.trainLoader, Val: r.valLoader, Classes: r.sp.train.Classes,
		Config: cfg, RunDir: r.runDir, Out: r.out, TTY: o.TTY}
	var steps []train.StepStats
	tr.OnStep = func(s train.StepStats) { steps = append(steps, s) }
	if err := writeRunFiles(r.runDir, r.spec, cfg, o, r.sp); err != nil {
		return err
	}
	if o.Resume != "" {
		last := filepath.Join(r.runDir, "last.safetensors")
		if _, err := os.Stat(last); errors.Is(err, fs.ErrNotExist) {
			return inputf("-resume %s: no checkpoint yet (last.safetensors is written at the end of every epoch, and this run stopped before the end of its first): start it again without -resume", r.runDir)
		}
		if err := tr.Resume(last); err != nil {
			return InputError{err}
		}
		fmt.Fprintf(r.out, "resuming %s at epoch %d\n", r.runDir, tr.State().Epoch+1)
	}
	ema := "off"
	if cfg.EMADecay > 0 {
		ema = fmt.Sprint(cfg.EMADecay)
	}
	fmt.Fprintf(r.out, "train: %d epochs of %d batches of %d at %s, lr %g, SAM %v, EMA %s; run folder %s\n",
		cfg.Epochs, r.trainLoader.Len(), o.Batch, sizesText(o), cfg.LR, cfg.SAM, ema, r.runDir)
	restore := usePrecision(o, r.out) // training and its validation; the final evaluation is float32, as deployed
	st, err := tr.Run(ctx)
	restore()
	if err != nil {
		return err
	}
	r.st = st
	return train.PlotCurves(filepath.Join(r.runDir, "curves.png"), st.History, steps)
}

// trainConfig is the Trainer's configuration for o: the preset's schedule,
// early stopping only in the paper's recipe (a fixed short schedule
// otherwise).
func trainConfig(o *Options) train.Config {
	cfg := train.DefaultConfig()
	cfg.Epochs, cfg.LR, cfg.SAM, cfg.Seed, cfg.WeightDecay = o.Epochs, o.LR, o.SAM, o.Seed, o.WeightDecay
	cfg.Optimizer, cfg.KeepActivations = o.Optimizer, o.Activations == "keep"
	cfg.EMADecay, cfg.EMAWarmup = max(o.EMADecay, 0), !o.Paper
	cfg.Patience = 0
	if o.Paper {
		cfg.Patience = 5
	}
	return cfg
}

// evaluate tunes per-class thresholds on the training split (test
// transforms), applies them to the test split and writes thresholds.json
// and pr_curves.png.
func (r *run) evaluate(ctx context.Context) error {
	r.net.Freeze()
	fmt.Fprintln(r.out, "evaluating...")
	trainSet, err := r.score(ctx, "scoring training split (thresholds)", r.tuneLd, len(r.sp.train.Items))
	if err != nil {
		return err
	}
	r.thresholds = metrics.TuneThresholds(trainSet, 0.5).T
	testLoader, err := data.NewLoader(r.sp.test, r.lc)
	if err != nil {
		return err
	}
	if r.testSet, err = r.score(ctx, "scoring test split", testLoader, len(r.sp.test.Items)); err != nil {
		return err
	}
	r05, rTuned, err := Evaluate(r.testSet, r.thresholds)
	if err != nil {
		return err
	}
	r.r05, r.rTuned = r05, *rTuned
	if st := r.lc.Cache.Stats(); st.Budget > 0 {
		fmt.Fprintf(r.out, "image cache: %d images, %.0f of %d MB (-cache-mb); %d of %d image reads from memory\n",
			st.Images, float64(st.Bytes)/(1<<20), st.Budget>>20, st.Hits, st.Hits+st.Misses)
	}
	if err := WriteThresholds(r.runDir, r.spec.Classes, r.thresholds); err != nil {
		return err
	}
	return train.PlotPR(filepath.Join(r.runDir, "pr_curves.png"), metrics.PRCurves(r.testSet), r.spec.Classes)
}

// score is Score with a progress bar (items, rate, ETA) under label: the
// final evaluation scores the whole training split and the test split,
// thousands of images.
func (r *run) score(ctx context.Context, label string, ld *data.Loader, images int) (*metrics.Set, error) {
	bar := train.NewProgress(r.out, r.o.TTY, label, images, "images")
	set, err := Score(ctx, r.net, r.loss.Scale(), ld, func(done int) { bar.Update(done, done, "") })
	bar.Done()
	return set, err
}

// report prints the paper's table and writes report.html.
func (r *run) report(context.Context) error {
	o := &r.o
	fmt.Fprintf(r.out, "\nTest split %q, best epoch %d of %d:\n", r.sp.testName, r.st.BestEpoch, len(r.st.History))
	PrintTable(r.stdout, r.r05, &r.rTuned, r.spec.Classes)
	fmt.Fprintf(r.stdout, "\ndeployed model: %.3f GMACs (%.3f GFLOPs) per %dx%d image, %.2fM parameters\n", r.gmacs, 2*r.gmacs, o.Size, o.Size, float64(r.params)/1e6)
	rep := reportInfo{o: o, sp: r.sp, net: r.net, set: r.testSet, thr: r.thresholds, r05: r.r05, rTuned: r.rTuned, st: r.st,
		params: r.params, gmacs: r.gmacs, took: time.Since(r.start)}
	if err := rep.write(r.runDir); err != nil {
		return err
	}
	fmt.Fprintf(r.stdout, "run folder: %s (report.html)\ntook %s\n", r.runDir, time.Since(r.start).Round(time.Second))
	return nil
}

func (r *run) result() *Result {
	return &Result{RunDir: r.runDir, Spec: r.spec, At05: r.r05, Tuned: r.rTuned, Thresholds: r.thresholds, BestEpoch: r.st.BestEpoch,
		Epochs: len(r.st.History), Params: r.params, GMACs: r.gmacs, Took: time.Since(r.start)}
}

// loaderConfig is the test-transform loader of a model: its input size and
// normalisation, no shuffling, no augmentation.
func loaderConfig(spec models.Spec, batch, workers int, seed uint64, skipBad bool, warn func(error)) (data.LoaderConfig, error) {
	norm, err := normOf(spec)
	if err != nil {
		return data.LoaderConfig{}, err
	}
	return data.LoaderConfig{Size: spec.Size, BatchSize: batch, Seed: seed, Workers: workers, Norm: norm, SkipBad: skipBad, Warn: warn}, nil
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

// sizesText says the training image sizes: "128px", or with progressive
// resizing each size and its epochs, "96px (epochs 1-3), 112px (4-7),
// 128px (8-10)".
func sizesText(o *Options) string {
	if o.SizeStart <= 0 || o.SizeStart >= o.Size {
		return fmt.Sprintf("%dpx", o.Size)
	}
	var parts []string
	for e := 0; e < o.Epochs; {
		s := ProgressiveSize(e, o.Epochs, o.SizeStart, o.Size)
		end := e
		for end+1 < o.Epochs && ProgressiveSize(end+1, o.Epochs, o.SizeStart, o.Size) == s {
			end++
		}
		span := fmt.Sprintf("%d-%d", e+1, end+1)
		if end == e {
			span = fmt.Sprint(e + 1)
		}
		if len(parts) == 0 {
			span = map[bool]string{true: "epoch ", false: "epochs "}[end == e] + span
		}
		parts = append(parts, fmt.Sprintf("%dpx (%s)", s, span))
		e = end + 1
	}
	return strings.Join(parts, ", ")
}
