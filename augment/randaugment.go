package augment

import (
	"fmt"
	"image"
	"math/rand/v2"
)

// Op is one of RandAugment's 15 operations, numbered in the package's
// get_trans_list order (the order only matters for which index a draw
// picks).
type Op int

const (
	OpInvert Op = iota
	OpCutout
	OpSharpness
	OpAutoContrast
	OpPosterize
	OpShearX
	OpTranslateX
	OpTranslateY
	OpShearY
	OpRotate
	OpEqualize
	OpContrast
	OpColor
	OpSolarize
	OpBrightness
	NumOps = 15
)

var opNames = [NumOps]string{"Invert", "Cutout", "Sharpness", "AutoContrast", "Posterize",
	"ShearX", "TranslateX", "TranslateY", "ShearY", "Rotate",
	"Equalize", "Contrast", "Color", "Solarize", "Brightness"}

func (o Op) String() string {
	if o < 0 || o >= NumOps {
		return fmt.Sprintf("Op(%d)", int(o))
	}
	return opNames[o]
}

// Signed reports whether the package multiplies the op's magnitude by a
// random sign ±1 (shears, translations and the four enhancers). Rotate is
// not signed in this package version: it always turns counter-clockwise.
func (o Op) Signed() bool {
	switch o {
	case OpShearX, OpShearY, OpTranslateX, OpTranslateY, OpColor, OpContrast, OpSharpness, OpBrightness:
		return true
	}
	return false
}

// NumLevels is the number of magnitude levels of SubPolicy's tables; RandAugment
// draws levels 1..NumLevels-1.
const NumLevels = 10

// linspace is numpy.linspace(start, stop, 10) as numpy computes it:
// i*step + start with step = (stop-start)/9, and the last value exactly stop.
func linspace(start, stop float64) (v [NumLevels]float64) {
	step := (stop - start) / float64(NumLevels-1)
	for i := range v {
		v[i] = float64(float64(i)*step) + start
	}
	v[NumLevels-1] = stop
	return v
}

// Magnitude tables of SubPolicy, by level 0..9.
var (
	shearMag     = linspace(0, 0.3)
	translateMag = linspace(0, 150.0/331.0)                          // fraction of the image size
	rotateMag    = linspace(0, 30)                                   // degrees
	enhanceMag   = linspace(0, 0.9)                                  // factor = 1 ± m
	solarizeMag  = linspace(256, 0)                                  // threshold
	posterizeMag = [NumLevels]int{8, 8, 7, 7, 6, 6, 5, 5, 4, 4}      // round(linspace(8, 4, 10)), bits kept
	cutoutMag    = [NumLevels]int{0, 2, 4, 7, 9, 11, 13, 16, 18, 20} // round(linspace(0, 20, 10)), pixels
)

// Magnitude returns the package's magnitude of op at level 0..9, before any
// sign: shear factor, translation as a fraction of the size, rotation in
// degrees, enhance offset m (factor 1 ± m), posterize bits, solarize
// threshold, cutout side in pixels; 0 for AutoContrast, Equalize, Invert.
func Magnitude(op Op, level int) float64 {
	if level < 0 || level >= NumLevels {
		panic(fmt.Sprintf("augment.Magnitude: level %d outside 0..%d", level, NumLevels-1))
	}
	switch op {
	case OpShearX, OpShearY:
		return shearMag[level]
	case OpTranslateX, OpTranslateY:
		return translateMag[level]
	case OpRotate:
		return rotateMag[level]
	case OpColor, OpContrast, OpSharpness, OpBrightness:
		return enhanceMag[level]
	case OpSolarize:
		return solarizeMag[level]
	case OpPosterize:
		return float64(posterizeMag[level])
	case OpCutout:
		return float64(cutoutMag[level])
	case OpAutoContrast, OpEqualize, OpInvert:
		return 0
	}
	panic(fmt.Sprintf("augment.Magnitude: unknown op %d", int(op)))
}

