package ops

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// The bf16 tests: rounding float32 → bf16 (Go and VCVTNE2PS2BF16), one lane
// of VDPBF16PS (the Go model dpbf16 against an independent big.Float model
// and against the instruction), the micro-kernels against their twin
// microBF16 bit for bit with guard bands around C, and the packers against
// their definition.

func TestBF16RoundValues(t *testing.T) {
	cases := []struct {
		in   uint32
		want uint16
	}{
		{0x3f800000, 0x3f80}, // 1
		{0x3f808000, 0x3f80}, // 1 + half an ulp: tie, to even (down)
		{0x3f818000, 0x3f82}, // tie, to even (up)
		{0x3f808001, 0x3f81}, // above the tie
		{0x3f807fff, 0x3f80}, // below the tie
		{0x7f7fffff, 0x7f80}, // largest float32 rounds to +Inf
		{0xff7fffff, 0xff80},
		{0x7f800000, 0x7f80}, // +Inf
		{0x00000001, 0x0000}, // denormal: +0
		{0x807fffff, 0x8000}, // denormal: -0
		{0x00800000, 0x0080}, // smallest normal stays
		{0x7f800001, 0x7fc0}, // signalling NaN: quiet
		{0xffc00000, 0xffc0},
	}
	for _, c := range cases {
		if got := BF16Round(math.Float32frombits(c.in)); got != c.want {
			t.Errorf("BF16Round(%#08x) = %#04x, want %#04x", c.in, got, c.want)
		}
	}
	// Against float64 rounding on normal values: bf16 is the float32 whose
	// low 16 bits are zero, nearest to x (ties to even).
	rng := rand.New(rand.NewPCG(1, 1))
	for range 100000 {
		x := math.Float32frombits(rng.Uint32()&0x3fffffff | 0x08000000)
		got := float64(RoundToBF16(x))
		u := math.Float32bits(x) &^ 0xffff
		lo, hi := float64(math.Float32frombits(u)), float64(math.Float32frombits(u+0x10000))
		want := lo
		if d := float64(x) - lo; d > hi-float64(x) || (d == hi-float64(x) && (u>>16)&1 == 1) {
			want = hi
		}
		if got != want {
			t.Fatalf("RoundToBF16(%g) = %g, want %g", x, got, want)
		}
	}
}

// TestBF16Convert checks BF16Convert (the assembly conversion on CPUs with
// AVX512_BF16) against BF16Round on every kind of bit pattern.
func TestBF16Convert(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	for _, n := range []int{0, 1, 31, 32, 33, 64, 100, 1000} {
		src := make([]float32, n)
		for i := range src {
			switch i % 4 {
			case 0:
				src[i] = math.Float32frombits(rng.Uint32())
			case 1: // denormals and tiny
				src[i] = math.Float32frombits(rng.Uint32() & 0x80ffffff)
			case 2: // Inf/NaN
				src[i] = math.Float32frombits(rng.Uint32() | 0x7f800000)
			default:
				src[i] = float32(rng.NormFloat64())
			}
		}
		dst := make([]uint16, n+1)
		dst[n] = 0xbeef
		BF16Convert(dst, src)
		for i, v := range src {
			if dst[i] != BF16Round(v) {
				t.Fatalf("n=%d: BF16Convert[%d] of %#08x = %#04x, want %#04x", n, i, math.Float32bits(v), dst[i], BF16Round(v))
			}
		}
		if dst[n] != 0xbeef {
			t.Fatalf("n=%d: BF16Convert wrote past len(src)", n)
		}
	}
}

