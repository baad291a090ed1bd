package autograd

import "testing"

// transposeInto against the definition, on shapes that take one chunk,
// several chunks and ragged 32 x 32 blocks.
func TestTransposeInto(t *testing.T) {
	for _, sh := range [][2]int{{1, 1}, {3, 70}, {70, 3}, {33, 65}, {96, 576}, {600, 1000}} {
		rows, cols := sh[0], sh[1]
		a := make([]float32, rows*cols)
		for i := range a {
			a[i] = float32(i)
		}
		dst := make([]float32, rows*cols)
		transposeInto(dst, a, rows, cols)
		for i := range rows {
			for j := range cols {
				if dst[j*rows+i] != a[i*cols+j] {
					t.Fatalf("%dx%d: dst[%d][%d] = %v, want %v", rows, cols, j, i, dst[j*rows+i], a[i*cols+j])
				}
			}
		}
	}
}

// The Winograd tile side follows the output's geometry: F(4x4, 3x3) for
// the 56x56 and 28x28 maps of ResNet-style stages (rows of 14 and 7 tiles),
// F(2x2, 3x3) for 14x14 and 7x7 (rows of 4 and 2 4x4 tiles) and for maps
// where F(4x4)'s padding would cost more products.
func TestWinogradTileChoice(t *testing.T) {
	for _, c := range []struct{ oh, ow, want int }{
		{56, 56, 4}, {28, 28, 4}, {24, 24, 4}, {28, 112, 4},
		{14, 14, 2}, {7, 7, 2}, {20, 20, 2}, {112, 14, 2}, {5, 5, 2}, {1, 1, 2},
	} {
		if got := winogradTile(c.oh, c.ow); got != c.want {
			t.Errorf("winogradTile(%d, %d) = %d, want %d", c.oh, c.ow, got, c.want)
		}
	}
}
