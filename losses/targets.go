package losses

import (
	"fmt"

	ag "github.com/seed477ab429/multilabel/autograd"
)

// Targets are multilabel targets, one float per (image, class) in
// row-major [B, N] order: 1 positive, 0 negative, any value < 0 ignored
// (the reference's filter_input drops those elements). Soft values in
// (0, 1) are allowed (label smoothing, mixup).

// prepared holds what every loss needs from the targets: y with ignored
// entries set to 0 and smoothing applied, and the 0/1 validity mask.
type prepared struct {
	y, valid *ag.Tensor
	shape    []int
}

// prepare checks the targets against the logits and applies label
// smoothing ε (positives 1−ε, negatives ε) to the valid entries.
func prepare(op string, logits *ag.Tensor, targets []float32, smoothing float32) prepared {
	if len(logits.Shape) != 2 || len(targets) != logits.Numel() {
		panic(fmt.Sprintf("losses.%s: logits %v and %d targets (need [B, N] and B·N targets)", op, logits.Shape, len(targets)))
	}
	y := make([]float32, len(targets))
	valid := make([]float32, len(targets))
	for i, t := range targets {
		if t < 0 {
			continue
		}
		valid[i] = 1
		y[i] = t*(1-2*smoothing) + smoothing // 1 -> 1-ε, 0 -> ε
	}
	return prepared{ag.New(y, logits.Shape...), ag.New(valid, logits.Shape...), logits.Shape}
}

// const returns a tensor of the targets' shape holding f(y_i, valid_i):
// a constant (no gradient) coefficient of the loss.
func (p prepared) coef(f func(y, valid float32) float32) *ag.Tensor {
	out := make([]float32, len(p.y.Data))
	for i := range out {
		out[i] = f(p.y.Data[i], p.valid.Data[i])
	}
	return ag.New(out, p.shape...)
}

// Reduction says how element losses are combined.
type Reduction int

const (
	// Sum adds the losses of all valid elements: the reference's choice for
	// ASL, AM and AAM (no division by batch size).
	Sum Reduction = iota
	// Mean divides the sum by the number of valid elements (PyTorch's
	// default for BCEWithLogitsLoss).
	Mean
)

func reduce(r Reduction, elems *ag.Tensor, p prepared) *ag.Tensor {
	s := ag.SumAll(elems)
	if r == Mean {
		n := float32(0)
		for _, v := range p.valid.Data {
			n += v
		}
		if n > 0 {
			s = ag.MulScalar(s, 1/n)
		}
	}
	return s
}
