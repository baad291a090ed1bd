package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/seed477ab429/multilabel"
	"github.com/seed477ab429/multilabel/losses"
	"github.com/seed477ab429/multilabel/models"
	"github.com/seed477ab429/multilabel/nn"
	"github.com/seed477ab429/multilabel/train"
	"github.com/seed477ab429/multilabel/train/augment"
	"github.com/seed477ab429/multilabel/train/data"
	"github.com/seed477ab429/multilabel/train/metrics"
	"github.com/seed477ab429/multilabel/train/synth"
)

func run(ctx context.Context, o *options) error {
	start := time.Now()
	out := os.Stderr
	tty := isTerminal(out)

	// 1. Data: the user's VOC folder, or the built-in synthetic one.
	root := o.data
	var classes []string
	if root == "" {
		cfg := synth.Config{Seed: 1, Size: 160, Train: o.synthTrain, Val: o.synthTest / 2, Test: o.synthTest}
		if o.quick {
			cfg.Size = 96
		}
		fmt.Fprintf(out, "data: built-in synthetic VOC-format set (%d train / %d val / %d test images, %d classes)\n",
			cfg.Train, cfg.Val, cfg.Test, len(synth.Classes()))
		var bar *train.Progress
		var err error
		root, err = synth.Cached("", cfg, func(done, total int) {
			if bar == nil {
				bar = train.NewProgress(out, tty, "generating", total, "images")
			}
			bar.Update(done, done, "")
		})
		bar.Done()
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "data: %s\n", root)
		classes = synth.Classes()
	}
	vopt := data.VOCOptions{Options: data.Options{Classes: classes, SkipBad: o.skipBad, Warn: func(err error) {
		fmt.Fprintln(out, "warning:", err)
	}}}
	load := func(split string) (*data.Dataset, error) {
		ds, err := data.LoadVOC(root, split, vopt)
		if err != nil {
			return nil, usageError{fmt.Errorf("-data %s: %w", root, err)}
		}
		return ds, nil
	}
	trainDS, err := load(o.split)
	if err != nil {
		return err
	}
	valDS, err := load(o.valSplit)
	if err != nil {
		return err
	}
	testDS := valDS
	if o.testSplit != o.valSplit {
		if testDS, err = load(o.testSplit); err != nil {
			return err
		}
	}
	fmt.Fprintf(out, "data: %s %d images (%.2f labels/image), %s %d, %s %d\n", o.split, len(trainDS.Items), trainDS.LabelsPerImage(),
		o.valSplit, len(valDS.Items), o.testSplit, len(testDS.Items))

	// 2. Model.
	loss := makeLoss(o)
	spec := models.Spec{
		Backbone: o.model, Head: o.head, Classes: trainDS.Classes, Metric: o.loss == "aam" || o.loss == "am",
		Size: o.size, Scale: loss.Scale(), Norm: "half", DecoderEmbed: o.decoderEmbed, DecoderFFN: o.decoderFFN,
	}
	if o.weights != "" && !strings.HasSuffix(o.weights, "best.safetensors") {
		spec.Norm = "imagenet" // torchvision/timm ImageNet weights expect ImageNet statistics
	}
	graph, err := labelGraph(o, &spec, trainDS, out)
	if err != nil {
		return err
	}
	net, err := models.Build(spec, models.Options{Seed: o.seed}, graph)
	if err != nil {
		return err
	}
	if o.weights != "" {
		if err := loadPretrained(net, o.weights, out); err != nil {
			return usageError{err}
		}
	}
	params, _ := nn.CountParams(net)
	gmacs := float64(net.MACs(o.size)) / 1e9
	fmt.Fprintf(out, "model: %s + %s, %.2fM parameters, %.3f GMACs per %dx%d image; loss %s (scale %g)\n",
		o.model, o.head, float64(params)/1e6, gmacs, o.size, o.size, o.loss, loss.Scale())

	// 3. Loaders: the reference's training transform (RandAugment,
	// Cutout, flip) on the training split only.
	norm := data.NormHalf
	if spec.Norm == "imagenet" {
		norm = data.NormImageNet
	}
	lc := data.LoaderConfig{Size: o.size, BatchSize: o.batch, Seed: o.seed, Workers: o.workers, Norm: norm, SkipBad: o.skipBad,
		Warn: func(err error) { fmt.Fprintln(out, "warning:", err) }}
	trainCfg := lc
	trainCfg.Shuffle, trainCfg.DropLast = true, true
	trainCfg.Transform = data.Transform(augment.Train(augment.DefaultTrainOptions()))
	trainLoader, err := data.NewLoader(trainDS, trainCfg)
	if err != nil {
		return err
	}
	mk := func(ds *data.Dataset) (*data.Loader, error) { return data.NewLoader(ds, lc) }
	valLoader, err := mk(valDS)
	if err != nil {
		return err
	}
	tuneLoader, err := mk(trainDS) // training images with test transforms
	if err != nil {
		return err
	}
	if graph != nil && o.labelVectors == "" && o.resume == "" {
		fmt.Fprintln(out, "label embeddings: from the images (per-class means of backbone features; no -label-vectors given)")
		if err := imageEmbeddings(ctx, net, tuneLoader, trainDS); err != nil {
			return err
		}
	}

	// 4. Train.
	runDir := o.resume
	if runDir == "" {
		runDir = filepath.Join(o.out, "voc-"+time.Now().Format("20060102-150405"))
	}
	if err := os.MkdirAll(runDir, 0o755); err != nil {
		return err
	}
	cfg := train.DefaultConfig()
	cfg.Epochs, cfg.LR, cfg.SAM, cfg.Seed, cfg.WeightDecay = o.epochs, o.lr, o.sam, o.seed, o.wd
	cfg.EMADecay, cfg.EMAWarmup = max(o.emaDecay, 0), !o.paper
	if o.paper {
		cfg.Patience = 5
	} else {
		cfg.Patience = 0 // a fixed short schedule
	}
	tr := &train.Trainer{Model: net, Loss: loss, Train: trainLoader, Val: valLoader, Classes: trainDS.Classes,
		Config: cfg, RunDir: runDir, Out: out, TTY: tty}
	var steps []train.StepStats
	tr.OnStep = func(s train.StepStats) { steps = append(steps, s) }
	if err := writeRunFiles(runDir, spec, cfg, o); err != nil {
		return err
	}
	if o.resume != "" {
		if err := tr.Resume(filepath.Join(runDir, "last.safetensors")); err != nil {
			return usageError{err}
		}
		fmt.Fprintf(out, "resuming %s at epoch %d\n", runDir, tr.State().Epoch+1)
	}
	fmt.Fprintf(out, "train: %d epochs of %d batches of %d at %dpx, lr %g, SAM %v, EMA %g; run folder %s\n",
		cfg.Epochs, trainLoader.Len(), o.batch, o.size, cfg.LR, cfg.SAM, cfg.EMADecay, runDir)
	st, err := tr.Run(ctx)
	if err != nil {
		return err
	}
	if err := train.PlotCurves(filepath.Join(runDir, "curves.png"), st.History, steps); err != nil {
		return err
	}

	// 5. Final evaluation: thresholds tuned on the training split (test
	// transforms), applied to the test split.
	net.Freeze()
	fmt.Fprintln(out, "evaluating...")
	trainScores, trainTargets, n, c, err := train.Predict(ctx, net, tuneLoader, loss.Scale(), nil)
	if err != nil {
		return err
	}
	trainSet, err := metrics.New(n, c, trainScores, trainTargets)
	if err != nil {
		return err
	}
	tuned := metrics.TuneThresholds(trainSet, 0.5)
	testLoader, err := mk(testDS)
	if err != nil {
		return err
	}
	r05, testSet, err := train.Evaluate(ctx, net, testLoader, loss.Scale(), nil)
	if err != nil {
		return err
	}
	rAdapt, err := metrics.Evaluate(testSet, metrics.Options{Thresholds: tuned.T})
	if err != nil {
		return err
	}
	if err := writeThresholds(runDir, trainDS.Classes, tuned.T); err != nil {
		return err
	}
	if err := train.PlotPR(filepath.Join(runDir, "pr_curves.png"), metrics.PRCurves(testSet), trainDS.Classes); err != nil {
		return err
	}

	// 6. Report.
	fmt.Fprintf(out, "\nTest split %q, best epoch %d of %d:\n", o.testSplit, st.BestEpoch, len(st.History))
	fmt.Println(table(r05, rAdapt))
	fmt.Println(r05.PerClassTable(trainDS.Classes))
	fmt.Printf("\ndeployed model: %.3f GMACs (%.3f GFLOPs) per %dx%d image, %.2fM parameters\n", gmacs, 2*gmacs, o.size, o.size, float64(params)/1e6)
	if err := writeReport(runDir, o, net, testDS, testSet, tuned.T, r05, rAdapt, st, params, gmacs, time.Since(start)); err != nil {
		return err
	}
	fmt.Printf("run folder: %s (report.html)\ntook %s\n", runDir, time.Since(start).Round(time.Second))
	return nil
}

