//go:build linux

// Command step benchmarks the whole training step a user runs — the
// Trainer's own code path: batch assembly and augmentation in the loader,
// forward, loss, backward, SAM's second pass, optimizer, EMA — and the
// evaluation pass (raw and EMA models), side by side with the same recipe
// in PyTorch (bench/step/torch_step.py, Debian's python3-torch, in both
// memory layouts). Each side runs in a child process of its own, so the
// peak RSS is the whole process's (wait4's ru_maxrss, the same measure for
// both). Usage, from the repository root:
//
//	go run ./bench/step                       # every configuration, both sides
//	go run ./bench/step -config b             # one (a, b, c, d, e1, e2, f1, f32, e, f)
//	go run ./bench/step -config a -impl go    # Go only
//	go run ./bench/step -json                 # one JSON object per line
//	go run ./bench/step -md                   # also a markdown summary (docs/PERFORMANCE.md)
//	go run ./bench/step -config b -impl go -cpuprofile /tmp/b.prof -memprofile /tmp/b.mem
//	go run ./bench/step -config a -impl go -trace /tmp/a.trace   # then: python3 bench/step/idle.py /tmp/a.trace
//	go run ./bench/step -config e1 -impl go -gemmstats /tmp/e1.gemm   # the step's products by shape (ops.StartGemmStats)
//
// Each configuration runs a few warm-up steps, then a few timed steps,
// then the evaluation pass over as many validation images as the timed
// steps trained on, so the whole table takes minutes. It prints, per
// implementation: training img/s over the timed steps (data wait
// included), evaluation img/s, peak RSS, CPU use over the timed window
// (200% = both cores of a 2-thread run busy), the time split by phase and
// the Go/PyTorch ratios against the faster PyTorch layout.
//
// The inputs are the synthetic data set of package synth (320 px JPEGs,
// generated once into -data), decoded, resized and augmented by each
// side's own loader.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/seed477ab429/multilabel/data"
	"github.com/seed477ab429/multilabel/ops"
	"github.com/seed477ab429/multilabel/synth"
)

type options struct {
	configs    string
	impls      string
	layout     string
	threads    int
	jsonOut    bool
	md         bool
	dataDir    string
	python     string
	script     string
	warmup     int
	steps      int
	size       int // input size override (0: the configuration's)
	batch      int // batch size override (0: the configuration's)
	verbose    bool
	cpuProfile string
	memProfile string
	traceOut   string
	gemmStats  string

	precision   string // float32, or bf16: Go's ops.SetMatmulPrecision, PyTorch's CPU autocast
	activations string // Go: keep or recompute (train.Config.KeepActivations); "": the configuration's

	child string // internal: run this configuration in this process
	list  string // internal: the item list of the child
}

