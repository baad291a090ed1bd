package ops

import "fmt"

// Plane-wise forms of the batch-norm kernels (vecmath_stats.go,
// vecmath_bnact.go): x holds len(a) planes of hw values one after another
// (channels c0..c1 of one image in an [N, C, H·W] tensor), and plane p
// gets its own scalars a[p], b[p], ... and its own sums s1[p], s2[p]. Each
// plane is computed exactly as the single-plane kernel computes it (the
// same operations, the same lane layout of the sums), so batch norm gives
// the same bits whether it calls these or the single-plane kernels.
//
// They exist for the small planes of a network's last stages: a 4×4 or
// 2×2 plane is one vector or less, and one call per plane cost several
// times the plane's arithmetic (the call, the checks, loading the
// constants). The assembly forms loop over the planes inside one call.

// ScaleShiftPlanes sets plane p of y to ScaleShift(plane p of x, a[p], b[p]).
func ScaleShiftPlanes(y, x []float32, hw int, a, b []float32) {
	n := planesLen("ScaleShiftPlanes", hw, a, y, x, nil, b)
	if k := activeVec.scaleShiftPlanes; k != nil {
		k(y[:n*hw], x[:n*hw], hw, a[:n], b[:n])
		return
	}
	k := activeVec.scaleShift
	for p := range n {
		o := p * hw
		k(y[o:o+hw], x[o:o+hw], a[p], b[p])
	}
}

// ScaleShiftSiLUPlanes sets plane p of y to ScaleShiftSiLU(plane p of x,
// a[p], b[p]).
func ScaleShiftSiLUPlanes(y, x []float32, hw int, a, b []float32) {
	n := planesLen("ScaleShiftSiLUPlanes", hw, a, y, x, nil, b)
	if k := activeVec.scaleShiftSiLUPlanes; k != nil {
		k(y[:n*hw], x[:n*hw], hw, a[:n], b[:n])
		return
	}
	k := activeVec.scaleShiftSiLU
	for p := range n {
		o := p * hw
		k(y[o:o+hw], x[o:o+hw], a[p], b[p])
	}
}

// ScaleShiftLeakyPlanes sets plane p of y to ScaleShiftLeaky(plane p of
// x, a[p], b[p], slope).
func ScaleShiftLeakyPlanes(y, x []float32, hw int, a, b []float32, slope float32) {
	n := planesLen("ScaleShiftLeakyPlanes", hw, a, y, x, nil, b)
	k := activeVec.scaleShiftLeaky
	for p := range n {
		o := p * hw
		k(y[o:o+hw], x[o:o+hw], a[p], b[p], slope)
	}
}

// SumSqPlanes sets s1[p], s2[p] = SumSq(plane p of x, c[p]) for the
// len(s1) planes of x; c nil means c[p] = 0.
func SumSqPlanes(s1, s2, x []float32, hw int, c []float32) {
	n := planesLen("SumSqPlanes", hw, s1, nil, x, nil, s2, c)
	if k := activeVec.sumSqPlanes; k != nil {
		if c != nil {
			c = c[:n]
		}
		k(s1[:n], s2[:n], x[:n*hw], hw, c)
		return
	}
	k := activeVec.sumSq
	for p := range n {
		o, cp := p*hw, float32(0)
		if c != nil {
			cp = c[p]
		}
		s1[p], s2[p] = k(x[o:o+hw], cp)
	}
}

// SumDotPlanes sets sg[p], sgx[p] = SumDot(plane p of g, plane p of x,
// c[p]) for the len(sg) planes of g and x.
func SumDotPlanes(sg, sgx, g, x []float32, hw int, c []float32) {
	n := planesLen("SumDotPlanes", hw, sg, nil, g, x, sgx, c)
	if k := activeVec.sumDotPlanes; k != nil {
		k(sg[:n], sgx[:n], g[:n*hw], x[:n*hw], hw, c[:n])
		return
	}
	k := activeVec.sumDot
	for p := range n {
		o := p * hw
		sg[p], sgx[p] = k(g[o:o+hw], x[o:o+hw], c[p])
	}
}

// ScaleShiftSiLUGradPlanes runs ScaleShiftSiLUGrad on each plane: plane p
// of gz = plane p of g times SiLU'(a[p]·x + b[p]), and sg[p], sgx[p] its
// sums about c[p]. gz may be g itself.
func ScaleShiftSiLUGradPlanes(sg, sgx, gz, g, x []float32, hw int, a, b, c []float32) {
	n := planesLen("ScaleShiftSiLUGradPlanes", hw, sg, gz, x, g, sgx, a, b, c)
	if k := activeVec.scaleShiftSiLUGradPlanes; k != nil {
		k(sg[:n], sgx[:n], gz[:n*hw], g[:n*hw], x[:n*hw], hw, a[:n], b[:n], c[:n])
		return
	}
	k := activeVec.scaleShiftSiLUGrad
	for p := range n {
		o := p * hw
		sg[p], sgx[p] = k(gz[o:o+hw], g[o:o+hw], x[o:o+hw], a[p], b[p], c[p])
	}
}

