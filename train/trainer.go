package train

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/data"
	"github.com/seed477ab429/multilabel/losses"
	"github.com/seed477ab429/multilabel/nn"
)

// EpochStats is one epoch's line of the log.
type EpochStats struct {
	Epoch     int     `json:"epoch"` // 1-based
	TrainLoss float64 `json:"train_loss"`
	MAP       float64 `json:"map"`     // raw model, [0, 1]; -1 without validation
	MAPEMA    float64 `json:"map_ema"` // EMA model; -1 without EMA or validation
	LR        float64 `json:"lr"`      // at the epoch's last step
	Seconds   float64 `json:"seconds"`
	Images    int     `json:"images"`
	Best      bool    `json:"best"`
	UsedEMA   bool    `json:"used_ema"` // the EMA model was the better one
}

// StepStats is reported every Config.LogEvery steps.
type StepStats struct {
	Step  int     `json:"step"`
	Epoch int     `json:"epoch"`
	Loss  float64 `json:"loss"`
	LR    float64 `json:"lr"`
}

// Trainer runs the recipe of Config on Model with Loss over the Train
// loader, evaluating on Val after every epoch. Fields are set by the
// caller; Run does the rest. A Go program drives it like this:
//
//	tr := &train.Trainer{Model: m, Loss: losses.NewAM(17), Train: tl, Val: vl,
//		Classes: ds.Classes, Config: cfg, RunDir: "runs/x", Out: os.Stderr}
//	st, err := tr.Run(ctx) // ctx cancellation saves a checkpoint and returns
type Trainer struct {
	Model   Model
	Loss    losses.Loss
	Train   *data.Loader
	Val     *data.Loader // nil: no evaluation; the last epoch is kept
	Classes []string
	Config  Config

	RunDir string    // checkpoints (last.safetensors, best.safetensors), log.jsonl; "" writes nothing
	Out    io.Writer // progress bars and epoch lines; nil is silent
	TTY    bool      // redraw progress in place

	OnEpoch func(EpochStats) // called after each epoch
	OnStep  func(StepStats)  // called every LogEvery steps
	Phases  *Phases          // if not nil, wall time is added to it by phase

	// NoMemoryLimit leaves the Go runtime's memory limit alone. By
	// default Run keeps the heap near its live set with a soft limit
	// (memlimit.go), unless the program or GOMEMLIMIT set one.
	NoMemoryLimit bool

	opt      Optimizer
	sam      *SAM
	ema      *EMA
	sched    Schedule
	pcg      *rand.PCG
	ctx      *nn.Ctx
	state    State
	ready    bool
	arena    *ag.Arena
	logf     *os.File
	stepLR   float64
	memLimit memLimitState
}

// ErrNoCheckpoint is wrapped by the error Resume returns when the run has
// not written a checkpoint yet (it was killed during its first epoch).
var ErrNoCheckpoint = errors.New("no checkpoint yet")

// ErrNonFinite is wrapped by the error Run returns when the loss becomes
// NaN or infinite.
var ErrNonFinite = errors.New("loss is not finite")

func (t *Trainer) setup() error {
	if t.ready {
		return nil
	}
	c := &t.Config
	if c.LogEvery == 0 {
		c.LogEvery = 10
	}
	if c.PctStart == 0 {
		c.PctStart = 0.2
	}
	if err := c.Validate(); err != nil {
		return err
	}
	if t.Model == nil || t.Loss == nil || t.Train == nil {
		return errors.New("train: Trainer needs Model, Loss and Train")
	}
	if t.Train.Len() == 0 {
		return errors.New("train: the training loader has no batches (fewer images than one batch with drop-last?)")
	}
	params := nn.Parameters(t.Model)
	var groups []Group
	if c.NoBiasDecay {
		groups = NoBiasDecayGroups(params, c.WeightDecay)
	} else {
		groups = SingleGroup(params, c.WeightDecay)
	}
	switch c.Optimizer {
	case "sgd":
		t.opt = NewSGD(groups, c.Nesterov)
	case "adamw":
		t.opt = NewAdamW(groups)
	}
	if c.SAM {
		t.sam = NewSAM(t.opt, c.SAMRho, c.SAMAdaptive)
	}
	total := c.Epochs * t.Train.Len()
	switch c.Schedule {
	case "onecycle":
		oc := NewOneCycle(c.LR, total)
		oc.PctStart = c.PctStart
		t.sched = oc
	case "cosine":
		t.sched = Cosine{LR: c.LR, MinFactor: 1e-3, Momentum: c.Momentum, TotalSteps: total}
	case "constant":
		t.sched = Constant{LR: c.LR, Momentum: c.Momentum}
	}
	if c.EMADecay > 0 {
		t.ema = NewEMA(t.Model, c.EMADecay, c.EMAWarmup)
	}
	t.pcg = rand.NewPCG(c.Seed, 0x7472616e)
	t.ctx = &nn.Ctx{Training: true, RNG: rand.New(t.pcg)}
	t.arena = ag.NewArena()
	t.arena.ReleaseInBackward = true // the step reads no activation after Backward
	t.arena.Recompute = !c.KeepActivations
	t.state = State{Classes: t.Classes, Config: *c}
	t.ready = true
	return nil
}

