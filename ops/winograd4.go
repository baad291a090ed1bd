package ops

// Winograd's F(4x4, 3x3): the same algorithm as F(2x2, 3x3) (winograd.go)
// with 4x4 blocks of output pixels computed from 6x6 blocks d of the
// padded input,
//
//	Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A
//
//	     ⎡4  0 -5  0  1  0⎤        ⎡ 1/4    0     0  ⎤
//	     ⎢0 -4 -4  1  1  0⎥        ⎢-1/6  -1/6  -1/6 ⎥        ⎡1 1  1 1  1 0⎤
//	Bᵀ = ⎢0  4 -4 -1  1  0⎥    G = ⎢-1/6   1/6  -1/6 ⎥   Aᵀ = ⎢0 1 -1 2 -2 0⎥
//	     ⎢0 -2 -1  2  1  0⎥        ⎢1/24  1/12   1/6 ⎥        ⎢0 1  1 4  4 0⎥
//	     ⎢0  2 -1 -2  1  0⎥        ⎢1/24 -1/12   1/6 ⎥        ⎣0 1 -1 8 -8 1⎦
//	     ⎣0  4  0 -5  0  1⎦        ⎣  0     0     1  ⎦
//
// (Lavin & Gray's interpolation points 0, ±1, ±2 and ∞). Summed over the
// input channels the 36 element-wise products are 36 matrix products
// M_ξ [O, T] = U_ξ [O, C] · V_ξ [C, T], ξ = 6i+j: 36 multiply-adds per 4x4
// outputs and channel pair instead of 144, four times fewer (F(2x2, 3x3):
// 2.25), for transforms of about the same cost per output and values that
// are sums of up to 36 inputs weighted by up to 25 (the rounding error
// grows with them: about 7 times F(2x2, 3x3)'s in a 64-channel convolution,
// rms 1.8e-6 of the output, still far within what a float32 training step
// tolerates, as oneDNN's and NNPACK's F(4x4, 3x3) and F(6x6, 3x3) are).
//
// Bits. Each transform is a fixed sequence of float32 operations written
// in its Go twin. The input and output transforms multiply only by 2, 4
// and 8 (exact), the weight transform also by ¼, ½ (exact but for
// subnormals) and ±1/6 (rounded, the last operation of its value); every
// product is converted explicitly, so no compiler may fuse it into an
// add. The AVX2 kernels (winograd4_amd64.s) do the same operations in the
// same order on 8 tiles or kernels at a time: the same bits on every
// machine and in the pure-Go build.
//
// Layout as F(2x2, 3x3)'s: the input of one channel is a zero-padded plane
// with rows ldx apart, tile (th, tw) starting at row 4·th, column 4·tw; V
// and M hold the 36 matrices ξ one after another, vs (ms) floats apart,
// tile t of a row at t; U_ξ is the o x c matrix at u[ξ·us:] with us =
// WinogradWeightsStride(o, c).

// The rounded constant of the weight transform: 1/6 in float32.
const sixth = float32(1.0 / 6)

// WinogradWeights4 sets u[ξ·us + oi·c + ci] = (G g Gᵀ)_ξ, ξ < 36, for the
// 3x3 kernels g = w[(oi·c + ci)·9 :] (OIHW), us = WinogradWeightsStride(o,
// c). As WinogradWeights, spread over the worker pool.
func WinogradWeights4(u, w []float32, o, c int) {
	winogradWeights("ops.WinogradWeights4", 36, winoW4Kernel, winogradWeights4Go, u, w, o, c)
}

// wino4W is the weight transform along one axis, (g0, g1, g2) → 6 values:
//
//	u0 = g0·¼                  u1 = ((g0 + g2) + g1)·(−1/6)   u2 = ((g0 + g2) − g1)·(−1/6)
//	u3 = ((g0·¼ + g2) + g1·½)·(1/6)   u4 = ((g0·¼ + g2) − g1·½)·(1/6)   u5 = g2
func wino4W(g0, g1, g2 float32) (u0, u1, u2, u3, u4, u5 float32) {
	q := float32(g0 * 0.25)
	s := g0 + g2
	u1 = float32((s + g1) * -sixth)
	u2 = float32((s - g1) * -sixth)
	p, h := q+g2, float32(g1*0.5)
	u3 = float32((p + h) * sixth)
	u4 = float32((p - h) * sixth)
	return q, u1, u2, u3, u4, g2
}

// winogradWeights4Go is WinogradWeights4's Go twin on kernels [lo, hi):
// t = G g column by column of g, then U = t Gᵀ row by row of t.
func winogradWeights4Go(u []float32, us int, w []float32, lo, hi int) {
	for kk := lo; kk < hi; kk++ {
		g := w[kk*9 : kk*9+9]
		var t [6][3]float32
		for x := 0; x < 3; x++ {
			t[0][x], t[1][x], t[2][x], t[3][x], t[4][x], t[5][x] = wino4W(g[x], g[3+x], g[6+x])
		}
		for i := 0; i < 6; i++ {
			r := u[6*i*us+kk:]
			r[0], r[us], r[2*us], r[3*us], r[4*us], r[5*us] = wino4W(t[i][0], t[i][1], t[i][2])
		}
	}
}

