package ops

import (
	"math/rand/v2"
	"testing"
)

// convGeomCases covers stride, asymmetric padding (bottom/right only via
// OH/OW), dilation, rectangular kernels and windows that fall entirely on
// padding.
func convGeomCases() []ConvGeom {
	mk := func(c, h, w, kh, kw, sh, sw, pt, pb, pl, pr, dh, dw int) ConvGeom {
		g := ConvGeom{C: c, H: h, W: w, KH: kh, KW: kw, StrideH: sh, StrideW: sw, PadT: pt, PadL: pl, DilH: dh, DilW: dw}
		g.OH = (h+pt+pb-dh*(kh-1)-1)/sh + 1
		g.OW = (w+pl+pr-dw*(kw-1)-1)/sw + 1
		return g
	}
	return []ConvGeom{
		mk(2, 5, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1),
		mk(3, 7, 6, 5, 5, 2, 2, 2, 2, 2, 2, 1, 1),
		mk(2, 6, 6, 3, 3, 2, 2, 0, 1, 0, 1, 1, 1), // TF SAME, extra pixel bottom/right
		mk(1, 7, 7, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2), // dilation 2
		mk(2, 4, 9, 2, 3, 1, 3, 0, 0, 1, 2, 1, 1), // rectangular kernel, stride (1,3)
		mk(1, 3, 3, 3, 3, 1, 1, 3, 3, 3, 3, 1, 1), // padding wider than the reach: all-zero windows
		mk(4, 5, 5, 1, 1, 2, 2, 0, 0, 0, 0, 1, 1),
		mk(2, 4, 37, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1), // rows of 35-37 pixels: Col2imTile's vector adds
		mk(2, 9, 41, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1), // stride 2, rows of 21 pixels: gatherStrided's fours and tail
		mk(1, 5, 40, 3, 3, 1, 3, 1, 1, 1, 1, 1, 1), // stride 3, rows of 14 pixels
	}
}

func im2colRandom(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = rng.Float32()*2 - 1
	}
	return x
}

// The tiled kernels over the whole matrix (p0 = 0, np = OH*OW); tiles
// proper are in im2col_tile_test.go.
func TestIm2colWholeMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for i, g := range convGeomCases() {
		x := im2colRandom(rng, g.C*g.H*g.W)
		n := g.ColRows() * g.ColCols()
		got := make([]float32, n+8) // guard band after the matrix
		for j := range got {
			got[j] = 99 // Im2colTile must overwrite every element
		}
		want := make([]float32, n)
		Im2colTile(g, x, 0, g.ColCols(), got[:n])
		Im2colRef(g, x, want)
		for j := range want {
			if got[j] != want[j] {
				t.Fatalf("case %d %+v: col[%d] = %v, want %v", i, g, j, got[j], want[j])
			}
		}
		for j := n; j < len(got); j++ {
			if got[j] != 99 {
				t.Fatalf("case %d: write past the end at %d", i, j)
			}
		}
	}
}

func TestCol2imWholeMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	for i, g := range convGeomCases() {
		col := im2colRandom(rng, g.ColRows()*g.ColCols())
		base := im2colRandom(rng, g.C*g.H*g.W) // Col2imTile accumulates onto it
		got := append([]float32(nil), base...)
		want := append([]float32(nil), base...)
		Col2imTile(g, col, 0, g.ColCols(), got)
		Col2imRef(g, col, want)
		for j := range want {
			if d := got[j] - want[j]; d > 1e-5 || d < -1e-5 {
				t.Fatalf("case %d %+v: dx[%d] = %v, want %v", i, g, j, got[j], want[j])
			}
		}
	}
}

// Col2imTile must be the transpose of Im2colTile: <im2col(x), c> = <x, col2im(c)>.
func TestCol2imIsAdjoint(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	for i, g := range convGeomCases() {
		x := im2colRandom(rng, g.C*g.H*g.W)
		c := im2colRandom(rng, g.ColRows()*g.ColCols())
		col := make([]float32, len(c))
		Im2colTile(g, x, 0, g.ColCols(), col)
		dx := make([]float32, len(x))
		Col2imTile(g, c, 0, g.ColCols(), dx)
		var lhs, rhs float64
		for j := range c {
			lhs += float64(col[j]) * float64(c[j])
		}
		for j := range x {
			rhs += float64(x[j]) * float64(dx[j])
		}
		if d := lhs - rhs; d > 1e-4 || d < -1e-4 {
			t.Fatalf("case %d: <im2col x, c> = %v but <x, col2im c> = %v", i, lhs, rhs)
		}
	}
}

func TestIm2colShortBufferPanics(t *testing.T) {
	g := convGeomCases()[0]
	defer func() {
		if recover() == nil {
			t.Fatal("Im2colTile accepted a short col buffer")
		}
	}()
	Im2colTile(g, make([]float32, g.C*g.H*g.W), 0, g.ColCols(), make([]float32, 3))
}

// gatherStrided gives d[i] = s[i*stride] at every length around the
// AVX-512 kernel's 16-float groups, and leaves d's neighbours alone.
func TestGatherStrided(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, stride := range []int{2, 3} {
		for n := 0; n <= 70; n++ {
			s := im2colRandom(rng, max(0, (n-1)*stride+1))
			buf := make([]float32, n+2)
			buf[0], buf[n+1] = 99, 99
			gatherStrided(buf[1:n+1], s, stride)
			for i := range n {
				if buf[1+i] != s[i*stride] {
					t.Fatalf("stride %d, n %d: d[%d] = %v, want s[%d] = %v", stride, n, i, buf[1+i], i*stride, s[i*stride])
				}
			}
			if buf[0] != 99 || buf[n+1] != 99 {
				t.Fatalf("stride %d, n %d: a neighbour of d overwritten", stride, n)
			}
		}
	}
}
