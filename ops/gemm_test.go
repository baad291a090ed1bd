package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// The SGEMM tests compare every kernel variant available on this machine
// (each assembly micro-kernel the CPU supports, and the pure-Go one) with a
// float64 triple loop, over shapes around every block size, all transpose
// and alpha/beta combinations, padded leading dimensions, and guard bands
// around C that must survive untouched.

// guard is the value written around and between the rows of C; any change
// means an out-of-bounds write.
const guard = float32(-7777.25)

// gemmVariants returns plans per kernel: the real cache blocking, the same
// with A always packed (no direct kernel) and with A always copied row by
// row for the direct kernel, and two tiny ones (KC=16,
// NC=2*NR, B budget 16*NC) whose block edges small shapes cross many
// times: one with rows of tiles outside (MC = 0), one in BLIS's order for
// any M with one B panel per unit.
//
// Kernels with B-in-place variants (fnB, directB) read B in place in
// BLIS's order by default, so they also run the real blocking and the tiny
// BLIS-order one with every B panel packed (packB).
func gemmVariants() []gemmPlan {
	var out []gemmPlan
	for _, k := range gemmTestKernels() {
		out = append(out, newGemmPlan(k))
		if k.direct != nil {
			p := newGemmPlan(k)
			p.packOnly = true
			out = append(out, p)
			p = newGemmPlan(k)
			p.rowCopy = true
			out = append(out, p)
		}
		out = append(out, gemmPlan{kern: k, kc: 16, nc: 2 * k.nr})
		out = append(out, gemmPlan{kern: k, kc: 16, nc: 2 * k.nr, mc: 1 << 20, ncu: k.nr})
		if k.fnB != nil {
			p := newGemmPlan(k)
			p.packB = true
			out = append(out, p, gemmPlan{kern: k, kc: 16, nc: 2 * k.nr, mc: 1 << 20, ncu: k.nr, packB: true})
		}
	}
	return out
}

// gemmTestKernels: the assembly kernels this CPU runs and the pure-Go one,
// and, where no assembly kernel reads B in place (the purego build, other
// CPUs), twinKernel12x32, so that the loop nest's B-in-place and direct
// paths are tested there too.
func gemmTestKernels() []gemmKernel {
	kerns := append(asmGemmKernels(), goKernel)
	for _, k := range kerns {
		if k.fnB != nil {
			return kerns
		}
	}
	return append(kerns, twinKernel12x32)
}

// twinKernel12x32 is a 12x32 kernel made of the Go twins, with every
// variant the loop nest can use (direct, B in place and at offsets, 4- and
// 8-row edges).
var twinKernel12x32 = gemmKernel{name: "twin_12x32", mr: 12, nr: 32,
	fn: func(k int, a, b, c []float32, ldc int, alpha, beta float32) {
		microGeneric(12, 32, k, a, b, c, ldc, alpha, beta)
	},
	direct: microGenericDirect12x32,
	fnB: func(k int, a, b []float32, ldb int, c []float32, ldc int, alpha, beta float32) {
		microGenericB(12, 32, k, a, b, ldb, c, ldc, alpha, beta)
	},
	directB: func(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32) {
		microGenericDirectB(12, 32, k, a, lda, b, ldb, c, ldc, alpha, beta)
	},
	fnO: func(k int, a, b []float32, boff []int, c []float32, ldc int, alpha, beta float32) {
		microGenericO(12, 32, k, a, b, boff, c, ldc, alpha, beta)
	},
	directO: func(k int, a []float32, lda int, b []float32, boff []int, c []float32, ldc int, alpha, beta float32) {
		microGenericDirectO(12, 32, k, a, lda, b, boff, c, ldc, alpha, beta)
	},
	edges: []gemmKernel{twinEdge(4), twinEdge(8)},
}

func twinEdge(mr int) gemmKernel {
	return gemmKernel{name: fmt.Sprintf("twin_%dx32", mr), mr: mr, nr: 32,
		fn: func(k int, a, b, c []float32, ldc int, alpha, beta float32) {
			microGeneric(mr, 32, k, a, b, c, ldc, alpha, beta)
		},
		fnB: func(k int, a, b []float32, ldb int, c []float32, ldc int, alpha, beta float32) {
			microGenericB(mr, 32, k, a, b, ldb, c, ldc, alpha, beta)
		},
		fnO: func(k int, a, b []float32, boff []int, c []float32, ldc int, alpha, beta float32) {
			microGenericO(mr, 32, k, a, b, boff, c, ldc, alpha, beta)
		},
	}
}

