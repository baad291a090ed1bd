package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"
	"time"

	"github.com/seed477ab429/multilabel"
	"github.com/seed477ab429/multilabel/data"
	"github.com/seed477ab429/multilabel/metrics"
	"github.com/seed477ab429/multilabel/ops"
	"github.com/seed477ab429/multilabel/quant"
	"github.com/seed477ab429/multilabel/recipe"
	"github.com/seed477ab429/multilabel/train"
)

// quantize: post-training int8 quantization of a run (package quant).
// BatchNorm folded, weights per output channel, activations per tensor
// calibrated on a sample of training images; the calibration goes into
// the run folder's int8.json, which predict -precision int8, eval
// -precision int8 and multilabel.Model.Int8 read. Then, unless -test-split
// none, it scores the test split in float32 and in int8 and prints the
// accuracy cost and the speed of both.
//
//	multilabel quantize -run runs/voc-20261125-191230
//	multilabel quantize -run RUN -data ~/data/VOCdevkit/VOC2007 -images 500
func init() {
	commands["quantize"] = command{summary: "int8 post-training quantization of a run: calibrate, write int8.json, measure the mAP cost (-json)", run: runQuantize}
}

// quantizeResult is the -json output (metrics as fractions).
type quantizeResult struct {
	Run         string  `json:"run"`
	CalibData   string  `json:"calibration_data"`
	CalibSplit  string  `json:"calibration_split,omitempty"`
	CalibImages int     `json:"calibration_images"`
	Layers      int     `json:"int8_layers"`
	Kernel      string  `json:"int8_kernel"`
	TestSplit   string  `json:"test_split,omitempty"`
	TestImages  int     `json:"test_images,omitempty"`
	Float32     *scores `json:"float32,omitempty"`
	Int8        *scores `json:"int8,omitempty"`
	Float32IPS  float64 `json:"float32_images_per_s,omitempty"`
	Int8IPS     float64 `json:"int8_images_per_s,omitempty"`
}

// quantizeFlags are quantize's command line.
type quantizeFlags struct {
	runDir, dataPath, split, testSplit string
	images, batch, workers             int
	asJSON                             bool
}

// runQuantize runs the phases: calibrate on a sample of the training
// split, write int8.json, then measure the cost on the test split.
func runQuantize(args []string, stdout io.Writer) error {
	f, err := parseQuantizeFlags(args, stdout)
	if err != nil {
		return err
	}
	m, err := loadRun(f.runDir)
	if err != nil {
		return err
	}
	qm, err := quant.New(m.Net())
	if err != nil {
		return err
	}
	conf := readRunConfig(f.runDir)
	if f.dataPath == "" {
		f.dataPath = conf.Data
		if f.dataPath == "" {
			return usagef("-data is required: the run's config.json names no data set")
		}
	}
	ds, calSplit, err := openData(f.dataPath, f.split, conf, func(c runConfig, splits []string) string {
		return splitOrDefault(c, f.dataPath, c.TrainSplit, splits, "train", "trainval")
	}, m.Classes())
	if err != nil {
		return err
	}
	sample := sampleItems(ds, f.images)
	cal, err := calibrate(m, qm, sample, f)
	if err != nil {
		return err
	}
	if err := qm.Engine.Quantize(cal); err != nil {
		return err
	}
	info, err := writeCalibration(f, cal, calSplit, len(sample.Items))
	if err != nil {
		return err
	}
	res := quantizeResult{Run: f.runDir, CalibData: f.dataPath, CalibSplit: calSplit, CalibImages: len(sample.Items),
		Layers: qm.Engine.Layers(), Kernel: ops.I8Kernel()}
	if !f.asJSON {
		fmt.Fprintf(stdout, "%s: %d convolutions quantized to int8, calibrated on %d images of %s; wrote %s\n",
			f.runDir, res.Layers, res.CalibImages, info.Data, filepath.Join(f.runDir, quant.File))
	}
	if f.testSplit != "none" {
		if !ops.I8Available() {
			fmt.Fprintln(logOut, "notice: this CPU has no AVX512_VNNI or AVX-VNNI: int8 would run through the pure-Go kernel; skipping the int8 evaluation")
		} else if err := quantizeCost(m, qm, conf, f, &res, stdout); err != nil {
			return err
		}
	}
	if f.asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	return nil
}

func parseQuantizeFlags(args []string, stdout io.Writer) (*quantizeFlags, error) {
	fs := newFlags("quantize", stdout)
	runDir := fs.String("run", "", "run folder (written by multilabel train or examples/voc)")
	dataPath := fs.String("data", "", "data set to calibrate on (default: the run's, from its config.json)")
	split := fs.String("split", "", "split of a VOC folder to calibrate on (default: the run's training split)")
	images := fs.Int("images", 300, "calibration images (a seeded random sample of the split)")
	testSplit := fs.String("test-split", "", "split of a VOC folder scored in float32 and int8 to measure the cost (default: the run's test split); none skips it")
	batch := fs.Int("batch", 32, "batch size")
	workers := fs.Int("workers", 0, "image decoding goroutines (default GOMAXPROCS)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	if *images < 1 || *batch < 1 {
		return nil, usagef("-images %d and -batch %d: want at least 1", *images, *batch)
	}
	return &quantizeFlags{runDir: *runDir, dataPath: *dataPath, split: *split, testSplit: *testSplit,
		images: *images, batch: *batch, workers: *workers, asJSON: *asJSON}, nil
}

