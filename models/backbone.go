package models

import (
	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/nn"
)

// Backbone is an image model whose stride-32 feature map feeds a
// multilabel head. Its tensors (nn.Module) carry the state-dict names of
// the reference implementation (torchvision or timm), so pretrained
// weights load by name.
//
// Train/eval mode is the nn.Ctx passed to each call: BatchNorm uses batch
// statistics and updates its running ones, and dropout / stochastic depth
// draw from the context's RNG, only when c.Training.
type Backbone interface {
	nn.Module

	// Features maps images x [N, 3, H, W] to the last feature map
	// [N, FeatureChannels(), ceil(H/32), ceil(W/32)] (for symmetric
	// padding the exact size follows the convolution arithmetic).
	Features(c *nn.Ctx, x *ag.Tensor) *ag.Tensor

	// FeatureChannels is C of the feature map.
	FeatureChannels() int

	// Forward is the ImageNet-style path: features → global average pool
	// → (dropout) → linear classifier → logits [N, NumClasses()]. A
	// backbone built without a classifier (NumClasses() == 0) returns the
	// pooled features [N, FeatureChannels()] instead, as timm does with
	// num_classes=0.
	Forward(c *nn.Ctx, x *ag.Tensor) *ag.Tensor

	// NumClasses is the classifier's output size, 0 without a classifier.
	NumClasses() int

	// MACs is the multiply-accumulate count of one image of size h×w
	// through Forward, counting convolutions and linear layers only
	// (out.numel() · Cin/groups · kH · kW and out.numel() · in_features;
	// BN, activations, pooling, SE products and residual adds are not
	// counted, nor are biases), the convention of docs/architectures.md §0 that
	// reproduces torchvision's published GFLOPS.
	MACs(h, w int) int64
}

// FeatureSizer is optionally implemented by a backbone that can tell its
// feature-map size from the input size by convolution arithmetic alone.
type FeatureSizer interface {
	FeatureSize(h, w int) (fh, fw int)
}

// FeatureShape returns the feature map's [C, h, w] for one h×w image: by
// arithmetic when b is a FeatureSizer, otherwise by running one zero image
// through Features in eval mode without recording gradients.
func FeatureShape(b Backbone, h, w int) [3]int {
	if s, ok := b.(FeatureSizer); ok {
		fh, fw := s.FeatureSize(h, w)
		return [3]int{b.FeatureChannels(), fh, fw}
	}
	var out []int
	ag.NoGrad(func() { out = b.Features(nn.Eval, ag.Zeros(1, 3, h, w)).Shape })
	return [3]int{out[1], out[2], out[3]}
}
