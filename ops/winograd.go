package ops

import "fmt"

// Winograd's minimal filtering F(2x2, 3x3) (Lavin & Gray, "Fast Algorithms
// for Convolutional Neural Networks", 2016): a 3x3 stride-1 convolution
// computes each 2x2 block of output pixels of a channel pair from a 4x4
// block d of the (padded) input as
//
//	Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A
//
//	     ⎡1  0 -1  0⎤        ⎡ 1   0   0 ⎤
//	Bᵀ = ⎢0  1  1  0⎥    G = ⎢1/2 1/2 1/2⎥    Aᵀ = ⎡1 1  1  0⎤
//	     ⎢0 -1  1  0⎥        ⎢1/2 -1/2 1/2⎥        ⎣0 1 -1 -1⎦
//	     ⎣0  1  0 -1⎦        ⎣ 0   0   1 ⎦
//
// Summed over the input channels, the 16 element-wise products become 16
// matrix products, one per position ξ = 4i+j of the 4x4 transformed tile:
//
//	M_ξ [O, T] = U_ξ [O, C] · V_ξ [C, T]
//
// with U_ξ[o, c] = (G g[o,c] Gᵀ)_ξ (WinogradWeights), V_ξ[c, t] = (Bᵀ d_t,c
// B)_ξ for tile t (WinogradInput) and the output tile Aᵀ M_t A
// (WinogradOutput). That is 16 multiply-adds per 2x2 outputs and channel
// pair instead of 36: 2.25 times fewer, paid for with the transforms, which
// are additions and cost O(C + O) per tile instead of O(C·O).
//
// The transforms are exact sequences of float32 additions and subtractions
// (the weights' also halvings), in the fixed order written in each
// function; the AVX2 kernels (winograd_amd64.s) do the same operations in
// the same order on 8 tiles at a time, so every machine computes the same
// bits, and so does the pure-Go build. The result differs from the direct
// product's rounding by a few units in the last place (the transformed
// values are sums of up to 16 inputs), as in cuDNN's and oneDNN's Winograd
// algorithms.
//
// Layout. The input of one channel is a zero-padded plane with rows ldx
// apart whose tile (th, tw) starts at row 2·th, column 2·tw; a row of tw
// tiles is transformed in one call. V and M hold the 16 matrices ξ one
// after another, vs (ms) floats apart, tile t of a row at t.

// WinogradWeightsStride is the distance between the matrices U_ξ that
// WinogradWeights and WinogradWeights4 write for o x c kernels: o·c
// rounded up to 4 KiB of floats, plus 64 bytes (a multiple of 8, as the
// kernels' groups of 8 need). A distance that is a multiple of 4 KiB
// would put the 16 or 36 rows a kernel writes for one group of kernels
// into one set of the L1 data cache; this one spreads them over as many.
func WinogradWeightsStride(o, c int) int { return (o*c+1023)&^1023 + 16 }

// WinogradWeights sets u[ξ·us + oi·c + ci] = (G g Gᵀ)_ξ for the 3x3 kernel
// g = w[(oi·c + ci)·9 :], oi < o, ci < c (w in OIHW order), where us =
// WinogradWeightsStride(o, c): U_ξ is the o x c matrix at u[ξ·us:]. The
// kernels are spread over the worker pool; the assembly kernel takes them
// 8 at a time from a transposed copy (tap-major), the Go twin one by one.
func WinogradWeights(u, w []float32, o, c int) {
	winogradWeights("ops.WinogradWeights", 16, winoWKernel, winogradWeightsGo, u, w, o, c)
}

