//go:build amd64 && !purego

package ops

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestGemvKernelsMatchTwins(t *testing.T) {
	if !gemvAVX2 {
		t.Skip("no AVX2 kernels here (purego, MULTILABEL_NOASM or another CPU): the plain loops run")
	}
	// same fails unless y has want's bits and the sentinels after y in ybuf
	// are untouched.
	same := func(what string, k, n int, y, want, ybuf []float32) {
		t.Helper()
		for i := range y {
			if math.Float32bits(y[i]) != math.Float32bits(want[i]) {
				t.Fatalf("%s k=%d n=%d: y[%d] = %v, twin %v", what, k, n, i, y[i], want[i])
			}
		}
		for i := n; i < len(ybuf); i++ {
			if ybuf[i] != 12345 {
				t.Fatalf("%s k=%d n=%d: wrote past the output at %d", what, k, n, i)
			}
		}
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for _, k := range []int{0, 1, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 40, 63, 100} {
		for _, n := range []int{0, 1, 3, 4, 5, 7, 8, 9, 63, 64, 65, 72, 130} {
			// rows: n outputs, each a row of k values.
			ld := k + 3
			a, x, y, ybuf := gemvOperands(rng, n, k, ld, k, n)
			want := make([]float32, n)
			gemvRowsGo(a, ld, x, want)
			gemvRowsAVX2(a, ld, x, y)
			same("rows", k, n, y, want, ybuf)
			// cols: n outputs, each a column of k rows.
			ld = n + 5
			b, x, y, ybuf := gemvOperands(rng, k, n, ld, k, n)
			want = make([]float32, n)
			gemvColsGo(x, b, ld, want)
			gemvColsAVX2(x, b, ld, y)
			same("cols", k, n, y, want, ybuf)
		}
	}
}
