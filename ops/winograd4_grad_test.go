package ops

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The matrices of F(4x4, 3x3) (winograd4.go) in float64, for references.
var (
	wino4A = [6][4]float64{{1, 0, 0, 0}, {1, 1, 1, 1}, {1, -1, 1, -1}, {1, 2, 4, 8}, {1, -2, 4, -8}, {0, 0, 0, 1}}
	wino4G = [6][3]float64{{0.25, 0, 0}, {-1.0 / 6, -1.0 / 6, -1.0 / 6}, {-1.0 / 6, 1.0 / 6, -1.0 / 6},
		{1.0 / 24, 1.0 / 12, 1.0 / 6}, {1.0 / 24, -1.0 / 12, 1.0 / 6}, {0, 0, 1}}
)

// TestWinogradOutputGrad4 checks A D Aᵀ against the float64 definition:
// exact on small integers (the transform multiplies by powers of two
// only), within float32 rounding on random values, each tile of a row,
// with the rows of dm ms apart; and that it is the adjoint of
// WinogradOutput4: <A D Aᵀ, M> = <D, Aᵀ M A>.
func TestWinogradOutputGrad4(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	for _, ints := range []bool{true, false} {
		for _, tw := range []int{1, 3, 8, 13} {
			g := (tw + 7) &^ 7 // the kernel's room
			ldy, ms := 4*g+5, g+3
			dy := make([]float32, 4*ldy)
			for i := range dy {
				if ints {
					dy[i] = float32(rng.IntN(17) - 8)
				} else {
					dy[i] = float32(rng.NormFloat64())
				}
			}
			dm := make([]float32, 36*ms+g)
			WinogradOutputGrad4(dm, ms, dy, ldy, tw)
			for tt := 0; tt < tw; tt++ {
				for i := 0; i < 6; i++ {
					for j := 0; j < 6; j++ {
						var want, mag float64
						for r := 0; r < 4; r++ {
							for x := 0; x < 4; x++ {
								v := wino4A[i][r] * float64(dy[r*ldy+4*tt+x]) * wino4A[j][x]
								want += v
								mag += math.Abs(v)
							}
						}
						got := float64(dm[(6*i+j)*ms+tt])
						if ints && got != want || !ints && math.Abs(got-want) > 4e-7*mag {
							t.Fatalf("ints %v tw %d tile %d ξ (%d,%d): %g, want %g", ints, tw, tt, i, j, got, want)
						}
					}
				}
			}
		}
	}
	// The adjoint of WinogradOutput4 (whichever kernel runs it).
	tw := 8
	dy := make([]float32, 4*(4*tw+32))
	for i := range dy {
		dy[i] = float32(rng.NormFloat64())
	}
	for r := 0; r < 4; r++ { // the slack past 4·tw stays zero
		clear(dy[r*(4*tw+32)+4*tw : (r+1)*(4*tw+32)])
	}
	m := make([]float32, 36*(tw+8))
	for i := range m {
		m[i] = float32(rng.NormFloat64())
	}
	dm := make([]float32, 36*(tw+8))
	WinogradOutputGrad4(dm, tw+8, dy, 4*tw+32, tw)
	y := make([]float32, 4*(4*tw+32))
	WinogradOutput4(y, 4*tw+32, m, tw+8, tw)
	var l, r float64
	for tt := 0; tt < tw; tt++ {
		for xi := 0; xi < 36; xi++ {
			l += float64(dm[xi*(tw+8)+tt]) * float64(m[xi*(tw+8)+tt])
		}
	}
	for row := 0; row < 4; row++ {
		for x := 0; x < 4*tw; x++ {
			r += float64(dy[row*(4*tw+32)+x]) * float64(y[row*(4*tw+32)+x])
		}
	}
	if math.Abs(l-r) > 1e-4*math.Abs(r)+1e-4 {
		t.Errorf("<A D Aᵀ, M> = %g, <D, Aᵀ M A> = %g", l, r)
	}
}

