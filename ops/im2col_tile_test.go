package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// tileWidths: every full-matrix case is split into tiles of several widths,
// including 1, widths that cut output rows in the middle, and the whole.
func tileWidths(cols int) []int {
	ws := []int{1, 3, 7, cols/2 + 1, cols}
	var out []int
	for _, w := range ws {
		if w >= 1 && w <= cols {
			out = append(out, w)
		}
	}
	return out
}

func TestIm2colTileMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 11))
	cases := convGeomCases()
	for _, g := range dwCases(rng)[len(cases):] { // random shapes, C from 1 to 3
		cases = append(cases, g)
	}
	// Stride 1 with OW == W (im2colRowFlat): padding on one side only,
	// padding wider than the row, rows of 1 and 2 pixels.
	cases = append(cases,
		dwGeom(2, 6, 5, 5, 5, 1, 1, 0, 4, 4, 0, 1, 1),
		dwGeom(2, 5, 6, 5, 5, 1, 1, 4, 0, 0, 4, 1, 1),
		dwGeom(2, 3, 2, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1),
		dwGeom(2, 4, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1),
		dwGeom(2, 2, 3, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1),
		dwGeom(3, 7, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1),
	)
	for ci, g := range cases {
		rows, cols := g.ColRows(), g.ColCols()
		x := im2colRandom(rng, g.C*g.H*g.W)
		full := make([]float32, rows*cols)
		Im2colRef(g, x, full)
		gcol := im2colRandom(rng, rows*cols)
		dx0 := im2colRandom(rng, len(x))
		dxRef := append([]float32(nil), dx0...)
		Col2imRef(g, gcol, dxRef)
		for _, np := range tileWidths(cols) {
			name := fmt.Sprintf("case %d %+v tile %d", ci, g, np)
			dx, guardDx := guarded(t, len(dx0), func(s []float32) { copy(s, dx0) })
			for p0 := 0; p0 < cols; p0 += np {
				n := min(np, cols-p0)
				col, guard := guarded(t, rows*n, func(s []float32) {
					for i := range s {
						s[i] = 99 // must be overwritten
					}
				})
				Im2colTile(g, x, p0, n, col)
				guard(name + " im2col")
				tile := make([]float32, rows*n)
				for r := 0; r < rows; r++ {
					copy(tile[r*n:(r+1)*n], full[r*cols+p0:r*cols+p0+n])
				}
				dwClose(t, name+" col", col, tile, 0)
				for r := 0; r < rows; r++ {
					copy(tile[r*n:(r+1)*n], gcol[r*cols+p0:r*cols+p0+n])
				}
				Col2imTile(g, tile, p0, n, dx)
			}
			guardDx(name + " col2im")
			dwClose(t, name+" dx", dx, dxRef, 1e-5)
		}
	}
}

func TestConvTileCols(t *testing.T) {
	for _, c := range []struct{ rows, cols int }{{27, 50176}, {216, 50176}, {288, 3136}, {9, 100}, {4608, 49}, {1152, 784}} {
		tp := ConvTileCols(c.rows, c.cols)
		if tp < 1 || tp > c.cols {
			t.Fatalf("ConvTileCols(%d, %d) = %d", c.rows, c.cols, tp)
		}
		if tp < c.cols && (c.rows*tp > 1<<18 && tp > 128 || tp%32 != 0) {
			t.Errorf("ConvTileCols(%d, %d) = %d: over budget or not a multiple of 32", c.rows, c.cols, tp)
		}
	}
}

