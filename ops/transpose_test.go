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

// copyRows and gatherRows against copy, where the CPU has them.
func TestCopyRows(t *testing.T) {
	if copyRows == nil {
		t.Skip("no row copy kernel on this build or CPU")
	}
	w := copyRowsW
	rng := rand.New(rand.NewPCG(5, 6))
	for _, rows := range []int{0, 1, 7, 256} {
		lds := 37
		src := randSlice(rng, rows*lds+w)
		offs := make([]int, rows)
		for p := range offs {
			offs[p] = rng.IntN(rows*lds + 1)
		}
		for _, gather := range []bool{false, true} {
			dst := make([]float32, rows*w+1)
			dst[rows*w] = guard
			if gather {
				gatherRows(dst, src, offs)
			} else {
				copyRows(dst, src, lds, rows)
			}
			for p := range rows {
				o := p * lds
				if gather {
					o = offs[p]
				}
				for j := range w {
					if dst[p*w+j] != src[o+j] {
						t.Fatalf("rows %d gather %v: dst[%d][%d] = %v, want %v", rows, gather, p, j, dst[p*w+j], src[o+j])
					}
				}
			}
			if dst[rows*w] != guard {
				t.Fatalf("rows %d gather %v: wrote past the end", rows, gather)
			}
		}
	}
}
