package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// The int8 tests: every int8 kernel against its twin microI8 bit for bit
// (guard bands around C), the quantizing packers (assembly and Go) against
// quantU8, I8Gemm against I8GemmRef bit for bit over shapes crossing every
// tile edge, and against float64 within the quantization error bound.

func i8AllKernels() []i8Kernel {
	var out []i8Kernel
	for _, k := range append(asmI8Kernels(), goI8Kernel) {
		out = append(out, k)
		out = append(out, k.edges...)
		if k.narrow != nil {
			out = append(out, *k.narrow)
			out = append(out, k.narrow.edges...)
		}
	}
	return out
}

func TestI8Kernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for _, k := range i8AllKernels() {
		for _, k4 := range []int{0, 1, 2, 5, 36, 300} {
			a := make([]byte, k4*k.mr*4)
			b := make([]byte, k4*k.nr*4)
			for i := range a {
				a[i] = byte(rng.IntN(256))
			}
			for i := range b {
				b[i] = byte(rng.IntN(256))
			}
			if k4 == 36 { // extremes: -128/127 weights against 255 activations
				for i := range a {
					a[i] = byte([]int{0x80, 0x7f, 0x81}[i%3])
				}
				for i := range b {
					b[i] = 255
				}
			}
			corr := make([]int32, k.mr)
			scale := make([]float32, k.mr)
			bias := make([]float32, k.mr)
			for r := range corr {
				corr[r] = int32(rng.IntN(1<<20)) - 1<<19
				scale[r] = float32(rng.ExpFloat64() * 1e-3)
				bias[r] = float32(rng.NormFloat64())
			}
			ldc := k.nr + 3
			const band = 11
			got := make([]float32, band+k.mr*ldc+band)
			for i := range got {
				got[i] = guard
			}
			want := append([]float32(nil), got...)
			k.fn(k4, a, b, got[band:], ldc, corr, scale, bias)
			microI8(k.mr, k.nr, k4, a, b, want[band:], ldc, corr, scale, bias)
			for i := range got {
				if !sameF32(got[i], want[i]) {
					t.Fatalf("%s k4=%d: C[%d] = %g (%#08x), twin %g (%#08x)", k.name, k4, i-band,
						got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
				}
			}
		}
	}
}

func TestI8Pack(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	for _, act := range []I8Act{{Scale: 0.02, Zero: 13}, {Scale: 1, Zero: 0}, {Scale: 3e-3, Zero: 255}} {
		for _, nr := range []int{16, 32} {
			for _, k := range []int{1, 3, 4, 9, 64} {
				for _, cols := range []int{1, 7, 8, 16, nr} {
					if cols > nr {
						continue
					}
					ld := cols + 5
					x := make([]float32, k*ld)
					for i := range x {
						switch i % 9 {
						case 0:
							x[i] = float32(math.NaN())
						case 1:
							x[i] = float32(math.Inf(1 - 2*(i%2)))
						case 2:
							x[i] = float32(rng.NormFloat64() * 1e30)
						case 3: // exact ties of the rounding
							x[i] = (float32(rng.IntN(40)-20) + 0.5) * act.Scale
						default:
							x[i] = float32(rng.NormFloat64()) * act.Scale * 60
						}
					}
					k4 := (k + 3) / 4
					dst := make([]byte, k4*nr*4+8)
					for i := range dst {
						dst[i] = 0xAA
					}
					packI8B(x, ld, k, cols, nr, act, dst)
					for q := 0; q < k4; q++ {
						for j := 0; j < nr; j++ {
							for tt := 0; tt < 4; tt++ {
								var want byte
								if 4*q+tt < k && j < cols {
									want = act.Quantize(x[(4*q+tt)*ld+j])
								}
								if got := dst[(q*nr+j)*4+tt]; got != want {
									t.Fatalf("act %+v nr=%d k=%d cols=%d: [q=%d j=%d t=%d] of %g = %d, want %d",
										act, nr, k, cols, q, j, tt, x[(4*q+tt)*ld+j], got, want)
								}
							}
						}
					}
					for _, v := range dst[k4*nr*4:] {
						if v != 0xAA {
							t.Fatalf("packI8B wrote past its panel")
						}
					}
				}
			}
		}
	}
	// The code of a value: round-to-even of x/S plus Z, clamped.
	q := I8Act{Scale: 0.5, Zero: 10}
	for _, c := range []struct {
		x    float32
		want byte
	}{{0, 10}, {0.25, 10}, {0.75, 12}, {-0.25, 10}, {-5, 0}, {-6, 0}, {200, 255}, {1.25, 12}} {
		if got := q.Quantize(c.x); got != c.want {
			t.Errorf("Quantize(%g) = %d, want %d", c.x, got, c.want)
		}
	}
}

func TestI8ActRange(t *testing.T) {
	for _, c := range []struct{ lo, hi float32 }{{-0.278, 6}, {0, 1}, {-3, -1}, {2, 5}, {0, 0}} {
		q := I8ActRange(c.lo, c.hi)
		if q.Zero < 0 || q.Zero > 255 || !(q.Scale > 0) {
			t.Fatalf("I8ActRange(%g, %g) = %+v", c.lo, c.hi, q)
		}
		if got := q.Quantize(0); got != byte(q.Zero) {
			t.Fatalf("I8ActRange(%g, %g): 0 quantizes to %d, zero point %d", c.lo, c.hi, got, q.Zero)
		}
		for _, x := range []float32{min(c.lo, 0), max(c.hi, 0)} {
			back := q.Scale * float32(int32(q.Quantize(x))-q.Zero)
			if d := math.Abs(float64(back - x)); d > float64(q.Scale) {
				t.Fatalf("I8ActRange(%g, %g): %g comes back as %g", c.lo, c.hi, x, back)
			}
		}
	}
}

