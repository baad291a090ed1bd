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
	return predict(ctx, m, loader, scale, ag.NewArena(), progress)
}

// predict is Predict with the arena given: the trainer passes its own,
// whose buffers, idle between steps, hold a training forward's
// activations, so evaluating allocates nothing new.
func predict(ctx context.Context, m Model, loader *data.Loader, scale float32, arena *ag.Arena, progress func(done int)) (scores []float32, targets []int8, n, c int, err error) {
	defer arena.Reset()
	full := -1 // rows of the first batch
	for b, berr := range loader.Epoch(ctx, 0) {
		if berr != nil {
			return nil, nil, 0, 0, berr
		}
		// A shorter batch (the last one) would add buffers of new sizes to
		// the arena for good; it takes its buffers from the Go heap.
		ar := arena
		if full < 0 {
			full = b.N
		} else if b.N != full {
			ar = nil
		}
		ag.NoGrad(func() {
			x := ar.New(b.Images[:b.N*3*b.Size*b.Size], b.N, 3, b.Size, b.Size)
			out := m.Forward(nn.Eval, x)
			if len(out.Shape) != 2 || out.Shape[0] != b.N || out.Shape[1] != b.Classes {
				err = fmt.Errorf("predict: model output %v for a batch of %d images and %d classes", out.Shape, b.N, b.Classes)
				return
			}
			off := len(scores)
			scores = append(scores, make([]float32, out.Numel())...)
			metrics.Sigmoid(scores[off:], out.Data, scale)
		})
		if err != nil {
			return nil, nil, 0, 0, err
		}
		for _, t := range b.Targets[:b.N*b.Classes] {
			targets = append(targets, int8(t))
		}
		n += b.N
		c = b.Classes
		b.Release()
		if ar != nil {
			ar.Reset()
		}
		if progress != nil {
			progress(n)
		}
	}
	return scores, targets, n, c, nil
}

// Evaluate predicts over loader and computes the metrics (mAP and the
// threshold family) with the given per-class thresholds (nil: 0.5).
func Evaluate(ctx context.Context, m Model, loader *data.Loader, scale float32, thresholds []float64) (metrics.Result, *metrics.Set, error) {
	return evaluate(ctx, m, loader, scale, thresholds, ag.NewArena())
}

func evaluate(ctx context.Context, m Model, loader *data.Loader, scale float32, thresholds []float64, arena *ag.Arena) (metrics.Result, *metrics.Set, error) {
	scores, targets, n, c, err := predict(ctx, m, loader, scale, arena, nil)
	if err != nil {
		return metrics.Result{}, nil, err
	}
	set, err := metrics.New(n, c, scores, targets)
	if err != nil {
		return metrics.Result{}, nil, err
	}
	r, err := metrics.Evaluate(set, metrics.Options{Thresholds: thresholds})
	return r, set, err
}