// dpbf16Big is an independent model of one VDPBF16PS lane in big.Float:
// DAZ inputs, exact products, each addition rounded to 24 bits with an
// unbounded exponent, then overflow to Inf and flush below 2^-126.
func dpbf16Big(acc float32, a, b uint32) float32 {
	daz := func(h uint16) float64 {
		if h&0x7f80 == 0 {
			h &= 0x8000
		}
		return float64(math.Float32frombits(uint32(h) << 16))
	}
	s := float64(acc)
	if math.Float32bits(acc)&0x7f800000 == 0 {
		s = math.Copysign(0, s)
	}
	step := func(s, x, y float64) float64 {
		p := x * y // exact in float64
		if math.IsNaN(s) || math.IsNaN(p) || math.IsInf(s, 0) || math.IsInf(p, 0) {
			return s + p
		}
		if s+p == 0 { // exact zero: IEEE signs
			return s + p
		}
		z := new(big.Float).SetPrec(24).SetMode(big.ToNearestEven)
		z.Add(new(big.Float).SetPrec(200).SetFloat64(s), new(big.Float).SetPrec(200).SetFloat64(p))
		f, _ := z.Float64() // exact: 24 bits
		switch {
		case math.Abs(f) >= 0x1p128:
			return math.Inf(int(math.Copysign(1, f)))
		case math.Abs(f) < 0x1p-126:
			return math.Copysign(0, f)
		}
		return f
	}
	s = step(s, daz(uint16(a>>16)), daz(uint16(b>>16)))
	s = step(s, daz(uint16(a)), daz(uint16(b)))
	return float32(s)
}

// sameF32 is bit equality, except that any NaN equals any NaN.
func sameF32(x, y float32) bool {
	if x != x && y != y {
		return true
	}
	return math.Float32bits(x) == math.Float32bits(y)
}

// dotLane draws one lane: an accumulator and two bf16 pairs, from a mix of
// ordinary values, all bit patterns, values near the underflow threshold and
// products that overflow.
func dotLane(rng *rand.Rand, mode int) (acc float32, a, b uint32) {
	h := func(sign, exp, frac int) uint32 { return uint32(sign<<15 | exp<<7 | frac) }
	switch mode {
	case 0: // ordinary
		acc = float32(rng.NormFloat64() * math.Exp2(float64(rng.IntN(20)-10)))
		bf := func() uint32 { return uint32(BF16Round(float32(rng.NormFloat64()))) }
		return acc, bf() | bf()<<16, bf() | bf()<<16
	case 1: // any bits
		return math.Float32frombits(rng.Uint32()), rng.Uint32(), rng.Uint32()
	case 2: // tiny: denormal accumulators and products under 2^-126
		acc = float32(rng.NormFloat64() * 1e-37)
		e := func() int { return rng.IntN(40) }
		s := func() int { return rng.IntN(2) }
		f := func() int { return rng.IntN(128) }
		return acc, h(s(), e(), f()) | h(s(), e(), f())<<16, h(s(), e(), f()) | h(s(), e(), f())<<16
	case 3: // accumulator at 2^-126 and products just below it: rounding at the threshold
		acc = float32(math.Copysign(0x1p-126*(1+float64(rng.IntN(4))*0x1p-23), rng.NormFloat64()))
		s := func() int { return rng.IntN(2) }
		f := func() int { return rng.IntN(128) }
		e1, e2 := 67+rng.IntN(10), 67-rng.IntN(20)
		return acc, h(s(), e1, f()) | h(s(), e2, f())<<16, h(s(), e2, f()) | h(s(), e1, f())<<16
	default: // huge: products past the float32 range, of both signs
		acc = float32(rng.NormFloat64() * 1e38)
		s := func() int { return rng.IntN(2) }
		f := func() int { return rng.IntN(128) }
		e := func() int { return 190 + rng.IntN(64) }
		return acc, h(s(), e(), f()) | h(s(), e(), f())<<16, h(s(), e(), f()) | h(s(), e(), f())<<16
	}
}

// TestDpbf16Model checks the fast Go model of a VDPBF16PS lane against the
// independent big.Float one.
func TestDpbf16Model(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	for i := range 200000 {
		acc, a, b := dotLane(rng, i%5)
		if got, want := dpbf16(acc, a, b), dpbf16Big(acc, a, b); !sameF32(got, want) {
			t.Fatalf("dpbf16(%g, %#08x, %#08x) = %g (%#08x), big.Float model %g (%#08x)",
				acc, a, b, got, math.Float32bits(got), want, math.Float32bits(want))
		}
	}
}