// TestWinogradWeightsGrad4 checks Gᵀ D G against the float64 definition
// (added onto what dw held), and that it is the adjoint of
// WinogradWeights4: <Gᵀ D G, g> = <D, G g Gᵀ>.
func TestWinogradWeightsGrad4(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	for _, oc := range [][2]int{{1, 1}, {3, 5}, {16, 20}} {
		o, c := oc[0], oc[1]
		k := o * c
		us := WinogradWeightsStride(o, c)
		du := make([]float32, 36*us)
		for i := range du {
			du[i] = float32(rng.NormFloat64())
		}
		dw := make([]float32, 9*k)
		before := make([]float32, 9*k)
		for i := range dw {
			dw[i] = float32(rng.NormFloat64())
			before[i] = dw[i]
		}
		WinogradWeightsGrad4(dw, du, us, o, c)
		for kk := 0; kk < k; kk++ {
			for r := 0; r < 3; r++ {
				for x := 0; x < 3; x++ {
					var want, mag float64
					for i := 0; i < 6; i++ {
						for j := 0; j < 6; j++ {
							v := wino4G[i][r] * float64(du[(6*i+j)*us+kk]) * wino4G[j][x]
							want += v
							mag += math.Abs(v)
						}
					}
					got := float64(dw[9*kk+3*r+x]) - float64(before[9*kk+3*r+x])
					if math.Abs(got-want) > 1e-6*(mag+math.Abs(float64(before[9*kk+3*r+x]))) {
						t.Fatalf("%dx%d kernel %d tap (%d,%d): added %g, want %g", o, c, kk, r, x, got, want)
					}
				}
			}
		}
		// The adjoint of WinogradWeights4.
		w := make([]float32, 9*k)
		for i := range w {
			w[i] = float32(rng.NormFloat64())
		}
		u := make([]float32, 36*us)
		WinogradWeights4(u, w, o, c)
		g := make([]float32, 9*k)
		WinogradWeightsGrad4(g, du, us, o, c)
		var l, r float64
		for i := range w {
			l += float64(g[i]) * float64(w[i])
		}
		for xi := 0; xi < 36; xi++ {
			for kk := 0; kk < k; kk++ {
				r += float64(du[xi*us+kk]) * float64(u[xi*us+kk])
			}
		}
		if math.Abs(l-r) > 1e-5*(math.Abs(r)+1) {
			t.Errorf("%dx%d: <Gᵀ D G, g> = %g, <D, G g Gᵀ> = %g", o, c, l, r)
		}
	}
}

// TestWinogradOutputGrad4KernelMatchesGo: the assembly kernel gives its Go
// twin's bits on every tile of rows of 1-41 tiles (whole groups of 8 and
// tails), values from subnormal to 1e30 of both signs and the slack past
// the tiles poisoned with NaN, and writes nothing outside the tiles'
// groups.
func TestWinogradOutputGrad4KernelMatchesGo(t *testing.T) {
	if winoOutT4Kernel == nil {
		t.Skip("no assembly kernel on this build or CPU")
	}
	rng := rand.New(rand.NewPCG(6, 6))
	val := func() float32 {
		switch rng.IntN(8) {
		case 0:
			return float32(rng.NormFloat64()) * 1e-40 // subnormal
		case 1:
			return float32(rng.NormFloat64()) * 1e30
		case 2:
			return 0
		}
		return float32(rng.NormFloat64())
	}
	for tw := 1; tw <= 41; tw++ {
		g := (tw + 7) &^ 7
		ldy, ms := 4*g+3, g+5
		dy := make([]float32, 4*ldy)
		for r := 0; r < 4; r++ {
			for x := 0; x < ldy; x++ {
				if x < 4*tw {
					dy[r*ldy+x] = val()
				} else {
					dy[r*ldy+x] = float32(math.NaN())
				}
			}
		}
		sentinel := float32(-7.5)
		want := make([]float32, 36*ms+g)
		got := make([]float32, 36*ms+g)
		for i := range got {
			want[i], got[i] = sentinel, sentinel
		}
		winogradOutputGrad4Go(dy, ldy, want, ms, tw)
		winoOutT4Kernel(dy, ldy, got, ms, tw)
		for xi := 0; xi < 36; xi++ {
			for c := 0; c < ms; c++ {
				i := xi*ms + c
				switch {
				case c < tw:
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("tw %d ξ %d tile %d: kernel %v, Go %v", tw, xi, c, got[i], want[i])
					}
				case c >= g && got[i] != sentinel:
					t.Fatalf("tw %d ξ %d: column %d past the last group written (%v)", tw, xi, c, got[i])
				}
			}
		}
	}
}
