package ops

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The assembly transforms of F(2x2, 3x3) and F(4x4, 3x3) against their Go
// twins, bit for bit, on every row (count of kernels) up to 41 (whole
// groups of 8 and every tail), with NaN in the room the kernels may read
// past the block and the row (a kernel must not let it into a kept value)
// and values of every scale: subnormal to 1e30, so that the exact
// multiplications stay exact and the halvings and quarterings of
// subnormal weights round as the twin's.
func TestWinogradKernelsMatchGo(t *testing.T) {
	type kernels struct {
		mt          int
		in, out     func([]float32, int, []float32, int, int)
		inGo, outGo func([]float32, int, []float32, int, int)
		wGo         func(u []float32, us int, w []float32, lo, hi int)
		weights     func(u, w []float32, o, c int)
	}
	for _, ks := range []kernels{
		{2, winoInKernel, winoOutKernel, winogradInputGo, winogradOutputGo, winogradWeightsGo, WinogradWeights},
		{4, winoIn4Kernel, winoOut4Kernel, winogradInput4Go, winogradOutput4Go, winogradWeights4Go, WinogradWeights4},
	} {
		if ks.in == nil || noasm {
			t.Skip("no Winograd kernels on this build or CPU")
		}
		mt, nx := ks.mt, (ks.mt+2)*(ks.mt+2)
		rng := rand.New(rand.NewPCG(13, uint64(mt)))
		scale := func(xs []float32, tw int) {
			f := []float32{1, 1e-38, 1e30, 3e-41}[tw%4]
			for i := range xs {
				xs[i] *= f
			}
		}
		for tw := 1; tw <= 41; tw++ {
			g := (tw + 7) &^ 7
			ldx := mt*tw + 2 + rng.IntN(5)
			x := randSlice(rng, (mt+1)*ldx+mt*g+mt)
			scale(x, tw)
			for c := mt*tw + 2; c < ldx; c++ { // past the block: not read by a kept tile
				for r := 0; r < mt+2 && r*ldx+c < len(x); r++ {
					x[r*ldx+c] = float32(math.NaN())
				}
			}
			for i := (mt+1)*ldx + mt*tw + 2; i < len(x); i++ {
				x[i] = float32(math.NaN())
			}
			vs := g + 3
			want, got := make([]float32, nx*vs), make([]float32, nx*vs)
			ks.inGo(want, vs, x, ldx, tw)
			ks.in(got, vs, x, ldx, tw)
			for xi := 0; xi < nx; xi++ {
				for i := 0; i < tw; i++ {
					if math.Float32bits(got[xi*vs+i]) != math.Float32bits(want[xi*vs+i]) {
						t.Fatalf("F(%d) input tw %d: v[%d][%d] = %v, want %v", mt, tw, xi, i, got[xi*vs+i], want[xi*vs+i])
					}
				}
			}

			ms := g + 5
			m := randSlice(rng, nx*ms)
			scale(m, tw)
			for xi := 0; xi < nx; xi++ {
				for i := tw; i < ms; i++ {
					m[xi*ms+i] = float32(math.NaN())
				}
			}
			ldy := mt*g + 1
			yw, yg := make([]float32, mt*ldy), make([]float32, mt*ldy)
			ks.outGo(yw, ldy, m, ms, tw)
			ks.out(yg, ldy, m, ms, tw)
			for r := 0; r < mt; r++ {
				for i := 0; i < mt*tw; i++ {
					if math.Float32bits(yg[r*ldy+i]) != math.Float32bits(yw[r*ldy+i]) {
						t.Fatalf("F(%d) output tw %d: y[%d][%d] = %v, want %v", mt, tw, r, i, yg[r*ldy+i], yw[r*ldy+i])
					}
				}
			}

			k := tw
			w := randSlice(rng, 9*k)
			scale(w, tw)
			us := WinogradWeightsStride(k, 1)
			uw, ug := make([]float32, nx*us), make([]float32, nx*us)
			ks.wGo(uw, us, w, 0, k)
			ks.weights(ug, w, k, 1)
			for xi := 0; xi < nx; xi++ {
				for i := 0; i < k; i++ {
					if math.Float32bits(ug[xi*us+i]) != math.Float32bits(uw[xi*us+i]) {
						t.Fatalf("F(%d) %d kernels: u[%d][%d] = %v, want %v", mt, k, xi, i, ug[xi*us+i], uw[xi*us+i])
					}
				}
			}
		}
	}
}

