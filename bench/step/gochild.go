//go:build linux

package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"runtime/trace"
	"time"

	"github.com/seed477ab429/multilabel/augment"
	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/data"
	"github.com/seed477ab429/multilabel/losses"
	"github.com/seed477ab429/multilabel/models"
	"github.com/seed477ab429/multilabel/nn"
	"github.com/seed477ab429/multilabel/ops"
	"github.com/seed477ab429/multilabel/train"
)

// result is what one child process measured. The parent adds the
// process's peak RSS from wait4 (the same measure for both sides).
type result struct {
	Impl      string  `json:"impl"`
	Config    string  `json:"config"`
	ImgPerS   float64 `json:"img_per_s"`   // training (or inference) images per second
	PeakRSSMB float64 `json:"peak_rss_mb"` // whole process, from the parent's wait4
	CPUUtil   float64 `json:"cpu_util"`    // process CPU time / wall time over the timed window, 2.0 = two cores busy

	EvalImgPerS float64 `json:"eval_img_per_s,omitempty"` // evaluation pass, raw (and EMA) models
	LatencyMS   float64 `json:"latency_ms,omitempty"`     // inference: median wall time per call
	Layout      string  `json:"layout,omitempty"`         // PyTorch: contiguous or channels_last
	// Phases: seconds per timed window, by phase (data, forward, backward,
	// update = optimizer/SAM/EMA, eval).
	Phases map[string]float64 `json:"phases,omitempty"`
	// PhasesCPU: the process's CPU seconds in the same phases (Go side).
	PhasesCPU map[string]float64 `json:"phases_cpu,omitempty"`
	SelfHWM   float64            `json:"self_hwm_mb,omitempty"` // VmHWM read by the child itself
	Notes     string             `json:"notes,omitempty"`
	WallSecs  float64            `json:"wall_s,omitempty"` // timed window
}

