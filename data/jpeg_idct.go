package data

// The inverse DCT of the baseline JPEG decoder (jpeg.go).
//
// The decoder must give image/jpeg's pixels, bit for bit: the run's results
// must not depend on which of the two decoded an image. So this is the
// fixed-point arithmetic of Go 1.26's image/jpeg IDCT, operation for
// operation: the one-dimensional 8-point IDCT (the Loeffler-Ligtenberg-
// Moschytz flow graph with its rotations as three-multiply boxes) over the
// rows, then over the columns, in int32 with the same shifts, constants and
// rounding. TestJPEGFastMatchesStd compares the two decoders' pixels on
// every chroma layout, and would fail if a later Go changed its IDCT.
//
// Fixed-point formats below: QN.M is a signed value with N integer and M
// fraction bits.

// The constants: cosines and sines given with 60 fraction bits, and each
// rounded to the fraction bits its step uses (untyped constant
// expressions, evaluated at compile time):
//
//	k(x, bits) = (x + 2^(59−bits)) >> (60−bits)   for x = round(value·2^60)
const (
	jCos1         = 1130768441178740757 // cos(π/16) · 2^60
	jSin1         = 224923827593068887  // sin(π/16)
	jCos3         = 958619196450722178  // cos(3π/16)
	jSin3         = 640528868967736374  // sin(3π/16)
	jSqrt2Inv     = 815238614083298888  // 1/√2
	jSqrt2InvCos6 = 311978311033955632  // cos(6π/16)/√2
	jSqrt2InvSin6 = 753182269664427492  // sin(6π/16)/√2
	jRowC6        = int32((jSqrt2InvCos6 + 1<<(59-18)) >> (60 - 18))
	jRowS6        = -int32((jSqrt2InvSin6 + 1<<(59-18)) >> (60 - 18))
	jRowR2        = int32((jSqrt2Inv + 1<<(59-8)) >> (60 - 8))
	jCos3at12     = int32((jCos3 + 1<<(59-12)) >> (60 - 12))
	jSin3at12     = -int32((jSin3 + 1<<(59-12)) >> (60 - 12))
	jCos1at12     = int32((jCos1 + 1<<(59-12)) >> (60 - 12))
	jSin1at12     = -int32((jSin1 + 1<<(59-12)) >> (60 - 12))
	jColC6        = int32((jSqrt2InvCos6 + 1<<(59-12)) >> (60 - 12))
	jColS6        = -int32((jSqrt2InvSin6 + 1<<(59-12)) >> (60 - 12))
	jColR2        = int32((jSqrt2Inv + 1<<(59-14)) >> (60 - 14))
)

// jpegRotate is a rotation and scaling in three multiplies:
//
//	y0 =  x0·kcos + x1·ksin
//	y1 = −x0·ksin + x1·kcos
func jpegRotate(x0, x1, kcos, ksin int32) (y0, y1 int32) {
	ksum := kcos * (x0 + x1)
	return ksum + (ksin-kcos)*x1, ksum - (kcos+ksin)*x0
}

// jpegIDCT turns the dequantized coefficients of b (natural order) into
// the block's samples times 8 minus the level shift (Q10.3 → the caller
// adds 128 and clamps). rows has bit r set when row r of b may be nonzero:
// an all-zero row gives all zeros from the row pass, so it is skipped.
func jpegIDCT(b *[64]int32, rows uint8) {
	for r := 0; r < 8; r++ {
		if rows&(1<<r) == 0 {
			continue
		}
		x := b[8*r : 8*r+8 : 8*r+8]
		// Inputs in the flow graph's order; UQ8.0 for a valid image.
		x0, x7, x2, x5, x1, x6, x3, x4 := x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7]

		// Even part: x0, x1, x2, x3 (→ Q8.19).
		x0 <<= 17
		x1 <<= 17
		x0, x1 = x0+x1, x0-x1
		x2, x3 = jpegRotate(x2, x3, jRowC6, jRowS6)
		x1, x2 = x1+x2, x1-x2
		x0, x3 = x0+x3, x0-x3

		// Odd part: x4, x5, x6, x7 (→ Q9.19).
		x4 <<= 7
		x7 <<= 7
		x7, x4 = x7+x4, x7-x4
		x6 *= jRowR2
		x5 *= jRowR2
		x7, x5 = x7+x5, x7-x5
		x4, x6 = x4+x6, x4-x6
		x4, x7 = jpegRotate(x4>>2, x7>>2, jCos3at12, jSin3at12)
		x5, x6 = jpegRotate(x5>>2, x6>>2, jCos1at12, jSin1at12)

		// Last butterflies (→ Q9.20).
		x[0], x[7] = x0+x7, x0-x7
		x[1], x[6] = x1+x6, x1-x6
		x[2], x[5] = x2+x5, x2-x5
		x[3], x[4] = x3+x4, x3-x4
	}
	for i := 0; i < 8; i++ {
		x0, x7, x2, x5 := b[0*8+i], b[1*8+i], b[2*8+i], b[3*8+i]
		x1, x6, x3, x4 := b[4*8+i], b[5*8+i], b[6*8+i], b[7*8+i]

		// ½ on the DC term: the butterflies carry it to every output, so
		// the final shift rounds.
		x0 += 1 << 19

		// Even part.
		x0, x1 = (x0+x1)>>2, (x0-x1)>>2
		x2, x3 = jpegRotate(x2>>13, x3>>13, jColC6, jColS6)
		x1, x2 = x1+x2, x1-x2
		x0, x3 = x0+x3, x0-x3

		// Odd part.
		x7, x4 = x7+x4, x7-x4
		x5 = (x5 >> 13) * jColR2
		x6 = (x6 >> 13) * jColR2
		x7, x5 = x7+x5, x7-x5
		x4, x6 = x4+x6, x4-x6
		x4, x7 = jpegRotate(x4>>14, x7>>14, jCos3at12, jSin3at12)
		x5, x6 = jpegRotate(x5>>14, x6>>14, jCos1at12, jSin1at12)

		// Last butterflies, Q10.21 → Q10.3.
		b[0*8+i] = (x0 + x7) >> 18
		b[7*8+i] = (x0 - x7) >> 18
		b[1*8+i] = (x1 + x6) >> 18
		b[6*8+i] = (x1 - x6) >> 18
		b[2*8+i] = (x2 + x5) >> 18
		b[5*8+i] = (x2 - x5) >> 18
		b[3*8+i] = (x3 + x4) >> 18
		b[4*8+i] = (x3 - x4) >> 18
	}
}
