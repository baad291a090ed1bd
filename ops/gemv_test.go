package ops

import (
	"math"
	"math/rand/v2"
	"testing"
)

// gemvOperands returns a rows x cols matrix with rows ld apart whose gap
// (columns cols..ld-1) is NaN, a vector of len k and an output of len n
// followed by sentinels, all with values of mixed sign and magnitude (so
// that the order of the sums shows in the bits).
func gemvOperands(rng *rand.Rand, rows, cols, ld, k, n int) (mat, x, y, ybuf []float32) {
	val := func() float32 {
		return float32((rng.Float64()*2 - 1) * math.Pow(2, float64(rng.IntN(12)-6)))
	}
	mat = make([]float32, max(0, (rows-1)*ld+cols))
	for i := range mat {
		if i%ld < cols {
			mat[i] = val()
		} else {
			mat[i] = float32(math.NaN())
		}
	}
	x = make([]float32, k)
	for i := range x {
		x[i] = val()
	}
	ybuf = make([]float32, n+9)
	for i := range ybuf {
		ybuf[i] = 12345
	}
	return mat, x, ybuf[:n], ybuf
}

// TestGemvTwinsAgainstFloat64 checks that both implementations (the plain
// loops and the active kernels) compute the products, within float32
// rounding of a float64 reference.
func TestGemvTwinsAgainstFloat64(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	type impl struct {
		name       string
		rows, cols func(mat []float32, ld int, x, y []float32)
	}
	impls := []impl{
		{"go", gemvRowsGo, func(b []float32, ld int, x, y []float32) { gemvColsGo(x, b, ld, y) }},
		{"active", gemvRows, func(b []float32, ld int, x, y []float32) { gemvCols(x, b, ld, y) }},
	}
	for _, k := range []int{1, 5, 16, 57, 300} {
		n := 37
		a, x, _, _ := gemvOperands(rng, n, k, k+2, k, n)
		b, _, _, _ := gemvOperands(rng, k, n, n+1, k, n)
		for _, im := range impls {
			y := make([]float32, n)
			im.rows(a, k+2, x, y)
			for i := range y {
				var s, mag float64
				for p := range k {
					v := float64(a[i*(k+2)+p]) * float64(x[p])
					s, mag = s+v, mag+math.Abs(v)
				}
				if d := math.Abs(float64(y[i]) - s); d > float64(k+2)*0x1p-24*mag {
					t.Errorf("%s rows k=%d: y[%d] = %v, float64 %v", im.name, k, i, y[i], s)
				}
			}
			im.cols(b, n+1, x, y)
			for j := range y {
				var s, mag float64
				for p := range k {
					v := float64(x[p]) * float64(b[p*(n+1)+j])
					s, mag = s+v, mag+math.Abs(v)
				}
				if d := math.Abs(float64(y[j]) - s); d > float64(k+2)*0x1p-24*mag {
					t.Errorf("%s cols k=%d: y[%d] = %v, float64 %v", im.name, k, j, y[j], s)
				}
			}
		}
	}
}