// Resume loads a checkpoint written by an earlier Run (last.safetensors)
// so that Run continues it: at a fixed thread count the continued run
// computes exactly the losses the uninterrupted run would have.
func (t *Trainer) Resume(path string) error {
	if err := t.setup(); err != nil {
		return err
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %s does not exist; the run stopped before its first checkpoint (one is written at the end of every epoch, and when a run is interrupted with Ctrl-C or SIGTERM), so there is nothing to resume: start the run again", ErrNoCheckpoint, path)
	}
	st, err := LoadCheckpoint(path, t.Model, t.ema, t.opt)
	if err != nil {
		return err
	}
	if err := t.pcg.UnmarshalBinary(st.RNG); err != nil {
		return fmt.Errorf("checkpoint %s: rng state: %w", path, err)
	}
	if st.Config.Epochs != t.Config.Epochs || st.Config.LR != t.Config.LR {
		return fmt.Errorf("checkpoint %s: saved for %d epochs at lr %v, this run is %d epochs at lr %v; resume with the same recipe",
			path, st.Config.Epochs, st.Config.LR, t.Config.Epochs, t.Config.LR)
	}
	if st.Epoch > t.Config.Epochs {
		return fmt.Errorf("checkpoint %s: %d epochs completed of a %d-epoch run", path, st.Epoch, t.Config.Epochs)
	}
	if n := t.Train.Len(); st.StepInEpoch > n {
		return fmt.Errorf("checkpoint %s: saved %d batches into epoch %d, an epoch of this run has %d batches; resume with the same data and batch size",
			path, st.StepInEpoch, st.Epoch+1, n)
	}
	t.state = *st
	return nil
}

// ArenaBytes reports the trainer's activation arena: the most bytes in
// use at once (a step's working set) and the bytes it holds in all.
func (t *Trainer) ArenaBytes() (peak, total int64) {
	if t.arena == nil {
		return 0, 0
	}
	_, tot := t.arena.Stats()
	return 4 * int64(t.arena.Peak()), 4 * int64(tot)
}

// State returns the training state so far.
func (t *Trainer) State() State { return t.state }

// warmupDone tells early stopping whether OneCycle's phase 1 is over (for
// other schedules there is no warm-up).
func (t *Trainer) warmupDone() bool {
	if oc, ok := t.sched.(*OneCycle); ok {
		return oc.WarmupDone(t.state.Step)
	}
	return true
}

