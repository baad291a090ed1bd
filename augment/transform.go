package augment

import (
	"image"
	"math/rand/v2"
)

// HorizontalFlip mirrors img left to right (PIL's FLIP_LEFT_RIGHT).
func HorizontalFlip(img *image.RGBA) *image.RGBA {
	src, w, h := pixels(img)
	out := newLike(img)
	for y := 0; y < h; y++ {
		s, d := src[4*w*y:4*w*(y+1)], out.Pix[4*w*y:4*w*(y+1)]
		for x := 0; x < w; x++ {
			i, j := 4*x, 4*(w-1-x)
			d[j], d[j+1], d[j+2], d[j+3] = s[i], s[i+1], s[i+2], 255
		}
	}
	return out
}

// RandomHorizontalFlip flips with probability p (u ~ U[0, 1) drawn, flip
// when u < p), as the reference's RandomHorizontalFlip(p = 0.5).
func RandomHorizontalFlip(p float64) Transform {
	return func(img *image.RGBA, rng *rand.Rand) *image.RGBA {
		if rng.Float64() < p {
			return HorizontalFlip(img)
		}
		return img
	}
}

// Compose chains transforms left to right; nil entries are skipped. With no
// transforms it is the identity.
func Compose(ts ...Transform) Transform {
	var list []Transform
	for _, t := range ts {
		if t != nil {
			list = append(list, t)
		}
	}
	return func(img *image.RGBA, rng *rand.Rand) *image.RGBA {
		for _, t := range list {
			img = t(img, rng)
		}
		return img
	}
}

// TrainOptions are the knobs of the training augmentation. The zero value
// turns everything off; DefaultTrainOptions is the reference's recipe.
type TrainOptions struct {
	RandAugment  bool    // the package's RandAugment (p = 1: one policy per image)
	CutoutP      float64 // probability of the Cutout square; 0 disables it
	CutoutFactor float64 // its side as a fraction of the image size
	FlipP        float64 // probability of a horizontal flip; 0 disables it
}

// DefaultTrainOptions returns the reference's training augmentation
// (docs/method.md §5.7): RandAugment, Cutout p 0.5 factor 0.4, flip p 0.5.
func DefaultTrainOptions() TrainOptions {
	return TrainOptions{RandAugment: true, CutoutP: 0.5, CutoutFactor: 0.4, FlipP: 0.5}
}

// Train returns the training transform in the reference's order, applied
// after the resize to S x S and before normalization:
//
//	RandAugment -> Cutout -> horizontal flip
func Train(o TrainOptions) Transform {
	var ts []Transform
	if o.RandAugment {
		ts = append(ts, RandAugment)
	}
	if o.CutoutP > 0 {
		ts = append(ts, RandomCutout(o.CutoutP, o.CutoutFactor))
	}
	if o.FlipP > 0 {
		ts = append(ts, RandomHorizontalFlip(o.FlipP))
	}
	return Compose(ts...)
}
