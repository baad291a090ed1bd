package train

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/data"
	"github.com/seed477ab429/multilabel/losses"
	"github.com/seed477ab429/multilabel/nn"
)

// recordingLoss wraps a loss and keeps every value it computes.
type recordingLoss struct {
	inner  losses.Loss
	values []float32
}

func (r *recordingLoss) Scale() float32 { return r.inner.Scale() }

func (r *recordingLoss) Loss(out *ag.Tensor, targets []float32) *ag.Tensor {
	l := r.inner.Loss(out, targets)
	r.values = append(r.values, l.Item())
	return l
}

// newTestSearch is the trainer tests' tiny net and synthetic VOC set
// (6 training batches of 8 per epoch, 16 validation images).
func newTestSearch(t *testing.T) (*LRSearch, *recordingLoss) {
	t.Helper()
	tr, va := tinyVOC(t)
	tl, err := data.NewLoader(tr, data.LoaderConfig{Size: 32, BatchSize: 8, Shuffle: true, DropLast: true, Seed: 3, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	vl, err := data.NewLoader(va, data.LoaderConfig{Size: 32, BatchSize: 8, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	loss := &recordingLoss{inner: losses.NewAM(10)}
	cfg := DefaultConfig()
	s := NewLRSearch(&Trainer{Model: newTinyNet(7, len(tr.Classes)), Loss: loss, Train: tl, Val: vl, Config: cfg})
	return s, loss
}

// stateBits is the exact bit pattern of every tensor of m.
func stateBits(m nn.Module) [][]uint32 {
	var out [][]uint32
	for _, nt := range nn.Tensors(m) {
		b := make([]uint32, len(nt.Tensor.Data))
		for i, v := range nt.Tensor.Data {
			b[i] = math.Float32bits(v)
		}
		out = append(out, b)
	}
	return out
}

func sameBits(a, b [][]uint32) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if len(a[k]) != len(b[k]) {
			return false
		}
		for i := range a[k] {
			if a[k][i] != b[k][i] {
				return false
			}
		}
	}
	return true
}

// The smoothing against a hand computation: s0 = l0, s_i = f·l_i + (1−f)·s_{i−1}.
func TestSmoothLosses(t *testing.T) {
	got := SmoothLosses([]float64{2, 1, 4, 0}, 0.5)
	want := []float64{2, 1.5, 2.75, 1.375}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("f 0.5: smoothed %v, want %v", got, want)
		}
	}
	got = SmoothLosses([]float64{1, 2, 3}, 0.05)
	want = []float64{1, 0.05*2 + 0.95*1, 0.05*3 + 0.95*(0.05*2+0.95*1)} // 1, 1.05, 1.1475
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-15 {
			t.Fatalf("f 0.05: smoothed %v, want %v", got, want)
		}
	}
	if got := SmoothLosses([]float64{3, 7, 1}, 0); got[1] != 3 || got[2] != 3 {
		t.Fatalf("f 0 keeps the first value, got %v", got)
	}
}

// Divergence is declared at the first smoothed loss above 5× the best so
// far, not before.
func TestSmootherDiverges(t *testing.T) {
	// f 0.5: smoothed 1, 0.75, 0.625, 4.3125 (> 5·0.625 = 3.125).
	s := smoother{f: 0.5, diverge: 5}
	for i, l := range []float64{1, 0.5, 0.5, 8} {
		sm, div := s.add(l)
		if div != (i == 3) {
			t.Fatalf("step %d (smoothed %v, best %v): diverged %v", i, sm, s.best, div)
		}
	}
	if s.best != 0.625 {
		t.Fatalf("best %v, want 0.625", s.best)
	}
}

// Steepest descent is numpy.gradient's argmin within the skipped range.
func TestSteepestDescent(t *testing.T) {
	l := []float64{5, 5, 4, 2, 1.5, 1.4, 3}
	// gradient: 0, -0.5, -1.5, -1.25, -0.3, 0.75, 1.6
	if i := SteepestDescent(l, 0, 0); i != 2 {
		t.Fatalf("no skips: index %d, want 2", i)
	}
	// l[3:6] = 2, 1.5, 1.4: gradient -0.5, -0.3, -0.1
	if i := SteepestDescent(l, 3, 1); i != 3 {
		t.Fatalf("skips 3, 1: index %d, want 3", i)
	}
	// One-sided difference at the right end: 1, 1, 0 → -0? gradient 0, -0.5, -1.
	if i := SteepestDescent([]float64{1, 1, 0}, 0, 0); i != 2 {
		t.Fatalf("right end: index %d, want 2", i)
	}
	if i := SteepestDescent(l, 5, 5); i != 2 {
		t.Fatalf("skips larger than the curve fall back to all points: index %d, want 2", i)
	}
	if i := SteepestDescent([]float64{1}, 0, 0); i != -1 {
		t.Fatalf("one point: index %d, want -1", i)
	}
}