// runGo runs configuration c in this process, as `multilabel train` would:
// the Trainer with its loaders, augmentation, SAM, optimizer, EMA and
// evaluation, on the synthetic items of list.
func runGo(c config, list *itemList) (*result, error) {
	classes := list.Classes
	trainDS := list.dataset(list.Train)
	valDS := list.dataset(list.Val)

	metric := c.Loss == "aam"
	var loss losses.Loss = losses.BCE{}
	scale := float32(1)
	if metric {
		l := losses.NewAAM(17, 1, 2)
		loss, scale = l, l.Scale()
	}
	spec := models.Spec{Backbone: c.Backbone, Head: c.Head, Classes: classes, Metric: metric, Size: c.Size,
		Scale: scale, Norm: "half", DecoderEmbed: c.Embed, DecoderFFN: c.FFN}
	if c.Head == "pool" {
		spec.Pooling = "avg"
	}
	net, err := models.Build(spec, models.Options{Seed: 1}, nil)
	if err != nil {
		return nil, err
	}
	if c.Infer {
		return runGoInfer(c, net, valDS)
	}

	var tf data.Transform
	switch c.Augment {
	case "flip":
		tf = data.Transform(augment.RandomHorizontalFlip(0.5))
	case "full":
		tf = data.Transform(augment.Train(augment.DefaultTrainOptions()))
	}
	lc := data.LoaderConfig{Size: c.Size, BatchSize: c.Batch, Seed: 1, Norm: data.NormHalf}
	tc := lc
	tc.Shuffle, tc.DropLast, tc.Transform = true, true, tf
	trainLoader, err := data.NewLoader(trainDS, tc)
	if err != nil {
		return nil, err
	}
	valLoader, err := data.NewLoader(valDS, lc)
	if err != nil {
		return nil, err
	}

	cfg := train.DefaultConfig()
	cfg.Epochs, cfg.LR, cfg.Optimizer, cfg.SAM = 1, c.LR, c.Optimizer, c.SAM
	cfg.EMADecay, cfg.EMAWarmup, cfg.Patience, cfg.LogEvery = c.EMA, true, 0, 1
	cfg.KeepActivations = keepActivations
	var ph train.Phases
	tr := &train.Trainer{Model: net, Loss: loss, Train: trainLoader, Val: valLoader, Classes: classes,
		Config: cfg, Phases: &ph}

	var (
		t0, tSteps time.Time
		cpu0       time.Duration
		ph0        train.Phases
	)
	tr.OnStep = func(s train.StepStats) {
		switch s.Step {
		case c.Warmup:
			startTrace()
			startGemmStats()
			t0, cpu0, ph0 = time.Now(), cpuTime(), ph
		case c.Warmup + c.Steps:
			tSteps = time.Now()
			stopGemmStats()
			if heapProfile != "" { // the arena now holds a whole step's buffers
				if err := writeHeapProfile(heapProfile); err != nil {
					fmt.Fprintln(os.Stderr, "heap profile:", err)
				}
			}
		}
	}
	var tEnd time.Time
	var cpu1 time.Duration
	tr.OnEpoch = func(train.EpochStats) {
		tEnd, cpu1 = time.Now(), cpuTime()
		stopTrace()
	}
	if c.Warmup == 0 {
		startTrace()
		startGemmStats()
		t0, cpu0 = time.Now(), cpuTime()
	}
	_, err = tr.Run(context.Background())
	stopTrace()
	stopGemmStats() // a run that ended before its timed steps did
	if err != nil {
		return nil, err
	}
	if traceErr != nil {
		return nil, fmt.Errorf("trace: %w", traceErr)
	}
	if tSteps.IsZero() || tEnd.IsZero() {
		return nil, fmt.Errorf("the run did not reach step %d", c.Warmup+c.Steps)
	}
	d := ph.Sub(ph0)
	trainS := tSteps.Sub(t0).Seconds()
	evalS := tEnd.Sub(tSteps).Seconds()
	wall := tEnd.Sub(t0).Seconds()
	_, valN := c.images()
	passes := 1 // the raw model, and the EMA model when there is one
	if c.EMA > 0 {
		passes = 2
	}
	r := &result{Impl: "go", Config: c.Name,
		ImgPerS:     float64(c.Steps*c.Batch) / trainS,
		EvalImgPerS: float64(passes*valN) / evalS,
		CPUUtil:     (cpu1 - cpu0).Seconds() / wall,
		Phases:      phaseMap(d.Wall),
		PhasesCPU:   phaseMap(d.CPU),
		WallSecs:    wall,
	}
	r.SelfHWM = vmHWM()
	peak, total := tr.ArenaBytes()
	r.Notes = fmt.Sprintf("arena peak %.0f MB, holds %.0f MB; %s", float64(peak)/(1<<20), float64(total)/(1<<20), goMemNotes())
	return r, nil
}

func phaseMap(p train.PhaseTimes) map[string]float64 {
	return map[string]float64{"data": p.Data.Seconds(), "forward": p.Forward.Seconds(), "backward": p.Backward.Seconds(),
		"update": p.Update.Seconds(), "eval": p.Eval.Seconds()}
}

// heapProfile, if set, is where runGo writes a heap profile after the
// last timed step (-memprofile).
var heapProfile string

// keepActivations is train.Config.KeepActivations (-activations).
var keepActivations bool

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	runtime.GC()
	return pprof.WriteHeapProfile(f)
}

// traceFile, if set, is where runGo writes a runtime/trace of the timed
// window (the timed steps and the evaluation; -trace).
var (
	traceFile string
	traceOut  *os.File
	traceErr  error
)

func startTrace() {
	if traceFile == "" || traceOut != nil || traceErr != nil {
		return
	}
	f, err := os.Create(traceFile)
	if err == nil {
		if err = trace.Start(f); err != nil {
			f.Close()
		}
	}
	traceOut, traceErr = f, err
}

func stopTrace() {
	if traceOut == nil || traceErr != nil {
		return
	}
	trace.Stop()
	traceErr = traceOut.Close()
	traceOut, traceFile = nil, ""
}

// gemmStatsFile, if set, is where runGo writes the table of the matrix
// products of the timed training steps (runGoInfer: of the timed calls);
// -gemmstats.
var gemmStatsFile string

func startGemmStats() {
	if gemmStatsFile != "" {
		ops.StartGemmStats()
	}
}