func (pl gemmPlan) String() string {
	return fmt.Sprintf("%s/kc%d_nc%d_bmax%d_mc%d_ncu%d_packonly%v_rowcopy%v_packb%v", pl.kern.name, pl.kc, pl.nc, pl.bmax, pl.mc, pl.ncu, pl.packOnly, pl.rowCopy, pl.packB)
}

type gemmCase struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	padA, padB     int // extra leading-dimension elements
	padC           int
}

func (tc gemmCase) String() string {
	return fmt.Sprintf("tA=%v tB=%v m=%d n=%d k=%d alpha=%g beta=%g pads=%d,%d,%d",
		tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, tc.beta, tc.padA, tc.padB, tc.padC)
}

// gemmCases builds the shape list for one plan: sizes 1, primes, and one
// below/at/above MR, NR, KC and NC.
func gemmCases(pl gemmPlan, rng *rand.Rand) []gemmCase {
	mr, nr := pl.kern.mr, pl.kern.nr
	// 2*mr+4 and 2*mr+8 end on a full 4- or 8-row edge tile, 2*mr+6 on a
	// partial one (edge kernels, gemmKernel.edges).
	ms := []int{1, 2, 3, mr - 1, mr, mr + 1, 2*mr + 1, 2*mr + 4, 2*mr + 6, 2*mr + 8, 13, 37, 61}
	ns := []int{1, 2, 5, nr - 1, nr, nr + 1, 2*nr + 3, 17, 31, pl.nc - 1, pl.nc + 1}
	ks := []int{1, 2, 7, 29, pl.kc - 1, pl.kc, pl.kc + 1, 2*pl.kc + 3}
	alphas := []float32{1, -0.75, 0}
	betas := []float32{0, 1, 0.5}
	var cases []gemmCase
	// Every transpose/alpha/beta combination on a shape crossing the edges.
	for _, tA := range []bool{false, true} {
		for _, tB := range []bool{false, true} {
			for _, al := range alphas {
				for _, be := range betas {
					cases = append(cases, gemmCase{tA, tB, mr + 3, nr + 5, pl.kc + 2, al, be, 3, 1, 2})
				}
			}
		}
	}
	// Random combinations of the interesting sizes.
	for range 60 {
		pick := func(s []int) int { return max(1, s[rng.IntN(len(s))]) }
		tc := gemmCase{
			transA: rng.IntN(2) == 0, transB: rng.IntN(2) == 0,
			m: pick(ms), n: pick(ns), k: pick(ks),
			alpha: alphas[rng.IntN(2)], beta: betas[rng.IntN(3)],
			padA: rng.IntN(3) * 5, padB: rng.IntN(3) * 3, padC: rng.IntN(2) * 7,
		}
		if tc.n > 256 { // NC-sized rows: keep the float64 reference cheap
			tc.m, tc.k = min(tc.m, 5), min(tc.k, pl.kc+1)
		}
		cases = append(cases, tc)
	}
	return cases
}

