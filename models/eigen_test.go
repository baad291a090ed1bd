package models

import (
	"math"
	"math/rand/v2"
	"testing"
)

// checkEigen verifies a result of symEigen for the symmetric matrix a:
// eigenvalues ascending, ‖A v_k − λ_k v_k‖ ≤ 1e-10‖A‖ for every k
// (‖·‖ Frobenius), VᵀV = I within 1e-12, and trace = Σλ. It returns the
// largest relative residual ‖A v_k − λ_k v_k‖/‖A‖ seen.
func checkEigen(t *testing.T, a []float64, n int, vals, vecs []float64) float64 {
	t.Helper()
	if len(vals) != n || len(vecs) != n*n {
		t.Fatalf("n=%d: %d values, %d vector entries", n, len(vals), len(vecs))
	}
	var normA, trace float64
	for i := 0; i < n; i++ {
		trace += a[i*n+i]
		for j := 0; j < n; j++ {
			normA += a[i*n+j] * a[i*n+j]
		}
	}
	normA = math.Sqrt(normA)
	for k := 1; k < n; k++ {
		if vals[k] < vals[k-1] {
			t.Errorf("n=%d: eigenvalues not ascending: λ%d = %v after λ%d = %v", n, k, vals[k], k-1, vals[k-1])
		}
	}
	worst := 0.0
	for k := 0; k < n; k++ {
		var res float64
		for i := 0; i < n; i++ {
			var av float64
			for j := 0; j < n; j++ {
				av += a[i*n+j] * vecs[j*n+k]
			}
			r := av - vals[k]*vecs[i*n+k]
			res += r * r
		}
		res = math.Sqrt(res)
		rel := res / math.Max(normA, math.SmallestNonzeroFloat64)
		worst = math.Max(worst, rel)
		if res > 1e-10*normA {
			t.Errorf("n=%d: ‖A v%d − λ v%d‖ = %g, ‖A‖ = %g", n, k, k, res, normA)
		}
	}
	for p := 0; p < n; p++ {
		for q := 0; q < n; q++ {
			var dot float64
			for i := 0; i < n; i++ {
				dot += vecs[i*n+p] * vecs[i*n+q]
			}
			want := 0.0
			if p == q {
				want = 1
			}
			if math.Abs(dot-want) > 1e-12 {
				t.Errorf("n=%d: (VᵀV)[%d][%d] = %v, want %v", n, p, q, dot, want)
			}
		}
	}
	var sum float64
	for _, v := range vals {
		sum += v
	}
	if math.Abs(sum-trace) > 1e-12*math.Max(1, normA)*float64(n) {
		t.Errorf("n=%d: Σλ = %v, trace = %v", n, sum, trace)
	}
	return worst
}

func randomSymmetric(rng *rand.Rand, n int) []float64 {
	a := make([]float64, n*n)
	for i := 0; i < n; i++ {
		for j := 0; j <= i; j++ {
			v := rng.NormFloat64()
			a[i*n+j] = v
			a[j*n+i] = v
		}
	}
	return a
}

func TestSymEigenRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for _, n := range []int{1, 2, 3, 7, 50, 200} {
		a := randomSymmetric(rng, n)
		orig := append([]float64(nil), a...)
		vals, vecs, err := symEigen(a, n)
		if err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		for i := range a {
			if a[i] != orig[i] {
				t.Fatalf("n=%d: input modified at %d", n, i)
			}
		}
		worst := checkEigen(t, a, n, vals, vecs)
		t.Logf("n=%d: max ‖A v − λ v‖/‖A‖ = %.3g", n, worst)
		// Same input, same bits.
		vals2, vecs2, _ := symEigen(a, n)
		for i := range vals {
			if vals[i] != vals2[i] {
				t.Fatalf("n=%d: eigenvalue %d differs between runs", n, i)
			}
		}
		for i := range vecs {
			if vecs[i] != vecs2[i] {
				t.Fatalf("n=%d: eigenvector entry %d differs between runs", n, i)
			}
		}
	}
}

// randomOrthogonal returns an n×n orthogonal matrix (row-major) by
// Gram-Schmidt on random columns.
func randomOrthogonal(rng *rand.Rand, n int) []float64 {
	q := make([]float64, n*n)
	for k := 0; k < n; k++ {
		v := make([]float64, n)
		for i := range v {
			v[i] = rng.NormFloat64()
		}
		for pass := 0; pass < 2; pass++ { // twice is enough (Kahan)
			for p := 0; p < k; p++ {
				var dot float64
				for i := 0; i < n; i++ {
					dot += q[i*n+p] * v[i]
				}
				for i := 0; i < n; i++ {
					v[i] -= dot * q[i*n+p]
				}
			}
		}
		var norm float64
		for _, x := range v {
			norm += x * x
		}
		norm = math.Sqrt(norm)
		for i := 0; i < n; i++ {
			q[i*n+k] = v[i] / norm
		}
	}
	return q
}

func wantValues(t *testing.T, name string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d eigenvalues, want %d", name, len(got), len(want))
	}
	for i := range want {
		if math.Abs(got[i]-want[i]) > tol {
			t.Errorf("%s: λ%d = %v, want %v", name, i, got[i], want[i])
		}
	}
}