// The range test sweeps exponentially, suggests a finite lr inside the
// range, plots, and leaves the model bit-identical.
func TestRangeTest(t *testing.T) {
	s, _ := newTestSearch(t)
	var out bytes.Buffer
	s.Out = &out
	before := stateBits(s.Model)
	rt := RangeTest{MinLR: 1e-4, MaxLR: 1, Steps: 15, Smooth: 0.05, Diverge: 5, SkipStart: 2, SkipEnd: 2}
	r, err := s.RangeTest(context.Background(), rt)
	if err != nil {
		t.Fatal(err)
	}
	if !sameBits(before, stateBits(s.Model)) {
		t.Fatal("model tensors changed by the range test")
	}
	if r.Diverged || len(r.LRs) != 15 || len(r.Losses) != 15 || len(r.Smoothed) != 15 {
		t.Fatalf("diverged %v, %d lrs, %d losses, %d smoothed; want 15 steps", r.Diverged, len(r.LRs), len(r.Losses), len(r.Smoothed))
	}
	if r.LRs[0] != 1e-4 || math.Abs(r.LRs[14]-1) > 1e-12 {
		t.Fatalf("sweep from %v to %v, want 1e-4 to 1", r.LRs[0], r.LRs[14])
	}
	for i := 1; i < len(r.LRs); i++ {
		if ratio := r.LRs[i] / r.LRs[i-1]; math.Abs(ratio-math.Pow(1e4, 1.0/14)) > 1e-9 {
			t.Fatalf("step %d: lr ratio %v, want %v", i, ratio, math.Pow(1e4, 1.0/14))
		}
	}
	want := SmoothLosses(r.Losses, 0.05)
	for i := range want {
		if r.Smoothed[i] != want[i] {
			t.Fatalf("smoothed[%d] = %v, want %v", i, r.Smoothed[i], want[i])
		}
	}
	if !(r.Suggestion >= 1e-4 && r.Suggestion <= 1) || r.Suggestion != r.LRs[r.SuggestIndex] {
		t.Fatalf("suggestion %v (index %d) outside [1e-4, 1]", r.Suggestion, r.SuggestIndex)
	}
	if r.SuggestIndex != SteepestDescent(r.Smoothed, 2, 2) {
		t.Fatalf("suggestion index %d is not the steepest descent", r.SuggestIndex)
	}
	if !strings.Contains(out.String(), "suggested lr") || !strings.Contains(out.String(), "steps") {
		t.Fatalf("progress output: %q", out.String())
	}
	png := filepath.Join(t.TempDir(), "lr.png")
	if err := r.Plot(png); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(png); err != nil || fi.Size() < 1000 {
		t.Fatalf("plot: %v, %v", fi, err)
	}
	// The second run from the restored model records the same curve.
	r2, err := s.RangeTest(context.Background(), rt)
	if err != nil {
		t.Fatal(err)
	}
	for i := range r.Losses {
		if r2.Losses[i] != r.Losses[i] {
			t.Fatalf("second sweep differs at step %d: %v, %v", i, r2.Losses[i], r.Losses[i])
		}
	}
}

// A sweep into absurd learning rates stops early, and still restores.
func TestRangeTestDiverges(t *testing.T) {
	s, _ := newTestSearch(t)
	before := stateBits(s.Model)
	r, err := s.RangeTest(context.Background(), RangeTest{MinLR: 1e-3, MaxLR: 1e8, Steps: 30, Smooth: 0.05, Diverge: 5, SkipStart: 2, SkipEnd: 2})
	if err != nil && !errors.Is(err, ErrNoSuggestion) {
		t.Fatal(err)
	}
	if !r.Diverged || len(r.LRs) >= 30 {
		t.Fatalf("diverged %v after %d of 30 steps; losses %v", r.Diverged, len(r.LRs), r.Losses)
	}
	if !sameBits(before, stateBits(s.Model)) {
		t.Fatal("model tensors changed by a diverged range test")
	}
}

