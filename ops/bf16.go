package ops

import (
	"math"
	"sync"
)

// bfloat16 ("brain float"): the top 16 bits of a float32. It keeps float32's
// sign and 8-bit exponent (same range, up to 3.4e38) and 7 of its 23
// fraction bits, so 8 significant bits: the unit roundoff of rounding to it
// is u = 2^-8, about 0.4%.
//
// Rounding float32 → bf16 (BF16Round, and VCVTNE2PS2BF16, which the
// assembly packers use and which it matches bit for bit):
//
//   - round to nearest, ties to even, on the 16 dropped bits;
//   - a float32 denormal (|x| < 2^-126) becomes a zero of the same sign;
//   - a NaN stays a NaN (its top bits kept, made quiet);
//   - a finite value past the largest bf16 rounds to ±Inf.
//
// The bf16 matrix product. AVX512_BF16's VDPBF16PS adds two bf16 products
// to a float32 accumulator per lane: with a = (a0, a1) and b = (b0, b1) the
// even and odd bf16 of a dword,
//
//	acc = step(step(acc, a1*b1), a0*b0)        the odd pair first
//
// measured on AMD Zen 5 over millions of random lanes (all bit patterns,
// and values crafted around the underflow and overflow thresholds) and
// bit-exact with this description:
//
//   - inputs: bf16 denormals, and a denormal accumulator, count as zeros;
//   - each product is exact (8 x 8 significant bits), with no overflow or
//     underflow of its own: its exponent is unbounded;
//   - step(s, p) is the exact sum s + p rounded once, to nearest even, to
//     24 significant bits with an unbounded exponent; then a result of
//     magnitude >= 2^128 (after rounding) is ±Inf, and one below 2^-126 is
//     a zero with the sum's sign (flush to zero, after rounding);
//   - Inf and NaN follow IEEE 754 (Inf - Inf is NaN). NaN payloads are not
//     modelled: a NaN is a NaN.
//
// So this is not a float32 FMA: a product below 2^-126 is not flushed before
// it is added (+0 plus a tiny negative product gives -0), and an overflowing
// product does not turn into Inf before it is added. The pure-Go twin
// (dpbf16, microBF16) computes exactly this, which the tests check against
// the instruction bit for bit, lane by lane and tile by tile.
//
// Error bound of a bf16 product C = A·B of float32 matrices, with the
// inputs rounded to bf16 (relative error <= u = 2^-8 each) and float32
// accumulation over K (gamma_K ≈ K·2^-24):
//
//	|C - A·B| <= (2u + u² + gamma_K(1+u)²) · Σ_p |a_ip|·|b_pj|
//
// (tests check it against a float64 reference, in bf16_test.go).

// BF16Round returns the bfloat16 nearest to f (ties to even; denormals to
// zero; NaN stays NaN), as its 16 bits.
func BF16Round(f float32) uint16 {
	u := math.Float32bits(f)
	switch {
	case u&0x7f800000 == 0: // zero or denormal: signed zero
		return uint16(u>>16) & 0x8000
	case u&0x7fffffff > 0x7f800000: // NaN: keep it, quiet
		return uint16(u>>16) | 0x40
	}
	u += 0x7fff + (u>>16)&1
	return uint16(u >> 16)
}

// BF16ToFloat32 returns the float32 value of the bfloat16 h (exact).
func BF16ToFloat32(h uint16) float32 { return math.Float32frombits(uint32(h) << 16) }

// RoundToBF16 returns f rounded to bfloat16, as a float32 (BF16Round, widened).
func RoundToBF16(f float32) float32 { return BF16ToFloat32(BF16Round(f)) }

// BF16Convert writes dst[i] = BF16Round(src[i]) for i < len(src); dst must
// be at least as long as src.
func BF16Convert(dst []uint16, src []float32) {
	dst = dst[:len(src)]
	if haveBF16Asm {
		if len(src) > 0 {
			bf16Convert(dst, src)
		}
		return
	}
	for i, v := range src {
		dst[i] = BF16Round(v)
	}
}

