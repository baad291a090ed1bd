package autograd

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/seed477ab429/multilabel/ops"
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
	mask := dropoutScratch(x.arena, x.Numel())
	drawMask(mask, 1-p, rng)
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
	mask := dropPathMask(x.arena, n, p, rng)
	per := 0
	if n > 0 {
		per = x.Numel() / n
	}
	return maskedScale("DropPath", x, mask, per)
}

// dropPathMask draws n per-sample factors, 1/(1−p) with probability 1−p,
// else 0, one rng.Float32 each in order (DropPath and Residual share it,
// so both consume the same random numbers).
func dropPathMask(a *Arena, n int, p float32, rng *rand.Rand) []float32 {
	mask := dropoutScratch(a, n)
	drawMask(mask, 1-p, rng)
	return mask
}

// drawMask sets each mask[i], in order, to 1/keep if rng.Float32() < keep,
// else to 0 (0 for every element when keep = 0), with one draw from rng
// per element: exactly what that loop gives, bit for bit and draw for
// draw, without its division, conversion and unpredictable branch.
//
// rng.Float32() is m/2²⁴ with m = rng.Uint32() & (2²⁴−1), exactly; keep·2²⁴
// is exact too (a power-of-two scaling), so for the integer m,
// m/2²⁴ < keep ⇔ m < t with t = ⌈keep·2²⁴⌉. With m, t ≤ 2²⁴, the
// difference m − t (uint32) has its top bit set iff m < t, and that bit,
// spread to a whole word, selects scale's bits or +0's.
func drawMask(mask []float32, keep float32, rng *rand.Rand) {
	var scale float32
	if keep > 0 {
		scale = 1 / keep
	}
	t := uint32(math.Ceil(float64(keep) * (1 << 24)))
	sb := math.Float32bits(scale)
	for i := range mask {
		m := rng.Uint32() & (1<<24 - 1)
		lt := (m - t) >> 31 // 1 iff m < t
		mask[i] = math.Float32frombits(sb & -lt)
	}
}

// maskedScale returns x ⊙ mask where each mask value covers `per`
// consecutive elements: y[i] = x[i]·mask[i/per], ∂x[i] += g[i]·mask[i/per].
func maskedScale(op string, x *Tensor, mask []float32, per int) *Tensor {
	out := result(op, cloneShape(x.Shape), x)
	n := len(mask)
	if per == 1 { // Dropout: one factor per element
		ops.Parallel(n, 1<<14, func(lo, hi int) { ops.Mul(out.Data[lo:hi], x.Data[lo:hi], mask[lo:hi]) })
		if out.requiresGrad {
			out.backward = func() {
				g := out.Grad
				gx, fresh := x.gradWrite()
				ops.Parallel(n, 1<<14, func(lo, hi int) {
					if fresh {
						ops.Mul(gx[lo:hi], g[lo:hi], mask[lo:hi])
					} else {
						ops.MulAdd(gx[lo:hi], g[lo:hi], mask[lo:hi])
					}
				})
			}
		}
		return out
	}
	sampleRuns(n, per, func(r, lo, hi int) { ops.ScaleTo(out.Data[lo:hi], x.Data[lo:hi], mask[r]) })
	if out.requiresGrad {
		out.backward = func() {
			g := out.Grad
			gx, fresh := x.gradWrite() // every element gets a term (0 where dropped)
			sampleRuns(n, per, func(r, lo, hi int) {
				if fresh {
					ops.ScaleTo(gx[lo:hi], g[lo:hi], mask[r])
				} else if mask[r] != 0 {
					ops.Axpy(mask[r], g[lo:hi], gx[lo:hi])
				}
			})
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