// The grid search picks the candidate with the best last-epoch mAP (a
// scripted evaluation, where another candidate has the best mAP at an
// earlier epoch), every trial starts from the same weights, and the model
// comes back bit-identical.
func TestGridSearchScripted(t *testing.T) {
	s, loss := newTestSearch(t)
	var out bytes.Buffer
	s.Out = &out
	before := stateBits(s.Model)
	// Trial k, epoch e gets script[k][e].
	script := [][]float64{{0.30, 0.40}, {0.90, 0.45}, {0.20, 0.60}, {0.10, 0.50}}
	calls := 0
	changed := 0
	s.Evaluate = func(_ context.Context, m Model) (float64, error) {
		if !sameBits(before, stateBits(m)) {
			changed++
		}
		v := script[calls/2][calls%2]
		calls++
		return v, nil
	}
	cands := []float64{1e-3, 3e-3, 1e-2, 3e-2}
	r, err := s.GridSearch(context.Background(), GridSearch{Candidates: cands, Epochs: 2})
	if err != nil {
		t.Fatal(err)
	}
	if calls != 8 || changed != 8 {
		t.Fatalf("%d evaluations (%d on trained weights), want 8", calls, changed)
	}
	if r.BestIndex != 2 || r.Best != 1e-2 || r.BestMAP != 0.60 {
		t.Fatalf("best trial %d (lr %v, %v), want 2 (1e-2, 0.60)", r.BestIndex, r.Best, r.BestMAP)
	}
	for k, tr := range r.Trials {
		if tr.LR != cands[k] || len(tr.MAP) != 2 || tr.Final != script[k][1] || len(tr.TrainLoss) != 2 {
			t.Fatalf("trial %d: %+v", k, tr)
		}
	}
	// 6 steps per epoch, 12 per trial: the first loss of every trial is
	// computed on the same weights, batch and dropout draw.
	if len(loss.values) != 4*12 {
		t.Fatalf("%d loss evaluations, want 48", len(loss.values))
	}
	for k := 1; k < 4; k++ {
		if loss.values[12*k] != loss.values[0] {
			t.Fatalf("trial %d starts at loss %v, trial 1 at %v", k+1, loss.values[12*k], loss.values[0])
		}
		if loss.values[12*k+1] == loss.values[1] {
			t.Fatalf("trial %d's second step equals trial 1's: the lr made no difference", k+1)
		}
	}
	if !sameBits(before, stateBits(s.Model)) {
		t.Fatal("model tensors changed by the grid search")
	}
	if !strings.Contains(out.String(), "lr search 4/4") || !strings.Contains(out.String(), "ETA") {
		t.Fatalf("progress output: %q", out.String())
	}
	if err := r.Plot(filepath.Join(t.TempDir(), "grid.png")); err != nil {
		t.Fatal(err)
	}
}

// With the real evaluation (mAP on the validation loader) the best is the
// argmax of the finals; an evaluation error mid-search still restores.
func TestGridSearchEvaluates(t *testing.T) {
	s, _ := newTestSearch(t)
	before := stateBits(s.Model)
	r, err := s.GridSearch(context.Background(), GridSearch{Candidates: []float64{1e-3, 5e-2}, Epochs: 1})
	if err != nil {
		t.Fatal(err)
	}
	best := 0
	for k, tr := range r.Trials {
		if !(tr.Final >= 0 && tr.Final <= 1) {
			t.Fatalf("trial %d: mAP %v", k, tr.Final)
		}
		if tr.Final > r.Trials[best].Final {
			best = k
		}
	}
	if r.BestIndex != best || r.BestMAP != r.Trials[best].Final {
		t.Fatalf("best %d (%v), finals %v and %v", r.BestIndex, r.BestMAP, r.Trials[0].Final, r.Trials[1].Final)
	}
	if !sameBits(before, stateBits(s.Model)) {
		t.Fatal("model tensors changed by the grid search")
	}

	boom := errors.New("scripted failure")
	n := 0
	s.Evaluate = func(context.Context, Model) (float64, error) {
		if n++; n == 2 {
			return 0, boom
		}
		return 0.5, nil
	}
	if _, err := s.GridSearch(context.Background(), GridSearch{Candidates: []float64{1e-2, 2e-2}, Epochs: 1}); !errors.Is(err, boom) {
		t.Fatalf("got %v, want the evaluation error", err)
	}
	if !sameBits(before, stateBits(s.Model)) {
		t.Fatal("model tensors not restored after a failed search")
	}
}

func TestLRGrids(t *testing.T) {
	g := LogGrid(1e-5, 1e-3, 3)
	if g[0] != 1e-5 || math.Abs(g[1]-1e-4) > 1e-18 || math.Abs(g[2]-1e-3) > 1e-17 {
		t.Fatalf("LogGrid %v", g)
	}
	if l := LinearGrid(1, 2, 0.25); len(l) != 4 || l[3] != 1.75 {
		t.Fatalf("LinearGrid %v", l)
	}
}

// A snapshot restores in place, and refuses a model of another layout.
func TestSnapshot(t *testing.T) {
	m := newTinyNet(1, 3)
	before := stateBits(m)
	s := TakeSnapshot(m)
	for _, nt := range nn.Tensors(m) {
		nt.Tensor.Data[0] += 1
	}
	if sameBits(before, stateBits(m)) {
		t.Fatal("test did not change the model")
	}
	if err := s.Restore(m); err != nil {
		t.Fatal(err)
	}
	if !sameBits(before, stateBits(m)) {
		t.Fatal("restore is not bit-identical")
	}
	if err := s.Restore(newTinyNet(1, 4)); err == nil || !strings.Contains(err.Error(), "fc.weight") {
		t.Fatalf("restoring into another layout: %v", err)
	}
}