// bf16Pair packs two bf16 (lo = the even element, hi = the odd one) into a
// dword carried in a float32 slot of a packed panel. Panels are []float32 so
// they use the SGEMM loop nest's buffers; the bits are only moved, never
// used as float32 arithmetic.
func bf16Pair(lo, hi float32) float32 {
	return math.Float32frombits(uint32(BF16Round(lo)) | uint32(BF16Round(hi))<<16)
}

// bf16DAZ is the value of the bf16 h as VDPBF16PS reads it: denormals are
// zeros of the same sign.
func bf16DAZ(h uint16) float32 {
	if h&0x7f80 == 0 {
		h &= 0x8000
	}
	return BF16ToFloat32(h)
}

// dpbf16 is one lane of VDPBF16PS: acc plus the products of the bf16 pairs
// a = (a0, a1) and b = (b0, b1) carried as dwords (low word even), in the
// instruction's order and rounding (see the top of this file).
func dpbf16(acc float32, a, b uint32) float32 {
	if math.Float32bits(acc)&0x7f800000 == 0 {
		acc = math.Float32frombits(math.Float32bits(acc) & 0x80000000)
	}
	acc = dpStep(acc, float64(bf16DAZ(uint16(a>>16)))*float64(bf16DAZ(uint16(b>>16))))
	return dpStep(acc, float64(bf16DAZ(uint16(a)))*float64(bf16DAZ(uint16(b))))
}

// dpStep is step(s, p): s + p rounded once to 24 significant bits (unbounded
// exponent), ±Inf past the float32 range, flushed to a signed zero below
// 2^-126. p, a product of two bf16, is exact in float64, and so is its
// exponent; the float64 sum s + p is rounded to 53 bits first, which does
// not change the final rounding to 24 (double rounding is innocuous when
// the intermediate precision is at least 2·24+2 bits, for a sum of two
// numbers of at most 24 bits; Figueroa 1995).
func dpStep(s float32, p float64) float32 {
	x := float64(s) + p
	if ax := math.Abs(x); ax < 0x1p-125 && ax != 0 {
		// At or below the bottom of the float32 normal range, float32(x)
		// would round on the denormal grid; round on the 24-bit grid
		// instead (scaled into the normal range: exact), then flush.
		r := float64(float32(x * 0x1p128))
		if math.Abs(r) < 0x1p2 { // below 2^-126 once scaled back
			return float32(math.Copysign(0, x))
		}
		return float32(r * 0x1p-128)
	}
	return float32(x) // NaN, Inf, zero, or in range: one rounding (or overflow to Inf)
}

// microBF16 is the pure-Go twin of the bf16 micro-kernels: an MR x NR tile
// from bf16-pair panels (packABF16, packBBF16 layouts), with k the depth in
// bf16 elements (ceil(k/2) pairs), then the kernels' float32 epilogue:
//
//	for q, r, j: t[r][j] = dpbf16(t[r][j], a[q*MR+r], b[q*NR+j])
//	c[r*ldc+j] = alpha*t[r][j] (rounded) + beta*c[r*ldc+j] (one fused rounding)
//
// C is not read when beta == 0.
func microBF16(mr, nr, k int, a, b, c []float32, ldc int, alpha, beta float32) {
	var acc [16 * 64]float32
	t := acc[:mr*nr]
	for q := 0; q < (k+1)/2; q++ {
		for r := 0; r < mr; r++ {
			av := math.Float32bits(a[q*mr+r])
			row := t[r*nr : r*nr+nr]
			for j := range row {
				row[j] = dpbf16(row[j], av, math.Float32bits(b[q*nr+j]))
			}
		}
	}
	for r := 0; r < mr; r++ {
		crow := c[r*ldc : r*ldc+nr]
		for j := range crow {
			v := alpha * t[r*nr+j]
			if beta == 0 {
				crow[j] = v
			} else {
				crow[j] = fma32(beta, crow[j], v)
			}
		}
	}
}