func main() {
	var o options
	flag.StringVar(&o.configs, "config", "all", "configurations: a, b, c, d, e1, e2, f1, f32 (e = e1,e2; f = f1,f32), comma-separated, or all")
	flag.StringVar(&o.impls, "impl", "go,torch", "implementations to run: go, torch or both")
	flag.StringVar(&o.layout, "layout", "both", "PyTorch memory layout: contiguous, channels_last or both")
	flag.IntVar(&o.threads, "threads", 2, "threads for each side (GOMAXPROCS, torch.set_num_threads)")
	flag.BoolVar(&o.jsonOut, "json", false, "print one JSON object per run instead of the table")
	flag.BoolVar(&o.md, "md", false, "also print a markdown summary table")
	flag.StringVar(&o.dataDir, "data", "", "folder for the synthetic images (default: the user cache, multilabel/bench-step)")
	flag.StringVar(&o.python, "python", "/usr/bin/python3", "Python with torch and torchvision")
	flag.StringVar(&o.script, "script", "", "the PyTorch script (default: torch_step.py beside this file)")
	flag.IntVar(&o.warmup, "warmup", -1, "warm-up steps (-1: the configuration's)")
	flag.IntVar(&o.steps, "steps", 0, "timed steps (0: the configuration's)")
	flag.IntVar(&o.size, "size", 0, "input size in pixels for every configuration, both sides (0: the configuration's; e.g. 64 for the example's first epochs)")
	flag.IntVar(&o.batch, "batch", 0, "batch size for every configuration, both sides (0: the configuration's)")
	flag.BoolVar(&o.verbose, "v", false, "show the children's progress output")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "write the Go side's CPU profile here (with one configuration)")
	flag.StringVar(&o.memProfile, "memprofile", "", "write the Go side's heap profile here (after the last timed step, or the last inference call)")
	flag.StringVar(&o.gemmStats, "gemmstats", "", "write the table of the Go side's matrix products (shape, calls, time, GFLOPS; ops.StartGemmStats) over the timed training steps here (with one configuration)")
	flag.StringVar(&o.traceOut, "trace", "", "write a runtime/trace of the Go side's timed window here (with one configuration; go tool trace, bench/step/idle.py)")
	flag.StringVar(&o.precision, "precision", "float32", "float32, or bf16: mixed precision on both sides (Go: train -precision bf16's bf16 matrix products; PyTorch: torch.autocast(\"cpu\", torch.bfloat16) around the forward passes)")
	flag.StringVar(&o.activations, "activations", "", "Go side: keep or recompute (train.Config.KeepActivations; same results, recompute takes less memory); default: what multilabel train does for the configuration (keep for (a), the example's model, recompute otherwise)")
	flag.StringVar(&o.child, "child", "", "internal: run one configuration in this process")
	flag.StringVar(&o.list, "list", "", "internal: item list for -child")
	flag.Parse()

	var err error
	if o.child != "" {
		err = childMain(&o)
	} else {
		err = parentMain(&o)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/step:", err)
		os.Exit(1)
	}
}

// childMain runs one configuration in this process and prints its result
// as one JSON line on stdout.
func childMain(o *options) error {
	cs, err := selectConfigs(o.child)
	if err != nil || len(cs) != 1 {
		return fmt.Errorf("-child %q: %v", o.child, err)
	}
	c := applySteps(cs[0], o)
	switch o.precision {
	case "float32":
	case "bf16":
		if _, err := ops.SetMatmulPrecision(ops.BF16); err != nil {
			return err
		}
	default:
		return fmt.Errorf("-precision %q: want float32 or bf16", o.precision)
	}
	var list itemList
	b, err := os.ReadFile(o.list)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, &list); err != nil {
		return fmt.Errorf("%s: %w", o.list, err)
	}
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	heapProfile = o.memProfile
	switch o.activations {
	case "":
		keepActivations = c.KeepActs
	case "keep", "recompute":
		keepActivations = o.activations == "keep"
	default:
		return fmt.Errorf("-activations %q: want keep or recompute", o.activations)
	}
	traceFile = o.traceOut
	gemmStatsFile = o.gemmStats
	r, err := runGo(c, &list)
	if err != nil {
		return err
	}
	r.Notes += "; matrix products " + ops.MatmulPrecision().String()
	if keepActivations {
		r.Notes += "; activations kept"
	} else {
		r.Notes += "; activations recomputed"
	}
	js, err := json.Marshal(r)
	if err != nil {
		return err
	}
	fmt.Println(string(js))
	return nil
}

func applySteps(c config, o *options) config {
	if o.warmup >= 0 {
		c.Warmup = o.warmup
	}
	if o.steps > 0 {
		c.Steps = o.steps
	}
	if o.size > 0 {
		c.Size = o.size
	}
	if o.batch > 0 {
		c.Batch = o.batch
	}
	return c
}

