package data

import (
	"fmt"
	"image"
	"math"
)

// Bilinear resize with the arithmetic of OpenCV's cv2.resize(img, (w, h),
// interpolation=cv2.INTER_LINEAR) on 8-bit images (modules/imgproc/src/
// resize.cpp, resizeGeneric_ with HResizeLinear / VResizeLinear), which the
// reference uses to bring every image to S x S (docs/method.md §5.7).
//
// Geometry: half-pixel centres, no antialiasing. Output pixel d (0-based)
// samples the source at
//
//	f = float32((d + 0.5) * scale - 0.5),  scale = 1 / (dstN / srcN)  (float64)
//	s = floor(f),  t = f - s   (float32)
//
// Weights are 11-bit fixed point: w0 = round(2048 (1 - t)), w1 = round(2048 t)
// (round half to even, as cvRound). Columns are clamped to the border
// (s < 0 -> s = 0, t = 0; s >= W-1 -> s = W-1, t = 0); rows keep their
// weights but read clamped rows (clip(s), clip(s+1) in [0, H-1]).
//
// Two passes per output row, per channel byte:
//
//	horizontal:  h = S[s] w0 + S[s+1] w1                       (int32, scale 2048)
//	vertical:    out = (h0 b0 + h1 b1 + 2^21) >> 22            (scalar path)
//	             out = ((h0>>4) b0 >> 16 + (h1>>4) b1 >> 16 + 2) >> 2   (SIMD path)
//
// OpenCV's vertical pass runs the SIMD formula (VResizeLinearVec_32s8u:
// shift by 4, pack to int16, mulhi, rounding shift by 2) on the first
// floor(3W/16)*16 bytes of each 3-channel BGR output row and the scalar one
// on the rest; the two differ by 1 on some pixels. We do the same, so the
// result equals cv2 on x86-64 and ARM builds (128-bit universal intrinsics);
// at the usual sizes (224, 448, 576, 640) every byte takes the SIMD path.
// Not emulated: OpenCV reads a 2x downscale (exactly W/2 x H/2) through
// INTER_AREA, which gives the same values as this formula ((a+b+c+d+2)>>2).
//
// The alpha channel of the output is 255.

const (
	resizeBits  = 11
	resizeScale = 1 << resizeBits // INTER_RESIZE_COEF_SCALE
)

// linearCoefs returns, per output index, the source index s (clamped as
// described above for columns when clampEdge) and the fixed-point weights.
func linearCoefs(srcN, dstN int, clampEdge bool) (ofs []int, w0, w1 []int32) {
	ofs = make([]int, dstN)
	w0 = make([]int32, dstN)
	w1 = make([]int32, dstN)
	scale := 1 / (float64(dstN) / float64(srcN))
	for d := 0; d < dstN; d++ {
		f := float32((float64(d)+0.5)*scale - 0.5)
		s := int(math.Floor(float64(f)))
		f -= float32(s)
		if clampEdge {
			if s < 0 {
				s, f = 0, 0
			}
			if s >= srcN-1 {
				s, f = srcN-1, 0
			}
		}
		ofs[d] = s
		w0[d] = int32(math.RoundToEven(float64((1 - f) * resizeScale)))
		w1[d] = int32(math.RoundToEven(float64(f * resizeScale)))
	}
	return ofs, w0, w1
}

// simdEnd is the number of leading bytes of a 3-channel row of w pixels
// that OpenCV's vertical pass handles with its 16-byte SIMD loop.
func simdEnd(w int) int { return 3 * w / 16 * 16 }

// Resize returns src resized to w x h (see the top of this file).
func Resize(src *image.RGBA, w, h int) *image.RGBA { return ResizeInto(nil, src, w, h) }