// runGemmCase fills A, B and a guarded C, runs gemm, and checks C against
// a float64 reference and the guards.
func runGemmCase(t *testing.T, label string, tc gemmCase, rng *rand.Rand,
	gemm func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)) {
	t.Helper()
	ar, ac := tc.m, tc.k
	if tc.transA {
		ar, ac = tc.k, tc.m
	}
	br, bc := tc.k, tc.n
	if tc.transB {
		br, bc = tc.n, tc.k
	}
	lda, ldb, ldc := ac+tc.padA, bc+tc.padB, tc.n+tc.padC
	a := randSlice(rng, ar*lda)
	b := randSlice(rng, br*ldb)
	const band = 40 // guard elements before and after C
	buf := make([]float32, band+tc.m*ldc+band)
	for i := range buf {
		buf[i] = guard
	}
	c := buf[band : band+tc.m*ldc]
	c0 := make([]float32, len(c))
	for i := 0; i < tc.m; i++ {
		for j := 0; j < tc.n; j++ {
			if tc.beta == 0 {
				c[i*ldc+j] = float32(math.NaN()) // beta == 0 must not read C
			} else {
				c[i*ldc+j] = float32(rng.NormFloat64())
			}
			c0[i*ldc+j] = c[i*ldc+j]
		}
	}
	gemm(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, c, ldc)

	opA := func(i, p int) float64 {
		if tc.transA {
			return float64(a[p*lda+i])
		}
		return float64(a[i*lda+p])
	}
	opB := func(p, j int) float64 {
		if tc.transB {
			return float64(b[j*ldb+p])
		}
		return float64(b[p*ldb+j])
	}
	for i := 0; i < tc.m; i++ {
		for j := 0; j < tc.n; j++ {
			var s, sabs float64
			for p := 0; p < tc.k; p++ {
				s += opA(i, p) * opB(p, j)
				sabs += math.Abs(opA(i, p) * opB(p, j))
			}
			want := float64(tc.alpha) * s
			scale := math.Abs(float64(tc.alpha)) * sabs
			if tc.beta != 0 {
				want += float64(tc.beta) * float64(c0[i*ldc+j])
				scale += math.Abs(float64(tc.beta) * float64(c0[i*ldc+j]))
			}
			// Rounding bound of a float32 sum of k products: about
			// k * 2^-24 relative to sum |terms|, plus the alpha/beta step.
			tol := float64(tc.k+4)*6e-8*scale + 1e-30
			got := float64(c[i*ldc+j])
			if !(math.Abs(got-want) <= tol) {
				t.Fatalf("%s: %v: C[%d,%d] = %g, want %g (tol %.3g)", label, tc, i, j, got, want, tol)
			}
		}
	}
	for i, v := range buf {
		inC := i >= band && i < band+len(c) && (i-band)%ldc < tc.n
		if !inC && v != guard {
			t.Fatalf("%s: %v: guard element %d (offset %d from C) overwritten with %g", label, tc, i, i-band, v)
		}
	}
}

func randSlice(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(rng.NormFloat64())
	}
	return s
}

// TestSgemmVariants runs the full shape list through every kernel variant
// with 1 and with all threads.
func TestSgemmVariants(t *testing.T) {
	for _, pl := range gemmVariants() {
		rng := rand.New(rand.NewPCG(1, uint64(pl.kern.mr*100+pl.kern.nr)))
		for _, tc := range gemmCases(pl, rng) {
			for _, threads := range []int{1, Threads()} {
				label := fmt.Sprintf("%v threads=%d", pl, threads)
				runGemmCase(t, label, tc, rng, func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
					sgemmPlanned(&pl, threads, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
				})
			}
		}
	}
}

// TestSgemmPublic checks the exported entry point and the reference with
// the dispatched kernel.
func TestSgemmPublic(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 3))
	for _, tc := range gemmCases(activeGemm, rng)[:40] {
		runGemmCase(t, "Sgemm", tc, rng, Sgemm)
		runGemmCase(t, "SgemmRef", tc, rng, SgemmRef)
		runGemmCase(t, "SgemmSerial", tc, rng, SgemmSerial)
	}
	if noasm && GemmKernel() != goKernel.name {
		t.Fatalf("MULTILABEL_NOASM=1 but Sgemm dispatches to %s", GemmKernel())
	}
	if nk := activeGemm.narrow; nk != nil && GemmKernelFor(nk.kern.nr) != nk.kern.name {
		t.Fatalf("GemmKernelFor(%d) = %s, want the narrow kernel %s", nk.kern.nr, GemmKernelFor(nk.kern.nr), nk.kern.name)
	}
	if GemmKernelFor(activeGemm.kern.nr) != GemmKernel() {
		t.Fatalf("GemmKernelFor(%d) = %s, want %s", activeGemm.kern.nr, GemmKernelFor(activeGemm.kern.nr), GemmKernel())
	}
	t.Logf("dispatched kernel: %s (plan %v)", GemmKernel(), activeGemm)
}

