package augment

import (
	"image"
	"image/color"
	"math/rand/v2"
)

// Two cutouts appear in the reference pipeline.
//
// Inside RandAugment, the package's Cutout(size) paints the half-open square
//
//	[cx - size//2, cx + size//2) x [cy - size//2, cy + size//2)
//
// clipped to the image, in the fixed colour (125, 122, 113), with the centre
// uniform over the pixels; size is 2..20 px by level (round(linspace(0, 20, 10))).
//
// After RandAugment, the reference's Cutout transform (ASL's CutoutPIL plus a
// probability) paints, with probability p, one square of side
// int(factor*size + 0.5) (factor 0.4) in a uniformly random colour: the
// centre is uniform over the pixels and ImageDraw.rectangle fills the
// closed box
//
//	[clip(cx - side//2, 0, W), clip(cx + side//2, 0, W)] x (same for y)
//
// so the square is 2*(side//2) + 1 px wide before clipping (179 px at 448).
// ASL's code names width "h" and height "w"; the two agree on the square
// images the pipeline produces, and here each axis uses its own size.

// PackageCutoutColor is the colour of RandAugment's Cutout op.
var PackageCutoutColor = color.RGBA{125, 122, 113, 255}

// fillRect returns a copy of img with the half-open rectangle
// [x0, x1) x [y0, y1) (clipped to the image) painted c.
func fillRect(img *image.RGBA, x0, y0, x1, y1 int, c color.RGBA) *image.RGBA {
	out := Clone(img)
	w, h := out.Rect.Dx(), out.Rect.Dy()
	x0, y0 = max(x0, 0), max(y0, 0)
	x1, y1 = min(x1, w), min(y1, h)
	for y := y0; y < y1; y++ {
		row := out.Pix[4*w*y:]
		for x := x0; x < x1; x++ {
			row[4*x], row[4*x+1], row[4*x+2], row[4*x+3] = c.R, c.G, c.B, 255
		}
	}
	return out
}

// CutoutSquare is the package's Cutout op with its centre given: the square
// [cx - size/2, cx + size/2) x [cy - size/2, cy + size/2) painted
// PackageCutoutColor.
func CutoutSquare(img *image.RGBA, cx, cy, size int) *image.RGBA {
	half := size / 2
	return fillRect(img, cx-half, cy-half, cx+half, cy+half, PackageCutoutColor)
}

// CutoutBox is ASL's CutoutPIL with its centre and colour given: side
// int(factor*W + 0.5) by int(factor*H + 0.5), box corners clipped to
// [0, W] x [0, H] and both corners included.
func CutoutBox(img *image.RGBA, cx, cy int, factor float64, c color.RGBA) *image.RGBA {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	sw, sh := int(float64(factor*float64(w))+0.5), int(float64(factor*float64(h))+0.5)
	x1, x2 := min(max(cx-sw/2, 0), w), min(max(cx+sw/2, 0), w)
	y1, y2 := min(max(cy-sh/2, 0), h), min(max(cy+sh/2, 0), h)
	return fillRect(img, x1, y1, x2+1, y2+1, c)
}

// RandomCutout returns the reference's Cutout transform: with probability p,
// CutoutBox at a uniform centre (cx then cy drawn) in a uniform random
// colour (R, G, B each 0..255). The reference uses p = 0.5, factor = 0.4.
func RandomCutout(p, factor float64) Transform {
	return func(img *image.RGBA, rng *rand.Rand) *image.RGBA {
		w, h := img.Rect.Dx(), img.Rect.Dy()
		if w <= 0 || h <= 0 || !(rng.Float64() < p) {
			return img
		}
		cx, cy := rng.IntN(w), rng.IntN(h)
		c := color.RGBA{uint8(rng.IntN(256)), uint8(rng.IntN(256)), uint8(rng.IntN(256)), 255}
		return CutoutBox(img, cx, cy, factor, c)
	}
}
