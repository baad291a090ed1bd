package augment

import (
	"image"
	"image/color"
	"math"
	"strconv"
)

// Geometric ops, as PIL's Image.transform(size, AFFINE, a, resample,
// fillcolor) computes them. The six coefficients a map an output pixel to
// the input point it samples (the inverse map), in pixel-centre coordinates:
//
//	(x_in, y_in) = (a0*X + a1*Y + a2,  a3*X + a4*Y + a5),   X = x + 0.5, Y = y + 0.5
//
// Output pixels whose source falls outside the image keep the fill colour.
// The package's ops:
//
//	ShearX      a = (1, s, 0, 0, 1, 0)      bicubic       s = ±level*0.3/9
//	ShearY      a = (1, 0, 0, s, 1, 0)      bicubic
//	TranslateX  a = (1, 0, t*W, 0, 1, 0)    nearest       t = ±level*(150/331)/9
//	TranslateY  a = (1, 0, 0, 0, 1, t*H)    nearest
//	Rotate      Image.rotate(deg): nearest, about the centre (W/2, H/2), counter-clockwise
//
// Pillow runs three different engines for these, and each is reproduced
// here with its own rounding: the generic per-pixel engine with its bicubic
// filter (shears), the scale engine with running float64 positions
// (translations), and the 16.16 fixed-point engine (rotation).

// pyFloor is Pillow's FLOOR macro (floor for negatives, truncation otherwise).
func pyFloor(v float64) int {
	if v < 0 {
		return int(math.Floor(v))
	}
	return int(v)
}

// coord is Pillow's COORD macro: -1 for negative positions (outside), else truncation.
func coord(v float64) int {
	if v < 0 {
		return -1
	}
	return int(v)
}

// cubic is Pillow's BICUBIC macro, the cubic convolution with a = -1 through
// v1..v4 at positions -1, 0, 1, 2, evaluated at d in [0, 1):
//
//	v = v2 + d*((v3 - v1) + d*((2*(v1 - v2) + v3 - v4) + d*(-v1 + v2 - v3 + v4)))
//
// Explicit float64 conversions keep each product rounded on its own, as C
// does without FMA contraction.
func cubic(v1, v2, v3, v4, d float64) float64 {
	p2 := -v1 + v3
	p3 := 2*(v1-v2) + v3 - v4
	p4 := -v1 + v2 - v3 + v4
	return v2 + float64(d*float64(p2+float64(d*float64(p3+float64(d*p4)))))
}

// cubicRow is cubic over four bytes: Pillow computes p2..p4 in int for 8-bit input.
func cubicRow(a, b, c, e byte, d float64) float64 {
	v1, v2, v3, v4 := int(a), int(b), int(c), int(e)
	p2 := float64(-v1 + v3)
	p3 := float64(2*(v1-v2) + v3 - v4)
	p4 := float64(-v1 + v2 - v3 + v4)
	return float64(v2) + float64(d*float64(p2+float64(d*float64(p3+float64(d*p4)))))
}

