package models

import (
	"fmt"
	"math"
	"sort"
)

// Eigen-decomposition of a small dense symmetric matrix, A = V Λ Vᵀ, for
// the Gram matrix in (*ClassFeatureMeans).Embeddings.
//
// The method is the classic two-phase one of EISPACK (tred2 followed by
// imtql2) and of the JAMA library:
//
//  1. Householder reduction. n−2 reflections P = I − u uᵀ/H, applied on
//     both sides, turn A into a tridiagonal matrix T = Qᵀ A Q with the same
//     eigenvalues; Q, the product of the reflections, is accumulated
//     explicitly. About (4/3)n³ + (4/3)n³ flops.
//  2. Implicit QL with shifts. Plane (Givens) rotations are applied to T
//     until its off-diagonal entries vanish, leaving the eigenvalues on the
//     diagonal; the same rotations applied to Q turn its columns into the
//     eigenvectors of A. Each step is one QL step T − σI = QL → LQ + σI done
//     without forming T − σI ("implicitly"); a good shift σ makes the
//     off-diagonal entry at the top of the active block go to zero cubically,
//     so an eigenvalue takes only one to three steps on average. About 3n³
//     flops for the rotations of the eigenvectors, the rest is O(n²).
//
// Storage. Textbook code works on the columns of Q; in a row-major slice a
// column is strided by n, which is slow for n in the hundreds. Here the
// working matrix is kept transposed: row j of w (w[j*n:(j+1)*n]) holds
// column j of the textbook matrix, and its entry (r, j) is w[j*n+r]. Every
// O(n³) loop below then runs along a row of w, that is contiguous memory.
// At the end row k of w is eigenvector k, and it is copied into column k of
// the result.

// symEigenMaxSteps is the number of QL steps allowed per row of the matrix,
// summed over all eigenvalues (the budget of LAPACK's dsteqr). A step is
// O(n) work on T plus O(n) per rotation on the eigenvectors; convergence
// normally takes one to three steps per eigenvalue, so running out means
// something is badly wrong (in practice, an overflow to Inf or NaN).
const symEigenMaxSteps = 30

// symEigen returns the eigenvalues of the symmetric n×n matrix a (row-major)
// in ascending order, and the eigenvectors as a row-major n×n matrix whose
// column k (vecs[i*n+k], i = 0..n−1) is the unit eigenvector of vals[k]; the
// columns are orthonormal. Only the lower triangle of a (a[i*n+j], j ≤ i) is
// read, and a is not modified. A non-finite entry, or a QL iteration that
// does not converge, is an error. The result depends only on a: the order of
// operations is fixed.
func symEigen(a []float64, n int) (vals []float64, vecs []float64, err error) {
	if n < 0 || len(a) != n*n {
		return nil, nil, fmt.Errorf("%d values for a %d×%d matrix", len(a), n, n)
	}
	for i := 0; i < n; i++ {
		for j := 0; j <= i; j++ {
			if v := a[i*n+j]; math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, nil, fmt.Errorf("matrix entry (%d, %d) is %v", i, j, v)
			}
		}
	}
	if n == 0 {
		return []float64{}, []float64{}, nil
	}
	// w starts as the matrix itself, transposed into the storage described
	// above (w[j*n+r] = a[r*n+j]): row j of w is column j of a, whose
	// entries r ≥ j are the lower triangle.
	w := make([]float64, n*n)
	for r := 0; r < n; r++ {
		for j := 0; j < n; j++ {
			w[j*n+r] = a[r*n+j]
		}
	}
	d := make([]float64, n) // diagonal of T, then the eigenvalues
	e := make([]float64, n) // off-diagonal of T
	householderTridiagonal(w, d, e, n)
	if err := tridiagonalQL(w, d, e, n); err != nil {
		return nil, nil, err
	}
	for k := 0; k < n; k++ {
		if math.IsNaN(d[k]) || math.IsInf(d[k], 0) {
			return nil, nil, fmt.Errorf("eigenvalue %d is %v (overflow)", k, d[k])
		}
	}
	// Sort ascending. A stable sort of the indices keeps the result a fixed
	// function of the input even when eigenvalues are equal.
	order := make([]int, n)
	for k := range order {
		order[k] = k
	}
	sort.SliceStable(order, func(p, q int) bool { return d[order[p]] < d[order[q]] })
	vals = make([]float64, n)
	vecs = make([]float64, n*n)
	for k, src := range order {
		vals[k] = d[src]
		v := w[src*n : src*n+n]
		for i, x := range v {
			vecs[i*n+k] = x
		}
	}
	return vals, vecs, nil
}