func parentMain(o *options) error {
	if o.size < 0 || (o.size > 0 && o.size < 32) || o.batch < 0 {
		return fmt.Errorf("-size %d -batch %d: want a size of at least 32 px and a batch of at least 1 (0: the configuration's)", o.size, o.batch)
	}
	if a := o.activations; a != "" && a != "keep" && a != "recompute" {
		return fmt.Errorf("-activations %q: want keep or recompute", a)
	}
	cs, err := selectConfigs(o.configs)
	if err != nil {
		return err
	}
	runGoSide, runTorch := strings.Contains(o.impls, "go"), strings.Contains(o.impls, "torch")
	if !runGoSide && !runTorch {
		return fmt.Errorf("-impl %q: want go, torch or go,torch", o.impls)
	}
	var layouts []string
	switch o.layout {
	case "both":
		layouts = []string{"channels_last", "contiguous"}
	case "contiguous", "channels_last":
		layouts = []string{o.layout}
	default:
		return fmt.Errorf("-layout %q: want contiguous, channels_last or both", o.layout)
	}
	if runTorch && o.script == "" {
		o.script = defaultScript()
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	info := machineInfo(o.threads)
	if !o.jsonOut {
		fmt.Println(info)
	}
	pool, err := syntheticPool(o)
	if err != nil {
		return err
	}
	var summary []row
	for _, c := range cs {
		c = applySteps(c, o)
		listPath, err := writeList(o, c, pool)
		if err != nil {
			return err
		}
		var rs []*result
		if runGoSide {
			args := []string{"-child", c.Name, "-list", listPath, "-warmup", strconv.Itoa(c.Warmup), "-steps", strconv.Itoa(c.Steps), "-size", strconv.Itoa(c.Size), "-batch", strconv.Itoa(c.Batch), "-precision", o.precision, "-activations", o.activations}
			if o.cpuProfile != "" {
				args = append(args, "-cpuprofile", o.cpuProfile)
			}
			if o.memProfile != "" {
				args = append(args, "-memprofile", o.memProfile)
			}
			if o.traceOut != "" {
				args = append(args, "-trace", o.traceOut)
			}
			if o.gemmStats != "" {
				args = append(args, "-gemmstats", o.gemmStats)
			}
			r, err := runChild(o, self, args, "GOMAXPROCS="+strconv.Itoa(o.threads))
			rs = appendResult(o, rs, r, err, "go", c.Name)
		}
		if runTorch {
			cj, _ := json.Marshal(c)
			for _, l := range layouts {
				args := []string{o.script, "--config", string(cj), "--list", listPath, "--layout", l, "--threads", strconv.Itoa(o.threads), "--precision", o.precision}
				r, err := runChild(o, o.python, args)
				rs = appendResult(o, rs, r, err, "pytorch/"+l, c.Name)
			}
		}
		if !o.jsonOut {
			printConfig(c, rs)
		}
		summary = append(summary, summarize(c, rs))
	}
	if o.md {
		printMarkdown(info, summary)
	}
	return nil
}

func appendResult(o *options, rs []*result, r *result, err error, impl, config string) []*result {
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench/step: %s %s: %v\n", impl, config, err)
		return rs
	}
	if o.jsonOut {
		js, _ := json.Marshal(r)
		fmt.Println(string(js))
	}
	return append(rs, r)
}

// runChild runs one side in a process of its own and reads its result
// (the last line of its standard output); the peak RSS is the child's
// ru_maxrss as wait4 reports it.
func runChild(o *options, prog string, args []string, env ...string) (*result, error) {
	cmd := exec.Command(prog, args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout = &out
	if o.verbose {
		cmd.Stderr = io.MultiWriter(os.Stderr, &errb)
	} else {
		cmd.Stderr = &errb
	}
	if err := cmd.Run(); err != nil {
		tail := errb.String()
		if len(tail) > 2000 {
			tail = tail[len(tail)-2000:]
		}
		return nil, fmt.Errorf("%v\n%s", err, tail)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var r result
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &r); err != nil {
		return nil, fmt.Errorf("reading the result line %q: %w", lines[len(lines)-1], err)
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.PeakRSSMB = float64(ru.Maxrss) / 1024 // KiB on Linux
	}
	return &r, nil
}

// defaultScript finds torch_step.py beside this source file (go run) or
// under the working directory.
func defaultScript() string {
	if _, file, _, ok := runtime.Caller(0); ok {
		p := filepath.Join(filepath.Dir(file), "torch_step.py")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return filepath.Join("bench", "step", "torch_step.py")
}

// syntheticPool generates (once; cached under the data folder) the
// synthetic images and returns the training and validation pools.
func syntheticPool(o *options) (*itemList, error) {
	dir := o.dataDir
	if dir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			base = os.TempDir()
		}
		dir = filepath.Join(base, "multilabel", "bench-step")
	}
	o.dataDir = dir
	voc, err := synth.Cached(dir, synth.Config{Seed: 1, Size: 320, Train: 256, Val: 128, Test: 1}, nil)
	if err != nil {
		return nil, err
	}
	classes := synth.Classes()
	read := func(split string) ([]item, error) {
		ds, err := data.Open(voc, split, data.Options{Classes: classes})
		if err != nil {
			return nil, err
		}
		var items []item
		for _, it := range ds.Items {
			p, _ := filepath.Abs(it.Path)
			items = append(items, item{Path: p, Labels: it.Labels})
		}
		return items, nil
	}
	l := &itemList{Classes: classes}
	if l.Train, err = read("train"); err != nil {
		return nil, err
	}
	if l.Val, err = read("val"); err != nil {
		return nil, err
	}
	return l, nil
}

