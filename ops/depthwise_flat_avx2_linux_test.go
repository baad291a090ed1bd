//go:build linux && amd64 && !purego

package ops

import (
	"fmt"
	"math/rand/v2"
	"os"
	"syscall"
	"testing"
	"unsafe"
)

// fencedPage returns the floats of one page between two inaccessible
// pages: a kernel touching memory before or after it faults.
func fencedPage(t *testing.T) []float32 {
	pg := os.Getpagesize()
	b, err := syscall.Mmap(-1, 0, 3*pg, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		t.Skipf("mmap: %v", err)
	}
	t.Cleanup(func() { syscall.Munmap(b) })
	if err := syscall.Mprotect(b[:pg], syscall.PROT_NONE); err != nil {
		t.Skipf("mprotect: %v", err)
	}
	if err := syscall.Mprotect(b[2*pg:], syscall.PROT_NONE); err != nil {
		t.Skipf("mprotect: %v", err)
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(&b[pg])), pg/4)
}

// The flat kernels read and write nothing outside their planes' masked
// lanes: x, out and g start right after, or end right before, an
// inaccessible page (a masked-off lane that touched it would fault), and
// the results still match the fused models.
func TestDepthwiseFlatKernelsFenced(t *testing.T) {
	ks := flatAsmKernels()
	if len(ks) == 0 {
		t.Skip("no flat assembly kernels on this CPU")
	}
	xp, op, gp := fencedPage(t), fencedPage(t), fencedPage(t)
	pf := len(xp)
	rng := rand.New(rand.NewPCG(5, 17))
	for _, k := range ks {
		for _, sh := range [][2]int{{1, 1}, {1, 17}, {17, 1}, {3, 3}, {4, 4}, {5, 7}, {14, 14}, {20, 20}, {2, 40}, {7, 57}} {
			h, w := sh[0], sh[1]
			hw := h * w
			masks := flatMasks(h, w)
			for n := 1; n <= 2; n++ {
				cstride := hw + rng.IntN(20)
				size := (n-1)*cstride + hw
				for _, atEnd := range []bool{false, true} {
					lo := 0
					if atEnd {
						lo = pf - size
					}
					x, out, g := xp[lo:lo+size], op[lo:lo+size], gp[lo:lo+size]
					copy(x, flatValues(rng, size, false, false))
					copy(g, flatValues(rng, size, false, false))
					out0 := flatValues(rng, size, false, false)
					var wt [9]float32
					copy(wt[:], flatValues(rng, 9, false, false))
					name := fmt.Sprintf("%s %dx%d n %d at end %v", k.name, h, w, n, atEnd)
					for acc := 0; acc < 2; acc++ {
						want := append([]float32(nil), out0...)
						flatFwdModel(want, x, n, cstride, hw, w, masks, &wt, 0.25, acc)
						copy(out, out0)
						k.fwd(out, x, n, cstride, hw, w, masks, &wt, 0.25, acc)
						if i := flatFirstDiff(out, want); i >= 0 {
							t.Fatalf("%s acc %d: out[%d] = %v, model %v", name, acc, i, out[i], want[i])
						}
					}
					var got, want [9]float32
					flatDotModel(&want, g, x, n, cstride, hw, w, masks)
					k.dot(&got, g, x, n, cstride, hw, w, masks)
					if i := flatFirstDiff(got[:], want[:]); i >= 0 {
						t.Fatalf("%s: dw[%d] = %v, model %v", name, i, got[i], want[i])
					}
				}
			}
		}
	}
}