// fma32 is x*y + z rounded once to float32 (VFMADD231PS), computed
// exactly: x*y is exact in float64, the float64 sum s = x*y + z carries an
// error e that TwoSum recovers, and float32(s) is the correctly rounded
// result unless s lies exactly halfway between two float32 (then the sign
// of e decides; a midpoint is a float64, so the exact sum cannot be on the
// other side of one from s otherwise).
func fma32(x, y, z float32) float32 {
	p := float64(x) * float64(y)
	s := p + float64(z)
	if math.IsInf(s, 0) || s != s {
		return float32(s)
	}
	bb := s - p
	e := (p - (s - bb)) + (float64(z) - bb)
	r := float32(s)
	if e == 0 || float64(r) == s {
		return r
	}
	toward := float32(math.Inf(1))
	if float64(r) > s {
		toward = float32(math.Inf(-1))
	}
	r2 := math.Nextafter32(r, toward)  // the other float32 around s
	if s-float64(r) != float64(r2)-s { // not a midpoint
		return r
	}
	if (e > 0) == (r2 > r) {
		return r2
	}
	return r
}

func isFinite32(x float32) bool { return !math.IsInf(float64(x), 0) && x == x }

// packABF16 is packA for the bf16 kernels: opA[i0:i0+rows, p0:p0+kb] into
// an MR-row panel of bf16 pairs,
//
//	dst[q*MR + r] = (bf16(opA[i0+r, p0+2q]), bf16(opA[i0+r, p0+2q+1]))
//
// an odd kb padded with a zero, rows..MR zero. opA[i,p] is a[i*lda+p], or
// a[p*lda+i] when transA. It writes ceil(kb/2)*MR slots of dst.
func packABF16(transA bool, a []float32, lda, i0, rows, p0, kb, mr int, dst []float32) {
	pairs := (kb + 1) / 2
	dst = dst[:pairs*mr]
	even := kb &^ 1
	if haveBF16Asm {
		if !transA {
			if tr := bf16Transpose(mr); tr != nil && kb <= 2*bf16RowStride {
				packRowsBF16(tr, a, lda, i0*lda+p0, rows, mr, kb, dst)
				return
			}
		} else if mr <= 16 {
			if even > 0 {
				bf16PackPairs(dst, mr, a[p0*lda+i0:], a[(p0+1)*lda+i0:], 2*lda, even/2, uint16(1)<<rows-1)
			}
			if even < kb {
				lo := a[(p0+even)*lda+i0 : (p0+even)*lda+i0+rows]
				d := dst[(pairs-1)*mr : pairs*mr]
				for r := range lo {
					d[r] = bf16Pair(lo[r], 0)
				}
			}
			if rows < mr {
				for q := 0; q < pairs; q++ {
					clear(dst[q*mr+rows : q*mr+mr])
				}
			}
			return
		}
	}
	if transA {
		for q := 0; q < even/2; q++ {
			lo := a[(p0+2*q)*lda+i0 : (p0+2*q)*lda+i0+rows]
			hi := a[(p0+2*q+1)*lda+i0 : (p0+2*q+1)*lda+i0+rows]
			d := dst[q*mr : q*mr+mr]
			for r := range lo {
				d[r] = bf16Pair(lo[r], hi[r])
			}
			clear(d[rows:])
		}
		if even < kb {
			lo := a[(p0+even)*lda+i0 : (p0+even)*lda+i0+rows]
			d := dst[(pairs-1)*mr : pairs*mr]
			for r := range lo {
				d[r] = bf16Pair(lo[r], 0)
			}
			clear(d[rows:])
		}
		return
	}
	for r := 0; r < rows; r++ {
		src := a[(i0+r)*lda+p0 : (i0+r)*lda+p0+kb]
		for q := 0; q < even/2; q++ {
			dst[q*mr+r] = bf16Pair(src[2*q], src[2*q+1])
		}
		if even < kb {
			dst[(pairs-1)*mr+r] = bf16Pair(src[even], 0)
		}
	}
	for q := 0; q < pairs; q++ {
		clear(dst[q*mr+rows : q*mr+mr])
	}
}