// ResizeInto is Resize writing into dst's buffer when its capacity
// suffices (dst may be nil; it must not share memory with src).
func ResizeInto(dst, src *image.RGBA, w, h int) *image.RGBA {
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	if w <= 0 || h <= 0 || sw <= 0 || sh <= 0 {
		panic(fmt.Sprintf("data.Resize: %dx%d -> %dx%d", sw, sh, w, h))
	}
	dst = reuseRGBA(dst, w, h)
	if sw == w && sh == h { // cv2.resize copies when the size is unchanged
		copyRGB(dst, src.Pix, src.Stride, w, h)
		return dst
	}
	xofs, xa0, xa1 := linearCoefs(sw, w, true)
	yofs, yb0, yb1 := linearCoefs(sh, h, false)

	// Byte offsets of the two source pixels per output column.
	xs0 := make([]int, w)
	xs1 := make([]int, w)
	for dx, s := range xofs {
		xs0[dx] = 4 * s
		xs1[dx] = 4 * min(s+1, sw-1)
	}
	// Horizontal results of two source rows (3 channels per pixel), cached
	// by row index since consecutive output rows often share source rows.
	hbuf := [2][]int32{make([]int32, 3*w), make([]int32, 3*w)}
	hrow := [2]int{-1, -1}
	hpass := func(k, sy int) {
		out := hbuf[k]
		row := src.Pix[sy*src.Stride:]
		for dx := 0; dx < w; dx++ {
			a0, a1 := xa0[dx], xa1[dx]
			p0, p1 := row[xs0[dx]:xs0[dx]+3], row[xs1[dx]:xs1[dx]+3]
			o := out[3*dx : 3*dx+3]
			o[0] = int32(p0[0])*a0 + int32(p1[0])*a1
			o[1] = int32(p0[1])*a0 + int32(p1[1])*a1
			o[2] = int32(p0[2])*a0 + int32(p1[2])*a1
		}
		hrow[k] = sy
	}
	vec := simdEnd(w)
	for dy := 0; dy < h; dy++ {
		r0 := min(max(yofs[dy], 0), sh-1)
		r1 := min(max(yofs[dy]+1, 0), sh-1)
		// Reuse a cached row, swapping buffers so that hbuf[0] holds r0.
		if hrow[1] == r0 {
			hbuf[0], hbuf[1] = hbuf[1], hbuf[0]
			hrow[0], hrow[1] = hrow[1], hrow[0]
		}
		if hrow[0] != r0 {
			hpass(0, r0)
		}
		if hrow[1] != r1 {
			hpass(1, r1)
		}
		b0, b1 := yb0[dy], yb1[dy]
		h0, h1 := hbuf[0], hbuf[1]
		d := dst.Pix[dy*dst.Stride : dy*dst.Stride+4*w]
		for dx := 0; dx < w; dx++ {
			o := d[4*dx : 4*dx+4]
			for c := 0; c < 3; c++ {
				k := 3*dx + c // byte index in OpenCV's 3-channel row
				if k < vec {
					o[c] = vresizeSIMD(h0[k], h1[k], b0, b1)
				} else {
					o[c] = vresizeScalar(h0[k], h1[k], b0, b1)
				}
			}
			o[3] = 255
		}
	}
	return dst
}

// vresizeScalar is OpenCV's FixedPtCast<int, uchar, 22> of h0 b0 + h1 b1.
func vresizeScalar(h0, h1, b0, b1 int32) uint8 {
	v := (h0*b0 + h1*b1 + 1<<(2*resizeBits-1)) >> (2 * resizeBits)
	return uint8(min(max(v, 0), 255))
}

// vresizeSIMD is one lane of VResizeLinearVec_32s8u: v_shr<4>, v_pack to
// int16 (saturating), v_mul_hi with the int16 weight, v_add, then
// v_rshr_pack_u<2> (add 2, shift by 2, saturate to uint8).
func vresizeSIMD(h0, h1, b0, b1 int32) uint8 {
	s0 := min(max(h0>>4, math.MinInt16), math.MaxInt16)
	s1 := min(max(h1>>4, math.MinInt16), math.MaxInt16)
	v := int32(int16((s0*b0)>>16 + (s1*b1)>>16))
	v = (v + 2) >> 2
	return uint8(min(max(v, 0), 255))
}

// resizeRef is the plain reference for ResizeInto: every output byte
// computed on its own from the definitions at the top of this file, with
// no tables, caches or buffers. Tests check that both agree exactly.
func resizeRef(src *image.RGBA, w, h int) *image.RGBA {
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	if sw == w && sh == h {
		copyRGB(dst, src.Pix, src.Stride, w, h)
		return dst
	}
	coef := func(d, srcN, dstN int) (s int, t float32) {
		scale := 1 / (float64(dstN) / float64(srcN))
		t = float32((float64(d)+0.5)*scale - 0.5)
		s = int(math.Floor(float64(t)))
		return s, t - float32(s)
	}
	weights := func(t float32) (int32, int32) {
		return int32(math.RoundToEven(float64((1 - t) * 2048))), int32(math.RoundToEven(float64(t * 2048)))
	}
	at := func(x, y, c int) int32 {
		x = min(max(x, 0), sw-1)
		y = min(max(y, 0), sh-1)
		return int32(src.Pix[y*src.Stride+4*x+c])
	}
	for dy := 0; dy < h; dy++ {
		sy, ty := coef(dy, sh, h)
		b0, b1 := weights(ty)
		for dx := 0; dx < w; dx++ {
			sx, tx := coef(dx, sw, w)
			if sx < 0 {
				sx, tx = 0, 0
			}
			if sx >= sw-1 {
				sx, tx = sw-1, 0
			}
			a0, a1 := weights(tx)
			for c := 0; c < 3; c++ {
				h0 := at(sx, sy, c)*a0 + at(sx+1, sy, c)*a1
				h1 := at(sx, sy+1, c)*a0 + at(sx+1, sy+1, c)*a1
				var v uint8
				if 3*dx+c < simdEnd(w) {
					v = vresizeSIMD(h0, h1, b0, b1)
				} else {
					v = vresizeScalar(h0, h1, b0, b1)
				}
				dst.Pix[dy*dst.Stride+4*dx+c] = v
			}
			dst.Pix[dy*dst.Stride+4*dx+3] = 255
		}
	}
	return dst
}