// TestSgemmOrderIndependence: every element of C is computed by the same
// sequence of float32 operations whatever the thread count and whatever
// the M/N blocking (NC, the B budget, reading A in place or packing it),
// so all of these must agree with one thread and the default blocking bit
// for bit (tolerance zero). Only KC, the fixed gemmKC, orders the sums. The
// shapes cover whole rows of tiles per unit, a skinny M split over N
// (11 x 200), both thin paths, several K blocks, and edge tiles; alpha and
// beta take their general values too.
func TestSgemmOrderIndependence(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 5))
	for _, kern := range gemmTestKernels() {
		base := newGemmPlan(kern)
		if base.kc != gemmKC {
			t.Fatalf("%s: KC = %d, want the fixed gemmKC = %d", kern.name, base.kc, gemmKC)
		}
		nr := kern.nr
		var plans []gemmPlan
		for _, nc := range []int{nr, 3 * nr, 4096 - 4096%nr} {
			for _, bmax := range []int{0, gemmKC * nr, 1 << 22} {
				for _, packOnly := range []bool{false, true} {
					plans = append(plans, gemmPlan{kern: kern, kc: gemmKC, nc: nc, bmax: bmax, packOnly: packOnly},
						gemmPlan{kern: kern, kc: gemmKC, nc: nc, bmax: bmax, packOnly: packOnly, mc: 1 << 20, ncu: 3 * nr},
						gemmPlan{kern: kern, kc: gemmKC, nc: nc, bmax: bmax, rowCopy: !packOnly, mc: 1 << 20, ncu: 3 * nr},
						// BLIS's order with B packed, against the in place of the two above.
						gemmPlan{kern: kern, kc: gemmKC, nc: nc, bmax: bmax, packOnly: packOnly, mc: 1 << 20, ncu: 3 * nr, packB: true})
				}
			}
		}
		shapes := [][3]int{{97, 83, 301}, {11, 200, 50}, {1, 300, 50}, {300, 1, 50}, {203, 24, 27}, {40, 130, 700}, {2 * kern.mr, 2 * nr, 2*gemmKC + 1}}
		for si, sh := range shapes {
			m, n, k := sh[0], sh[1], sh[2]
			// Transposes and alpha/beta rotate over the shapes.
			tA, tB := si%2 == 1, si/2%2 == 1
			alpha, beta := [3]float32{1, 1, -0.75}[si%3], [3]float32{0, 1, 0.5}[si%3]
			a, b := randSlice(rng, m*k), randSlice(rng, k*n)
			lda, ldb := k, n
			if tA {
				lda = m
			}
			if tB {
				ldb = k
			}
			c0 := randSlice(rng, m*n)
			want := append([]float32(nil), c0...)
			sgemmPlanned(&base, 1, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, want, n)
			got := make([]float32, m*n)
			for _, pl := range plans {
				for _, threads := range []int{1, 2, 3} {
					copy(got, c0)
					sgemmPlanned(&pl, threads, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, got, n)
					for i := range got {
						if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
							t.Fatalf("%v threads=%d tA=%v tB=%v m=%d n=%d k=%d alpha=%g beta=%g: C[%d] = %g, default blocking on 1 thread gives %g",
								pl, threads, tA, tB, m, n, k, alpha, beta, i, got[i], want[i])
						}
					}
				}
			}
		}
	}
}