// calibrate runs the folded float32 backbone over the sample, recording
// the input range of every convolution that will run in int8.
func calibrate(m *multilabel.Model, qm *quant.Model, sample *data.Dataset, f *quantizeFlags) (quant.Calibration, error) {
	loader, err := recipe.EvalLoader(m.Spec(), sample, f.batch, f.workers)
	if err != nil {
		return nil, err
	}
	bar := train.NewProgress(logOut, isTerminal(logOut), "calibrating", len(sample.Items), "images")
	qm.Engine.BeginCalibration()
	done := 0
	for b, berr := range loader.Epoch(context.Background(), 0) {
		if berr != nil {
			bar.Done()
			return nil, userError(berr)
		}
		qm.Engine.Features(b.Images[:b.N*3*b.Size*b.Size], b.N, b.Size, b.Size)
		done += b.N
		b.Release()
		bar.Update(done, done, "")
	}
	bar.Done()
	return qm.Engine.EndCalibration()
}

// writeCalibration writes the run's int8.json, tied to its weights file.
func writeCalibration(f *quantizeFlags, cal quant.Calibration, calSplit string, images int) (*quant.Info, error) {
	sum, err := quant.FileSHA256(filepath.Join(f.runDir, multilabel.WeightsFile))
	if err != nil {
		return nil, err
	}
	info := &quant.Info{Weights: multilabel.WeightsFile, WeightsSHA256: sum, Images: images, Data: f.dataPath, Ranges: cal}
	if calSplit != "" {
		info.Data += " (" + calSplit + ")"
	}
	return info, quant.WriteInfo(f.runDir, info)
}

// quantizeCost scores the test split in float32 and in int8 into res, and
// prints both tables unless -json.
func quantizeCost(m *multilabel.Model, qm *quant.Model, conf runConfig, f *quantizeFlags, res *quantizeResult, stdout io.Writer) error {
	tds, tsplit, err := openData(f.dataPath, f.testSplit, conf, func(c runConfig, splits []string) string {
		return splitOrDefault(c, f.dataPath, c.TestSplit, splits, "test", "val", "valid")
	}, m.Classes())
	if err != nil {
		return err
	}
	thr, err := evalThresholds(m, f.runDir, "")
	if err != nil {
		return err
	}
	res.TestSplit, res.TestImages = tsplit, len(tds.Items)
	score := func(net train.Model, name string) (*scores, float64, metrics.Result, *metrics.Result, error) {
		loader, err := recipe.EvalLoader(m.Spec(), tds, f.batch, f.workers)
		if err != nil {
			return nil, 0, metrics.Result{}, nil, err
		}
		t0 := time.Now()
		bar := train.NewProgress(logOut, isTerminal(logOut), "scoring "+name, len(tds.Items), "images")
		set, err := recipe.Score(context.Background(), net, m.Spec().Scale, loader, func(d int) { bar.Update(d, d, "") })
		bar.Done()
		if err != nil {
			return nil, 0, metrics.Result{}, nil, userError(err)
		}
		ips := float64(set.N) / time.Since(t0).Seconds()
		at05, tuned, err := recipe.Evaluate(set, thr)
		if err != nil {
			return nil, 0, metrics.Result{}, nil, err
		}
		s := scoresOf(at05)
		return &s, ips, at05, tuned, nil
	}
	var f05, q05 metrics.Result
	var fTuned, qTuned *metrics.Result
	if res.Float32, res.Float32IPS, f05, fTuned, err = score(m.Net(), "float32"); err != nil {
		return err
	}
	if res.Int8, res.Int8IPS, q05, qTuned, err = score(qm, "int8"); err != nil {
		return err
	}
	if !f.asJSON {
		fmt.Fprintf(stdout, "\n%s split, %d images (scoring speed includes image decoding):\n\n", tsplit, len(tds.Items))
		fmt.Fprintf(stdout, "float32 (%.1f images/s)\n", res.Float32IPS)
		fmt.Fprint(stdout, recipe.Table(f05, fTuned))
		fmt.Fprintf(stdout, "\nint8, %s (%.1f images/s)\n", ops.I8Kernel(), res.Int8IPS)
		fmt.Fprint(stdout, recipe.Table(q05, qTuned))
		fmt.Fprintf(stdout, "\nmAP: float32 %.2f, int8 %.2f (%+.2f)\n", 100*f05.MAP, 100*q05.MAP, 100*(q05.MAP-f05.MAP))
	}
	return nil
}

// sampleItems returns n items of ds (all of them if it has fewer), a
// seeded random sample kept in data set order.
func sampleItems(ds *data.Dataset, n int) *data.Dataset {
	out := &data.Dataset{Classes: ds.Classes}
	if n >= len(ds.Items) {
		out.Items = ds.Items
		return out
	}
	pick := rand.New(rand.NewPCG(1, 13)).Perm(len(ds.Items))[:n]
	keep := make([]bool, len(ds.Items))
	for _, i := range pick {
		keep[i] = true
	}
	for i, it := range ds.Items {
		if keep[i] {
			out.Items = append(out.Items, it)
		}
	}
	return out
}

// usePrecision switches a loaded run to the -precision of predict: int8
// (the run's int8.json); on a CPU without int8 instructions one notice
// line, and float32.
func usePrecision(m *multilabel.Model, runDir, precision string) (*multilabel.Model, error) {
	switch precision {
	case "float32":
		return m, nil
	case "int8":
		q, err := m.WithInt8(runDir)
		if errors.Is(err, multilabel.ErrNoInt8CPU) {
			fmt.Fprintln(logOut, "notice: no AVX512_VNNI or AVX-VNNI on this CPU: running float32")
			return m, nil
		}
		if errors.Is(err, quant.ErrNoCalibration) {
			return nil, usagef("-precision int8: %s has no %s (run multilabel quantize -run %s first)", runDir, quant.File, runDir)
		}
		if err != nil {
			return nil, usagef("-precision int8: %v", err)
		}
		return q, nil
	}
	return nil, usagef("-precision %q: want float32 or int8", precision)
}