// AffineBicubic is Image.transform(size, AFFINE, a, BICUBIC, fillcolor=fill)
// for an RGB image: for each output pixel the generic engine maps its centre
// through a; a source point outside [0, W) x [0, H) leaves the fill; else
// Pillow's bicubic filter samples the 4x4 neighbourhood (columns clamped to
// the image, rows beyond the edge repeat the previous row's result) and
// truncates to 0..255. Two exact shortcuts skip work Pillow does: with
// dy == 0 (every ShearX pixel) only row iy+1 counts, and with dx == 0 (every
// ShearY pixel) each row's value is its pixel. affineBicubicRef in
// reference_test.go is the plain version the tests compare against.
func AffineBicubic(img *image.RGBA, a [6]float64, fill color.RGBA) *image.RGBA {
	src, w, h := pixels(img)
	out := newLike(img)
	dst := out.Pix
	fillRGB(dst, fill)
	stride := 4 * w
	fw, fh := float64(w), float64(h)
	clampX := func(x int) int { return min(max(x, 0), w-1) }
	for y := 0; y < h; y++ {
		yc := float64(y) + 0.5
		for x := 0; x < w; x++ {
			xc := float64(x) + 0.5
			xin := float64(float64(a[0]*xc)+float64(a[1]*yc)) + a[2]
			yin := float64(float64(a[3]*xc)+float64(a[4]*yc)) + a[5]
			if xin < 0 || xin >= fw || yin < 0 || yin >= fh {
				continue
			}
			xin -= 0.5
			yin -= 0.5
			ix, iy := pyFloor(xin), pyFloor(yin)
			dx, dy := xin-float64(ix), yin-float64(iy)
			ix--
			iy--
			x0, x1, x2, x3 := 4*clampX(ix), 4*clampX(ix+1), 4*clampX(ix+2), 4*clampX(ix+3)
			o := 4 * (y*w + x)
			if dy == 0 {
				// Shortcut, exact: cubic(v1, v2, v3, v4, 0) = v2 + 0*(...) = v2, and
				// dy == 0 means row iy+1 is inside the image. ShearX always lands here.
				row := src[(iy+1)*stride:]
				for c := 0; c < 3; c++ {
					dst[o+c] = clip8(cubicRow(row[x0+c], row[x1+c], row[x2+c], row[x3+c], dx))
				}
				continue
			}
			for c := 0; c < 3; c++ {
				var v1, v2, v3, v4 float64
				if dx == 0 {
					// Shortcut, exact: cubicRow(a, b, c, e, 0) = b (ShearY lands here).
					v1 = float64(src[min(max(iy, 0), h-1)*stride+x1+c])
					v2, v3, v4 = v1, v1, v1
					if iy+1 >= 0 && iy+1 < h {
						v2 = float64(src[(iy+1)*stride+x1+c])
					}
					v3 = v2
					if iy+2 >= 0 && iy+2 < h {
						v3 = float64(src[(iy+2)*stride+x1+c])
					}
					v4 = v3
					if iy+3 >= 0 && iy+3 < h {
						v4 = float64(src[(iy+3)*stride+x1+c])
					}
				} else {
					row := src[min(max(iy, 0), h-1)*stride+c:]
					v1 = cubicRow(row[x0], row[x1], row[x2], row[x3], dx)
					v2 = v1
					if iy+1 >= 0 && iy+1 < h {
						row = src[(iy+1)*stride+c:]
						v2 = cubicRow(row[x0], row[x1], row[x2], row[x3], dx)
					}
					v3 = v2
					if iy+2 >= 0 && iy+2 < h {
						row = src[(iy+2)*stride+c:]
						v3 = cubicRow(row[x0], row[x1], row[x2], row[x3], dx)
					}
					v4 = v3
					if iy+3 >= 0 && iy+3 < h {
						row = src[(iy+3)*stride+c:]
						v4 = cubicRow(row[x0], row[x1], row[x2], row[x3], dx)
					}
				}
				dst[o+c] = clip8(cubic(v1, v2, v3, v4, dy))
			}
		}
	}
	return out
}

// clip8 is Pillow's conversion of a bicubic result: 0 at or below 0, 255 at
// or above 255, else truncation.
func clip8(v float64) byte {
	switch {
	case v <= 0:
		return 0
	case v >= 255:
		return 255
	}
	return byte(v)
}

// ShearX shears horizontally: output (x, y) samples input (x + s*y, y) (in
// pixel centres), bicubic, grey outside.
func ShearX(img *image.RGBA, s float64, fill color.RGBA) *image.RGBA {
	return AffineBicubic(img, [6]float64{1, s, 0, 0, 1, 0}, fill)
}

// ShearY shears vertically: output (x, y) samples input (x, y + s*x).
func ShearY(img *image.RGBA, s float64, fill color.RGBA) *image.RGBA {
	return AffineBicubic(img, [6]float64{1, 0, 0, s, 1, 0}, fill)
}