// ApplyOpSigned applies op at level with the given sign (±1, ignored by
// unsigned ops) exactly as the package's SubPolicy lambda does. The Cutout
// op needs a centre: (cx, cy).
func ApplyOpSigned(img *image.RGBA, op Op, level, sign, cx, cy int) *image.RGBA {
	m := Magnitude(op, level)
	s := float64(sign)
	w, h := float64(img.Rect.Dx()), float64(img.Rect.Dy())
	switch op {
	case OpShearX:
		return ShearX(img, m*s, Grey)
	case OpShearY:
		return ShearY(img, m*s, Grey)
	case OpTranslateX:
		return TranslateX(img, float64(m*w)*s, Grey) // magnitude * img.size[0] * sign
	case OpTranslateY:
		return TranslateY(img, float64(m*h)*s, Grey)
	case OpRotate:
		return Rotate(img, m, Grey)
	case OpColor:
		return EnhanceColor(img, 1+float64(m*s))
	case OpContrast:
		return EnhanceContrast(img, 1+float64(m*s))
	case OpSharpness:
		return EnhanceSharpness(img, 1+float64(m*s))
	case OpBrightness:
		return EnhanceBrightness(img, 1+float64(m*s))
	case OpPosterize:
		return Posterize(img, posterizeMag[level])
	case OpSolarize:
		return Solarize(img, m)
	case OpAutoContrast:
		return AutoContrast(img)
	case OpEqualize:
		return Equalize(img)
	case OpInvert:
		return Invert(img)
	case OpCutout:
		return CutoutSquare(img, cx, cy, cutoutMag[level])
	}
	panic(fmt.Sprintf("augment.ApplyOpSigned: unknown op %d", int(op)))
}

// ApplyOp applies op at level, drawing what the package draws when the op
// runs: the sign of a signed op (random.choice([-1, 1])), or the Cutout
// centre (x then y, uniform over the pixels).
func ApplyOp(img *image.RGBA, op Op, level int, rng *rand.Rand) *image.RGBA {
	sign, cx, cy := 0, 0, 0
	switch {
	case op.Signed():
		sign = 1
		if rng.IntN(2) == 0 {
			sign = -1
		}
	case op == OpCutout:
		if w, h := img.Rect.Dx(), img.Rect.Dy(); w > 0 && h > 0 {
			cx, cy = rng.IntN(w), rng.IntN(h)
		}
	}
	return ApplyOpSigned(img, op, level, sign, cx, cy)
}

// Step is one item of a RandAugment policy: an op at a level 1..9, applied
// with probability 0.5.
type Step struct {
	Op    Op
	Level int
}

// RandAugmentProb is the probability with which each step of a policy fires.
const RandAugmentProb = 0.5

// SamplePolicy draws a policy as the package does: one of the 135 x 135
// ordered pairs of (op, level 1..9) items, uniformly (equivalently, two
// independent uniform items).
func SamplePolicy(rng *rand.Rand) [2]Step {
	k := rng.IntN(NumOps * (NumLevels - 1) * NumOps * (NumLevels - 1))
	item := func(i int) Step { return Step{Op: Op(i / (NumLevels - 1)), Level: i%(NumLevels-1) + 1} }
	n := NumOps * (NumLevels - 1)
	return [2]Step{item(k / n), item(k % n)}
}

// RandAugment is the package's RandAugment()(img): draw a policy, then for
// each of its two steps in order draw u ~ U[0, 1) and apply the step when
// u < 0.5. It is a Transform.
func RandAugment(img *image.RGBA, rng *rand.Rand) *image.RGBA {
	return runPolicy(img, rng, ApplyOp)
}

// runPolicy is RandAugment with the op application passed in, so that tests
// can count which steps fire.
func runPolicy(img *image.RGBA, rng *rand.Rand, apply func(*image.RGBA, Op, int, *rand.Rand) *image.RGBA) *image.RGBA {
	for _, s := range SamplePolicy(rng) {
		if rng.Float64() < RandAugmentProb {
			img = apply(img, s.Op, s.Level, rng)
		}
	}
	return img
}
