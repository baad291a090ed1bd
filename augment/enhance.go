package augment

import "image"

// PIL's ImageEnhance: each enhancer blends a "degenerate" image with the
// original,
//
//	out = blend(degenerate, img, factor) = degenerate + factor*(img - degenerate),
//
// so factor 1 is the identity, factor 0 the degenerate image, and factors
// outside [0, 1] extrapolate (clipped to 0..255). The degenerate images:
//
//	Color       grey version of img (ITU-R 601-2 luma, PIL's "L" conversion)
//	Contrast    constant grey at the rounded mean luma of img
//	Brightness  black
//	Sharpness   img smoothed by PIL's SMOOTH 3x3 kernel
//
// The package draws factor = 1 ± m, m in {0.1, ..., 0.9}.

// blendValue is one byte of PIL's ImagingBlend(deg, img, alpha): alpha is
// a C float and the arithmetic is float32,
//
//	v = deg + alpha*(img - deg),
//
// truncated to uint8, and clipped to 0..255 when alpha is outside [0, 1].
func blendValue(a float32, deg, img byte) byte {
	// float32(...) around the product forbids a fused multiply-add.
	v := float32(deg) + float32(a*float32(int(img)-int(deg)))
	switch {
	case v <= 0:
		return 0
	case v >= 255:
		return 255
	}
	return uint8(v)
}

// blend writes out = blend(deg, img, factor) for tight RGBA buffers of
// equal size, alpha 255. The result depends only on the byte pair
// (deg, img), so it is tabulated once (65536 entries, or 256 when deg is a
// constant) and looked up per byte; the table holds blendValue exactly.
// PIL's shortcuts: factor 0 copies deg, factor 1 copies img.
func blend(out, deg, img []byte, factor float64) {
	a := float32(factor)
	switch {
	case a == 0:
		copy(out, deg)
	case a == 1:
		copy(out, img)
	default:
		var table [256 * 256]byte
		for d := 0; d < 256; d++ {
			row := table[d<<8 : d<<8+256]
			for v := range row {
				row[v] = blendValue(a, byte(d), byte(v))
			}
		}
		for i := range out {
			out[i] = table[int(deg[i])<<8|int(img[i])]
		}
	}
	for i := 3; i < len(out); i += 4 {
		out[i] = 255
	}
}

// blendConst is blend with a constant degenerate value deg (Brightness: 0,
// Contrast: the mean grey): a 256-entry table.
func blendConst(out []byte, deg byte, img []byte, factor float64) {
	a := float32(factor)
	var table [256]byte
	for v := range table {
		switch {
		case a == 0:
			table[v] = deg
		case a == 1:
			table[v] = byte(v)
		default:
			table[v] = blendValue(a, deg, byte(v))
		}
	}
	for i, v := range img {
		out[i] = table[v]
	}
	for i := 3; i < len(out); i += 4 {
		out[i] = 255
	}
}

// luma is PIL's RGB -> "L" conversion: (19595 R + 38470 G + 7471 B + 2^15) >> 16,
// i.e. round(0.299 R + 0.587 G + 0.114 B) in 16.16 fixed point.
func luma(r, g, b byte) byte {
	return byte((int(r)*19595 + int(g)*38470 + int(b)*7471 + 0x8000) >> 16)
}

// Grayscale returns img converted to PIL "L" and back to RGB (R = G = B = luma).
func Grayscale(img *image.RGBA) *image.RGBA {
	src, _, _ := pixels(img)
	out := newLike(img)
	d := out.Pix
	for i := 0; i+3 < len(src); i += 4 {
		l := luma(src[i], src[i+1], src[i+2])
		d[i], d[i+1], d[i+2], d[i+3] = l, l, l, 255
	}
	return out
}

// EnhanceColor is ImageEnhance.Color(img).enhance(factor): saturation.
func EnhanceColor(img *image.RGBA, factor float64) *image.RGBA {
	src, _, _ := pixels(img)
	deg := Grayscale(img)
	out := newLike(img)
	blend(out.Pix, deg.Pix, src, factor)
	return out
}

