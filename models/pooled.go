package models

import (
	"fmt"
	"math"
	"math/rand/v2"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/nn"
)

// Pooled heads: a feature map [B, C, h, w] pooled to [B, C] (average, max
// or both summed), then a linear or a cosine classifier to [B, N].

// Pooling selects the global pooling of a feature map
// (deep-object-reid's model.pooling_type).
type Pooling int

const (
	PoolAvg    Pooling = iota // GAP: mean over h·w ("avg", the config default)
	PoolMax                   // GMP: max over h·w ("max")
	PoolAvgMax                // GAP + GMP summed ("avg+max", the paper's GAT head)
)

func (p Pooling) String() string {
	switch p {
	case PoolAvg:
		return "avg"
	case PoolMax:
		return "max"
	case PoolAvgMax:
		return "avg+max"
	}
	return fmt.Sprintf("Pooling(%d)", int(p))
}

// ParsePooling reads the reference's names "avg", "max" and "avg+max".
func ParsePooling(s string) (Pooling, error) {
	for _, p := range []Pooling{PoolAvg, PoolMax, PoolAvgMax} {
		if p.String() == s {
			return p, nil
		}
	}
	return 0, fmt.Errorf("models: unknown pooling %q (want avg, max or avg+max)", s)
}

// GlobalPool pools x [B, C, h, w] to [B, C]:
//
//	avg:     f = (1/hw) Σ_s x[:, :, s]
//	max:     f = max_s x[:, :, s]
//	avg+max: f = avg + max      (gradients of both branches add)
func GlobalPool(x *ag.Tensor, p Pooling) *ag.Tensor {
	switch p {
	case PoolAvg:
		return ag.GlobalAvgPool2d(x)
	case PoolMax:
		return ag.GlobalMaxPool2d(x)
	case PoolAvgMax:
		return ag.Add(ag.GlobalAvgPool2d(x), ag.GlobalMaxPool2d(x))
	}
	panic(fmt.Sprintf("models.GlobalPool: unknown pooling %d", int(p)))
}

// AngleSimpleLinear is deep-object-reid's cosine classifier
// (torchreid/losses/am_softmax.py): proxies W [D, N] (one column per class,
// state-dict name "weight"), and
//
//	c[b, j] = clamp( ⟨x_b/‖x_b‖, w_j/‖w_j‖⟩, −1, 1 )       x [B, D] → c [B, N]
//
// The proxies start N(0, 1), renormalised to unit columns (the reference's
// normal_().renorm_(2, 1, 1e-5).mul_(1e5)). Both normalisations are
// L2Normalize ops with eps 1e-12 (F.normalize), so the gradient flows
// through the norms: ∂c/∂x is tangent to the unit sphere. The clamp only
// guards against rounding above 1; its gradient is 0 outside [−1, 1].
type AngleSimpleLinear struct {
	Weight *ag.Tensor // [in, out]
}

// NewAngleSimpleLinear makes a cosine classifier from in features to out
// classes.
func NewAngleSimpleLinear(rng *rand.Rand, in, out int) *AngleSimpleLinear {
	w := ag.Zeros(in, out)
	nn.Normal(w, rng, 0, 1)
	for j := 0; j < out; j++ {
		var s float64
		for i := 0; i < in; i++ {
			v := float64(w.Data[i*out+j])
			s += v * v
		}
		inv := float32(1 / math.Max(math.Sqrt(s), 1e-12))
		for i := 0; i < in; i++ {
			w.Data[i*out+j] *= inv
		}
	}
	return &AngleSimpleLinear{Weight: w.AsParam()}
}

// Forward returns the cosines [B, out] of x [B, in] to the proxies.
func (a *AngleSimpleLinear) Forward(_ *nn.Ctx, x *ag.Tensor) *ag.Tensor {
	if x.Dims() != 2 || x.Shape[1] != a.Weight.Shape[0] {
		panic(fmt.Sprintf("models.AngleSimpleLinear: input %v, weight %v (need [B, in], [in, out])", x.Shape, a.Weight.Shape))
	}
	xn := ag.L2Normalize(x, 1, 1e-12)
	wn := ag.L2Normalize(a.Weight, 0, 1e-12)
	return ag.Clamp(ag.MatMul(xn, wn), -1, 1)
}

// Visit names the proxies "weight".
func (a *AngleSimpleLinear) Visit(prefix string, fn func(string, *ag.Tensor, nn.Kind)) {
	fn(nn.Join(prefix, "weight"), a.Weight, nn.Param)
}

// newClassifier makes the last layer of a pooled or graph head: the cosine
// classifier for the metric-learning losses (AM, AAM), nn.Linear (PyTorch
// default init) for BCE and ASL.
func newClassifier(rng *rand.Rand, in, out int, cosine bool) nn.Layer {
	if cosine {
		return NewAngleSimpleLinear(rng, in, out)
	}
	return nn.NewLinear(rng, in, out, true)
}

// PooledHead is the plain head: GlobalPool then a classifier,
//
//	logits = W·pool(F) + b           (linear, for BCE / ASL)
//	cos    = ⟨pool(F)/‖·‖, w_j/‖w_j‖⟩  (cosine, for AM / AAM)
//
// It visits its classifier's tensors directly under the prefix it is given
// ("weight", "bias"), so a model places it where its reference keeps the
// classifier (torchvision "classifier.1", deep-object-reid "head").
type PooledHead struct {
	Pooling    Pooling
	Classifier nn.Layer // *nn.Linear or *AngleSimpleLinear
}

// NewPooledHead makes a pooled head for channels input channels and
// classes outputs.
func NewPooledHead(rng *rand.Rand, channels, classes int, pool Pooling, cosine bool) *PooledHead {
	return &PooledHead{Pooling: pool, Classifier: newClassifier(rng, channels, classes, cosine)}
}

// Forward maps features [B, C, h, w] to [B, classes] logits or cosines.
func (h *PooledHead) Forward(c *nn.Ctx, features *ag.Tensor) *ag.Tensor {
	return h.Classifier.Forward(c, GlobalPool(features, h.Pooling))
}

// Visit visits the classifier.
func (h *PooledHead) Visit(prefix string, fn func(string, *ag.Tensor, nn.Kind)) {
	h.Classifier.Visit(prefix, fn)
}

// NumParams returns the trainable parameter count and the count of saved,
// untrained values (buffers and frozen parameters).
func (h *PooledHead) NumParams() (trainable, frozen int) { return countParams(h) }

// countParams splits a module's values into trainable parameters (Kind
// Param that require a gradient) and the rest (buffers, frozen tensors).
func countParams(m nn.Module) (trainable, frozen int) {
	for _, nt := range nn.Tensors(m) {
		if nt.Kind == nn.Param && nt.Tensor.RequiresGrad() {
			trainable += nt.Tensor.Numel()
		} else {
			frozen += nt.Tensor.Numel()
		}
	}
	return trainable, frozen
}