func makeLoss(o *options) losses.Loss {
	switch o.loss {
	case "am":
		l := losses.NewAM(float32(o.s))
		l.M, l.K = float32(o.m), float32(o.k)
		return l
	case "asl":
		l := losses.NewASL()
		l.GammaPos, l.GammaNeg = float32(o.gammaPos), float32(o.gammaNeg)
		return l
	case "bce":
		return losses.BCE{}
	}
	l := losses.NewAAM(float32(o.s), float32(o.gammaPos), float32(o.gammaNeg))
	l.M, l.K = float32(o.m), float32(o.k)
	return l
}

// loadPretrained loads a run's weights into the whole classifier, or a
// torchvision/timm state dict into the backbone (its ImageNet classifier
// is left out).
func loadPretrained(net *models.Classifier, path string, out *os.File) error {
	sd, err := nn.LoadWeights(path)
	if err != nil {
		return fmt.Errorf("-weights: %w", err)
	}
	for _, n := range sd.Names() {
		if strings.HasPrefix(n, "backbone.") {
			return nn.LoadInto(nn.StateMap(net), sd, true)
		}
	}
	if r, ok := net.Backbone.(interface{ CheckpointName(string) (string, bool) }); ok {
		if sd, err = nn.ApplyRenames(sd, r.CheckpointName); err != nil {
			return fmt.Errorf("-weights %s: %w", path, err)
		}
	}
	dst := nn.StateMap(net.Backbone)
	chk := nn.CheckLoad(dst, sd)
	if chk != nil && len(chk.Missing) == len(dst) {
		return fmt.Errorf("-weights %s: no tensor matches backbone %s (%v)", path, net.Spec.Backbone, chk)
	}
	if chk != nil && len(chk.Missing) > 0 {
		return fmt.Errorf("-weights %s: %w", path, chk)
	}
	if err := nn.LoadInto(dst, sd, false); err != nil {
		return fmt.Errorf("-weights %s: %w", path, err)
	}
	skipped := 0
	if chk != nil {
		skipped = len(chk.Unexpected)
	}
	fmt.Fprintf(out, "weights: loaded %d backbone tensors from %s (%d not used: the ImageNet classifier)\n", len(dst), path, skipped)
	return nil
}