// writeList writes the items configuration c uses (both sides read the
// same list) and returns its path.
func writeList(o *options, c config, pool *itemList) (string, error) {
	trainN, valN := c.images()
	l := itemList{Classes: pool.Classes, Train: cycle(pool.Train, trainN, 1), Val: cycle(pool.Val, valN, 2)}
	js, err := json.Marshal(l)
	if err != nil {
		return "", err
	}
	p := filepath.Join(o.dataDir, fmt.Sprintf("list-%s-%d-%d.json", c.Name, trainN, valN))
	return p, os.WriteFile(p, js, 0o644)
}

// machineInfo names the CPU, the thread count and the load.
func machineInfo(threads int) string {
	model := "unknown CPU"
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	load := ""
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		load = strings.Join(strings.Fields(string(b))[:3], " ")
	}
	return fmt.Sprintf("%s, %d logical CPUs, %d threads per side, %s, kernels %s + depthwise %s, load average %s, %s",
		model, runtime.NumCPU(), threads, runtime.Version(), ops.GemmKernel(), ops.DepthwiseKernel(), load, time.Now().Format("2006-01-02 15:04"))
}

// row is one configuration's summary: Go against the faster PyTorch layout.
type row struct {
	c           config
	goR, torchR *result
}

func summarize(c config, rs []*result) row {
	r := row{c: c}
	for _, x := range rs {
		if x.Impl == "go" {
			r.goR = x
		} else if r.torchR == nil || x.ImgPerS > r.torchR.ImgPerS {
			r.torchR = x
		}
	}
	return r
}

var phaseNames = []string{"data", "forward", "backward", "update", "eval"}

func printConfig(c config, rs []*result) {
	fmt.Printf("\n(%s) %s; %d warm-up + %d timed steps\n", c.Name, c.Desc, c.Warmup, c.Steps)
	if d := c.describe(); !strings.Contains(c.Desc, d) {
		fmt.Printf("    overridden by -size/-batch: %s\n", d)
	}
	if c.Infer {
		fmt.Printf("  %-24s %9s %11s %12s %6s\n", "impl", "img/s", "latency ms", "peak RSS MB", "CPU")
		for _, r := range rs {
			fmt.Printf("  %-24s %9.2f %11.1f %12.0f %5.0f%%\n", r.Impl, r.ImgPerS, r.LatencyMS, r.PeakRSSMB, 100*r.CPUUtil)
		}
	} else {
		fmt.Printf("  %-24s %11s %10s %12s %6s   %s\n", "impl", "train img/s", "eval img/s", "peak RSS MB", "CPU", "time by phase: data / forward / backward / update (opt, SAM, EMA) / eval")
		for _, r := range rs {
			var tot float64
			for _, p := range phaseNames {
				tot += r.Phases[p]
			}
			var parts []string
			for _, p := range phaseNames {
				parts = append(parts, fmt.Sprintf("%.0f%%", 100*r.Phases[p]/tot))
			}
			fmt.Printf("  %-24s %11.2f %10.2f %12.0f %5.0f%%   %s\n", r.Impl, r.ImgPerS, r.EvalImgPerS, r.PeakRSSMB, 100*r.CPUUtil, strings.Join(parts, " / "))
		}
	}
	for _, r := range rs {
		if len(r.PhasesCPU) > 0 {
			var parts []string
			for _, p := range phaseNames {
				if w := r.Phases[p]; w > 0 {
					parts = append(parts, fmt.Sprintf("%s %.0f%%", p, 100*r.PhasesCPU[p]/w))
				}
			}
			fmt.Printf("  %s: CPU use by phase: %s\n", r.Impl, strings.Join(parts, ", "))
		}
	}
	for _, r := range rs {
		if r.Notes != "" {
			fmt.Printf("  %s: %s\n", r.Impl, r.Notes)
		}
	}
	s := summarize(c, rs)
	if s.goR != nil && s.torchR != nil {
		fmt.Printf("  Go / PyTorch (%s, the faster layout): %s\n", strings.TrimPrefix(s.torchR.Impl, "pytorch/"), s.verdict())
	}
}

