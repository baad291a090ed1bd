package ops

import "fmt"

// The weight gradient by F(2x2, 3x3): the adjoint of the forward
// (winograd.go), as winograd4_grad.go is F(4x4, 3x3)'s:
//
//	∂L/∂M   = A (∂L/∂Y) Aᵀ                  per 2x2 tile of ∂L/∂Y, 4x4 values
//	∂L/∂U_ξ = Σ_t ∂L/∂M_ξ[o, t] · V_ξ[c, t]   16 products over the tiles
//	∂L/∂g   = Gᵀ (∂L/∂U) G                  per kernel, 4x4 → 3x3
//
// 16 multiply-adds per tile and channel pair against im2col's 36. Both
// transforms are plain Go: ∂M is additions and negations of its inputs
// (A's entries are 0 and ±1), ∂g additions and exact halvings, each
// halving converted explicitly (no compiler may fuse it into an add), so
// both give the same bits on every machine.

// WinogradOutputGrad sets dm[ξ·ms + t] = (A D Aᵀ)_ξ, ξ < 16, for the 2x2
// blocks D of the tw tiles of one tile row of ∂L/∂Y: row r < 2 of the
// block row at dy[r·ldy : r·ldy+2·tw] (the caller zero-pads a partial
// tile). It is the adjoint of WinogradOutput.
func WinogradOutputGrad(dm []float32, ms int, dy []float32, ldy, tw int) {
	winogradOutput("ops.WinogradOutputGrad", 2, nil, winogradOutputGradGo, dy, ldy, dm, ms, tw)
}

// winogradOutputGradGo computes WinogradOutputGrad: h = D Aᵀ along each of
// D's two rows, then A h column by column of h.
func winogradOutputGradGo(dy []float32, ldy int, dm []float32, ms, tw int) {
	for t := 0; t < tw; t++ {
		var h [2][4]float32
		for r := 0; r < 2; r++ {
			h[r][0], h[r][1], h[r][2], h[r][3] = winoOutT(dy[r*ldy+2*t], dy[r*ldy+2*t+1])
		}
		for j := 0; j < 4; j++ {
			dm[j*ms+t], dm[(4+j)*ms+t], dm[(8+j)*ms+t], dm[(12+j)*ms+t] = winoOutT(h[0][j], h[1][j])
		}
	}
}

// winoOutT is A along one axis (the transpose of Aᵀ), two values → four:
// (y0, y0 + y1, y0 − y1, −y1).
func winoOutT(y0, y1 float32) (m0, m1, m2, m3 float32) {
	return y0, y0 + y1, y0 - y1, -y1
}

// WinogradWeightsGrad adds Gᵀ (∂L/∂U) G to the 3x3 kernels' gradients:
// dw[(oi·c + ci)·9 + 3r + x] += (Gᵀ D G)[r][x] with D_ξ = du[ξ·us + oi·c +
// ci], ξ < 16, for o x c kernels (OIHW). The adjoint of WinogradWeights.
// Kernels are spread over the worker pool; each kernel's sums are fixed.
func WinogradWeightsGrad(dw, du []float32, us, o, c int) {
	winogradWeightsGrad("ops.WinogradWeightsGrad", 4, func(u []float32) (float32, float32, float32) {
		return winoWT(u[0], u[1], u[2], u[3])
	}, dw, du, us, o, c)
}

// winogradWeightsGrad is WinogradWeightsGrad and WinogradWeightsGrad4 for
// n x n transformed kernels (n = 4, 6) with wt, Gᵀ along one axis: t = D G
// row by row of D, then Gᵀ t column by column, added to the kernel.
func winogradWeightsGrad(name string, n int, wt func(u []float32) (g0, g1, g2 float32), dw, du []float32, us, o, c int) {
	k := o * c
	if k == 0 {
		return
	}
	if us < k || len(dw) < 9*k || len(du) < (n*n-1)*us+k {
		panic(fmt.Sprintf("%s: %d x %d kernels: dw %d floats, du %d with matrices %d apart", name, o, c, len(dw), len(du), us))
	}
	Parallel(k, 256, func(lo, hi int) {
		var t [6][3]float32
		var u [6]float32
		for kk := lo; kk < hi; kk++ {
			for i := 0; i < n; i++ {
				for j := 0; j < n; j++ {
					u[j] = du[(n*i+j)*us+kk]
				}
				t[i][0], t[i][1], t[i][2] = wt(u[:n])
			}
			g := dw[kk*9 : kk*9+9]
			for x := 0; x < 3; x++ {
				for i := 0; i < n; i++ {
					u[i] = t[i][x]
				}
				g0, g1, g2 := wt(u[:n])
				g[x] += g0
				g[3+x] += g1
				g[6+x] += g2
			}
		}
	})
}

// winoWT is Gᵀ along one axis, four values → three, with s = (u1 + u2)·½:
// (u0 + s, (u1 − u2)·½, s + u3).
func winoWT(u0, u1, u2, u3 float32) (g0, g1, g2 float32) {
	s := float32((u1 + u2) * 0.5)
	return u0 + s, float32((u1 - u2) * 0.5), s + u3
}
