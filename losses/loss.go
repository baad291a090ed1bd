package losses

import (
	"math"

	ag "github.com/seed477ab429/multilabel/autograd"
)

// Loss is a multilabel objective on a model's outputs [B, N].
type Loss interface {
	// Loss returns the scalar loss against targets (row-major [B, N],
	// 1 positive, 0 negative, < 0 ignored).
	Loss(outputs *ag.Tensor, targets []float32) *ag.Tensor
	// Scale is the factor applied to the outputs before the sigmoid when
	// scoring: s for the angular-margin losses (the outputs are cosines),
	// 1 for logit losses.
	Scale() float32
}

// Probabilities turns outputs [B, N] into scores σ(scale·x), the values
// metrics and thresholds are computed on.
func Probabilities(outputs *ag.Tensor, scale float32) []float32 {
	out := make([]float32, outputs.Numel())
	for i, v := range outputs.Data {
		out[i] = float32(1 / (1 + math.Exp(-float64(scale)*float64(v))))
	}
	return out
}
