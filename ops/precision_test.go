package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// sgemmBF16Ref is what Sgemm computes in BF16, element by element: K cut
// into the loop nest's balanced blocks of at most KC, each block's bf16
// pair products summed by dpbf16 (VDPBF16PS) from zero, and each block sum
// added to C as the kernels do: alpha·t, then + beta·C (first block) or
// + C. beta must be 0 or 1.
func sgemmBF16Ref(kc int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	opA := func(i, p int) float32 {
		if transA {
			return a[p*lda+i]
		}
		return a[i*lda+p]
	}
	opB := func(p, j int) float32 {
		if transB {
			return b[j*ldb+p]
		}
		return b[p*ldb+j]
	}
	nPc := (k + kc - 1) / kc
	kcb := (k + nPc - 1) / nPc
	pair := func(f func(p int) float32, p, end int) uint32 {
		lo, hi := f(p), float32(0)
		if p+1 < end {
			hi = f(p + 1)
		}
		return math.Float32bits(bf16Pair(lo, hi))
	}
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			cv := c[i*ldc+j]
			for s := 0; s < nPc; s++ {
				p0, p1 := s*kcb, min(k, (s+1)*kcb)
				var t float32
				for p := p0; p < p1; p += 2 {
					t = dpbf16(t, pair(func(q int) float32 { return opA(i, q) }, p, p1), pair(func(q int) float32 { return opB(q, j) }, p, p1))
				}
				v := alpha * t
				switch {
				case s == 0 && beta == 0:
					cv = v
				default:
					cv = cv + v
				}
			}
			c[i*ldc+j] = cv
		}
	}
}

func TestSgemmBF16(t *testing.T) {
	if !BF16Available() {
		if _, err := SetMatmulPrecision(BF16); err != ErrNoBF16 || MatmulPrecision() != Float32 {
			t.Fatalf("SetMatmulPrecision(BF16) without the instructions: %v, precision %v", err, MatmulPrecision())
		}
		t.Skip("no AVX512_BF16")
	}
	prev, err := SetMatmulPrecision(BF16)
	if err != nil {
		t.Fatal(err)
	}
	defer SetMatmulPrecision(prev)
	rng := rand.New(rand.NewPCG(21, 21))
	kc := bf16Plan.kc
	ms := []int{2, 3, 4, 5, 8, 11, 12, 13, 28, 37}
	ns := []int{2, 5, 31, 32, 33, 70}
	ks := []int{1, 2, 3, 7, 64, kc - 1, kc, kc + 1, 2*kc + 3}
	for it := range 120 {
		m, n, k := ms[rng.IntN(len(ms))], ns[rng.IntN(len(ns))], ks[rng.IntN(len(ks))]
		tA, tB := rng.IntN(2) == 0, rng.IntN(2) == 0
		alpha := []float32{1, -0.75}[rng.IntN(2)]
		beta := []float32{0, 1}[rng.IntN(2)]
		if it == 0 {
			m, n, k = 300, 700, 600 // several threads, jc and K blocks
		}
		name := fmt.Sprintf("tA=%v tB=%v m=%d n=%d k=%d alpha=%g beta=%g", tA, tB, m, n, k, alpha, beta)
		ar, ac, br, bc := m, k, k, n
		if tA {
			ar, ac = k, m
		}
		if tB {
			br, bc = n, k
		}
		lda, ldb, ldc := ac+rng.IntN(3), bc+rng.IntN(3), n+rng.IntN(3)
		a, b := randSlice(rng, ar*lda), randSlice(rng, br*ldb)
		c := randSlice(rng, m*ldc)
		want := append([]float32(nil), c...)
		Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		sgemmBF16Ref(kc, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, want, ldc)
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				if !sameF32(c[i*ldc+j], want[i*ldc+j]) {
					t.Fatalf("%s: C[%d,%d] = %g, bf16 reference %g", name, i, j, c[i*ldc+j], want[i*ldc+j])
				}
			}
		}
		// The bf16 error bound against float64 of the float32 inputs.
		if beta != 0 {
			continue
		}
		u := 0x1p-8
		for i := 0; i < m; i += max(1, m/5) {
			for j := 0; j < n; j += max(1, n/7) {
				var ref, abs float64
				for p := 0; p < k; p++ {
					var x, y float64
					if tA {
						x = float64(a[p*lda+i])
					} else {
						x = float64(a[i*lda+p])
					}
					if tB {
						y = float64(b[j*ldb+p])
					} else {
						y = float64(b[p*ldb+j])
					}
					ref += x * y
					abs += math.Abs(x * y)
				}
				ref *= float64(alpha)
				bound := (2*u + u*u + float64(k+2)*0x1p-24*(1+u)*(1+u)) * abs * math.Abs(float64(alpha))
				if d := math.Abs(float64(c[i*ldc+j]) - ref); d > bound {
					t.Fatalf("%s: C[%d,%d] = %g, float64 %g: error %g above the bf16 bound %g", name, i, j, c[i*ldc+j], ref, d, bound)
				}
			}
		}
	}
	// Matrix-vector products stay float32.
	a, x := randSlice(rng, 40*30), randSlice(rng, 30)
	y1, y2 := make([]float32, 40), make([]float32, 40)
	Sgemm(false, false, 40, 1, 30, 1, a, 30, x, 1, 0, y1, 1)
	SetMatmulPrecision(Float32)
	Sgemm(false, false, 40, 1, 30, 1, a, 30, x, 1, 0, y2, 1)
	for i := range y1 {
		if y1[i] != y2[i] {
			t.Fatalf("bf16 matrix-vector product differs from float32: %g vs %g", y1[i], y2[i])
		}
	}
}
