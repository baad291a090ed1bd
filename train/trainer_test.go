package train

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"testing"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/data"
	"github.com/seed477ab429/multilabel/losses"
	"github.com/seed477ab429/multilabel/nn"
	"github.com/seed477ab429/multilabel/synth"
)

// tinyNet: conv(3→8, s2) → BN → SiLU → conv(8→8, s2) → BN → SiLU → GAP
// → dropout → linear(8→C). Small enough to train in a test.
type tinyNet struct {
	body nn.Sequential
	fc   *nn.Linear
}

func newTinyNet(seed uint64, classes int) *tinyNet {
	rng := rand.New(rand.NewPCG(seed, 1))
	return &tinyNet{
		body: nn.Sequential{
			nn.NewConv2d(rng, nn.ConvSpec{In: 3, Out: 8, Kernel: 3, Stride: 2, Padding: 1}), nn.NewBatchNorm2d(8, 1e-5, 0.1), nn.Func(ag.SiLU),
			nn.NewConv2d(rng, nn.ConvSpec{In: 8, Out: 8, Kernel: 3, Stride: 2, Padding: 1}), nn.NewBatchNorm2d(8, 1e-5, 0.1), nn.Func(ag.SiLU),
		},
		fc: nn.NewLinear(rng, 8, classes, true),
	}
}

func (m *tinyNet) Forward(c *nn.Ctx, x *ag.Tensor) *ag.Tensor {
	h := ag.GlobalAvgPool2d(m.body.Forward(c, x))
	return m.fc.Forward(c, nn.Dropout{P: 0.1}.Forward(c, h))
}

func (m *tinyNet) Visit(prefix string, fn func(string, *ag.Tensor, nn.Kind)) {
	m.body.Visit(nn.Join(prefix, "body"), fn)
	m.fc.Visit(nn.Join(prefix, "fc"), fn)
}

var (
	synthOnce sync.Once
	synthDir  string
	synthErr  error
)

// tinyVOC generates (once per test binary) a small synthetic VOC set.
func tinyVOC(t testing.TB) (train, val *data.Dataset) {
	t.Helper()
	synthOnce.Do(func() {
		dir, err := os.MkdirTemp("", "multilabel-train-test-")
		if err != nil {
			synthErr = err
			return
		}
		synthDir, synthErr = synth.Generate(dir, synth.Config{Seed: 1, Size: 32, Train: 48, Val: 16, Test: 8}, nil)
	})
	if synthErr != nil {
		t.Fatal(synthErr)
	}
	opt := data.VOCOptions{Options: data.Options{Classes: synth.Classes()}}
	tr, err := data.LoadVOC(synthDir, "train", opt)
	if err != nil {
		t.Fatal(err)
	}
	va, err := data.LoadVOC(synthDir, "val", opt)
	if err != nil {
		t.Fatal(err)
	}
	return tr, va
}