// translate is Pillow's ImagingScaleAffine for a = (1, 0, tx, 0, 1, ty) with
// nearest sampling: source column of output x is COORD(tx + 0.5 + x), the
// position accumulated by repeated float64 additions of 1 exactly as Pillow
// does (so that rounding at large offsets matches); likewise rows.
func translate(img *image.RGBA, tx, ty float64, fill color.RGBA) *image.RGBA {
	src, w, h := pixels(img)
	out := newLike(img)
	dst := out.Pix
	fillRGB(dst, fill)
	xin := make([]int, w)
	xmin, xmax := w, 0
	xo := tx + 1*0.5
	for x := 0; x < w; x++ {
		if v := coord(xo); v >= 0 && v < w {
			xmax = x + 1
			xmin = min(xmin, x)
			xin[x] = v
		}
		xo += 1
	}
	yo := ty + 1*0.5
	for y := 0; y < h; y++ {
		yi := coord(yo)
		yo += 1
		if yi < 0 || yi >= h {
			continue
		}
		srow := src[4*w*yi:]
		drow := dst[4*w*y:]
		for x := xmin; x < xmax; x++ {
			s := srow[4*xin[x]:]
			d := drow[4*x:]
			d[0], d[1], d[2], d[3] = s[0], s[1], s[2], 255
		}
	}
	return out
}

// TranslateX shifts the content left by t pixels (t may be fractional or
// negative; the package passes ±level*(150/331)/9 * W): output x samples
// input x + t, nearest.
func TranslateX(img *image.RGBA, t float64, fill color.RGBA) *image.RGBA {
	return translate(img, t, 0, fill)
}

// TranslateY shifts the content up by t pixels: output y samples input y + t.
func TranslateY(img *image.RGBA, t float64, fill color.RGBA) *image.RGBA {
	return translate(img, 0, t, fill)
}

// pyRound15 is Python's round(v, 15): v rounded correctly to 15 decimals
// and read back.
func pyRound15(v float64) float64 {
	r, err := strconv.ParseFloat(strconv.FormatFloat(v, 'f', 15, 64), 64)
	if err != nil {
		panic("augment: pyRound15: " + err.Error())
	}
	if r == 0 {
		return 0 // Python's round(-1e-17, 15) is -0.0; the sign is irrelevant below
	}
	return r
}

// rotateMatrix is the inverse affine map Image.rotate(deg) builds (no expand,
// centre (W/2, H/2)): with t = -radians(deg),
//
//	a = (cos t, sin t, c, -sin t, cos t, f)   each trig value round(., 15)
//	(c, f) = centre - R*centre
func rotateMatrix(deg float64, w, h int) [6]float64 {
	pi := math.Pi // a float64 variable, so that pi/180 rounds as CPython's does
	t := -(math.Mod(deg, 360) * (pi / 180.0))
	m := [6]float64{pyRound15(math.Cos(t)), pyRound15(math.Sin(t)), 0, pyRound15(-math.Sin(t)), pyRound15(math.Cos(t)), 0}
	cx, cy := float64(w)/2, float64(h)/2
	m[2] = float64(float64(m[0]*-cx)+float64(m[1]*-cy)) + 0 + cx
	m[5] = float64(float64(m[3]*-cx)+float64(m[4]*-cy)) + 0 + cy
	return m
}

// AffineNearest is Image.transform(size, AFFINE, a, NEAREST, fillcolor=fill)
// for a with a non-zero off-diagonal (Pillow's ImagingTransformAffine).
// When every corner maps inside ±32768 Pillow uses 16.16 fixed point,
//
//	A = floor(a*65536 + 0.5),  start = FIX(a2 + a0/2 + a1/2),  source = pos >> 16,
//
// stepping the position by the fixed-point coefficients; otherwise running
// float64 positions. Both are reproduced.
func AffineNearest(img *image.RGBA, a [6]float64, fill color.RGBA) *image.RGBA {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	inside := func(x, y int) bool {
		fx, fy := float64(x), float64(y)
		return math.Abs(float64(float64(fx*a[0])+float64(fy*a[1]))+a[2]) < 32768 &&
			math.Abs(float64(float64(fx*a[3])+float64(fy*a[4]))+a[5]) < 32768
	}
	if inside(0, 0) && inside(w, h) && inside(0, h) && inside(w, 0) {
		return affineNearestFixed(img, a, fill)
	}
	return affineNearestFloat(img, a, fill)
}