// householderTridiagonal reduces the symmetric matrix held in w (transposed
// storage, lower triangle used) to a tridiagonal T = Qᵀ A Q. On return d
// holds the diagonal of T, e[i] (i ≥ 1) the entry T[i][i−1] with e[0] = 0,
// and w holds Q (again transposed: row j of w is column j of Q).
//
// In the comments A[r][c] means the working matrix, stored at w[c*n+r].
func householderTridiagonal(w, d, e []float64, n int) {
	// The reduction goes from the last row upwards. At step i the leading
	// (i+1)×(i+1) block is still full; the reflection for step i makes row
	// i of that block zero left of its subdiagonal entry A[i][i−1]. The row
	// being reduced is kept in d[0:i]; start with row n−1.
	for j := 0; j < n; j++ {
		d[j] = w[j*n+n-1] // A[n−1][j]
	}
	for i := n - 1; i > 0; i-- {
		// Scale the row by the sum of its absolute values so that the sum
		// of squares below can neither overflow nor underflow. The
		// reflection built from the scaled row is the same one.
		scale := 0.0
		for k := 0; k < i; k++ {
			scale += math.Abs(d[k])
		}
		h := 0.0
		if scale == 0 {
			// The row is already zero: no reflection (Q unchanged at this
			// step, recorded by H = 0 in d[i] below). Move on to row i−1.
			e[i] = d[i-1]
			for j := 0; j < i; j++ {
				d[j] = w[j*n+i-1] // A[i−1][j]
				w[j*n+i] = 0      // A[i][j]
				w[i*n+j] = 0      // A[j][i]
			}
		} else {
			// x = d[0:i] is the scaled row. We want a reflection
			// P = I − u uᵀ/H with P x = g·e_{i−1}: all of x moved onto its
			// last entry. A reflection keeps lengths, so |g| = ‖x‖; taking
			// g with the sign opposite to f = x[i−1] makes u = x − g·e_{i−1}
			// a sum rather than a difference at index i−1 (no
			// cancellation). Then H = ‖u‖²/2 = ‖x‖² − f·g.
			for k := 0; k < i; k++ {
				d[k] /= scale
				h += d[k] * d[k]
			}
			f := d[i-1]
			g := math.Sqrt(h)
			if f > 0 {
				g = -g
			}
			e[i] = scale * g // the new subdiagonal entry T[i][i−1], unscaled
			h -= f * g       // H
			d[i-1] = f - g   // d[0:i] is now u
			// The two-sided update A ← P A P of the leading i×i block needs
			// p = A u / H. Only the lower triangle of A is stored, so each
			// stored entry A[k][j] (k > j) counts twice: once as A[k][j]
			// (into p[k]) and once as A[j][k] (into p[j]). p is built in
			// e[0:i], whose old contents are no longer needed. u itself is
			// saved in column i of the storage, A[j][i] for j < i (the
			// upper triangle, unused), for the accumulation of Q below.
			for j := 0; j < i; j++ {
				e[j] = 0
			}
			for j := 0; j < i; j++ {
				f = d[j] // u[j]
				colj := w[j*n : j*n+n]
				w[i*n+j] = f         // A[j][i] = u[j]
				g = e[j] + colj[j]*f // p[j] so far, plus A[j][j]·u[j]
				for k := j + 1; k < i; k++ {
					g += colj[k] * d[k] // A[j][k]·u[k], read as A[k][j]
					e[k] += colj[k] * f // A[k][j]·u[j]
				}
				e[j] = g
			}
			// With p = A u / H and K = uᵀp / (2H), let q = p − K u. Then
			// P A P = A − u qᵀ − q uᵀ (expand (I − uuᵀ/H) A (I − uuᵀ/H)
			// and collect terms): a symmetric rank-2 update.
			f = 0
			for j := 0; j < i; j++ {
				e[j] /= h
				f += e[j] * d[j]
			}
			kk := f / (h + h)
			for j := 0; j < i; j++ {
				e[j] -= kk * d[j] // e[0:i] is now q
			}
			for j := 0; j < i; j++ {
				f = d[j] // u[j]
				g = e[j] // q[j]
				colj := w[j*n : j*n+n]
				for k := j; k < i; k++ {
					colj[k] -= f*e[k] + g*d[k] // A[k][j] −= u[j]q[k] + q[j]u[k]
				}
				// Column j is final in rows ≥ i−1: pick up the next row to
				// reduce, A[i−1][j], and clear the row just reduced.
				d[j] = colj[i-1]
				colj[i] = 0 // A[i][j]
			}
		}
		d[i] = h // H of step i, 0 when there was no reflection
	}

	// Accumulate Q = P_{n−1} P_{n−2} ⋯ P_1, from the inside out: after the
	// iteration for index i, the leading (i+2)×(i+2) block of the storage
	// holds the product of the reflections of steps 1..i+1, each of which
	// only acts on the indices below it. The reflection of step i+1 has
	// its u in A[0..i][i+1] and its H in d[i+1]. The diagonal entries of T
	// are still on the diagonal of the storage; each is moved to the
	// (otherwise unused) last row A[n−1][·] before the diagonal is
	// overwritten by Q.
	for i := 0; i < n-1; i++ {
		w[i*n+n-1] = w[i*n+i] // A[n−1][i] = T[i][i]
		w[i*n+i] = 1          // extend the product by the identity at index i
		h := d[i+1]
		u := w[(i+1)*n : (i+1)*n+i+1] // A[0..i][i+1]
		if h != 0 {
			// Q ← P Q on the leading (i+1)×(i+1) block: for every column
			// v of Q, v ← v − u (uᵀv)/H. d[0..i] holds u/H meanwhile.
			for k := 0; k <= i; k++ {
				d[k] = u[k] / h
			}
			for j := 0; j <= i; j++ {
				colj := w[j*n : j*n+i+1]
				g := 0.0
				for k, uk := range u {
					g += uk * colj[k]
				}
				for k := range colj {
					colj[k] -= g * d[k]
				}
			}
		}
		for k := range u {
			u[k] = 0 // column i+1 of Q is the unit vector e_{i+1} above the block
		}
	}
	// Collect the diagonal of T (T[n−1][n−1] was never touched) and finish
	// the last row and column of Q, which no reflection changes.
	for j := 0; j < n; j++ {
		d[j] = w[j*n+n-1]
		w[j*n+n-1] = 0
	}
	w[(n-1)*n+n-1] = 1
	e[0] = 0
}