// TestDpbf16Instruction checks dpbf16 against VDPBF16PS itself, 16 lanes
// at a time.
func TestDpbf16Instruction(t *testing.T) {
	if !haveBF16Asm {
		t.Skip("no AVX512_BF16 (or assembly disabled)")
	}
	rng := rand.New(rand.NewPCG(4, 4))
	acc, a, b := make([]float32, 16), make([]float32, 16), make([]float32, 16)
	n := 40000
	if testing.Short() {
		n = 4000
	}
	for it := range n {
		in := make([]float32, 16)
		for i := range 16 {
			x, y, z := dotLane(rng, (it+i)%5)
			in[i], a[i], b[i] = x, math.Float32frombits(y), math.Float32frombits(z)
		}
		copy(acc, in)
		bf16Dot16(acc, a, b)
		for i := range 16 {
			want := dpbf16(in[i], math.Float32bits(a[i]), math.Float32bits(b[i]))
			if !sameF32(acc[i], want) {
				t.Fatalf("VDPBF16PS(acc %g (%#08x), a %#08x, b %#08x) = %g (%#08x), dpbf16 gives %g (%#08x)",
					in[i], math.Float32bits(in[i]), math.Float32bits(a[i]), math.Float32bits(b[i]),
					acc[i], math.Float32bits(acc[i]), want, math.Float32bits(want))
			}
		}
	}
}

// bf16Panel fills n dwords with bf16 pairs drawn around scale, with an
// occasional zero, tiny or huge element.
func bf16Panel(rng *rand.Rand, n int, wild bool) []float32 {
	p := make([]float32, n)
	for i := range p {
		x, y := float32(rng.NormFloat64()), float32(rng.NormFloat64())
		if wild && rng.IntN(16) == 0 {
			_, w, _ := dotLane(rng, 2+rng.IntN(3))
			p[i] = math.Float32frombits(w)
			continue
		}
		p[i] = bf16Pair(x, y)
	}
	return p
}