func writeRunFiles(dir string, spec models.Spec, cfg train.Config, o *options) error {
	js, err := models.MarshalSpec(spec)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, multilabel.SpecFile), js, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "classes.txt"), []byte(strings.Join(spec.Classes, "\n")+"\n"), 0o644); err != nil {
		return err
	}
	conf := map[string]any{"train": cfg, "args": os.Args[1:], "size": o.size, "batch": o.batch, "loss": o.loss,
		"s": o.s, "m": o.m, "k": o.k, "gamma_pos": o.gammaPos, "gamma_neg": o.gammaNeg, "data": o.data}
	b, _ := json.MarshalIndent(conf, "", "  ")
	return os.WriteFile(filepath.Join(dir, "config.json"), b, 0o644)
}

func writeThresholds(dir string, classes []string, t []float64) error {
	m := map[string]float64{}
	for i, c := range classes {
		m[c] = t[i]
	}
	b, _ := json.MarshalIndent(m, "", "  ")
	return os.WriteFile(filepath.Join(dir, multilabel.ThresholdsFile), b, 0o644)
}

// table renders the paper's table: mAP and the threshold metrics at 0.5
// and with tuned per-class thresholds.
func table(r05, ra metrics.Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-22s %6s %6s %6s %6s %6s %6s %6s\n", "", "mAP", "CP", "CR", "CF1", "OP", "OR", "OF1")
	row := func(name string, r metrics.Result) {
		fmt.Fprintf(&b, "%-22s %6.2f %6.2f %6.2f %6.2f %6.2f %6.2f %6.2f\n", name,
			100*r.MAP, 100*r.CP, 100*r.CR, 100*r.CF1, 100*r.OP, 100*r.OR, 100*r.OF1)
	}
	row("threshold 0.5", r05)
	row("per-class thresholds", ra)
	if r05.NoPositives > 0 {
		fmt.Fprintf(&b, "note: %d classes have no positive in the test split; their AP counts as 0\n", r05.NoPositives)
	}
	return b.String()
}