func TestI8Gemm(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	mr, nr := activeI8.mr, activeI8.nr
	ms := []int{1, 3, mr - 1, mr, mr + 1, mr + 4, 2*mr + 5, 37}
	ns := []int{1, 5, 15, 16, 17, nr - 1, nr, nr + 1, 2*nr + 16, 300}
	ks := []int{1, 3, 4, 5, 27, 64, 129}
	for it := range 80 {
		m, n, k := ms[rng.IntN(len(ms))], ns[rng.IntN(len(ns))], ks[rng.IntN(len(ks))]
		if it == 0 {
			m, n, k = 160, 600, 300 // large enough to run in parallel
		}
		name := fmt.Sprintf("m=%d n=%d k=%d", m, n, k)
		w := randSlice(rng, m*k)
		ldx, ldo := n+rng.IntN(3), n+rng.IntN(3)
		x := make([]float32, k*ldx)
		for i := range x {
			x[i] = max(-3, min(6, float32(rng.NormFloat64())*1.5+0.5)) // within the calibrated range
		}
		act := I8ActRange(-3, 6)
		var bias []float32
		if it%2 == 0 {
			bias = randSlice(rng, m)
		}
		wq := QuantizeI8Weights(w, m, k)
		got := make([]float32, m*ldo)
		want := make([]float32, m*ldo)
		for i := range got {
			got[i], want[i] = guard, guard
		}
		silu := it%3 == 1
		I8Gemm(wq, act, x, ldx, n, bias, silu, got, ldo)
		I8GemmRef(wq, act, x, ldx, n, bias, silu, want, ldo)
		for i := range got {
			if !sameF32(got[i], want[i]) {
				t.Fatalf("%s (%s): out[%d] = %g, reference %g", name, activeI8.name, i, got[i], want[i])
			}
		}
		// Against float64: each product's error is at most
		// |w|·Sx/2 + |x|·Sw/2 + Sw·Sx/4 (half a step of each code).
		for r := 0; r < m; r++ {
			for j := 0; j < n; j++ {
				var ref, bound float64
				for kk := 0; kk < k; kk++ {
					wv, xv := float64(w[r*k+kk]), float64(x[kk*ldx+j])
					ref += wv * xv
					sx, sw := float64(act.Scale), float64(wq.Scale[r])
					bound += math.Abs(wv)*sx/2 + math.Abs(xv)*sw/2 + sw*sx/4
				}
				if bias != nil {
					ref += float64(bias[r])
				}
				bound += 1e-5 * (math.Abs(ref) + 1) // float32 epilogue
				if silu {                           // SiLU is 1.1-Lipschitz
					ref = ref / (1 + math.Exp(-ref))
					bound *= 1.1
				}
				if d := math.Abs(float64(got[r*ldo+j]) - ref); d > bound {
					t.Fatalf("%s: out[%d,%d] = %g, float64 %g: error %g > bound %g", name, r, j, got[r*ldo+j], ref, d, bound)
				}
			}
		}
	}
}

func TestQuantizeI8Weights(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 10))
	m, k := 7, 19
	w := randSlice(rng, m*k)
	for i := 0; i < k; i++ {
		w[3*k+i] = 0 // a zero row
	}
	q := QuantizeI8Weights(w, m, k)
	for r := 0; r < m; r++ {
		for i := 0; i < k; i++ {
			back := q.Scale[r] * float32(q.Q[r*k+i])
			if d := math.Abs(float64(back - w[r*k+i])); d > float64(q.Scale[r])/2*1.0001 {
				t.Fatalf("row %d: %g quantized to %d (scale %g)", r, w[r*k+i], q.Q[r*k+i], q.Scale[r])
			}
		}
	}
	if _, err := NewI8Weights(q.Q, q.Scale[:3], m, k); err == nil {
		t.Fatal("NewI8Weights accepted 3 scales for 7 rows")
	}
}

// TestSiLUI8 checks the AVX-512 SiLU against its twin bit for bit, and
// the twin against float64 (a few ulp, as vecmath's SiLU).
func TestSiLUI8(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 12))
	x := make([]float32, 5000)
	for i := range x {
		switch i % 5 {
		case 0:
			x[i] = math.Float32frombits(rng.Uint32())
		case 1:
			x[i] = float32(rng.NormFloat64() * 100)
		default:
			x[i] = float32(rng.NormFloat64() * 4)
		}
	}
	x[0], x[1], x[2], x[3] = float32(math.Inf(1)), float32(math.Inf(-1)), 0, float32(math.Copysign(0, -1))
	y := make([]float32, len(x))
	SiLUI8(y, x)
	for i, v := range x {
		if w := silu32(v); !sameF32(y[i], w) {
			t.Fatalf("SiLUI8(%g) = %g (%#08x), twin %g (%#08x)", v, y[i], math.Float32bits(y[i]), w, math.Float32bits(w))
		}
		if v != v || math.IsInf(float64(v), 0) {
			continue
		}
		want := float64(v) / (1 + math.Exp(-float64(v)))
		if d := math.Abs(float64(y[i]) - want); d > 4e-7*math.Abs(want)+1e-37 {
			t.Fatalf("SiLUI8(%g) = %g, float64 %g", v, y[i], want)
		}
	}
}