// sameAsTileByTile runs a multi-tile kernel form on clen floats of C (all)
// and its one-tile kernel on each of the three tiles (one) on a copy, both
// inside a band of the same random values, and fails unless every float,
// band included, has the same bits.
func sameAsTileByTile(t *testing.T, what string, rng *rand.Rand, clen int, one func(q int, c []float32), all func(c []float32)) {
	t.Helper()
	const band = 64
	c := make([]float32, 2*band+clen)
	for i := range c {
		c[i] = float32(rng.NormFloat64())
	}
	want := append([]float32(nil), c...)
	for q := 0; q < 3; q++ {
		one(q, want[band:band+clen])
	}
	all(c[band : band+clen])
	for i := range c {
		if math.Float32bits(c[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: %g at %d, tile by tile %g", what, c[i], i-band, want[i])
		}
	}
}

// TestGemmKernelsMatchTwin calls each micro-kernel directly on random
// panels and compares it with its pure-Go twin (microGeneric of the same
// tile), including k = 0, beta = 0 over NaN, and guard bands around the tile.
func TestGemmKernelsMatchTwin(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 7))
	var kerns []gemmKernel
	for _, k := range gemmTestKernels() {
		kerns = append(append(kerns, k), k.edges...)
	}
	for _, kern := range kerns {
		mr, nr := kern.mr, kern.nr
		for _, direct := range []bool{false, true} {
			if direct && kern.direct == nil {
				continue
			}
			for _, k := range []int{0, 1, 2, 3, 8, 33, 200} {
				for _, beta := range []float32{0, 1, -0.5} {
					a, b := randSlice(rng, k*mr), randSlice(rng, k*nr)
					ldc := nr + 5
					const band = 64
					buf := make([]float32, 2*band+(mr-1)*ldc+nr)
					for i := range buf {
						buf[i] = guard
					}
					c := buf[band : band+(mr-1)*ldc+nr]
					want := make([]float32, len(c))
					for r := 0; r < mr; r++ {
						for j := 0; j < nr; j++ {
							if beta == 0 {
								c[r*ldc+j] = float32(math.NaN())
							} else {
								c[r*ldc+j] = float32(rng.NormFloat64())
							}
							want[r*ldc+j] = c[r*ldc+j]
						}
					}
					// B in place: the panel's rows ldb = nr+9 apart, in a
					// slice that ends where the last row's nr floats do.
					ldb := nr + 9
					bIn := make([]float32, max(0, (k-1)*ldb+nr))
					for p := 0; p < k; p++ {
						copy(bIn[p*ldb:p*ldb+nr], b[p*nr:(p+1)*nr])
					}
					c0 := append([]float32(nil), buf...)
					var ad []float32
					lda := k + 3
					if direct {
						// A as 12 rows of a row-major matrix with stride lda = k+3.
						ad = randSlice(rng, (mr-1)*lda+k+1)[:(mr-1)*lda+k]
						kern.direct(k, ad, lda, b, c, ldc, 1.5, beta)
						microGenericDirect(mr, nr, k, ad, lda, b, want, ldc, 1.5, beta)
					} else {
						kern.fn(k, a, b, c, ldc, 1.5, beta)
						microGeneric(mr, nr, k, a, b, want, ldc, 1.5, beta)
					}
					// The B-in-place variant must give the same bits.
					if (direct && kern.directB != nil) || (!direct && kern.fnB != nil) {
						bufB := append([]float32(nil), c0...)
						cB := bufB[band : band+len(c)]
						if direct {
							kern.directB(k, ad, lda, bIn, ldb, cB, ldc, 1.5, beta)
						} else {
							kern.fnB(k, a, bIn, ldb, cB, ldc, 1.5, beta)
						}
						for i := range bufB {
							if math.Float32bits(bufB[i]) != math.Float32bits(buf[i]) {
								t.Fatalf("%s direct=%v k=%d beta=%g: B in place gives %g at %d, the packed panel %g",
									kern.name, direct, k, beta, bufB[i], i-band, buf[i])
							}
						}
					}
					// The multi-tile form on three tiles side by side (B
					// panels k*nr apart, C tiles nr columns apart) and the
					// multi-row forms on three tiles one below the other
					// must give the one-tile kernels' bits on each.
					const nt = 3
					adN := randSlice(rng, (nt*mr-1)*lda+k+1)[:(nt*mr-1)*lda+k]
					rowsC := (nt*mr-1)*ldc + nr // C of three tiles one below the other
					if direct && kern.directN != nil {
						ldn := nt*nr + 7
						bN := randSlice(rng, nt*k*nr)
						sameAsTileByTile(t, kern.name+" multi-tile", rng, (mr-1)*ldn+nt*nr, func(q int, c []float32) {
							kern.direct(k, ad, lda, bN[q*k*nr:(q+1)*k*nr], c[q*nr:q*nr+(mr-1)*ldn+nr], ldn, 1.5, beta)
						}, func(c []float32) { kern.directN(k, ad, lda, bN, c, ldn, 1.5, beta, nt) })
					}
					if direct && kern.directBN != nil {
						sameAsTileByTile(t, kern.name+" multi-row", rng, rowsC, func(q int, c []float32) {
							kern.directB(k, adN[q*mr*lda:], lda, bIn, ldb, c[q*mr*ldc:q*mr*ldc+(mr-1)*ldc+nr], ldc, 1.5, beta)
						}, func(c []float32) { kern.directBN(k, adN, lda, bIn, ldb, c, ldc, 1.5, beta, nt) })
					}
					// So must the B-at-offsets variant, B's rows placed in
					// reverse order nr+5 floats apart.
					if (direct && kern.directO != nil) || (!direct && kern.fnO != nil) {
						boff := make([]int, k)
						bO := make([]float32, k*(nr+5))
						for p := range k {
							boff[p] = (k - 1 - p) * (nr + 5)
							copy(bO[boff[p]:boff[p]+nr], b[p*nr:(p+1)*nr])
						}
						if direct && kern.directON != nil {
							sameAsTileByTile(t, kern.name+" multi-row offsets", rng, rowsC, func(q int, c []float32) {
								kern.directO(k, adN[q*mr*lda:], lda, bO, boff, c[q*mr*ldc:q*mr*ldc+(mr-1)*ldc+nr], ldc, 1.5, beta)
							}, func(c []float32) { kern.directON(k, adN, lda, bO, boff, c, ldc, 1.5, beta, nt) })
						}
						bufO := append([]float32(nil), c0...)
						cO := bufO[band : band+len(c)]
						if direct {
							kern.directO(k, ad, lda, bO, boff, cO, ldc, 1.5, beta)
						} else {
							kern.fnO(k, a, bO, boff, cO, ldc, 1.5, beta)
						}
						for i := range bufO {
							if math.Float32bits(bufO[i]) != math.Float32bits(buf[i]) {
								t.Fatalf("%s direct=%v k=%d beta=%g: B at offsets gives %g at %d, the packed panel %g",
									kern.name, direct, k, beta, bufO[i], i-band, buf[i])
							}
						}
					}
					for r := 0; r < mr; r++ {
						for j := 0; j < nr; j++ {
							got, w := c[r*ldc+j], want[r*ldc+j]
							if !(math.Abs(float64(got-w)) <= 1e-5*float64(k+1)*(1+math.Abs(float64(w)))) {
								t.Fatalf("%s direct=%v k=%d beta=%g: C[%d,%d] = %g, twin %g", kern.name, direct, k, beta, r, j, got, w)
							}
						}
					}
					for i, v := range buf {
						off := i - band
						inTile := off >= 0 && off < len(c) && off%ldc < nr
						if !inTile && v != guard {
							t.Fatalf("%s direct=%v k=%d: guard %d overwritten with %g", kern.name, direct, k, off, v)
						}
					}
				}
			}
		}
	}
}