// winogradWeights is WinogradWeights and WinogradWeights4 for nx
// transformed values per kernel: the bounds, then the assembly kernel on
// groups of 8 kernels read tap-major from a transposed copy, or the Go
// twin on kernels [lo, hi).
func winogradWeights(name string, nx int, kern func([]float32, int, []float32, int, int), twin func([]float32, int, []float32, int, int),
	u, w []float32, o, c int) {
	k, us := o*c, WinogradWeightsStride(o, c)
	if len(w) < 9*k || len(u) < nx*us {
		panic(fmt.Sprintf("%s: w has %d floats, u %d; %d x %d 3x3 kernels need %d and %d", name, len(w), len(u), o, c, 9*k, nx*us))
	}
	if kern == nil || noasm {
		Parallel(k, 256, func(lo, hi int) { twin(u, us, w, lo, hi) })
		return
	}
	wt := GetScratch(9 * us) // wt[(3r+x)·us + kk] = tap (r, x) of kernel kk
	defer PutScratch(wt)
	Parallel((k+7)/8, 32, func(lo, hi int) {
		k0, k1 := 8*lo, min(k, 8*hi)
		Transpose((*wt)[k0:], us, w[9*k0:], 9, k1-k0, 9)
		kern(u[k0:], us, (*wt)[k0:], us, 8*(hi-lo)) // a last group past k reads and writes the rows' slack
	})
}

// winogradWeightsGo is WinogradWeights's Go twin on kernels [lo, hi): Gg
// row by row of the kernel, then the same combination along each row of Gg:
//
//	t0 = g0   t1 = ((g0 + g1) + g2)·½   t2 = ((g0 − g1) + g2)·½   t3 = g2
func winogradWeightsGo(u []float32, us int, w []float32, lo, hi int) {
	for kk := lo; kk < hi; kk++ {
		g := w[kk*9 : kk*9+9]
		var t [4][3]float32
		for x := 0; x < 3; x++ {
			g0, g1, g2 := g[x], g[3+x], g[6+x]
			t[0][x] = g0
			t[1][x] = ((g0 + g1) + g2) * 0.5
			t[2][x] = ((g0 - g1) + g2) * 0.5
			t[3][x] = g2
		}
		for i := 0; i < 4; i++ {
			a, b, c := t[i][0], t[i][1], t[i][2]
			u[(4*i+0)*us+kk] = a
			u[(4*i+1)*us+kk] = ((a + b) + c) * 0.5
			u[(4*i+2)*us+kk] = ((a - b) + c) * 0.5
			u[(4*i+3)*us+kk] = c
		}
	}
}

// WinogradInput transforms the tw tiles of one tile row of one channel:
// the 4 x (2·tw+2) block of x whose rows are ldx apart, into v[ξ·vs + t],
// t < tw. The assembly kernels may read up to 16 floats past the block's
// last column and write up to 7 tiles past tw in each of the 16 rows of v
// (the caller leaves that room; what lands there is garbage, overwritten by
// the next tile row or never read).
func WinogradInput(v []float32, vs int, x []float32, ldx, tw int) {
	winogradInput("ops.WinogradInput", 2, winoInKernel, winogradInputGo, v, vs, x, ldx, tw)
}

// winogradInput is WinogradInput and WinogradInput4 for tiles of mt x mt
// outputs ((mt+2)² values from mt+2 rows): the bounds, then the assembly
// kernel (whose last group of 8 tiles reads mt·8+mt floats of each of its
// rows, the room past the block that the caller leaves) or the Go twin.
func winogradInput(name string, mt int, kern, twin func([]float32, int, []float32, int, int), v []float32, vs int, x []float32, ldx, tw int) {
	if tw <= 0 {
		return
	}
	last, nx := (mt+1)*ldx, (mt+2)*(mt+2) // the block's last row starts at last
	if len(x) < last+mt*tw+2 || len(v) < (nx-1)*vs+tw || vs < tw {
		panic(fmt.Sprintf("%s: x %d floats (ldx %d), v %d (vs %d) for %d tiles", name, len(x), ldx, len(v), vs, tw))
	}
	if kern != nil && !noasm {
		g := (tw + 7) &^ 7
		if len(x) < last+mt*g+mt || len(v) < (nx-1)*vs+g {
			panic(fmt.Sprintf("%s: x %d floats (ldx %d), v %d (vs %d): no room for %d tiles of 8", name, len(x), ldx, len(v), vs, g))
		}
		kern(v, vs, x, ldx, tw)
		return
	}
	twin(v, vs, x, ldx, tw)
}

