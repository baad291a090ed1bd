package nn

import (
	"math"
	"math/rand/v2"

	ag "github.com/seed477ab429/multilabel/autograd"
)

// Weight initialisations, as torch.nn.init. fan_in = in_channels/groups ·
// kH · kW (or in_features); fan_out = out_channels · kH · kW / ... as
// PyTorch's _calculate_fan_in_and_fan_out: for a weight of shape
// [O, I, k...], fan_in = I·Πk and fan_out = O·Πk.
//
// A nil rng leaves t as it is (zeros, for a new parameter): a constructor
// given a nil rng builds the network's shapes without drawing a single
// random number, for weights that are loaded from a file next
// (models.Options.NoInit).

// Fans returns PyTorch's fan_in and fan_out for a weight shape.
func Fans(shape []int) (fanIn, fanOut int) {
	if len(shape) < 2 {
		return shape[0], shape[0]
	}
	rf := 1
	for _, d := range shape[2:] {
		rf *= d
	}
	return shape[1] * rf, shape[0] * rf
}

// Uniform fills t with samples from U(lo, hi).
func Uniform(t *ag.Tensor, rng *rand.Rand, lo, hi float64) {
	if rng == nil {
		return
	}
	for i := range t.Data {
		t.Data[i] = float32(lo + (hi-lo)*rng.Float64())
	}
}

// Normal fills t with samples from N(mean, std²).
func Normal(t *ag.Tensor, rng *rand.Rand, mean, std float64) {
	if rng == nil {
		return
	}
	for i := range t.Data {
		t.Data[i] = float32(mean + std*rng.NormFloat64())
	}
}

// TruncNormal fills t with N(mean, std²) samples redrawn until they fall in
// [a, b] (timm's trunc_normal_).
func TruncNormal(t *ag.Tensor, rng *rand.Rand, mean, std, a, b float64) {
	if rng == nil {
		return
	}
	for i := range t.Data {
		for {
			v := mean + std*rng.NormFloat64()
			if v >= a && v <= b {
				t.Data[i] = float32(v)
				break
			}
		}
	}
}

// Fill sets every element of t to v.
func Fill(t *ag.Tensor, v float32) {
	for i := range t.Data {
		t.Data[i] = v
	}
}

// KaimingNormalFanOut is kaiming_normal_(mode="fan_out",
// nonlinearity="relu"): N(0, 2/fan_out). torchvision's EfficientNet and
// ResNet convolutions use it.
func KaimingNormalFanOut(t *ag.Tensor, rng *rand.Rand) {
	_, fanOut := Fans(t.Shape)
	Normal(t, rng, 0, math.Sqrt(2/float64(fanOut)))
}

// KaimingUniformDefault is PyTorch's default Conv/Linear weight init,
// kaiming_uniform_(a=√5): U(−1/√fan_in, 1/√fan_in).
func KaimingUniformDefault(t *ag.Tensor, rng *rand.Rand) {
	fanIn, _ := Fans(t.Shape)
	b := 1 / math.Sqrt(float64(fanIn))
	Uniform(t, rng, -b, b)
}