func newTestTrainer(t testing.TB, dir string, epochs int) *Trainer {
	tr, va := tinyVOC(t)
	tl, err := data.NewLoader(tr, data.LoaderConfig{Size: 32, BatchSize: 8, Shuffle: true, DropLast: true, Seed: 3, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	vl, err := data.NewLoader(va, data.LoaderConfig{Size: 32, BatchSize: 8, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Epochs, cfg.LR, cfg.EMADecay, cfg.EMAWarmup, cfg.LogEvery = epochs, 0.05, 0.99, true, 1
	return &Trainer{
		Model: newTinyNet(7, len(tr.Classes)), Loss: losses.NewAM(10), Train: tl, Val: vl,
		Classes: tr.Classes, Config: cfg, RunDir: dir,
	}
}

// A short run writes the checkpoints and the log, and the loss goes down.
func TestTrainerRun(t *testing.T) {
	dir := t.TempDir()
	tr := newTestTrainer(t, dir, 3)
	var ph Phases
	tr.Phases = &ph
	st, err := tr.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if w := ph.Wall; w.Forward <= 0 || w.Backward <= 0 || w.Update <= 0 || w.Eval <= 0 || w.Data < 0 || ph.CPU.Total() <= 0 {
		t.Fatalf("phases not collected: %v", ph)
	}
	if len(st.History) != 3 || st.Step != 3*6 {
		t.Fatalf("history %d epochs, %d steps", len(st.History), st.Step)
	}
	if h := st.History; !(h[2].TrainLoss < h[0].TrainLoss) {
		t.Fatalf("loss did not decrease: %v then %v", h[0].TrainLoss, h[2].TrainLoss)
	}
	for _, f := range []string{"last.safetensors", "best.safetensors", "log.jsonl"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	if st.BestEpoch == 0 || st.History[0].MAP < 0 || st.History[0].MAPEMA < 0 {
		t.Fatalf("evaluation missing: %+v", st.History[0])
	}
}

// uninterruptedLosses trains the test recipe for 2 epochs and returns
// every step's loss.
func uninterruptedLosses(t *testing.T) []float64 {
	ref := newTestTrainer(t, t.TempDir(), 2)
	var want []float64
	ref.OnStep = func(s StepStats) { want = append(want, s.Loss) }
	if _, err := ref.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	return want
}

// interruptAt starts the same training in dir, cancels it after step
// (mid-epoch) and returns the losses up to there; dir then holds the
// checkpoint written on the way out.
func interruptAt(t testing.TB, dir string, step int) []float64 {
	first := newTestTrainer(t, dir, 2)
	ctx, cancel := context.WithCancel(context.Background())
	var got []float64
	first.OnStep = func(s StepStats) {
		got = append(got, s.Loss)
		if s.Step == step {
			cancel()
		}
	}
	if _, err := first.Run(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run returned %v", err)
	}
	return got
}

// resumeAndCompare continues the training from dir's checkpoint and checks
// that got (the losses before the interruption) plus the resumed losses
// equal want exactly.
func resumeAndCompare(t *testing.T, dir string, got, want []float64) {
	second := newTestTrainer(t, dir, 2)
	if err := second.Resume(filepath.Join(dir, "last.safetensors")); err != nil {
		t.Fatal(err)
	}
	second.OnStep = func(s StepStats) { got = append(got, s.Loss) }
	if _, err := second.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d steps with the resume, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("step %d: loss %v with the resume, %v uninterrupted", i+1, got[i], want[i])
		}
	}
}

// Interrupting mid-epoch and resuming reproduces the uninterrupted run's
// losses exactly (same thread count).
func TestTrainerResumeIsExact(t *testing.T) {
	want := uninterruptedLosses(t)
	dir := t.TempDir()
	got := interruptAt(t, dir, 8) // in the middle of epoch 2
	resumeAndCompare(t, dir, got, want)
}

// A NaN loss stops training with an error naming the step, and the last
// checkpoint stays as it was.
func TestTrainerNonFinite(t *testing.T) {
	dir := t.TempDir()
	tr := newTestTrainer(t, dir, 2)
	tr.OnEpoch = func(EpochStats) {
		m := tr.Model.(*tinyNet)
		m.fc.Bias.Data[0] = float32(math.NaN())
	}
	_, err := tr.Run(context.Background())
	if !errors.Is(err, ErrNonFinite) {
		t.Fatalf("got %v, want a non-finite loss error", err)
	}
	if _, err := LoadCheckpoint(filepath.Join(dir, "last.safetensors"), newTinyNet(1, 20), nil, nil); err != nil {
		t.Fatalf("last good checkpoint unreadable: %v", err)
	}
}

// Resuming a run that was killed before its first checkpoint says so,
// instead of a bare "no such file".
func TestTrainerResumeWithoutCheckpoint(t *testing.T) {
	dir := t.TempDir()
	tr := newTestTrainer(t, dir, 2)
	err := tr.Resume(filepath.Join(dir, "last.safetensors"))
	if !errors.Is(err, ErrNoCheckpoint) {
		t.Fatalf("got %v, want ErrNoCheckpoint", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "first checkpoint") || !strings.Contains(msg, dir) {
		t.Fatalf("message does not explain: %s", msg)
	}
}

// With progressive resizing (a training loader whose SizeAt grows the
// images), the soft memory limit is fitted again after the first step at
// each new size: a limit fitted to the smaller step's buffers would sit
// below the larger step's live set and keep the collector running.
func TestMemoryLimitRefitAtNewSize(t *testing.T) {
	if debug.SetMemoryLimit(-1) != math.MaxInt64 || os.Getenv("GOMEMLIMIT") != "" {
		t.Skip("a memory limit is already set: the trainer leaves it alone")
	}
	tr := newTestTrainer(t, t.TempDir(), 2)
	ds, _ := tinyVOC(t)
	tl, err := data.NewLoader(ds, data.LoaderConfig{Size: 32, BatchSize: 8, Shuffle: true, DropLast: true, Seed: 3, Workers: 2,
		SizeAt: func(e int) int { return []int{24, 32}[e] }})
	if err != nil {
		t.Fatal(err)
	}
	tr.Train = tl
	if _, err := tr.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if tr.memLimit.size != 32 {
		t.Fatalf("memory limit last fitted after a step of %d px, want 32 (the second epoch's size)", tr.memLimit.size)
	}
}
