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
	arena := ag.NewArena()
	for b, berr := range loader.Epoch(ctx, 0) {
		if berr != nil {
			return nil, nil, 0, 0, berr
		}
		ag.NoGrad(func() {
			x := arena.New(b.Images[:b.N*3*b.Size*b.Size], b.N, 3, b.Size, b.Size)
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
		arena.Reset()
		if progress != nil {
			progress(n)
		}
	}
	return scores, targets, n, c, nil
}

// Evaluate predicts over loader and computes the metrics (mAP and the
// threshold family) with the given per-class thresholds (nil: 0.5).
func Evaluate(ctx context.Context, m Model, loader *data.Loader, scale float32, thresholds []float64) (metrics.Result, *metrics.Set, error) {
	scores, targets, n, c, err := Predict(ctx, m, loader, scale, nil)
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