// affineNearestFixed is Pillow's affine_fixed: 16.16 fixed-point positions.
func affineNearestFixed(img *image.RGBA, a [6]float64, fill color.RGBA) *image.RGBA {
	src, w, h := pixels(img)
	out := newLike(img)
	dst := out.Pix
	fillRGB(dst, fill)
	fix := func(v float64) int { return pyFloor(float64(v*65536) + 0.5) }
	a0, a1, a3, a4 := fix(a[0]), fix(a[1]), fix(a[3]), fix(a[4])
	a2 := fix(float64(a[2]+float64(a[0]*0.5)) + float64(a[1]*0.5))
	a5 := fix(float64(a[5]+float64(a[3]*0.5)) + float64(a[4]*0.5))
	for y := 0; y < h; y++ {
		xx, yy := a2, a5
		drow := dst[4*w*y:]
		for x := 0; x < w; x++ {
			if xi := xx >> 16; xi >= 0 && xi < w {
				if yi := yy >> 16; yi >= 0 && yi < h {
					s, d := src[4*(yi*w+xi):], drow[4*x:]
					d[0], d[1], d[2], d[3] = s[0], s[1], s[2], 255
				}
			}
			xx += a0
			yy += a3
		}
		a2 += a1
		a5 += a4
	}
	return out
}

// affineNearestFloat is Pillow's float64 fallback of ImagingTransformAffine:
// positions start at a2 + a1/2 + a0/2 and are accumulated by repeated
// additions, then truncated (COORD).
func affineNearestFloat(img *image.RGBA, a [6]float64, fill color.RGBA) *image.RGBA {
	src, w, h := pixels(img)
	out := newLike(img)
	dst := out.Pix
	fillRGB(dst, fill)
	xo := float64(a[2]+float64(a[1]*0.5)) + float64(a[0]*0.5)
	yo := float64(a[5]+float64(a[4]*0.5)) + float64(a[3]*0.5)
	for y := 0; y < h; y++ {
		xx, yy := xo, yo
		drow := dst[4*w*y:]
		for x := 0; x < w; x++ {
			if xi := coord(xx); xi >= 0 && xi < w {
				if yi := coord(yy); yi >= 0 && yi < h {
					s, d := src[4*(yi*w+xi):], drow[4*x:]
					d[0], d[1], d[2], d[3] = s[0], s[1], s[2], 255
				}
			}
			xx += a[0]
			yy += a[3]
		}
		xo += a[1]
		yo += a[4]
	}
	return out
}

// Rotate is the package's rotate_with_fill: Image.rotate(deg) (nearest,
// counter-clockwise, about the centre, same size) with the uncovered
// corners filled. Pillow's shortcuts for multiples of 90 degrees are kept:
// 0 copies, 180 is an exact point flip, 90/270 on a square image an exact
// transpose.
func Rotate(img *image.RGBA, deg float64, fill color.RGBA) *image.RGBA {
	src, w, h := pixels(img)
	switch r := math.Mod(deg, 360); {
	case r < 0:
		deg = r + 360 // Python's % is non-negative
	default:
		deg = r
	}
	switch {
	case deg == 0:
		return Clone(img)
	case deg == 180 || (w == h && (deg == 90 || deg == 270)):
		out := newLike(img)
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				var sx, sy int
				switch deg {
				case 180:
					sx, sy = w-1-x, h-1-y
				case 90: // counter-clockwise: output (x, y) <- input (w-1-y, x)
					sx, sy = w-1-y, x
				default: // 270
					sx, sy = y, h-1-x
				}
				s, d := src[4*(sy*w+sx):], out.Pix[4*(y*w+x):]
				d[0], d[1], d[2], d[3] = s[0], s[1], s[2], 255
			}
		}
		return out
	}
	return AffineNearest(img, rotateMatrix(deg, w, h), fill)
}