// Run trains until the last epoch or early stopping. Cancelling ctx
// finishes the current step, writes a checkpoint (RunDir/last.safetensors)
// and returns ctx's error; Resume continues from there. A non-finite loss
// stops with an error naming the step; the last checkpoint is left as it
// was. After Run the model holds the best weights (raw or EMA).
func (t *Trainer) Run(ctx context.Context) (*State, error) {
	if err := t.setup(); err != nil {
		return nil, err
	}
	if t.RunDir != "" {
		if err := os.MkdirAll(t.RunDir, 0o755); err != nil {
			return nil, err
		}
		f, err := os.OpenFile(filepath.Join(t.RunDir, "log.jsonl"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			return nil, err
		}
		t.logf = f
		defer f.Close()
	}
	st := &t.state
	if t.NoMemoryLimit {
		t.memLimit.off = true
	}
	defer t.restoreMemoryLimit()
	stopped := false
	for epoch := st.Epoch; epoch < t.Config.Epochs && !stopped; epoch++ {
		start := time.Now()
		loss, images, err := t.trainEpoch(ctx, epoch)
		if err != nil {
			return st, err
		}
		es := EpochStats{Epoch: epoch + 1, TrainLoss: loss, MAP: -1, MAPEMA: -1, LR: t.stepLR, Images: images}
		metric, err := t.evalEpoch(ctx, &es)
		if err != nil {
			return st, err
		}
		es.Seconds = time.Since(start).Seconds()
		var stop bool
		if t.Val != nil {
			early := EarlyStopping{Patience: t.Config.Patience, Smooth: st.Early.Smooth, Wait: st.Early.Wait, Best: st.Early.Best}
			es.Best, stop = early.Observe(metric, t.warmupDone())
			st.Early = Early{early.Smooth, early.Wait, early.Best}
			stopped = stop && t.Config.Patience > 0
		} else {
			es.Best = true
		}
		st.Epoch, st.StepInEpoch = epoch+1, 0
		st.History = append(st.History, es)
		if es.Best {
			st.Best, st.BestEpoch = metric, epoch+1
			if err := t.saveBest(es.UsedEMA); err != nil {
				return st, err
			}
		}
		if err := t.saveLast(); err != nil {
			return st, err
		}
		t.log(map[string]any{"type": "epoch", "stats": es})
		t.fitMemoryLimit() // the evaluation and checkpoints may have added to the live set
		t.printEpoch(es)
		if t.OnEpoch != nil {
			t.OnEpoch(es)
		}
	}
	// Leave the best weights in the model.
	if t.RunDir != "" && st.BestEpoch > 0 {
		sd, err := nn.LoadWeights(filepath.Join(t.RunDir, "best.safetensors"))
		if err != nil {
			return st, err
		}
		if err := nn.LoadInto(nn.StateMap(t.Model), sd, true); err != nil {
			return st, err
		}
	}
	return st, nil
}

// evalEpoch evaluates the raw model, and the EMA model if there is one,
// on Val, filling es; metric is the better mAP (0 without Val). Both
// models score each validation batch in turn, so the images are decoded
// once for the two.
func (t *Trainer) evalEpoch(ctx context.Context, es *EpochStats) (metric float64, err error) {
	if t.Val == nil {
		return 0, nil
	}
	t0 := t.now()
	defer t.lap(phaseEval, &t0)
	var swap func()
	if t.ema != nil {
		swap = func() { t.ema.Swap(t.Model) }
	}
	p, err := predict(ctx, t.Model, t.Val, t.Loss.Scale(), t.arena, swap, nil)
	if err != nil {
		return 0, fmt.Errorf("evaluation: %w", err)
	}
	r, _, err := score(p.scores, p.targets, p.n, p.c, nil)
	if err != nil {
		return 0, fmt.Errorf("evaluation: %w", err)
	}
	es.MAP, metric = r.MAP, r.MAP
	if t.ema != nil {
		r, _, err := score(p.alt, p.targets, p.n, p.c, nil)
		if err != nil {
			return 0, fmt.Errorf("evaluation (EMA): %w", err)
		}
		es.MAPEMA = r.MAP
		if es.MAPEMA > es.MAP {
			metric, es.UsedEMA = es.MAPEMA, true
		}
	}
	return metric, nil
}

// trainEpoch runs one epoch's steps, resuming after StepInEpoch batches.
func (t *Trainer) trainEpoch(ctx context.Context, epoch int) (meanLoss float64, images int, err error) {
	st := &t.state
	skip := st.StepInEpoch
	n := t.Train.Len()
	bar := NewProgress(t.Out, t.TTY, fmt.Sprintf("epoch %d/%d", epoch+1, t.Config.Epochs), n, "batches")
	defer bar.Done()
	var sum float64
	var count int
	// The loader gets its own context: a cancelled ctx must let the current
	// step finish and be saved, not cut the batch stream mid-way.
	lctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	i := 0
	t0 := t.now() // the wait for the next batch starts
	for b, berr := range t.Train.Epoch(lctx, epoch) {
		if berr != nil {
			return 0, images, fmt.Errorf("epoch %d: %w", epoch+1, berr)
		}
		if i < skip {
			i++
			b.Release()
			continue
		}
		l, err := t.step(b, &t0)
		images += b.N
		size := b.Size
		b.Release() // the batch is the loader's again: not read past here
		if err != nil {
			return 0, images, fmt.Errorf("epoch %d, batch %d (step %d): %w", epoch+1, i+1, st.Step, err)
		}
		if !t.memLimit.off && (!t.memLimit.set || size != t.memLimit.size) {
			// After the run's first step, the arena holds a whole step's
			// buffers; after the first step at a new image size
			// (progressive resizing), a whole step's buffers of that size.
			// Without the refit the larger step's live set would sit above
			// the limit, and the collector would run nearly non-stop.
			t.fitMemoryLimit()
			t.memLimit.size = size
		}
		i++
		st.StepInEpoch = i
		sum += l
		count++
		bar.Update(i, images, fmt.Sprintf("loss %.4f", sum/float64(count)))
		if st.Step%t.Config.LogEvery == 0 {
			ss := StepStats{Step: st.Step, Epoch: epoch + 1, Loss: l, LR: t.stepLR}
			t.log(map[string]any{"type": "step", "stats": ss})
			if t.OnStep != nil {
				t.OnStep(ss)
			}
		}
		if ctx.Err() != nil {
			bar.Done()
			if err := t.saveLast(); err != nil {
				return 0, images, err
			}
			return 0, images, fmt.Errorf("interrupted at epoch %d, batch %d; checkpoint saved (resume to continue): %w", epoch+1, i, ctx.Err())
		}
		t0 = t.now()
	}
	if count == 0 {
		return 0, images, nil
	}
	return sum / float64(count), images, nil
}

// step trains on one batch and returns its loss. t0 is when the wait for
// the batch began (for Phases).
func (t *Trainer) step(b *data.Batch, t0 *mark) (float64, error) {
	defer t.arena.Reset()
	x := t.arena.New(b.Images[:b.N*3*b.Size*b.Size], b.N, 3, b.Size, b.Size)
	t.lap(phaseData, t0)
	targets := b.Targets[:b.N*b.Classes]
	groups := t.opt.Groups()
	lossAt := func() (*ag.Tensor, float64, error) {
		out := t.Model.Forward(t.ctx, x)
		l := t.Loss.Loss(out, targets)
		v := float64(l.Item())
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, v, fmt.Errorf("%w (%v); the last good checkpoint is kept", ErrNonFinite, v)
		}
		return l, v, nil
	}
	ZeroGrad(groups)
	t.lap(phaseUpdate, t0)
	l, v, err := lossAt()
	if err != nil {
		return v, err
	}
	t.lap(phaseForward, t0)
	l.Backward()
	t.lap(phaseBackward, t0)
	lr, mom := t.sched.At(t.state.Step)
	t.stepLR = lr
	switch {
	case t.sam != nil:
		if !t.sam.FirstStep() {
			t.state.Skipped++
			break
		}
		t.lap(phaseUpdate, t0)
		l2, v2, err := lossAt()
		if err != nil {
			return v2, err
		}
		t.lap(phaseForward, t0)
		l2.Backward()
		t.lap(phaseBackward, t0)
		t.sam.SecondStep(lr, mom)
	case !gradsFinite(flatParams(groups)):
		ZeroGrad(groups)
		t.state.Skipped++
	default:
		t.opt.Step(lr, mom)
	}
	if t.ema != nil {
		t.ema.Update(t.Model)
		t.state.EMAUpdates = t.ema.Updates
	}
	t.lap(phaseUpdate, t0)
	t.state.Step++
	return v, nil
}

