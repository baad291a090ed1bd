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
