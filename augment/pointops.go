package augment

import "image"

// Point ops: each output byte depends only on the same channel of the same
// pixel, through a 256-entry look-up table per channel (PIL's
// Image.point / ImageOps._lut). The tables are built exactly as
// PIL.ImageOps builds them, in integer (or float64 where PIL uses Python
// floats) arithmetic.

// lut3 holds one table per channel R, G, B.
type lut3 [3][256]uint8

// identityLUT returns t[v] = v.
func identityLUT() (t [256]uint8) {
	for i := range t {
		t[i] = uint8(i)
	}
	return t
}

// applyLUT returns out[c] = t[c][in[c]] per pixel, alpha 255.
func applyLUT(img *image.RGBA, t *lut3) *image.RGBA {
	src, _, _ := pixels(img)
	out := newLike(img)
	dst := out.Pix
	r, g, b := &t[0], &t[1], &t[2]
	for i := 0; i+3 < len(src); i += 4 {
		dst[i] = r[src[i]]
		dst[i+1] = g[src[i+1]]
		dst[i+2] = b[src[i+2]]
		dst[i+3] = 255
	}
	return out
}

// histogram counts each value per channel (PIL's Image.histogram for RGB,
// 3 x 256 bins).
func histogram(img *image.RGBA) (h [3][256]int) {
	src, _, _ := pixels(img)
	for i := 0; i+3 < len(src); i += 4 {
		h[0][src[i]]++
		h[1][src[i+1]]++
		h[2][src[i+2]]++
	}
	return h
}

// Invert is ImageOps.invert: v -> 255 - v.
func Invert(img *image.RGBA) *image.RGBA {
	var t lut3
	for c := range t {
		for i := range t[c] {
			t[c][i] = uint8(255 - i)
		}
	}
	return applyLUT(img, &t)
}

// Posterize is ImageOps.posterize(img, bits): keep the top `bits` bits,
// v -> v & ^(2^(8-bits) - 1). bits is in 1..8 (8 is the identity).
func Posterize(img *image.RGBA, bits int) *image.RGBA {
	if bits < 1 || bits > 8 {
		panic("augment.Posterize: bits must be in 1..8")
	}
	mask := ^uint8(1<<(8-bits) - 1)
	var t lut3
	for c := range t {
		for i := range t[c] {
			t[c][i] = uint8(i) & mask
		}
	}
	return applyLUT(img, &t)
}

// Solarize is ImageOps.solarize(img, threshold): v -> v if v < threshold,
// else 255 - v. The threshold is a float (the package passes linspace values
// such as 227.56), compared as Python compares int < float.
func Solarize(img *image.RGBA, threshold float64) *image.RGBA {
	var t lut3
	for c := range t {
		for i := range t[c] {
			if float64(i) < threshold {
				t[c][i] = uint8(i)
			} else {
				t[c][i] = uint8(255 - i)
			}
		}
	}
	return applyLUT(img, &t)
}

// AutoContrast is ImageOps.autocontrast(img) (cutoff 0): per channel, with
// lo and hi the smallest and largest values present,
//
//	v -> clamp(int(v*scale + offset), 0, 255),  scale = 255/(hi-lo), offset = -lo*scale,
//
// where int truncates toward zero (Python's int()). A channel with
// hi <= lo is left unchanged.
func AutoContrast(img *image.RGBA) *image.RGBA {
	h := histogram(img)
	var t lut3
	for c := range t {
		lo, hi := 0, 255
		for lo < 256 && h[c][lo] == 0 {
			lo++
		}
		for hi >= 0 && h[c][hi] == 0 {
			hi--
		}
		if hi <= lo {
			t[c] = identityLUT()
			continue
		}
		scale := 255.0 / float64(hi-lo)
		offset := float64(-float64(lo) * scale)
		for i := range t[c] {
			// float64(...) around each product forbids a fused multiply-add,
			// which Python does not do.
			v := int(float64(float64(i)*scale) + offset)
			t[c][i] = uint8(min(max(v, 0), 255))
		}
	}
	return applyLUT(img, &t)
}

// Equalize is ImageOps.equalize(img): per channel, with the histogram h and
// the last non-zero bin value h_last,
//
//	step = (sum(h) - h_last) // 255
//	lut[i] = (step//2 + sum_{j<i} h[j]) // step
//
// in integer arithmetic. A channel with a single distinct value, or with
// step 0, is left unchanged.
func Equalize(img *image.RGBA) *image.RGBA {
	h := histogram(img)
	var t lut3
	for c := range t {
		total, last, distinct := 0, 0, 0
		for _, n := range h[c] {
			if n != 0 {
				total += n
				last = n
				distinct++
			}
		}
		step := (total - last) / 255
		if distinct <= 1 || step == 0 {
			t[c] = identityLUT()
			continue
		}
		n := step / 2
		for i := range t[c] {
			t[c][i] = uint8(min(n/step, 255)) // PIL clips the table to 8 bits
			n += h[c][i]
		}
	}
	return applyLUT(img, &t)
}