// TestBF16Kernels runs every bf16 assembly kernel against microBF16 with the
// same panels, bit for bit, and checks that nothing outside the tile of C
// is written.
func TestBF16Kernels(t *testing.T) {
	ks := asmBF16Kernels()
	if len(ks) == 0 {
		t.Skip("no AVX512_BF16 kernels on this machine (or assembly disabled)")
	}
	var all []gemmKernel
	for _, k := range ks {
		all = append(all, k)
		all = append(all, k.edges...)
	}
	rng := rand.New(rand.NewPCG(5, 5))
	for _, k := range all {
		for _, depth := range []int{0, 1, 2, 3, 4, 7, 16, 33, 256, 257} {
			for _, ab := range [][2]float32{{1, 0}, {1, 1}, {-0.75, 0.5}, {2, 1}} {
				for _, wild := range []bool{false, true} {
					name := fmt.Sprintf("%s/k%d/alpha%g_beta%g/wild%v", k.name, depth, ab[0], ab[1], wild)
					pairs := (depth + 1) / 2
					a := bf16Panel(rng, pairs*k.mr, wild)
					b := bf16Panel(rng, pairs*k.nr, wild)
					ldc := k.nr + 5
					const band = 19
					mk := func() []float32 {
						c := make([]float32, band+k.mr*ldc+band)
						for i := range c {
							c[i] = guard
						}
						for r := 0; r < k.mr; r++ {
							for j := 0; j < k.nr; j++ {
								c[band+r*ldc+j] = float32(rng.NormFloat64())
								if ab[1] == 0 {
									c[band+r*ldc+j] = float32(math.NaN())
								}
							}
						}
						return c
					}
					got := mk()
					want := append([]float32(nil), got...)
					k.fn(depth, a, b, got[band:], ldc, ab[0], ab[1])
					microBF16(k.mr, k.nr, depth, a, b, want[band:], ldc, ab[0], ab[1])
					for i := range got {
						if !sameF32(got[i], want[i]) {
							r, j := (i-band)/ldc, (i-band)%ldc
							t.Fatalf("%s: C[%d] (row %d col %d) = %g (%#08x), twin %g (%#08x)",
								name, i-band, r, j, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
						}
					}
				}
			}
		}
	}
}

// TestBF16Pack checks the bf16 packers on all transposes, odd depths and
// partial panels against their definition, and their zero padding.
func TestBF16Pack(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	pair := func(lo, hi float32) uint32 { return uint32(BF16Round(lo)) | uint32(BF16Round(hi))<<16 }
	for _, tr := range []bool{false, true} {
		for _, kb := range []int{1, 2, 5, 16, 33, 255, 256} {
			for _, mr := range []int{4, 8, 12, 16, 24, 32} {
				for _, rows := range []int{1, mr - 1, mr} {
					if rows < 1 {
						continue
					}
					// A panel: opA[i0+r, p0+p].
					i0, p0, ld := 3, 2, 70
					src := randSlice(rng, 300*ld)
					opA := func(i, p int) float32 {
						if tr {
							return src[p*ld+i]
						}
						return src[i*ld+p]
					}
					pairs := (kb + 1) / 2
					dst := make([]float32, pairs*mr+3)
					for i := range dst {
						dst[i] = guard
					}
					packABF16(tr, src, ld, i0, rows, p0, kb, mr, dst)
					for q := 0; q < pairs; q++ {
						for r := 0; r < mr; r++ {
							var lo, hi float32
							if r < rows {
								lo = opA(i0+r, p0+2*q)
								if 2*q+1 < kb {
									hi = opA(i0+r, p0+2*q+1)
								}
							}
							if got := math.Float32bits(dst[q*mr+r]); got != pair(lo, hi) {
								t.Fatalf("packABF16 trans=%v kb=%d mr=%d rows=%d: [q=%d r=%d] = %#08x, want %#08x", tr, kb, mr, rows, q, r, got, pair(lo, hi))
							}
						}
					}
					if dst[pairs*mr] != guard {
						t.Fatalf("packABF16 wrote past its panel")
					}
					// B panel: opB[p0+p, j0+j], with nr = mr columns.
					j0 := 5
					opB := func(p, j int) float32 {
						if tr {
							return src[j*ld+p]
						}
						return src[p*ld+j]
					}
					for i := range dst {
						dst[i] = guard
					}
					packBBF16(tr, src, ld, p0, kb, j0, rows, mr, dst)
					for q := 0; q < pairs; q++ {
						for j := 0; j < mr; j++ {
							var lo, hi float32
							if j < rows {
								lo = opB(p0+2*q, j0+j)
								if 2*q+1 < kb {
									hi = opB(p0+2*q+1, j0+j)
								}
							}
							if got := math.Float32bits(dst[q*mr+j]); got != pair(lo, hi) {
								t.Fatalf("packBBF16 trans=%v kb=%d nr=%d cols=%d: [q=%d j=%d] = %#08x, want %#08x", tr, kb, mr, rows, q, j, got, pair(lo, hi))
							}
						}
					}
					if dst[pairs*mr] != guard {
						t.Fatalf("packBBF16 wrote past its panel")
					}
				}
			}
		}
	}
}

// TestFMA32 checks fma32 (the kernels' fused epilogue in Go) against exact
// big.Float arithmetic, on random operands and on sums that fall exactly
// on, or just beside, a midpoint between two float32.
func TestFMA32(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 11))
	exact := func(x, y, z float32) float32 {
		p := new(big.Float).SetPrec(400).SetFloat64(float64(x))
		p.Mul(p, new(big.Float).SetPrec(400).SetFloat64(float64(y)))
		p.Add(p, new(big.Float).SetPrec(400).SetFloat64(float64(z)))
		if p.Sign() == 0 {
			return x*y + z
		}
		f, _ := p.Float32()
		return f
	}
	for i := range 300000 {
		x, y, z := float32(rng.NormFloat64()), float32(rng.NormFloat64()), float32(rng.NormFloat64())
		switch i % 4 {
		case 1: // z cancels most of x*y, leaving the low bits
			z = -RoundToBF16(x * y)
		case 2: // x*y on a midpoint of z's grid: y a power of two, x with 25 bits
			x = float32(1 + float64(rng.IntN(1<<24))*0x1p-24)
			y = float32(math.Ldexp(1, rng.IntN(20)-10))
			z = float32(math.Ldexp(float64(rng.IntN(1<<20)), rng.IntN(10)-40))
		case 3: // tiny results: denormals
			x, y = x*1e-20, y*1e-19
			z = float32(rng.NormFloat64() * 1e-39)
		}
		if got, want := fma32(x, y, z), exact(x, y, z); !sameF32(got, want) {
			t.Fatalf("fma32(%g, %g, %g) = %g, exact %g", x, y, z, got, want)
		}
	}
}
