package ops

import (
	"math"
	"testing"
)

func TestAxpyScale(t *testing.T) {
	x := []float32{1, 2, 3}
	y := []float32{10, 20, 30, 40} // longer y: the tail must stay untouched
	Axpy(2, x, y)
	want := []float32{12, 24, 36, 40}
	for i := range want {
		if y[i] != want[i] {
			t.Fatalf("Axpy(2) = %v, want %v", y, want)
		}
	}
	Axpy(1, x, y)
	if y[0] != 13 || y[2] != 39 || y[3] != 40 {
		t.Fatalf("Axpy(1) = %v", y)
	}
	Scale(0.5, x)
	if x[0] != 0.5 || x[1] != 1 || x[2] != 1.5 {
		t.Fatalf("Scale = %v", x)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("Axpy with a short y did not panic")
		}
	}()
	Axpy(1, []float32{1, 2}, []float32{1})
}

func TestSumDot(t *testing.T) {
	// 1e8 + 1 + ... in float32 would lose every 1; the float64 accumulator
	// keeps them.
	x := make([]float32, 1001)
	x[0] = 1e8
	for i := 1; i < len(x); i++ {
		x[i] = 1
	}
	if got := Sum(x); got != 1e8+1000 {
		t.Fatalf("Sum = %v, want %v", got, float32(1e8+1000))
	}
	if got := Dot([]float32{1, 2, 3}, []float32{4, 5, 6, 7}); got != 32 {
		t.Fatalf("Dot = %v, want 32", got)
	}
}

func TestMaxIndex(t *testing.T) {
	nan := float32(math.NaN())
	cases := []struct {
		x    []float32
		i    int
		want float32
	}{
		{[]float32{1, 3, 2, 3}, 1, 3}, // ties: first
		{[]float32{-5}, 0, -5},
		{[]float32{nan, -1, 2}, 2, 2},
	}
	for _, c := range cases {
		i, v := MaxIndex(c.x)
		if i != c.i || v != c.want {
			t.Errorf("MaxIndex(%v) = %d,%v want %d,%v", c.x, i, v, c.i, c.want)
		}
	}
}
