package models

import (
	"fmt"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/nn"
)

// BlurPool2d is TResNet's anti-aliased downsampling (timm BlurPool2d with
// filt_size 3, MIIL AntiAliasDownsampleLayer): a fixed low-pass filter
// applied to every channel on its own, then stride 2. The filter is the
// binomial kernel
//
//	f = [1,2,1]ᵀ[1,2,1] / 16 = | 1 2 1 |
//	                           | 2 4 2 | / 16
//	                           | 1 2 1 |
//
// and the input is first reflect-padded by one pixel on every side
// (F.pad(x, (1,1,1,1), "reflect"), which mirrors without repeating the
// edge), so for x [N,C,H,W]
//
//	p = reflect_pad(x, 1)                                  [N, C, H+2, W+2]
//	out[n,c,i,j] = Σ_{a,b<3} f[a,b] · p[n,c,2i+a,2j+b]     [N, C, ⌊(H−1)/2⌋+1, ⌊(W−1)/2⌋+1]
//
// An even H goes to H/2. Both steps are autograd ops (ReflectPad2d, a
// depthwise Conv2d with groups = C), so the backward is theirs:
// ∂L/∂p[2i+a, 2j+b] += f[a,b]·∂L/∂out[i,j], then every mirrored pixel's
// gradient folds back onto the pixel it copies.
//
// The filter has no learnable parameters. timm registers it as a
// non-persistent buffer, so it is not in the state dict and Visit reports
// nothing; MIIL checkpoints made without JIT may hold it as "…op.filt",
// which the MIIL loader drops.
type BlurPool2d struct {
	Channels int
	filt     *ag.Tensor // [C, 1, 3, 3], never trained, never saved
}

// blurKernel is [1,2,1]ᵀ[1,2,1]/16 in row-major order.
var blurKernel = [9]float32{1, 2, 1, 2, 4, 2, 1, 2, 1}

// NewBlurPool2d makes the blur for c channels.
func NewBlurPool2d(c int) *BlurPool2d {
	f := ag.Zeros(c, 1, 3, 3)
	for ch := 0; ch < c; ch++ {
		for k, v := range blurKernel {
			f.Data[ch*9+k] = v / 16
		}
	}
	return &BlurPool2d{Channels: c, filt: f}
}

// Forward blurs and subsamples x [N, C, H, W]; H and W must be at least 2
// (reflect padding needs a pixel to mirror).
func (b *BlurPool2d) Forward(_ *nn.Ctx, x *ag.Tensor) *ag.Tensor {
	if len(x.Shape) != 4 || x.Shape[1] != b.Channels {
		panic(fmt.Sprintf("models.BlurPool2d: input %v, want [N, %d, H, W]", x.Shape, b.Channels))
	}
	p := ag.ReflectPad2d(x, 1, 1, 1, 1)
	return ag.Conv2d(p, b.filt, nil, ag.Conv2dOpts{StrideH: 2, StrideW: 2, Groups: b.Channels})
}

// OutSize is the output size along one axis of size in.
func (b *BlurPool2d) OutSize(in int) int { return (in-1)/2 + 1 }

// MACs counts the blur as the depthwise convolution it is: 9 products per
// output element (docs/architectures.md includes it in TResNet's totals).
func (b *BlurPool2d) MACs(h, w int) int64 {
	return int64(b.Channels) * int64(b.OutSize(h)) * int64(b.OutSize(w)) * 9
}

// Visit reports nothing: the filter is a non-persistent buffer.
func (*BlurPool2d) Visit(string, func(string, *ag.Tensor, nn.Kind)) {}
