package ops

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The matrices A (Aᵀ's transpose) and G of F(2x2, 3x3) and F(4x4, 3x3)
// (winograd.go, winograd4.go) in float64, for references.
var (
	winoA  = [][]float64{{1, 0}, {1, 1}, {1, -1}, {0, -1}}
	winoG  = [][]float64{{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}}
	wino4A = [][]float64{{1, 0, 0, 0}, {1, 1, 1, 1}, {1, -1, 1, -1}, {1, 2, 4, 8}, {1, -2, 4, -8}, {0, 0, 0, 1}}
	wino4G = [][]float64{{0.25, 0, 0}, {-1.0 / 6, -1.0 / 6, -1.0 / 6}, {-1.0 / 6, 1.0 / 6, -1.0 / 6},
		{1.0 / 24, 1.0 / 12, 1.0 / 6}, {1.0 / 24, -1.0 / 12, 1.0 / 6}, {0, 0, 1}}
)

// winoSides: each tile side's matrices, its adjoint transforms and the
// forward transforms they are the adjoints of.
var winoSides = []struct {
	mt      int
	a, g    [][]float64
	outGrad func(dm []float32, ms int, dy []float32, ldy, tw int)
	out     func(y []float32, ldy int, m []float32, ms, tw int)
	wGrad   func(dw, du []float32, us, o, c int)
	weights func(u, w []float32, o, c int)
}{
	{2, winoA, winoG, WinogradOutputGrad, WinogradOutput, WinogradWeightsGrad, WinogradWeights},
	{4, wino4A, wino4G, WinogradOutputGrad4, WinogradOutput4, WinogradWeightsGrad4, WinogradWeights4},
}

// TestWinogradOutputGrad checks A D Aᵀ of both tile sides against the
// float64 definition: exact on small integers (the transforms multiply by
// powers of two only), within float32 rounding on random values, each
// tile of a row, with the rows of dm ms apart; and that each is the
// adjoint of its output transform: <A D Aᵀ, M> = <D, Aᵀ M A>.
func TestWinogradOutputGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	for _, sd := range winoSides {
		mt, nx := sd.mt, (sd.mt+2)*(sd.mt+2)
		for _, ints := range []bool{true, false} {
			for _, tw := range []int{1, 3, 8, 13} {
				g := (tw + 7) &^ 7 // the kernel's room
				ldy, ms := mt*g+5, g+3
				dy := make([]float32, mt*ldy)
				for i := range dy {
					if ints {
						dy[i] = float32(rng.IntN(17) - 8)
					} else {
						dy[i] = float32(rng.NormFloat64())
					}
				}
				dm := make([]float32, nx*ms+g)
				sd.outGrad(dm, ms, dy, ldy, tw)
				for tt := 0; tt < tw; tt++ {
					for i := 0; i < mt+2; i++ {
						for j := 0; j < mt+2; j++ {
							var want, mag float64
							for r := 0; r < mt; r++ {
								for x := 0; x < mt; x++ {
									v := sd.a[i][r] * float64(dy[r*ldy+mt*tt+x]) * sd.a[j][x]
									want += v
									mag += math.Abs(v)
								}
							}
							got := float64(dm[((mt+2)*i+j)*ms+tt])
							if ints && got != want || !ints && math.Abs(got-want) > 4e-7*mag {
								t.Fatalf("F(%dx%d) ints %v tw %d tile %d ξ (%d,%d): %g, want %g", mt, mt, ints, tw, tt, i, j, got, want)
							}
						}
					}
				}
			}
		}
		// The adjoint of the output transform (whichever kernel runs it).
		tw := 8
		ldy, ms := mt*tw+32, tw+8
		dy := make([]float32, mt*ldy)
		for r := 0; r < mt; r++ { // the slack past mt·tw stays zero
			for x := 0; x < mt*tw; x++ {
				dy[r*ldy+x] = float32(rng.NormFloat64())
			}
		}
		m := make([]float32, nx*ms)
		for i := range m {
			m[i] = float32(rng.NormFloat64())
		}
		dm := make([]float32, nx*ms)
		sd.outGrad(dm, ms, dy, ldy, tw)
		y := make([]float32, mt*ldy)
		sd.out(y, ldy, m, ms, tw)
		var l, r float64
		for tt := 0; tt < tw; tt++ {
			for xi := 0; xi < nx; xi++ {
				l += float64(dm[xi*ms+tt]) * float64(m[xi*ms+tt])
			}
		}
		for row := 0; row < mt; row++ {
			for x := 0; x < mt*tw; x++ {
				r += float64(dy[row*ldy+x]) * float64(y[row*ldy+x])
			}
		}
		if math.Abs(l-r) > 1e-4*math.Abs(r)+1e-4 {
			t.Errorf("F(%dx%d): <A D Aᵀ, M> = %g, <D, Aᵀ M A> = %g", mt, mt, l, r)
		}
	}
}

// TestWinogradWeightsGrad checks Gᵀ D G of both tile sides against the
// float64 definition (added onto what dw held), and that each is the
// adjoint of its weight transform: <Gᵀ D G, g> = <D, G g Gᵀ>.
func TestWinogradWeightsGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	for _, sd := range winoSides {
		mt, nx := sd.mt, (sd.mt+2)*(sd.mt+2)
		for _, oc := range [][2]int{{1, 1}, {3, 5}, {16, 20}} {
			o, c := oc[0], oc[1]
			k := o * c
			us := WinogradWeightsStride(o, c)
			du := make([]float32, nx*us)
			for i := range du {
				du[i] = float32(rng.NormFloat64())
			}
			dw := make([]float32, 9*k)
			before := make([]float32, 9*k)
			for i := range dw {
				dw[i] = float32(rng.NormFloat64())
				before[i] = dw[i]
			}
			sd.wGrad(dw, du, us, o, c)
			for kk := 0; kk < k; kk++ {
				for r := 0; r < 3; r++ {
					for x := 0; x < 3; x++ {
						var want, mag float64
						for i := 0; i < mt+2; i++ {
							for j := 0; j < mt+2; j++ {
								v := sd.g[i][r] * float64(du[((mt+2)*i+j)*us+kk]) * sd.g[j][x]
								want += v
								mag += math.Abs(v)
							}
						}
						got := float64(dw[9*kk+3*r+x]) - float64(before[9*kk+3*r+x])
						if math.Abs(got-want) > 1e-6*(mag+math.Abs(float64(before[9*kk+3*r+x]))) {
							t.Fatalf("F(%dx%d) %dx%d kernel %d tap (%d,%d): added %g, want %g", mt, mt, o, c, kk, r, x, got, want)
						}
					}
				}
			}
			// The adjoint of the weight transform.
			w := make([]float32, 9*k)
			for i := range w {
				w[i] = float32(rng.NormFloat64())
			}
			u := make([]float32, nx*us)
			sd.weights(u, w, o, c)
			g := make([]float32, 9*k)
			sd.wGrad(g, du, us, o, c)
			var l, r float64
			for i := range w {
				l += float64(g[i]) * float64(w[i])
			}
			for xi := 0; xi < nx; xi++ {
				for kk := 0; kk < k; kk++ {
					r += float64(du[xi*us+kk]) * float64(u[xi*us+kk])
				}
			}
			if math.Abs(l-r) > 1e-5*(math.Abs(r)+1) {
				t.Errorf("F(%dx%d) %dx%d: <Gᵀ D G, g> = %g, <D, G g Gᵀ> = %g", mt, mt, o, c, l, r)
			}
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
