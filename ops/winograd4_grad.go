package ops

// The weight gradient by F(4x4, 3x3): the adjoint of the forward
// (winograd4.go). With M_ξ = Σ_c U_ξ[o, c] V_ξ[c, t] and Y = Aᵀ M A per tile,
// the chain rule through the three linear maps gives
//
//	∂L/∂M  = A (∂L/∂Y) Aᵀ                  per 4x4 tile of ∂L/∂Y, 6x6 values
//	∂L/∂U_ξ = Σ_t ∂L/∂M_ξ[o, t] · V_ξ[c, t]   36 products over the tiles
//	∂L/∂g  = Gᵀ (∂L/∂U) G                  per kernel, 6x6 → 3x3
//
// 36 multiply-adds per tile and channel pair against im2col's 144. The ∂M
// transform has an AVX2 kernel beside its Go twin (8 tiles at a time, the
// twin's operations in its order); the ∂g transform is plain Go (O(O·C)
// per layer, against the products' O(O·C) per tile). WinogradOutputGrad4
// multiplies only by 2, 4 and 8, exactly; WinogradWeightsGrad4 also by ¼, ½
// and ±1/6, each product converted explicitly (no compiler may fuse it),
// so both give the same bits on every machine.

// WinogradOutputGrad4 sets dm[ξ·ms + t] = (A D Aᵀ)_ξ, ξ < 36, for the 4x4
// blocks D of the tw tiles of one tile row of ∂L/∂Y: row r < 4 of the
// block row at dy[r·ldy : r·ldy+4·tw] (the caller zero-pads a partial
// tile). It is the adjoint of WinogradOutput4. The assembly kernel reads
// and writes whole groups of 8 tiles: up to 28 floats past 4·tw in each
// row of dy (ldy must leave that room) and up to 7 tiles past tw in each
// row of dm (garbage there; ms must leave that room too).
func WinogradOutputGrad4(dm []float32, ms int, dy []float32, ldy, tw int) {
	winogradOutput("ops.WinogradOutputGrad4", 4, winoOutT4Kernel, winogradOutputGrad4Go, dy, ldy, dm, ms, tw)
}

// winogradOutputGrad4Go is WinogradOutputGrad4's Go twin: h = D Aᵀ along
// each of D's four rows, then A h column by column of h, both by wino4OutT
// (the kernel's order).
func winogradOutputGrad4Go(dy []float32, ldy int, dm []float32, ms, tw int) {
	for t := 0; t < tw; t++ {
		var h [4][6]float32 // h[r][j]
		for r := 0; r < 4; r++ {
			d := dy[r*ldy+4*t : r*ldy+4*t+4]
			h[r][0], h[r][1], h[r][2], h[r][3], h[r][4], h[r][5] = wino4OutT(d[0], d[1], d[2], d[3])
		}
		for j := 0; j < 6; j++ {
			c := dm[j*ms+t:]
			c[0], c[6*ms], c[12*ms], c[18*ms], c[24*ms], c[30*ms] = wino4OutT(h[0][j], h[1][j], h[2][j], h[3][j])
		}
	}
}

// wino4OutT is A along one axis (the transpose of wino4Out's Aᵀ), four
// values → six, with p = y0 + y2, q = y1 + y3, r = y0 + y2·4, s = y1·2 + y3·8:
//
//	m0 = y0   m1 = p + q   m2 = p − q   m3 = r + s   m4 = r − s   m5 = y3
func wino4OutT(y0, y1, y2, y3 float32) (m0, m1, m2, m3, m4, m5 float32) {
	p, q := y0+y2, y1+y3
	r, s := y0+float32(y2*4), float32(y1*2)+float32(y3*8)
	return y0, p + q, p - q, r + s, r - s, y3
}

// WinogradWeightsGrad4 adds Gᵀ (∂L/∂U) G to the 3x3 kernels' gradients:
// dw[(oi·c + ci)·9 + 3r + x] += (Gᵀ D G)[r][x] with D_ξ = du[ξ·us + oi·c +
// ci], ξ < 36, for o x c kernels (OIHW). The adjoint of WinogradWeights4.
// Kernels are spread over the worker pool; each kernel's sums are fixed.
func WinogradWeightsGrad4(dw, du []float32, us, o, c int) {
	winogradWeightsGrad("ops.WinogradWeightsGrad4", 6, func(u []float32) (float32, float32, float32) {
		return wino4WT(u[0], u[1], u[2], u[3], u[4], u[5])
	}, dw, du, us, o, c)
}

// wino4WT is Gᵀ along one axis, six values → three: the adjoint of
// wino4W's operations in reverse, with a1 = u1·(−1/6), a2 = u2·(−1/6),
// a3 = u3·(1/6), a4 = u4·(1/6):
//
//	g0 = (u0 + (a3 + a4))·¼ + (a1 + a2)
//	g1 = (a1 − a2) + (a3 − a4)·½
//	g2 = ((a1 + a2) + (a3 + a4)) + u5
func wino4WT(u0, u1, u2, u3, u4, u5 float32) (g0, g1, g2 float32) {
	a1, a2 := float32(u1*-sixth), float32(u2*-sixth)
	a3, a4 := float32(u3*sixth), float32(u4*sixth)
	s, p := a1+a2, a3+a4
	g0 = float32((u0+p)*0.25) + s
	g1 = (a1 - a2) + float32((a3-a4)*0.5)
	g2 = (s + p) + u5
	return
}