// packBBF16 is packB for the bf16 kernels: opB[p0:p0+kb, j0:j0+cols] into
// an NR-column panel of bf16 pairs,
//
//	dst[q*NR + j] = (bf16(opB[p0+2q, j0+j]), bf16(opB[p0+2q+1, j0+j]))
//
// an odd kb padded with a zero, columns cols..NR zero. opB[p,j] is
// b[p*ldb+j], or b[j*ldb+p] when transB. It writes ceil(kb/2)*NR slots.
func packBBF16(transB bool, b []float32, ldb, p0, kb, j0, cols, nr int, dst []float32) {
	pairs := (kb + 1) / 2
	dst = dst[:pairs*nr]
	even := kb &^ 1
	if haveBF16Asm && transB {
		if tr := bf16Transpose(nr); tr != nil && kb <= 2*bf16RowStride {
			packRowsBF16(tr, b, ldb, j0*ldb+p0, cols, nr, kb, dst)
			return
		}
	}
	if !transB {
		j := 0
		if haveBF16Asm && even > 0 {
			// 16 columns at a time: VCVTNE2PS2BF16 + an interleave.
			for ; j < cols; j += 16 {
				w := min(16, cols-j)
				bf16PackPairs(dst[j:], nr, b[p0*ldb+j0+j:], b[(p0+1)*ldb+j0+j:], 2*ldb, even/2, uint16(1<<w-1))
			}
		}
		for q := 0; q < even/2; q++ {
			lo := b[(p0+2*q)*ldb+j0 : (p0+2*q)*ldb+j0+cols]
			hi := b[(p0+2*q+1)*ldb+j0 : (p0+2*q+1)*ldb+j0+cols]
			d := dst[q*nr : q*nr+nr]
			for jj := j; jj < cols; jj++ {
				d[jj] = bf16Pair(lo[jj], hi[jj])
			}
			clear(d[cols:])
		}
		if even < kb {
			lo := b[(p0+even)*ldb+j0 : (p0+even)*ldb+j0+cols]
			d := dst[(pairs-1)*nr : pairs*nr]
			for jj := range lo {
				d[jj] = bf16Pair(lo[jj], 0)
			}
			clear(d[cols:])
		}
		return
	}
	for j := 0; j < cols; j++ {
		src := b[(j0+j)*ldb+p0 : (j0+j)*ldb+p0+kb]
		for q := 0; q < even/2; q++ {
			dst[q*nr+j] = bf16Pair(src[2*q], src[2*q+1])
		}
		if even < kb {
			dst[(pairs-1)*nr+j] = bf16Pair(src[even], 0)
		}
	}
	for q := 0; q < pairs; q++ {
		clear(dst[q*nr+cols : q*nr+nr])
	}
}

// bf16Rows is the scratch of packRowsBF16: up to 32 rows of
// 2·bf16RowStride bf16, rows bf16RowStride dwords apart.
var bf16Rows = sync.Pool{New: func() any { return new([32 * 2 * bf16RowStride]uint16) }}

// bf16RowStride is the dword stride of the rows the transposing packers
// read (bf16_asmgen.go): KC/2 for gemmKC = 256; deeper K blocks take the Go
// packers.
const bf16RowStride = 128

// packRowsBF16 packs n rows of kb consecutive floats (row r at
// x[off+r*ld:]) into a panel of R rows per pair: dst[q*R + r] = (bf16 of
// elements 2q, 2q+1 of row r), an odd kb padded with zero, rows n..R zero.
// Each row is converted with VCVTNE2PS2BF16 into the scratch, and the
// scratch transposed into the panel.
func packRowsBF16(tr func(dst []float32, src []uint16, nq int), x []float32, ld, off, n, R, kb int, dst []float32) {
	s := bf16Rows.Get().(*[32 * 2 * bf16RowStride]uint16)
	pairs := (kb + 1) / 2
	for r := 0; r < R; r++ {
		row := s[r*2*bf16RowStride : r*2*bf16RowStride+2*pairs]
		if r >= n {
			clear(row)
			continue
		}
		bf16Convert(row[:kb], x[off+r*ld:off+r*ld+kb])
		if kb&1 == 1 {
			row[kb] = 0
		}
	}
	tr(dst, s[:], pairs)
	bf16Rows.Put(s)
}