// WinogradInput4 transforms the tw tiles of one tile row of one channel:
// the 6 x (4·tw+2) block of x whose rows are ldx apart, into v[ξ·vs + t],
// ξ < 36, t < tw. The assembly kernel may read up to 32 floats past the
// block's last column and write up to 7 tiles past tw in each of the 36
// rows of v (the caller leaves that room; what lands there is garbage).
func WinogradInput4(v []float32, vs int, x []float32, ldx, tw int) {
	winogradInput("ops.WinogradInput4", 4, winoIn4Kernel, winogradInput4Go, v, vs, x, ldx, tw)
}

// wino4In is Bᵀ along one axis, (d0..d5) → 6 values, with e = d4 − d2 and
// f = (d3 − d1)·2:
//
//	h0 = (d0 − d2)·4 + e          h1 = (d3 + d4) − (d1 + d2)·4
//	h2 = (d4 − d3) + (d1 − d2)·4   h3 = e + f   h4 = e − f
//	h5 = (d1 − d3)·4 + (d5 − d3)
func wino4In(d0, d1, d2, d3, d4, d5 float32) (h0, h1, h2, h3, h4, h5 float32) {
	e := d4 - d2
	h0 = float32((d0-d2)*4) + e
	h1 = (d3 + d4) - float32((d1+d2)*4)
	h2 = (d4 - d3) + float32((d1-d2)*4)
	f := float32((d3 - d1) * 2)
	h3 = e + f
	h4 = e - f
	h5 = float32((d1-d3)*4) + (d5 - d3)
	return
}

// winogradInput4Go is WinogradInput4's Go twin: each row r of the tile
// along its columns (h_r = d_r B), then each column j of h down its rows
// (V = Bᵀ h), both by wino4In.
func winogradInput4Go(v []float32, vs int, x []float32, ldx, tw int) {
	for t := 0; t < tw; t++ {
		var h [6][6]float32 // h[r][j]
		for r := 0; r < 6; r++ {
			d := x[r*ldx+4*t : r*ldx+4*t+6]
			h[r][0], h[r][1], h[r][2], h[r][3], h[r][4], h[r][5] = wino4In(d[0], d[1], d[2], d[3], d[4], d[5])
		}
		for j := 0; j < 6; j++ {
			c := v[j*vs+t:]
			c[0], c[6*vs], c[12*vs], c[18*vs], c[24*vs], c[30*vs] = wino4In(h[0][j], h[1][j], h[2][j], h[3][j], h[4][j], h[5][j])
		}
	}
}

// WinogradOutput4 computes the 4x4 output blocks of the tw tiles of one
// tile row of one channel from m[ξ·ms + t] into y: output row 4·th + r at
// y[r·ldy : r·ldy+4·tw], r < 4. The assembly kernel may read up to 7 tiles
// past tw in each row of m and write up to 28 floats past 4·tw in each
// row of y (ldy must leave that room).
func WinogradOutput4(y []float32, ldy int, m []float32, ms, tw int) {
	winogradOutput("ops.WinogradOutput4", 4, winoOut4Kernel, winogradOutput4Go, y, ldy, m, ms, tw)
}

// wino4Out is Aᵀ along one axis, (m0..m5) → 4 values, with a = m1 + m2,
// b = m1 − m2, c = m3 + m4, d = m3 − m4:
//
//	y0 = (m0 + a) + c   y1 = b + d·2   y2 = a + c·4   y3 = (b + d·8) + m5
func wino4Out(m0, m1, m2, m3, m4, m5 float32) (y0, y1, y2, y3 float32) {
	a, b := m1+m2, m1-m2
	c, d := m3+m4, m3-m4
	y0 = (m0 + a) + c
	y1 = b + float32(d*2)
	y2 = a + float32(c*4)
	y3 = (b + float32(d*8)) + m5
	return
}

// winogradOutput4Go is WinogradOutput4's Go twin: s = Aᵀ M column by
// column of M, then y = s A along each of the four rows of s, both by
// wino4Out.
func winogradOutput4Go(y []float32, ldy int, m []float32, ms, tw int) {
	for t := 0; t < tw; t++ {
		var s [4][6]float32
		for j := 0; j < 6; j++ {
			c := m[j*ms+t:]
			s[0][j], s[1][j], s[2][j], s[3][j] = wino4Out(c[0], c[6*ms], c[12*ms], c[18*ms], c[24*ms], c[30*ms])
		}
		for r := 0; r < 4; r++ {
			o := y[r*ldy+4*t:]
			o[0], o[1], o[2], o[3] = wino4Out(s[r][0], s[r][1], s[r][2], s[r][3], s[r][4], s[r][5])
		}
	}
}
