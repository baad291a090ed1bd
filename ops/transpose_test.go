package ops

import (
	"math/rand/v2"
	"testing"
)

// Transpose against the definition on shapes with whole and ragged 8 x 8 and 16 x 16
// tiles, strides wider than the block, and guards around dst; on the
// assembly path and the Go one.
func TestTranspose(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, sh := range [][2]int{{1, 1}, {3, 70}, {8, 8}, {9, 17}, {16, 16}, {16, 48}, {17, 33}, {24, 40}, {32, 32}, {70, 3}, {48, 100}, {96, 576}} {
		rows, cols := sh[0], sh[1]
		for _, pad := range []int{0, 5} {
			lda, ldd := cols+pad, rows+2*pad
			a := randSlice(rng, rows*lda)
			for _, asm := range []bool{true, false} {
				dst := make([]float32, cols*ldd+7)
				for i := range dst {
					dst[i] = guard
				}
				if asm {
					Transpose(dst, ldd, a, lda, rows, cols)
				} else {
					transposeGo(dst, ldd, a, lda, rows, cols)
				}
				for j := range cols {
					for i := range ldd {
						got := dst[j*ldd+i]
						if i < rows {
							if want := a[i*lda+j]; got != want {
								t.Fatalf("%dx%d pad %d asm %v: dst[%d][%d] = %v, want %v", rows, cols, pad, asm, j, i, got, want)
							}
						} else if got != guard {
							t.Fatalf("%dx%d pad %d asm %v: wrote dst[%d][%d] past the rows", rows, cols, pad, asm, j, i)
						}
					}
				}
				for _, v := range dst[cols*ldd:] {
					if v != guard {
						t.Fatalf("%dx%d pad %d asm %v: wrote past the end", rows, cols, pad, asm)
					}
				}
			}
		}
	}
}

// copyRows32 against copy, where the CPU has it.
func TestCopyRows32(t *testing.T) {
	if copyRows32 == nil {
		t.Skip("no AVX-512 copy on this build or CPU")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for _, rows := range []int{0, 1, 7, 256} {
		lds := 37
		src := randSlice(rng, rows*lds+32)
		dst := make([]float32, rows*32+1)
		dst[rows*32] = guard
		copyRows32(dst, src, lds, rows)
		for p := range rows {
			for j := range 32 {
				if dst[p*32+j] != src[p*lds+j] {
					t.Fatalf("rows %d: dst[%d][%d] = %v, want %v", rows, p, j, dst[p*32+j], src[p*lds+j])
				}
			}
		}
		if dst[rows*32] != guard {
			t.Fatalf("rows %d: wrote past the end", rows)
		}
	}
}