// targets: issue 10's bar.
func (r row) speedTarget() float64 {
	if r.c.Infer && r.c.Batch == 1 {
		return 1.5
	}
	return 1.25
}

const rssTarget = 0.7

func (r row) verdict() string {
	speed := r.goR.ImgPerS / r.torchR.ImgPerS
	rss := r.goR.PeakRSSMB / r.torchR.PeakRSSMB
	ok := func(b bool) string {
		if b {
			return "met"
		}
		return "NOT met"
	}
	s := fmt.Sprintf("speed %.2fx (target >= %.2fx: %s), peak RSS %.2fx (target <= %.1fx: %s)",
		speed, r.speedTarget(), ok(speed >= r.speedTarget()), rss, rssTarget, ok(rss <= rssTarget))
	if !r.c.Infer {
		s += fmt.Sprintf(", eval %.2fx, Go CPU %.0f%% (target >= 190%%: %s)", r.goR.EvalImgPerS/r.torchR.EvalImgPerS, 100*r.goR.CPUUtil, ok(r.goR.CPUUtil >= 1.9))
	}
	return s
}

func printMarkdown(info string, rows []row) {
	fmt.Printf("\n%s\n\n", info)
	fmt.Println("| config | Go img/s | PyTorch img/s (layout) | speed Go/PT | Go peak RSS MB | PyTorch peak RSS MB | RSS Go/PT | Go CPU | eval img/s Go / PT | targets |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|")
	sort.SliceStable(rows, func(i, j int) bool { return false })
	for _, r := range rows {
		if r.goR == nil || r.torchR == nil {
			continue
		}
		speed := r.goR.ImgPerS / r.torchR.ImgPerS
		rss := r.goR.PeakRSSMB / r.torchR.PeakRSSMB
		met := speed >= r.speedTarget() && rss <= rssTarget
		if !r.c.Infer {
			met = met && r.goR.CPUUtil >= 1.9
		}
		verdict := "met"
		if !met {
			verdict = "**not met**"
		}
		goS := fmt.Sprintf("%.2f", r.goR.ImgPerS)
		ptS := fmt.Sprintf("%.2f (%s)", r.torchR.ImgPerS, strings.TrimPrefix(r.torchR.Impl, "pytorch/"))
		eval := "—"
		if r.c.Infer {
			if r.c.Batch == 1 {
				goS += fmt.Sprintf(" (%.0f ms)", r.goR.LatencyMS)
				ptS = fmt.Sprintf("%.2f (%.0f ms, %s)", r.torchR.ImgPerS, r.torchR.LatencyMS, strings.TrimPrefix(r.torchR.Impl, "pytorch/"))
			}
		} else {
			eval = fmt.Sprintf("%.1f / %.1f", r.goR.EvalImgPerS, r.torchR.EvalImgPerS)
		}
		fmt.Printf("| (%s) %s | %s | %s | %.2fx | %.0f | %.0f | %.2fx | %.0f%% | %s | %s |\n",
			r.c.Name, shortDesc(r.c), goS, ptS, speed, r.goR.PeakRSSMB, r.torchR.PeakRSSMB, rss, 100*r.goR.CPUUtil, eval, verdict)
	}
}

func shortDesc(c config) string {
	s := fmt.Sprintf("%s %d px b%d", c.Backbone, c.Size, c.Batch)
	if c.Infer {
		return s + " inference"
	}
	if c.SAM {
		s += " SAM"
	}
	return s
}

// cpuTime is the user + system CPU time of this process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// vmHWM is this process's peak resident set (Linux), in MB.
func vmHWM() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(v)
			if len(f) > 0 {
				kb, _ := strconv.ParseFloat(f[0], 64)
				return kb / 1024
			}
		}
	}
	return 0
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	n := len(s)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
