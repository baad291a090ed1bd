//go:build amd64 && !purego

package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"golang.org/x/sys/cpu"
)

// poolKernels are the stride-2 3x3 max pool kernels this CPU can run, each
// tested whichever one MaxPoolPlane dispatches to.
func poolKernels() map[string]func(x []float32, s0, w, n int, out []float32, arg []int32) {
	ks := map[string]func(x []float32, s0, w, n int, out []float32, arg []int32){}
	if cpu.X86.HasAVX512F {
		ks["avx512"] = maxPool3x3s2AVX512
	}
	if cpu.X86.HasAVX2 {
		ks["avx2"] = maxPool3x3s2AVX2
	}
	return ks
}

// poolTestValue draws the values that decide the bits of a max pool: +0
// and -0 (ties, the first wins), NaNs of both signs with distinct payloads
// (the last one wins), ±Inf, small integers (ties), and random normals.
func poolTestValue(rng *rand.Rand) float32 {
	switch r := rng.IntN(16); {
	case r < 3:
		return 0
	case r < 6:
		return float32(math.Copysign(0, -1))
	case r == 6:
		return math.Float32frombits(0x7fc00000 | rng.Uint32()&0x803fffff)
	case r == 7:
		return float32(math.Inf(-1))
	case r == 8:
		return float32(math.Inf(1))
	case r < 13:
		return float32(rng.IntN(3) - 1)
	default:
		return float32(rng.NormFloat64())
	}
}

// TestMaxPool3x3s2AsmKernels runs every assembly kernel the CPU has
// against maxPool3x3s2Go bit for bit (values and indices), on data full of
// NaNs, ties, ±0 and ±Inf, with indices, with a nil and an empty arg (not
// written), for n = 16 to 112 at several offsets and row lengths, with x
// ending at the last element the kernel may read, and guard bands around
// out and arg that must stay untouched.
func TestMaxPool3x3s2AsmKernels(t *testing.T) {
	ks := poolKernels()
	if len(ks) == 0 {
		t.Skip("no AVX2 or AVX-512")
	}
	const guard = 16
	const sentinel = 0x7f8dead1 // a signalling NaN no kernel writes
	rng := rand.New(rand.NewPCG(5, 6))
	for name, kern := range ks {
		for _, w := range []int{33, 75, 112, 230} {
			for _, n := range []int{16, 32, 48, 112} {
				for _, s0 := range []int{0, 1, 7, w + 3, 2*w + 10} {
					x := make([]float32, s0+2*w+2*n+1) // the last window's last element ends x
					for i := range x {
						x[i] = poolTestValue(rng)
					}
					for _, argMode := range []string{"arg", "nil", "empty"} {
						want, wa := make([]float32, n), make([]int32, n)
						maxPool3x3s2Go(x, s0, w, n, want, wa)
						outBuf := make([]float32, guard+n+guard)
						argBuf := make([]int32, guard+n+guard)
						for i := range outBuf {
							outBuf[i] = math.Float32frombits(sentinel)
							argBuf[i] = -7
						}
						out := outBuf[guard : guard+n : guard+n]
						var arg []int32
						switch argMode {
						case "arg":
							arg = argBuf[guard : guard+n : guard+n]
						case "empty":
							arg = argBuf[guard:guard]
						}
						kern(x, s0, w, n, out, arg)
						where := fmt.Sprintf("%s w=%d n=%d s0=%d %s", name, w, n, s0, argMode)
						for j := range n {
							if math.Float32bits(out[j]) != math.Float32bits(want[j]) {
								t.Fatalf("%s: out[%d] = %v (%#x), Go loop %v (%#x)", where, j,
									out[j], math.Float32bits(out[j]), want[j], math.Float32bits(want[j]))
							}
							if argMode == "arg" && arg[j] != wa[j] {
								t.Fatalf("%s: arg[%d] = %d, Go loop %d (value %v)", where, j, arg[j], wa[j], want[j])
							}
						}
						for i := range outBuf {
							if i >= guard && i < guard+n {
								continue
							}
							if math.Float32bits(outBuf[i]) != sentinel {
								t.Fatalf("%s: out guard %d overwritten: %v", where, i-guard, outBuf[i])
							}
						}
						for i := range argBuf {
							if argMode == "arg" && i >= guard && i < guard+n {
								continue
							}
							if argBuf[i] != -7 {
								t.Fatalf("%s: arg guard %d overwritten: %d", where, i-guard, argBuf[i])
							}
						}
					}
				}
			}
		}
	}
}