// TestSgemmNoAllocs: once warm, a product (blocked or thin, one thread or
// all) allocates nothing: jobs, packing buffers and pool groups are all
// recycled. (Per-call closures once made most of a training step's
// allocations.)
func TestSgemmNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates on goroutine hand-offs")
	}
	rng := rand.New(rand.NewPCG(8, 9))
	for _, sh := range [][3]int{{128, 128, 200}, {40, 50, 30}, {1, 500, 300}, {500, 1, 300}} {
		m, n, k := sh[0], sh[1], sh[2]
		a, b, c := randSlice(rng, m*k), randSlice(rng, k*n), make([]float32, m*n)
		for _, threads := range []int{1, Threads()} {
			f := func() { sgemmPlanned(&activeGemm, threads, false, false, m, n, k, 1, a, k, b, n, 0, c, n) }
			f()
			if allocs := testing.AllocsPerRun(20, f); allocs != 0 {
				t.Errorf("m=%d n=%d k=%d threads=%d: %v allocations per call, want 0", m, n, k, threads, allocs)
			}
		}
	}
}

// TestUseDirect pins the rule for reading A in place: never transposed,
// not with a 4 KiB-multiple row stride unless the row of tiles is short.
func TestUseDirect(t *testing.T) {
	pl := gemmPlan{kern: gemmKernel{name: "k", mr: 12, nr: 32, direct: microGenericDirect12x32}}
	for _, tc := range []struct {
		transA    bool
		lda, nPan int
		want      bool
	}{
		{false, 512, 16, true}, {false, 1000, 100, true}, {false, 1024, 16, false},
		{false, 2048, 64, false}, {false, 1024, 4, true}, {true, 512, 4, false},
	} {
		if got := useDirect(&pl, tc.transA, tc.lda, tc.nPan); got != tc.want {
			t.Errorf("useDirect(transA=%v, lda=%d, nPan=%d) = %v, want %v", tc.transA, tc.lda, tc.nPan, got, tc.want)
		}
	}
	pl.packOnly = true
	if useDirect(&pl, false, 512, 4) {
		t.Error("useDirect with packOnly = true")
	}
}