func flatParams(groups []Group) []*ag.Tensor {
	var ps []*ag.Tensor
	for _, g := range groups {
		ps = append(ps, g.Params...)
	}
	return ps
}

func (t *Trainer) saveLast() error {
	if t.RunDir == "" {
		return nil
	}
	rng, err := t.pcg.MarshalBinary()
	if err != nil {
		return err
	}
	t.state.RNG = rng
	return SaveCheckpoint(filepath.Join(t.RunDir, "last.safetensors"), t.Model, t.ema, t.opt, &t.state)
}

func (t *Trainer) saveBest(useEMA bool) error {
	if t.RunDir == "" {
		return nil
	}
	if useEMA {
		t.ema.Swap(t.Model)
		defer t.ema.Swap(t.Model)
	}
	classes, _ := json.Marshal(t.Classes)
	meta := map[string]string{
		"classes": string(classes),
		"epoch":   fmt.Sprint(t.state.Epoch),
		"map":     fmt.Sprintf("%.6f", t.state.Best),
		"ema":     fmt.Sprint(useEMA),
		"scale":   fmt.Sprint(t.Loss.Scale()),
	}
	return SaveWeights(filepath.Join(t.RunDir, "best.safetensors"), t.Model, meta)
}

func (t *Trainer) log(v any) {
	if t.logf == nil {
		return
	}
	js, err := json.Marshal(v)
	if err == nil {
		t.logf.Write(append(js, '\n'))
	}
}

func (t *Trainer) printEpoch(es EpochStats) {
	if t.Out == nil {
		return
	}
	line := fmt.Sprintf("epoch %d/%d  loss %.4f", es.Epoch, t.Config.Epochs, es.TrainLoss)
	if es.MAP >= 0 {
		line += fmt.Sprintf("  mAP %.2f", 100*es.MAP)
	}
	if es.MAPEMA >= 0 {
		line += fmt.Sprintf("  mAP(EMA) %.2f", 100*es.MAPEMA)
	}
	line += fmt.Sprintf("  lr %.2e  %.0fs", es.LR, es.Seconds)
	if es.Best {
		line += "  *best"
	}
	fmt.Fprintln(t.Out, line)
}
