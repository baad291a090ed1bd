package autograd

import (
	"fmt"
	"math/rand/v2"
)

// Dropout is inverted dropout (nn.Dropout): in training each element is
// kept with probability 1−p and then scaled by 1/(1−p), so the expected
// output equals x and eval needs no rescaling; in eval (or with p = 0) it
// returns x itself. p = 1 zeroes everything.
//
//	mask_i = 1/(1−p) with probability 1−p, else 0   (drawn from rng)
//	y = x ⊙ mask                 ∂L/∂x += g ⊙ mask
//
// The randomness comes only from rng, drawn once per element in row-major
// order, so a seeded rng reproduces the same mask.
func Dropout(x *Tensor, p float32, rng *rand.Rand, training bool) *Tensor {
	if p < 0 || p > 1 {
		panic(fmt.Sprintf("autograd.Dropout: p = %v outside [0, 1] (input %v)", p, x.Shape))
	}
	if !training || p == 0 {
		return x
	}
	mask := dropoutScratch(x.arena, len(x.Data))
	keep := 1 - p
	var scale float32
	if keep > 0 {
		scale = 1 / keep
	}
	for i := range mask {
		if rng.Float32() < keep {
			mask[i] = scale
		} else {
			mask[i] = 0
		}
	}
	return maskedScale("Dropout", x, mask, 1)
}

// DropPath is stochastic depth per sample (torchvision StochasticDepth,
// mode "row"; timm drop_path): in training each sample x[i, ...] along
// dim 0 is kept with probability 1−p and scaled by 1/(1−p), or zeroed
// whole; in eval (or with p = 0) it returns x. Used on residual branches,
// so a dropped sample skips the block. Backward as Dropout, with one mask
// value per sample.
func DropPath(x *Tensor, p float32, rng *rand.Rand, training bool) *Tensor {
	if p < 0 || p > 1 {
		panic(fmt.Sprintf("autograd.DropPath: p = %v outside [0, 1] (input %v)", p, x.Shape))
	}
	if len(x.Shape) == 0 {
		panic("autograd.DropPath: scalar input; need [N, ...]")
	}
	if !training || p == 0 {
		return x
	}
	n := x.Shape[0]
	mask := dropoutScratch(x.arena, n)
	keep := 1 - p
	var scale float32
	if keep > 0 {
		scale = 1 / keep
	}
	for i := range mask {
		if rng.Float32() < keep {
			mask[i] = scale
		} else {
			mask[i] = 0
		}
	}
	per := 0
	if n > 0 {
		per = len(x.Data) / n
	}
	return maskedScale("DropPath", x, mask, per)
}

// maskedScale returns x ⊙ mask where each mask value covers `per`
// consecutive elements: y[i] = x[i]·mask[i/per], ∂x[i] += g[i]·mask[i/per].
func maskedScale(op string, x *Tensor, mask []float32, per int) *Tensor {
	out := result(op, cloneShape(x.Shape), x)
	for r, m := range mask {
		xr, yr := x.Data[r*per:(r+1)*per], out.Data[r*per:(r+1)*per]
		for j, v := range xr {
			yr[j] = v * m
		}
	}
	if out.requiresGrad {
		out.backward = func() {
			gx := x.grad()
			for r, m := range mask {
				if m == 0 {
					continue
				}
				gr, gxr := out.Grad[r*per:(r+1)*per], gx[r*per:(r+1)*per]
				for j, v := range gr {
					gxr[j] += v * m
				}
			}
		}
	}
	return out
}

// dropoutScratch returns an n-element buffer that lives until the arena's
// next Reset (a plain allocation with a nil arena): the mask must outlive
// the forward for the backward to use it.
func dropoutScratch(a *Arena, n int) []float32 {
	buf := a.get(n)
	a.own(&Tensor{Data: buf, Shape: []int{n}})
	return buf
}