// TestUseBInPlace pins the rule for reading B in place: only in BLIS's
// order, never transposed, with packB set, or with a kernel lacking a B
// variant (edges included) or packing its own element type (bf16), nor
// with rows that crowd a few L1d sets.
func TestUseBInPlace(t *testing.T) {
	pl := newGemmPlan(twinKernel12x32)
	for _, tc := range []struct{ transB, ownB, want bool }{
		{false, true, true}, {true, true, false}, {false, false, false},
	} {
		if got := useBInPlace(&pl, tc.transB, tc.ownB, 1000, 256); got != tc.want {
			t.Errorf("useBInPlace(transB=%v, ownB=%v) = %v, want %v", tc.transB, tc.ownB, got, tc.want)
		}
	}
	for name, change := range map[string]func(p *gemmPlan){
		"packB":      func(p *gemmPlan) { p.packB = true },
		"no directB": func(p *gemmPlan) { p.kern.directB = nil },
		"an edge without fnB": func(p *gemmPlan) {
			p.kern.edges = append([]gemmKernel(nil), p.kern.edges...)
			p.kern.edges[1].fnB = nil
		},
		"own packing (bf16)": func(p *gemmPlan) { p.kern.packB = packB },
	} {
		p := newGemmPlan(twinKernel12x32)
		change(&p)
		if useBInPlace(&p, false, true, 1000, 256) {
			t.Errorf("useBInPlace with %s", name)
		}
	}
	// Rows crowding L1d sets (a plan with bCrowd, as the AVX2 kernel's): a
	// stride of 4 KiB puts every row in one set, 2 KiB in two; 196 lines a
	// row cycles through 16 sets; an unaligned stride through all 64.
	// Without bCrowd (the AVX-512 kernels) B stays in place at any stride.
	if useBInPlace(&pl, false, true, 1024, 256) != true {
		t.Error("useBInPlace without bCrowd: B packed at a 4 KiB stride")
	}
	pl.bCrowd = 16
	for _, tc := range []struct{ ldb, kb, perSet int }{
		{1024, 256, 256}, {4096, 24, 24}, {512, 64, 32}, {256, 48, 12}, {3136, 256, 16}, {1000, 256, 4}, {1001, 256, 4},
	} {
		if got := l1RowsPerSet(tc.ldb, tc.kb); got != tc.perSet {
			t.Errorf("l1RowsPerSet(%d, %d) = %d, want %d", tc.ldb, tc.kb, got, tc.perSet)
		}
		if got, want := useBInPlace(&pl, false, true, tc.ldb, tc.kb), tc.perSet <= 16; got != want {
			t.Errorf("useBInPlace(ldb=%d, kb=%d) = %v, want %v", tc.ldb, tc.kb, got, want)
		}
	}
	if asm := asmGemmKernels(); len(asm) > 0 && asm[0].nr == 32 {
		p := newGemmPlan(asm[0])
		if !useBInPlace(&p, false, true, 1000, 256) {
			t.Errorf("%s: B is never read in place", asm[0].name)
		}
	}
}

func microGenericDirect12x32(k int, a []float32, lda int, b, c []float32, ldc int, alpha, beta float32) {
	microGenericDirect(12, 32, k, a, lda, b, c, ldc, alpha, beta)
}

// SgemmSerial gives Sgemm's bits: the products large enough for Sgemm to
// split over the threads as well as small ones, every transpose.
func TestSgemmSerialSameBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 9))
	for _, s := range [][3]int{{128, 256, 288}, {37, 300, 129}, {200, 33, 700}, {5, 7, 3}} {
		m, n, k := s[0], s[1], s[2]
		for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
			a, b := randSlice(rng, m*k), randSlice(rng, k*n)
			lda, ldb := k, n
			if tr[0] {
				lda = m
			}
			if tr[1] {
				ldb = k
			}
			c0 := randSlice(rng, m*n)
			c1, c2 := append([]float32(nil), c0...), append([]float32(nil), c0...)
			Sgemm(tr[0], tr[1], m, n, k, 0.5, a, lda, b, ldb, 1, c1, n)
			SgemmSerial(tr[0], tr[1], m, n, k, 0.5, a, lda, b, ldb, 1, c2, n)
			for i := range c1 {
				if math.Float32bits(c1[i]) != math.Float32bits(c2[i]) {
					t.Fatalf("%v trans %v: element %d: Sgemm %v, SgemmSerial %v", s, tr, i, c1[i], c2[i])
				}
			}
		}
	}
}