// ScaleShiftLeakyGradPlanes runs ScaleShiftLeakyGrad on each plane, with
// a[p], b[p], c[p] and one slope. gz may be g itself.
func ScaleShiftLeakyGradPlanes(sg, sgx, gz, g, x []float32, hw int, a, b []float32, slope float32, c []float32) {
	n := planesLen("ScaleShiftLeakyGradPlanes", hw, sg, gz, x, g, sgx, a, b, c)
	k := activeVec.scaleShiftLeakyGrad
	for p := range n {
		o := p * hw
		sg[p], sgx[p] = k(gz[o:o+hw], g[o:o+hw], x[o:o+hw], a[p], b[p], slope, c[p])
	}
}

// CombinePlanes sets plane p of z to Combine(plane p of x, plane p of y,
// a[p], b[p], c[p], d[p]).
func CombinePlanes(z, x, y []float32, hw int, a, b, c, d []float32) {
	n := planesLen("CombinePlanes", hw, a, z, x, y, b, c, d)
	if k := activeVec.combinePlanes; k != nil {
		k(z[:n*hw], x[:n*hw], y[:n*hw], hw, a[:n], b[:n], c[:n], d[:n])
		return
	}
	k := activeVec.combine
	for p := range n {
		o := p * hw
		k(z[o:o+hw], x[o:o+hw], y[o:o+hw], a[p], b[p], c[p], d[p])
	}
}

// CombineAddPlanes is CombinePlanes accumulating into z (CombineAdd).
func CombineAddPlanes(z, x, y []float32, hw int, a, b, c, d []float32) {
	n := planesLen("CombineAddPlanes", hw, a, z, x, y, b, c, d)
	if k := activeVec.combineAddPlanes; k != nil {
		k(z[:n*hw], x[:n*hw], y[:n*hw], hw, a[:n], b[:n], c[:n], d[:n])
		return
	}
	k := activeVec.combineAdd
	for p := range n {
		o := p * hw
		k(z[o:o+hw], x[o:o+hw], y[o:o+hw], a[p], b[p], c[p], d[p])
	}
}

// planesLen checks a plane-wise call and returns its plane count n =
// len(count): x, y and out (each skipped when nil) must hold at least n·hw
// values, and every per-plane slice in scalars (nil ones skipped) at least
// n. It runs once a call, not once a plane.
func planesLen(op string, hw int, count, out, x, y []float32, scalars ...[]float32) int {
	n := len(count)
	if hw <= 0 {
		panic(fmt.Sprintf("ops.%s: plane size %d", op, hw))
	}
	m := n * hw
	if (out != nil && len(out) < m) || len(x) < m || (y != nil && len(y) < m) {
		panic(fmt.Sprintf("ops.%s: %d planes of %d values need %d in each buffer; output has %d, inputs %d and %d",
			op, n, hw, m, len(out), len(x), len(y)))
	}
	for _, s := range scalars {
		if s != nil && len(s) < n {
			panic(fmt.Sprintf("ops.%s: %d per-plane values for %d planes", op, len(s), n))
		}
	}
	return n
}

// ScaleToPlanes sets plane p of y to ScaleTo(plane p of x, a[p]): y = a[p]·x,
// one product an element (a tensor times one value per plane, as a
// squeeze-excitation gate scales its channels).
func ScaleToPlanes(y, x []float32, hw int, a []float32) {
	n := planesLen("ScaleToPlanes", hw, a, y, x, nil)
	if k := activeVec.scaleToPlanes; k != nil {
		k(y[:n*hw], x[:n*hw], hw, a[:n])
		return
	}
	k := activeVec.scaleTo
	for p := range n {
		o := p * hw
		k(y[o:o+hw], x[o:o+hw], a[p])
	}
}

// AxpyPlanes adds a[p]·(plane p of x) into plane p of y (Axpy: the product
// rounded, then the sum).
func AxpyPlanes(y, x []float32, hw int, a []float32) {
	n := planesLen("AxpyPlanes", hw, a, y, x, nil)
	if k := activeVec.axpyPlanes; k != nil {
		k(y[:n*hw], x[:n*hw], hw, a[:n])
		return
	}
	k := activeVec.axpy
	for p := range n {
		o := p * hw
		k(y[o:o+hw], x[o:o+hw], a[p])
	}
}