// col2imRowFlat adds every element in the general loop's order: the same
// bits, on the flat geometries and tile widths of the tile test, onto a
// gradient that already holds values (so the order of the additions
// shows).
func TestCol2imFlatSameBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 12))
	var cases []ConvGeom
	for _, g := range append(convGeomCases(), dwCases(rng)...) {
		if g.StrideH == 1 && g.StrideW == 1 && g.DilH == 1 && g.DilW == 1 && g.OW == g.W {
			cases = append(cases, g)
		}
	}
	cases = append(cases, dwGeom(2, 6, 5, 5, 5, 1, 1, 0, 4, 4, 0, 1, 1), dwGeom(2, 14, 14, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1),
		dwGeom(2, 40, 40, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1))
	if len(cases) < 6 {
		t.Fatalf("only %d flat geometries", len(cases))
	}
	defer func() { col2imFlat = true }()
	for ci, g := range cases {
		rows, cols := g.ColRows(), g.ColCols()
		gcol := im2colRandom(rng, rows*cols)
		dx0 := im2colRandom(rng, g.C*g.H*g.W)
		for _, np := range tileWidths(cols) {
			var got [2][]float32
			for i, flat := range []bool{false, true} {
				col2imFlat = flat
				dx := append([]float32(nil), dx0...)
				for p0 := 0; p0 < cols; p0 += np {
					n := min(np, cols-p0)
					tile := make([]float32, rows*n)
					for r := 0; r < rows; r++ {
						copy(tile[r*n:(r+1)*n], gcol[r*cols+p0:r*cols+p0+n])
					}
					Col2imTile(g, tile, p0, n, dx)
				}
				got[i] = dx
			}
			for j := range got[0] {
				if math.Float32bits(got[0][j]) != math.Float32bits(got[1][j]) {
					t.Fatalf("case %d %+v tile %d: dx[%d] = %v flat, %v general", ci, g, np, j, got[1][j], got[0][j])
				}
			}
		}
	}
}

// Im2colTileLD and Col2imTileLD on a wider matrix: the tile's columns at
// an offset inside rows ld apart hold Im2colTile's values, the rest of each
// row is untouched, and Col2imTileLD adds the same bits as Col2imTile from
// a compact copy (onto a gradient that already holds values).
func TestTileLD(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 13))
	cases := append(convGeomCases(), dwGeom(3, 7, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1),
		dwGeom(2, 6, 6, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1), dwGeom(4, 3, 3, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1))
	for ci, g := range cases {
		rows, cols := g.ColRows(), g.ColCols()
		x := im2colRandom(rng, g.C*g.H*g.W)
		for _, np := range tileWidths(cols) {
			for _, extra := range []int{0, 1, 37} {
				name := fmt.Sprintf("case %d %+v tile %d ld +%d", ci, g, np, extra)
				ld, off := np+extra, extra/2
				for p0 := 0; p0 < cols; p0 += np {
					n := min(np, cols-p0)
					want := make([]float32, rows*n)
					Im2colTile(g, x, p0, n, want)
					wide := make([]float32, rows*ld)
					for i := range wide {
						wide[i] = 99
					}
					Im2colTileLD(g, x, p0, n, wide[off:], ld)
					for r := 0; r < rows; r++ {
						for j := 0; j < ld; j++ {
							v, w := wide[r*ld+j], float32(99)
							if j >= off && j < off+n {
								w = want[r*n+j-off]
							}
							if math.Float32bits(v) != math.Float32bits(w) {
								t.Fatalf("%s p0 %d: row %d column %d = %v, want %v", name, p0, r, j, v, w)
							}
						}
					}
					gw := im2colRandom(rng, rows*ld)
					compact := make([]float32, rows*n)
					for r := 0; r < rows; r++ {
						copy(compact[r*n:(r+1)*n], gw[r*ld+off:r*ld+off+n])
					}
					dx0 := im2colRandom(rng, len(x))
					a, b := append([]float32(nil), dx0...), append([]float32(nil), dx0...)
					Col2imTile(g, compact, p0, n, a)
					Col2imTileLD(g, gw[off:], ld, p0, n, b)
					for i := range a {
						if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
							t.Fatalf("%s p0 %d: dx[%d] = %v with ld, %v compact", name, p0, i, b[i], a[i])
						}
					}
				}
			}
		}
	}
}