// tridiagonalQL finds the eigenvalues and eigenvectors of the symmetric
// tridiagonal matrix with diagonal d and subdiagonal e[1:] (as left by
// householderTridiagonal) by the implicit QL algorithm with shifts. The
// rotations are also applied to the rows of w (the columns of Q), so that
// on return d holds the eigenvalues (unsorted) and row k of w the unit
// eigenvector of d[k], of the original matrix.
func tridiagonalQL(w, d, e []float64, n int) error {
	// Renumber the off-diagonal: from here on e[i] couples i and i+1, and
	// e[n−1] = 0 ends the matrix.
	for i := 1; i < n; i++ {
		e[i-1] = e[i]
	}
	e[n-1] = 0
	const eps = 0x1p-52 // machine epsilon: the gap between 1 and the next float64
	budget := symEigenMaxSteps * n
	// Eigenvalues are found from the top: when e[l] becomes negligible, d[l]
	// is an eigenvalue and the work moves on to l+1.
	for l := 0; l < n; l++ {
		for {
			// Find the first negligible off-diagonal entry e[m], m ≥ l,
			// relative to its two diagonal neighbours. Setting it to zero
			// changes the matrix by less than rounding error does, and
			// splits off the block l..m, which is handled on its own.
			m := l
			for ; m < n-1; m++ {
				if math.Abs(e[m]) <= eps*(math.Abs(d[m])+math.Abs(d[m+1])) {
					break
				}
			}
			if m == l {
				break // e[l] is negligible: d[l] is an eigenvalue
			}
			if budget == 0 {
				// A NaN never passes the test above, so an overflow ends
				// here; name it as such.
				for k := l; k <= m; k++ {
					if math.IsNaN(d[k]) || math.IsInf(d[k], 0) || math.IsNaN(e[k]) || math.IsInf(e[k], 0) {
						return fmt.Errorf("QL iteration overflowed (matrix entries too large)")
					}
				}
				return fmt.Errorf("QL iteration did not converge in %d steps (eigenvalue %d of %d)", symEigenMaxSteps*n, l, n)
			}
			budget--

			// The shift σ: the eigenvalue of the top 2×2 block
			// [[d_l, e_l], [e_l, d_l+1]] nearer to d_l. Its eigenvalues are
			// d_l + e_l(t ± √(t²+1)), t = (d_l+1 − d_l)/(2e_l); the nearer
			// one, written without cancellation (the product of the two
			// roots of x² − 2tx − 1 is −1), is σ = d_l − e_l/(t + sign(t)√(t²+1)).
			t := (d[l+1] - d[l]) / (2 * e[l])
			r := math.Hypot(t, 1)
			if t < 0 {
				r = -r
			}
			// g = d_m − σ: the bottom diagonal entry of T − σI.
			g := d[m] - d[l] + e[l]/(t+r)

			// One implicit QL step on the block l..m. The first rotation,
			// in the plane (m−1, m), is the one that QL factorisation of
			// T − σI would start with: it takes the last column's pair
			// (e_m−1, d_m − σ) to (0, r). Applied to T itself (not to
			// T − σI), it creates a nonzero "bulge" at (m−2, m); each
			// following rotation, in the plane (i, i+1), is chosen to
			// remove the bulge at (i, i+2) and creates one at (i−1, i+1),
			// until it falls off the top. By the implicit Q theorem the
			// result is the same as the explicit shifted QL step.
			//
			// Loop variables, at the start of the iteration for i:
			//   s, c  the previous rotation (1, 1 before the first one);
			//   g     the current entry (i+1, i+2) (d_m − σ at first);
			//   p     the amount by which the current diagonal entry
			//         (i+1, i+1) is below the stored d[i+1] (0 at first);
			// and the previous rotation has turned the original e[i] into
			// c·e[i] at (i, i+1) and the bulge s·e[i] at (i, i+2).
			s, c, p := 1.0, 1.0, 0.0
			split := false
			for i := m - 1; i >= l; i-- {
				f := s * e[i] // bulge at (i, i+2)
				b := c * e[i] // entry (i, i+1)
				// Rotation rows (i, i+1) ← (c·row_i − s·row_i+1,
				// s·row_i + c·row_i+1) with c = g/r, s = f/r zeroes the
				// bulge and leaves r = √(f²+g²) at (i+1, i+2), now final.
				r = math.Hypot(f, g)
				e[i+1] = r
				if r == 0 {
					// Bulge and its neighbour are both zero: the matrix has
					// split at e[i+1] already. Settle the pending change of
					// d[i+1] and start again; the search above finds the
					// split.
					d[i+1] -= p
					e[m] = 0
					split = true
					break
				}
				s = f / r
				c = g / r
				// The 2×2 block [[d_i, b], [b, g]] on (i, i+1), g being
				// the current (i+1, i+1), rotated on both sides:
				//   new (i+1, i+1) = s²d_i + 2sc·b + c²g = g + p, with
				//     p = s·r', r' = (d_i − g)s + 2c·b;
				//   new (i, i+1)   = sc(d_i − g) + (c² − s²)b = c·r' − b;
				//   new (i, i)     = d_i − p (the trace is unchanged),
				// which is left pending in p for the next iteration.
				g = d[i+1] - p
				r = (d[i]-g)*s + 2*c*b
				p = s * r
				d[i+1] = g + p
				g = c*r - b
				// The same rotation on the columns i, i+1 of Q (rows of w).
				qi := w[i*n : i*n+n]
				qj := w[(i+1)*n : (i+1)*n+n]
				for k, x := range qi {
					y := qj[k]
					qj[k] = s*x + c*y
					qi[k] = c*x - s*y
				}
			}
			if split {
				continue
			}
			// The bulge has left the matrix: settle the top diagonal entry,
			// store the new top off-diagonal entry, and restore the zero
			// at the bottom of the block.
			d[l] -= p
			e[l] = g
			e[m] = 0
		}
	}
	return nil
}