func TestSymEigenKnown(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))

	// Diagonal: the diagonal itself, sorted; eigenvectors are unit vectors.
	diag := []float64{4, -1, 2.5, 0, -7, 2.5}
	n := len(diag)
	a := make([]float64, n*n)
	for i, v := range diag {
		a[i*n+i] = v
	}
	vals, vecs, err := symEigen(a, n)
	if err != nil {
		t.Fatal(err)
	}
	wantValues(t, "diagonal", vals, []float64{-7, -1, 0, 2.5, 2.5, 4}, 0)
	checkEigen(t, a, n, vals, vecs)

	// [[2, 1], [1, 2]]: 1 with (1, −1)/√2 and 3 with (1, 1)/√2.
	a = []float64{2, 1, 1, 2}
	vals, vecs, err = symEigen(a, 2)
	if err != nil {
		t.Fatal(err)
	}
	wantValues(t, "[[2,1],[1,2]]", vals, []float64{1, 3}, 1e-15)
	checkEigen(t, a, 2, vals, vecs)
	if r := 1 / math.Sqrt2; math.Abs(math.Abs(vecs[0*2+1])-r) > 1e-15 || math.Abs(vecs[0*2+1]-vecs[1*2+1]) > 1e-15 ||
		math.Abs(vecs[0*2+0]+vecs[1*2+0]) > 1e-15 {
		t.Errorf("[[2,1],[1,2]]: eigenvectors %v", vecs)
	}

	// Repeated eigenvalues: Q diag(1, 1, 1, 5) Qᵀ (and a larger one with
	// several clusters).
	for _, spec := range [][]float64{{1, 1, 1, 5}, {-2, -2, 0, 0, 0, 3, 3, 3, 3, 10}} {
		n := len(spec)
		q := randomOrthogonal(rng, n)
		a := make([]float64, n*n)
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				var s float64
				for k, lam := range spec {
					s += q[i*n+k] * lam * q[j*n+k]
				}
				a[i*n+j] = s
			}
		}
		for i := 0; i < n; i++ { // exact symmetry
			for j := 0; j < i; j++ {
				a[j*n+i] = a[i*n+j]
			}
		}
		vals, vecs, err := symEigen(a, n)
		if err != nil {
			t.Fatal(err)
		}
		wantValues(t, "Q diag Qᵀ", vals, spec, 1e-12)
		checkEigen(t, a, n, vals, vecs)
	}

	// Rank-deficient Gram matrix G = X Xᵀ, X [12, 4]: rank 4, so 8 zero
	// eigenvalues; the others are the squared singular values of X, here
	// compared with the eigenvalues of the 4×4 XᵀX.
	rows, cols := 12, 4
	x := make([]float64, rows*cols)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	g := make([]float64, rows*rows)
	for i := 0; i < rows; i++ {
		for j := 0; j < rows; j++ {
			for k := 0; k < cols; k++ {
				g[i*rows+j] += x[i*cols+k] * x[j*cols+k]
			}
		}
	}
	small := make([]float64, cols*cols)
	for i := 0; i < cols; i++ {
		for j := 0; j < cols; j++ {
			for k := 0; k < rows; k++ {
				small[i*cols+j] += x[k*cols+i] * x[k*cols+j]
			}
		}
	}
	vals, vecs, err = symEigen(g, rows)
	if err != nil {
		t.Fatal(err)
	}
	checkEigen(t, g, rows, vals, vecs)
	for k := 0; k < rows-cols; k++ {
		if math.Abs(vals[k]) > 1e-10 {
			t.Errorf("Gram: λ%d = %v, want 0", k, vals[k])
		}
	}
	svals, svecs, err := symEigen(small, cols)
	if err != nil {
		t.Fatal(err)
	}
	checkEigen(t, small, cols, svals, svecs)
	wantValues(t, "Gram nonzero", vals[rows-cols:], svals, 1e-10)
	for _, v := range svals {
		if v < 1e-2 {
			t.Fatalf("XᵀX eigenvalue %v: test matrix not of full rank", v)
		}
	}

	// The zero matrix and a 1×1 matrix.
	vals, vecs, err = symEigen(make([]float64, 9), 3)
	if err != nil {
		t.Fatal(err)
	}
	wantValues(t, "zero", vals, []float64{0, 0, 0}, 0)
	checkEigen(t, make([]float64, 9), 3, vals, vecs)
	vals, vecs, err = symEigen([]float64{-3}, 1)
	if err != nil || vals[0] != -3 || vecs[0] != 1 {
		t.Errorf("1×1: %v %v %v", vals, vecs, err)
	}
}

func TestSymEigenErrors(t *testing.T) {
	for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		a := []float64{1, 2, 3, 2, 5, 6, 3, 6, bad}
		if _, _, err := symEigen(a, 3); err == nil {
			t.Errorf("entry %v accepted", bad)
		}
	}
	if _, _, err := symEigen([]float64{1, 2, 3}, 2); err == nil {
		t.Error("3 values for a 2×2 matrix accepted")
	}
	// Finite entries, but the eigenvalues ±1.5·√2·10³⁰⁸ overflow.
	if vals, _, err := symEigen([]float64{1.5e308, 1.5e308, 1.5e308, -1.5e308}, 2); err == nil {
		t.Errorf("overflow: eigenvalues %v without error", vals)
	}
	// Large and tiny, but representable: no error.
	for _, a := range [][]float64{{1e300, 1e300, 1e300, -1e300}, {1e-300, 1e-310, 1e-310, 3e-300}} {
		if vals, _, err := symEigen(a, 2); err != nil {
			t.Errorf("%v: %v", a, err)
		} else if math.IsNaN(vals[0]+vals[1]) || math.IsInf(vals[0]+vals[1], 0) {
			t.Errorf("%v: eigenvalues %v", a, vals)
		}
	}
}