// A whole 3x3 convolution (padding 1, odd and even sizes) through the
// three transforms and the 16 (F(2x2, 3x3)) or 36 (F(4x4, 3x3)) products,
// against the direct sum in float64: within the float32 rounding of sums
// of a few hundred terms, scaled by the transforms' weights.
func TestWinogradConvolution(t *testing.T) {
	type algo struct {
		name    string
		mt      int // output tile side
		tol     float64
		weights func(u, w []float32, o, c int)
		input   func(v []float32, vs int, x []float32, ldx, tw int)
		output  func(y []float32, ldy int, m []float32, ms, tw int)
	}
	for _, al := range []algo{
		{"F(2x2,3x3)", 2, 1e-5, WinogradWeights, WinogradInput, WinogradOutput},
		{"F(4x4,3x3)", 4, 1e-5, WinogradWeights4, WinogradInput4, WinogradOutput4},
	} {
		rng := rand.New(rand.NewPCG(9, 10))
		nx := (al.mt + 2) * (al.mt + 2)
		for _, sz := range [][2]int{{1, 1}, {2, 3}, {5, 4}, {7, 7}, {8, 13}, {14, 14}, {9, 17}} {
			h, w := sz[0], sz[1]
			const c, o = 5, 4
			x := randSlice(rng, c*h*w)
			wt := randSlice(rng, o*c*9)
			th, tw := (h+al.mt-1)/al.mt, (w+al.mt-1)/al.mt
			// Padded planes: mt·th+2 rows of ldx, the input at (1, 1); room
			// for the kernels' over-read after the last.
			ldx := al.mt*tw + 2
			plane := (al.mt*th + 2) * ldx
			xp := make([]float32, c*plane+32)
			for ci := 0; ci < c; ci++ {
				for i := 0; i < h; i++ {
					copy(xp[ci*plane+(i+1)*ldx+1:], x[ci*h*w+i*w:ci*h*w+(i+1)*w])
				}
			}
			T := th * tw
			vs := T + 8
			v := make([]float32, nx*c*vs)
			for ci := 0; ci < c; ci++ {
				for r := 0; r < th; r++ {
					al.input(v[ci*vs+r*tw:], c*vs, xp[ci*plane+al.mt*r*ldx:], ldx, tw)
				}
			}
			us := WinogradWeightsStride(o, c)
			u := make([]float32, nx*us)
			al.weights(u, wt, o, c)
			m := make([]float32, nx*o*vs)
			for xi := 0; xi < nx; xi++ {
				for oi := 0; oi < o; oi++ {
					for ti := 0; ti < T; ti++ {
						var s float32
						for ci := 0; ci < c; ci++ {
							s += u[xi*us+oi*c+ci] * v[xi*c*vs+ci*vs+ti]
						}
						m[xi*o*vs+oi*vs+ti] = s
					}
				}
			}
			ldy := al.mt*((tw+7)&^7) + 16
			y := make([]float32, al.mt*th*ldy+ldy)
			for oi := 0; oi < o; oi++ {
				for r := 0; r < th; r++ {
					al.output(y[al.mt*r*ldy:], ldy, m[oi*vs+r*tw:], o*vs, tw)
				}
				for i := 0; i < h; i++ {
					for j := 0; j < w; j++ {
						var want, mag float64
						for ci := 0; ci < c; ci++ {
							for a := 0; a < 3; a++ {
								for b := 0; b < 3; b++ {
									ii, jj := i+a-1, j+b-1
									if ii < 0 || ii >= h || jj < 0 || jj >= w {
										continue
									}
									p := float64(wt[(oi*c+ci)*9+a*3+b]) * float64(x[ci*h*w+ii*w+jj])
									want += p
									mag += math.Abs(p)
								}
							}
						}
						got := float64(y[i*ldy+j])
						if math.Abs(got-want) > al.tol*(mag+1) {
							t.Fatalf("%s %dx%d: y[%d][%d][%d] = %v, want %v", al.name, h, w, oi, i, j, got, want)
						}
					}
				}
			}
		}
	}
}
