package ops

import (
	"fmt"
	"testing"
)

// BenchmarkIm2colTile fills the column tiles of one image for ResNet-50's
// convolutions (the stem, the 3x3 of each stage, a stride-2 3x3), in the
// tile width the convolution uses; floats/ns is column elements written.
//
//	go test ./ops -run '^$' -bench Im2colTile
func BenchmarkIm2colTile(b *testing.B) {
	for _, g := range []ConvGeom{
		{C: 3, H: 224, W: 224, KH: 7, KW: 7, StrideH: 2, StrideW: 2, PadT: 3, PadL: 3, DilH: 1, DilW: 1, OH: 112, OW: 112},
		{C: 64, H: 56, W: 56, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadT: 1, PadL: 1, DilH: 1, DilW: 1, OH: 56, OW: 56},
		{C: 128, H: 28, W: 28, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadT: 1, PadL: 1, DilH: 1, DilW: 1, OH: 28, OW: 28},
		{C: 256, H: 14, W: 14, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadT: 1, PadL: 1, DilH: 1, DilW: 1, OH: 14, OW: 14},
		{C: 512, H: 7, W: 7, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadT: 1, PadL: 1, DilH: 1, DilW: 1, OH: 7, OW: 7},
		{C: 128, H: 56, W: 56, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadT: 1, PadL: 1, DilH: 1, DilW: 1, OH: 28, OW: 28},
		// EfficientNetV2-T's first FusedMBConv stages at 128 px.
		{C: 32, H: 32, W: 32, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadT: 1, PadL: 1, DilH: 1, DilW: 1, OH: 32, OW: 32},
		{C: 48, H: 16, W: 16, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadT: 1, PadL: 1, DilH: 1, DilW: 1, OH: 16, OW: 16},
	} {
		x := make([]float32, g.C*g.H*g.W)
		for i := range x {
			x[i] = float32(i%7) - 3
		}
		k, p := g.ColRows(), g.ColCols()
		tp := ConvTileCols(k, p)
		col := make([]float32, k*tp)
		b.Run(fmt.Sprintf("C%d_%dx%d_k%d_s%d_tile%d", g.C, g.H, g.W, g.KH, g.StrideH, tp), func(b *testing.B) {
			for range b.N {
				for p0 := 0; p0 < p; p0 += tp {
					Im2colTile(g, x, p0, min(tp, p-p0), col)
				}
			}
			b.ReportMetric(float64(k*p)/float64(b.Elapsed().Nanoseconds())*float64(b.N), "floats/ns")
		})
	}
}

// BenchmarkCol2imTile adds one image's column tiles back for the same
// convolutions as BenchmarkIm2colTile; floats/ns is column elements read.
//
//	go test ./ops -run '^$' -bench Col2imTile
func BenchmarkCol2imTile(b *testing.B) {
	for _, g := range []ConvGeom{
		{C: 64, H: 56, W: 56, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadT: 1, PadL: 1, DilH: 1, DilW: 1, OH: 56, OW: 56},
		{C: 256, H: 14, W: 14, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadT: 1, PadL: 1, DilH: 1, DilW: 1, OH: 14, OW: 14},
		{C: 512, H: 7, W: 7, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadT: 1, PadL: 1, DilH: 1, DilW: 1, OH: 7, OW: 7},
	} {
		dx := make([]float32, g.C*g.H*g.W)
		k, p := g.ColRows(), g.ColCols()
		tp := ConvTileCols(k, p)
		col := make([]float32, k*tp)
		for i := range col {
			col[i] = float32(i%5) - 2
		}
		for _, flat := range []bool{false, true} {
			b.Run(fmt.Sprintf("C%d_%dx%d_flat%v", g.C, g.H, g.W, flat), func(b *testing.B) {
				col2imFlat = flat
				defer func() { col2imFlat = true }()
				for range b.N {
					for p0 := 0; p0 < p; p0 += tp {
						Col2imTile(g, col, p0, min(tp, p-p0), dx)
					}
				}
				b.ReportMetric(float64(k*p)/float64(b.Elapsed().Nanoseconds())*float64(b.N), "floats/ns")
			})
		}
	}
}