// EnhanceContrast is ImageEnhance.Contrast(img).enhance(factor). The
// degenerate grey is int(mean(luma) + 0.5), the mean taken over all pixels
// as ImageStat does (sum / count in float64).
func EnhanceContrast(img *image.RGBA, factor float64) *image.RGBA {
	src, _, _ := pixels(img)
	sum, n := 0, 0
	for i := 0; i+3 < len(src); i += 4 {
		sum += int(luma(src[i], src[i+1], src[i+2]))
		n++
	}
	mean := byte(0)
	if n > 0 {
		mean = byte(int(float64(sum)/float64(n) + 0.5))
	}
	out := newLike(img)
	blendConst(out.Pix, mean, src, factor)
	return out
}

// EnhanceBrightness is ImageEnhance.Brightness(img).enhance(factor): a
// blend with black, i.e. v -> clip(trunc(factor*v)) in float32.
func EnhanceBrightness(img *image.RGBA, factor float64) *image.RGBA {
	src, _, _ := pixels(img)
	out := newLike(img)
	blendConst(out.Pix, 0, src, factor)
	return out
}

// EnhanceSharpness is ImageEnhance.Sharpness(img).enhance(factor): a blend
// with Smooth(img). Factor > 1 sharpens, < 1 blurs. Border pixels are
// unchanged (SMOOTH copies them).
func EnhanceSharpness(img *image.RGBA, factor float64) *image.RGBA {
	src, _, _ := pixels(img)
	deg := Smooth(img)
	out := newLike(img)
	blend(out.Pix, deg.Pix, src, factor)
	return out
}

// Smooth is img.filter(ImageFilter.SMOOTH): the 3x3 kernel
//
//	1 1 1
//	1 5 1  / 13
//	1 1 1
//
// on interior pixels, in float32 as Pillow's ImagingFilter3x3 computes it
// (weights k = float32(1)/13 and float32(5)/13, rows summed bottom row
// first, each row left to right, +0.5 then truncation and clipping to
// 0..255). The first and last rows and columns are copied unchanged.
func Smooth(img *image.RGBA) *image.RGBA {
	src, w, h := pixels(img)
	out := newLike(img)
	dst := out.Pix
	copy(dst, src)
	for i := 3; i < len(dst); i += 4 {
		dst[i] = 255
	}
	if w < 3 || h < 3 {
		return out
	}
	// The products float32(v)*k are tabulated (the same float32 values, so
	// the sums round exactly as Pillow's).
	k1 := float32(1) / float32(13)
	k5 := float32(5) / float32(13)
	var p1, p5 [256]float32
	for v := range p1 {
		p1[v] = float32(v) * k1
		p5[v] = float32(v) * k5
	}
	stride := 4 * w
	for y := 1; y < h-1; y++ {
		up := src[(y-1)*stride : y*stride]
		mid := src[y*stride : (y+1)*stride]
		down := src[(y+1)*stride : (y+2)*stride]
		row := dst[y*stride : (y+1)*stride]
		for i := 4; i < stride-4; i++ {
			if i&3 == 3 {
				continue // alpha
			}
			// Pillow: ss = offset + 0.5; ss += row(y+1); ss += row(y); ss += row(y-1),
			// each row ((in[x-1]*k0 + in[x]*k1) + in[x+1]*k2).
			ss := float32(0.5)
			ss += (p1[down[i-4]] + p1[down[i]]) + p1[down[i+4]]
			ss += (p1[mid[i-4]] + p5[mid[i]]) + p1[mid[i+4]]
			ss += (p1[up[i-4]] + p1[up[i]]) + p1[up[i+4]]
			switch {
			case ss <= 0:
				row[i] = 0
			case ss >= 255:
				row[i] = 255
			default:
				row[i] = uint8(ss)
			}
		}
	}
	return out
}