// stopGemmStats writes the table once; a failure is reported on stderr
// (the timing itself stands).
func stopGemmStats() {
	if gemmStatsFile == "" {
		return
	}
	path := gemmStatsFile
	gemmStatsFile = ""
	f, err := os.Create(path)
	if err == nil {
		err = ops.WriteGemmStats(f, ops.StopGemmStats())
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "-gemmstats:", err)
	}
}

// runGoInfer times the forward pass of net in eval mode without
// gradients, on a preprocessed batch of c.Batch validation images.
func runGoInfer(c config, net *models.Classifier, valDS *data.Dataset) (*result, error) {
	loader, err := data.NewLoader(valDS, data.LoaderConfig{Size: c.Size, BatchSize: c.Batch, Norm: data.NormHalf})
	if err != nil {
		return nil, err
	}
	var x []float32
	for b, err := range loader.Epoch(context.Background(), 0) {
		if err != nil {
			return nil, err
		}
		x = append(x, b.Images[:b.N*3*c.Size*c.Size]...)
		break
	}
	arena := ag.NewArena()
	call := func() {
		ag.NoGrad(func() {
			in := arena.New(x, c.Batch, 3, c.Size, c.Size)
			net.Forward(nn.Eval, in)
		})
		arena.Reset()
	}
	for range c.Warmup {
		call()
	}
	startTrace()
	startGemmStats()
	t0, cpu0 := time.Now(), cpuTime()
	times := make([]float64, c.Steps)
	for i := range times {
		s := time.Now()
		call()
		times[i] = time.Since(s).Seconds()
	}
	wall := time.Since(t0).Seconds()
	stopGemmStats()
	stopTrace()
	if traceErr != nil {
		return nil, fmt.Errorf("trace: %w", traceErr)
	}
	if heapProfile != "" {
		if err := writeHeapProfile(heapProfile); err != nil {
			return nil, err
		}
	}
	return &result{Impl: "go", Config: c.Name,
		ImgPerS:   float64(c.Steps*c.Batch) / wall,
		LatencyMS: 1e3 * median(times),
		CPUUtil:   (cpuTime() - cpu0).Seconds() / wall,
		Phases:    map[string]float64{"forward": wall},
		WallSecs:  wall,
		SelfHWM:   vmHWM(),
		Notes:     goMemNotes(),
	}, nil
}

// goMemNotes summarises the Go runtime's memory at the end of the run.
func goMemNotes() string {
	s := []metrics.Sample{
		{Name: "/gc/heap/live:bytes"},
		{Name: "/memory/classes/total:bytes"},
		{Name: "/gc/cycles/total:gc-cycles"},
		{Name: "/gc/gomemlimit:bytes"},
	}
	metrics.Read(s)
	mb := func(i int) float64 { return float64(s[i].Value.Uint64()) / (1 << 20) }
	limit := "none"
	if v := s[3].Value.Uint64(); v < 1<<62 {
		limit = fmt.Sprintf("%.0f MB", mb(3))
	}
	return fmt.Sprintf("Go heap live %.0f MB, runtime total %.0f MB, %d GCs, GOMAXPROCS %d, memory limit %s",
		mb(0), mb(1), s[2].Value.Uint64(), runtime.GOMAXPROCS(0), limit)
}

// itemList is the synthetic data set both sides read: image paths and
// label rows, written as JSON by the parent.
type itemList struct {
	Classes []string `json:"classes"`
	Train   []item   `json:"train"`
	Val     []item   `json:"val"`
}

type item struct {
	Path   string `json:"path"`
	Labels []int8 `json:"labels"`
}

func (l *itemList) dataset(items []item) *data.Dataset {
	ds := &data.Dataset{Classes: l.Classes}
	for _, it := range items {
		ds.Items = append(ds.Items, data.Item{Path: it.Path, Labels: it.Labels})
	}
	return ds
}

// cycle returns n items taken in a seeded shuffled order from pool, going
// round again when n exceeds it.
func cycle(pool []item, n int, seed uint64) []item {
	perm := rand.New(rand.NewPCG(seed, 7)).Perm(len(pool))
	out := make([]item, n)
	for i := range out {
		out[i] = pool[perm[i%len(pool)]]
	}
	return out
}