func writeReport(dir string, o *options, net *models.Classifier, testDS *data.Dataset, set *metrics.Set,
	thr []float64, r05, ra metrics.Result, st *train.State, params int, gmacs float64, took time.Duration) error {
	exDir := filepath.Join(dir, "examples")
	if err := os.MkdirAll(exDir, 0o755); err != nil {
		return err
	}
	var ex []train.Example
	for i := 0; i < min(12, set.N); i++ {
		it := testDS.Items[i]
		name, err := train.CopyFile(it.Path, exDir, filepath.Base(it.Path))
		if err != nil {
			return err
		}
		e := train.Example{Image: "examples/" + name}
		for j, c := range testDS.Classes {
			if it.Labels[j] == data.Positive {
				e.Truth = append(e.Truth, c)
			}
			if p := float64(set.Scores[i*set.C+j]); p > thr[j] {
				e.Predicted = append(e.Predicted, train.Prediction{Class: c, Score: p, Right: it.Labels[j] == data.Positive})
			}
		}
		sort.Slice(e.Predicted, func(a, b int) bool { return e.Predicted[a].Score > e.Predicted[b].Score })
		ex = append(ex, e)
	}
	return train.WriteReport(filepath.Join(dir, "report.html"), &train.Report{
		Title: fmt.Sprintf("multilabel: %s + %s on %s", o.model, o.head, dataName(o)), Model: o.model + " + " + o.head,
		Params: params, GMACs: gmacs, Size: o.size, Config: st.Config, Classes: testDS.Classes, At05: r05, Adapt: &ra,
		History: st.History, Examples: ex, Duration: took.Round(time.Second), Curves: "curves.png", PR: "pr_curves.png",
		Notes: []string{fmt.Sprintf("Best epoch %d (mAP %.2f on the %s split); thresholds tuned on the %s split, examples from %s with those thresholds.",
			st.BestEpoch, 100*st.Best, o.valSplit, o.split, o.testSplit)},
	})
}

func dataName(o *options) string {
	if o.data == "" {
		return "the built-in synthetic set"
	}
	return o.data
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
