//go:build amd64 && !purego

package ops

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/klauspost/cpuid/v2"
)

// TestHalfWidthFMA: the 12x24 kernel is chosen on the cores that split
// 512-bit FMAs in two, and not on full-width ones.
func TestHalfWidthFMA(t *testing.T) {
	for _, c := range []struct {
		name          string
		v             cpuid.Vendor
		family, model int
		want          bool
	}{
		{"Zen 4 EPYC", cpuid.AMD, 0x19, 0x11, true},
		{"Zen 4 Ryzen", cpuid.AMD, 0x19, 0x61, true},
		{"Zen 5 EPYC (Turin)", cpuid.AMD, 0x1A, 0x02, false},
		{"Zen 5 Ryzen 9000", cpuid.AMD, 0x1A, 0x44, false},
		{"Zen 5 mobile (Strix Point)", cpuid.AMD, 0x1A, 0x24, true},
		{"Ice Lake client", cpuid.Intel, 6, 0x7E, true},
		{"Sapphire Rapids", cpuid.Intel, 6, 0x8F, false},
		{"Skylake-SP", cpuid.Intel, 6, 0x55, false},
	} {
		if got := halfWidthFMA(c.v, c.family, c.model); got != c.want {
			t.Errorf("%s (family %#x model %#x): halfWidthFMA = %v, want %v", c.name, c.family, c.model, got, c.want)
		}
	}
	t.Logf("this CPU: %v family %#x model %#x: narrow companion %v", cpuid.CPU.VendorID, cpuid.CPU.Family, cpuid.CPU.Model, activeGemm.narrow != nil)
}

// The half-width kernels give the bits of the full kernels on the first
// NR/2 columns, packed and direct, for beta 0 (C not read, NaN there stays
// out) and beta 1, and write nothing past those columns: every kernel of
// this CPU that has them (avx512_12x32's 12x16of32, avx2_6x16's 6x8of16).
func TestHalfKernelsSameBits(t *testing.T) {
	tested := 0
	for _, k := range asmGemmKernels() {
		if k.half == nil {
			continue
		}
		tested++
		mr, nr, h := k.mr, k.nr, k.nr/2
		rng := rand.New(rand.NewPCG(31, 32))
		for _, kb := range []int{1, 7, 256} {
			a := randSlice(rng, mr*kb)
			lda := kb + 5
			ad := randSlice(rng, (mr-1)*lda+kb)
			b := randSlice(rng, kb*nr)
			for _, beta := range []float32{0, 1} {
				ldc := nr + 8
				c0 := randSlice(rng, mr*ldc)
				full, half := append([]float32(nil), c0...), append([]float32(nil), c0...)
				k.fn(kb, a, b, full, ldc, 0.5, beta)
				k.half(kb, a, b, half, ldc, 0.5, beta)
				fullD, halfD := append([]float32(nil), c0...), append([]float32(nil), c0...)
				k.direct(kb, ad, lda, b, fullD, ldc, 0.5, beta)
				k.halfDirect(kb, ad, lda, b, halfD, ldc, 0.5, beta)
				for r := 0; r < mr; r++ {
					for j := 0; j < ldc; j++ {
						i := r*ldc + j
						wantP, wantD := full[i], fullD[i]
						if j >= h {
							wantP, wantD = c0[i], c0[i] // untouched
						}
						if math.Float32bits(half[i]) != math.Float32bits(wantP) || math.Float32bits(halfD[i]) != math.Float32bits(wantD) {
							t.Fatalf("%s k=%d beta=%g C[%d][%d]: half %g (direct %g), want %g (direct %g)", k.name, kb, beta, r, j, half[i], halfD[i], wantP, wantD)
						}
					}
				}
			}
		}
	}
	if tested == 0 {
		t.Skip("no kernel with half-width variants on this CPU")
	}
}