// winogradInputGo is WinogradInput's Go twin (and its reference). Along
// each row r of the tile, h_r = d_r B; then V = Bᵀ h, rows first:
//
//	h0 = d0 − d2   h1 = d1 + d2   h2 = d2 − d1   h3 = d1 − d3   (columns d0..d3)
//	V0 = h0 − h2   V1 = h1 + h2   V2 = h2 − h1   V3 = h1 − h3   (rows h0..h3)
func winogradInputGo(v []float32, vs int, x []float32, ldx, tw int) {
	for t := 0; t < tw; t++ {
		var h [4][4]float32 // h[r][j]
		for r := 0; r < 4; r++ {
			d := x[r*ldx+2*t : r*ldx+2*t+4]
			h[r][0] = d[0] - d[2]
			h[r][1] = d[1] + d[2]
			h[r][2] = d[2] - d[1]
			h[r][3] = d[1] - d[3]
		}
		for j := 0; j < 4; j++ {
			v[(0+j)*vs+t] = h[0][j] - h[2][j]
			v[(4+j)*vs+t] = h[1][j] + h[2][j]
			v[(8+j)*vs+t] = h[2][j] - h[1][j]
			v[(12+j)*vs+t] = h[1][j] - h[3][j]
		}
	}
}

// WinogradOutput computes the 2x2 output blocks of the tw tiles of one tile
// row of one channel from m[ξ·ms + t] into y: row 2·th at y[0:2·tw], the
// next at y[ldy:ldy+2·tw]. The assembly kernels may read up to 7 tiles past
// tw in each row of m and write up to 16 floats past 2·tw in each row of y
// (ldy must leave that room).
func WinogradOutput(y []float32, ldy int, m []float32, ms, tw int) {
	winogradOutput("ops.WinogradOutput", 2, winoOutKernel, winogradOutputGo, y, ldy, m, ms, tw)
}

// winogradOutput is WinogradOutput and WinogradOutput4 for tiles of mt x mt
// outputs: the bounds, then the assembly kernel (which writes whole groups
// of 8 tiles) or the Go twin.
func winogradOutput(name string, mt int, kern, twin func([]float32, int, []float32, int, int), y []float32, ldy int, m []float32, ms, tw int) {
	if tw <= 0 {
		return
	}
	nx := (mt + 2) * (mt + 2)
	if len(y) < (mt-1)*ldy+mt*tw || ldy < mt*tw || len(m) < (nx-1)*ms+tw || ms < tw {
		panic(fmt.Sprintf("%s: y %d floats (ldy %d), m %d (ms %d) for %d tiles", name, len(y), ldy, len(m), ms, tw))
	}
	if kern != nil && !noasm {
		g := (tw + 7) &^ 7
		if len(y) < (mt-1)*ldy+mt*g || ldy < mt*g || len(m) < (nx-1)*ms+g || ms < g {
			panic(fmt.Sprintf("%s: y %d floats (ldy %d), m %d (ms %d): no room for %d tiles of 8", name, len(y), ldy, len(m), ms, g))
		}
		kern(y, ldy, m, ms, tw)
		return
	}
	twin(y, ldy, m, ms, tw)
}

// winogradOutputGo is WinogradOutput's Go twin: s = Aᵀ M by columns j,
// then y = s A along each of its two rows:
//
//	s0 = (M0 + M1) + M2   s1 = (M1 − M2) − M3        (rows M0..M3)
//	y0 = (s0 + s1) + s2   y1 = (s1 − s2) − s3        (columns s0..s3)
func winogradOutputGo(y []float32, ldy int, m []float32, ms, tw int) {
	for t := 0; t < tw; t++ {
		var s [2][4]float32
		for j := 0; j < 4; j++ {
			m0, m1, m2, m3 := m[(0+j)*ms+t], m[(4+j)*ms+t], m[(8+j)*ms+t], m[(12+j)*ms+t]
			s[0][j] = (m0 + m1) + m2
			s[1][j] = (m1 - m2) - m3
		}
		for r := 0; r < 2; r++ {
			y[r*ldy+2*t] = (s[r][0] + s[r][1]) + s[r][2]
			y[r*ldy+2*t+1] = (s[r][1] - s[r][2]) - s[r][3]
		}
	}
}
