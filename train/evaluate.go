package train

import (
	"context"
	"fmt"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/data"
	"github.com/seed477ab429/multilabel/metrics"
	"github.com/seed477ab429/multilabel/nn"
)

// Model is what the trainer trains: a module whose forward maps images
// [B, 3, S, S] to outputs [B, N] (logits, or cosines for the metric-
// learning heads).
type Model interface {
	nn.Module
	Forward(c *nn.Ctx, x *ag.Tensor) *ag.Tensor
}

// Predict runs m in eval mode without gradients over every batch of
// loader and returns the scores σ(scale·output) [N, C] and the targets
// (1, 0, -1), row-major, in the loader's order. progress, if not nil, is
// called after each batch.
func Predict(ctx context.Context, m Model, loader *data.Loader, scale float32, progress func(done int)) (scores []float32, targets []int8, n, c int, err error) {
	p, err := predict(ctx, m, loader, scale, ag.NewArena(), nil, progress)
	return p.scores, p.targets, p.n, p.c, err
}

// predicted is what predict returns: the scores of the model (and of its
// swapped-in state, if predict was given a swap) and the targets.
type predicted struct {
	scores, alt []float32
	targets     []int8
	n, c        int
}

// predict is Predict with the arena given: the trainer passes its own,
// whose buffers, idle between steps, hold a training forward's
// activations, so evaluating allocates nothing new. A batch shorter than
// the first (the last one) takes its buffers from the same arena, cut to
// length (Arena reuses larger idle buffers).
//
// With swap (not nil), each batch is also scored by the model's other
// state: swap exchanges the two (the trainer's EMA.Swap), is called twice
// per batch, and leaves m as it found it. Both models score the same
// decoded batch, so the images are read and resized once for both.
func predict(ctx context.Context, m Model, loader *data.Loader, scale float32, arena *ag.Arena, swap func(), progress func(done int)) (p predicted, err error) {
	reset := func() {
		if arena != nil {
			arena.Reset()
		}
	}
	defer reset()
	score := func(b *data.Batch, dst *[]float32) {
		ag.NoGrad(func() {
			x := arena.New(b.Images[:b.N*3*b.Size*b.Size], b.N, 3, b.Size, b.Size)
			out := m.Forward(nn.Eval, x)
			if len(out.Shape) != 2 || out.Shape[0] != b.N || out.Shape[1] != b.Classes {
				err = fmt.Errorf("predict: model output %v for a batch of %d images and %d classes", out.Shape, b.N, b.Classes)
				return
			}
			off := len(*dst)
			*dst = append(*dst, make([]float32, out.Numel())...)
			metrics.Sigmoid((*dst)[off:], out.Data, scale)
		})
		reset()
	}
	for b, berr := range loader.Epoch(ctx, 0) {
		if berr != nil {
			return predicted{}, berr
		}
		score(b, &p.scores)
		if err == nil && swap != nil {
			swap()
			score(b, &p.alt)
			swap()
		}
		if err != nil {
			return predicted{}, err
		}
		for _, t := range b.Targets[:b.N*b.Classes] {
			p.targets = append(p.targets, int8(t))
		}
		p.n += b.N
		p.c = b.Classes
		b.Release()
		if progress != nil {
			progress(p.n)
		}
	}
	return p, nil
}

// Evaluate predicts over loader and computes the metrics (mAP and the
// threshold family) with the given per-class thresholds (nil: 0.5).
func Evaluate(ctx context.Context, m Model, loader *data.Loader, scale float32, thresholds []float64) (metrics.Result, *metrics.Set, error) {
	return evaluate(ctx, m, loader, scale, thresholds, ag.NewArena())
}

func evaluate(ctx context.Context, m Model, loader *data.Loader, scale float32, thresholds []float64, arena *ag.Arena) (metrics.Result, *metrics.Set, error) {
	p, err := predict(ctx, m, loader, scale, arena, nil, nil)
	if err != nil {
		return metrics.Result{}, nil, err
	}
	return score(p.scores, p.targets, p.n, p.c, thresholds)
}

// score computes the metrics of scores [n, c] against targets.
func score(scores []float32, targets []int8, n, c int, thresholds []float64) (metrics.Result, *metrics.Set, error) {
	set, err := metrics.New(n, c, scores, targets)
	if err != nil {
		return metrics.Result{}, nil, err
	}
	r, err := metrics.Evaluate(set, metrics.Options{Thresholds: thresholds})
	return r, set, err
}
