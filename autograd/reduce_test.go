package autograd_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/autograd/gradcheck"
)

// reduceRef sums (or averages) x over the axes marked in red, in float64,
// walking every element with explicit index arithmetic. The result is laid
// out row-major over the kept dims.
func reduceRef(x *ag.Tensor, red []bool, mean bool) []float64 {
	shape := x.Shape
	outN, cnt := 1, 1
	for d, s := range shape {
		if red[d] {
			cnt *= s
		} else {
			outN *= s
		}
	}
	out := make([]float64, outN)
	idx := make([]int, len(shape))
	for i, v := range x.Data {
		r := i
		for d := len(shape) - 1; d >= 0; d-- {
			idx[d] = r % shape[d]
			r /= shape[d]
		}
		o := 0
		for d, s := range shape {
			if !red[d] {
				o = o*s + idx[d]
			}
		}
		out[o] += float64(v)
	}
	if mean {
		for i := range out {
			out[i] /= float64(cnt)
		}
	}
	return out
}

func reduceMarks(dims int, axes []int) []bool {
	red := make([]bool, dims)
	for _, a := range axes {
		red[(a+dims)%dims] = true
	}
	if len(axes) == 0 {
		for d := range red {
			red[d] = true
		}
	}
	return red
}

func TestSumMeanForwardAndGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	cases := []struct {
		shape []int
		axes  []int
	}{
		{[]int{2, 3, 4}, []int{1}},
		{[]int{2, 3, 4}, []int{-1}},
		{[]int{2, 3, 4}, []int{0, 2}},
		{[]int{2, 3, 4}, nil},
		{[]int{2, 1, 4, 5}, []int{0, 3}},
		{[]int{3, 2, 2, 2}, []int{0, 2, 3}}, // per-channel over NCHW
	}
	for _, c := range cases {
		for _, keep := range []bool{false, true} {
			for _, mean := range []bool{false, true} {
				name := fmt.Sprintf("%v%v keep=%v mean=%v", c.shape, c.axes, keep, mean)
				t.Run(name, func(t *testing.T) {
					op := func(x *ag.Tensor) *ag.Tensor {
						if mean {
							return ag.Mean(x, c.axes, keep)
						}
						return ag.Sum(x, c.axes, keep)
					}
					x := gradcheck.Rand(rng, c.shape...)
					red := reduceMarks(len(c.shape), c.axes)
					got := op(x)
					var wantShape []int
					for d, s := range c.shape {
						if !red[d] {
							wantShape = append(wantShape, s)
						} else if keep {
							wantShape = append(wantShape, 1)
						}
					}
					if !ag.SameShape(got.Shape, wantShape) {
						t.Fatalf("shape %v, want %v", got.Shape, wantShape)
					}
					ewClose(t, "forward", got.Data, reduceRef(x, red, mean), 1e-6)
					gradcheck.Check(t, func(in []*ag.Tensor) *ag.Tensor { return op(in[0]) },
						[]*ag.Tensor{x}, gradcheck.Options{})
				})
			}
		}
	}
}

// Above the parallel grain: every reduction pattern goes through the
// split loop (or the blocked full sum) and must match the reference.
func TestSumLargePatterns(t *testing.T) {
	rng := rand.New(rand.NewPCG(33, 34))
	x := ag.RandU(rng, -1, 1, 4, 16, 24, 24)
	for _, axes := range [][]int{{0}, {1}, {3}, {2, 3}, {0, 2, 3}, {1, 2}, {0, 1}, nil} {
		got := ag.Sum(x, axes, false)
		ewClose(t, fmt.Sprint("Sum", axes), got.Data, reduceRef(x, reduceMarks(4, axes), false), 1e-5)
	}
}

func TestSumAllMeanAll(t *testing.T) {
	rng := rand.New(rand.NewPCG(35, 36))
	x := gradcheck.Rand(rng, 3, 4, 2)
	s, m := ag.SumAll(x), ag.MeanAll(x)
	if len(s.Shape) != 0 || len(m.Shape) != 0 {
		t.Fatalf("SumAll/MeanAll shapes %v %v, want []", s.Shape, m.Shape)
	}
	want := reduceRef(x, []bool{true, true, true}, false)[0]
	ewClose(t, "SumAll", s.Data, []float64{want}, 1e-6)
	ewClose(t, "MeanAll", m.Data, []float64{want / 24}, 1e-6)
	gradcheck.Check(t, func(in []*ag.Tensor) *ag.Tensor { return ag.SumAll(in[0]) }, []*ag.Tensor{x}, gradcheck.Options{})
	gradcheck.Check(t, func(in []*ag.Tensor) *ag.Tensor { return ag.MeanAll(in[0]) }, []*ag.Tensor{x}, gradcheck.Options{})
}

func TestReduceAxisErrors(t *testing.T) {
	for name, f := range map[string]func(){
		"Sum":    func() { ag.Sum(ag.Zeros(2, 3), []int{2}, false) },
		"Mean":   func() { ag.Mean(ag.Zeros(2, 3), []int{0, -2}, false) }, // twice
		"Max":    func() { ag.Max(ag.Zeros(2, 3), -3, false) },
		"Argmax": func() { ag.Argmax(ag.Zeros(2, 3), 5) },
	} {
		func() {
			defer func() {
				if msg, _ := recover().(string); !strings.Contains(msg, name) || !strings.Contains(msg, "[2 3]") {
					t.Errorf("%s: panic %q does not name the op and the shape", name, msg)
				}
			}()
			f()
		}()
	}
}

// maxRef returns the max (or min) along axis and its first index.
func maxRef(x *ag.Tensor, axis int, isMin bool) ([]float64, []int) {
	a := (axis + len(x.Shape)) % len(x.Shape)
	outer, l, inner := 1, x.Shape[a], 1
	for _, s := range x.Shape[:a] {
		outer *= s
	}
	for _, s := range x.Shape[a+1:] {
		inner *= s
	}
	val := make([]float64, outer*inner)
	arg := make([]int, outer*inner)
	for o := range outer {
		for i := range inner {
			best, bi := math.NaN(), 0
			for j := range l {
				v := float64(x.Data[(o*l+j)*inner+i])
				if j == 0 || (!isMin && v > best) || (isMin && v < best) {
					best, bi = v, j
				}
			}
			val[o*inner+i], arg[o*inner+i] = best, bi
		}
	}
	return val, arg
}

func TestMaxMinArgmax(t *testing.T) {
	rng := rand.New(rand.NewPCG(37, 38))
	for _, axis := range []int{0, 1, 2, -1} {
		for _, isMin := range []bool{false, true} {
			op, name := ag.Max, "Max"
			if isMin {
				op, name = ag.Min, "Min"
			}
			t.Run(fmt.Sprintf("%s axis=%d", name, axis), func(t *testing.T) {
				x := gradcheck.Distinct(rng, 3, 4, 5) // no ties: spacing 2/59 ≫ ε
				wantV, wantI := maxRef(x, axis, isMin)
				got := op(x, axis, true)
				if got.Shape[(axis+3)%3] != 1 || got.Numel() != len(wantV) {
					t.Fatalf("keepdim shape %v", got.Shape)
				}
				ewClose(t, "forward", got.Data, wantV, 0)
				if !isMin {
					gotI := ag.Argmax(x, axis)
					for i := range wantI {
						if gotI[i] != wantI[i] {
							t.Fatalf("Argmax = %v, want %v", gotI, wantI)
						}
					}
				}
				gradcheck.Check(t, func(in []*ag.Tensor) *ag.Tensor { return op(in[0], axis, false) },
					[]*ag.Tensor{x}, gradcheck.Options{Eps: 1e-3})
			})
		}
	}
}

// Ties: the first extreme element gets the whole gradient.
func TestMaxTiesGoToFirst(t *testing.T) {
	x := ag.New([]float32{1, 3, 3, 0, -2, -2}, 2, 3).SetRequiresGrad(true)
	m := ag.Max(x, 1, false)
	assertClose(t, "Max", m.Data, []float32{3, 0}, 0)
	ag.SumAll(m).Backward()
	assertClose(t, "Max grad", x.Grad, []float32{0, 1, 0, 1, 0, 0}, 0)
	x.Grad = nil
	ag.SumAll(ag.Min(x, 1, false)).Backward()
	assertClose(t, "Min grad", x.Grad, []float32{1, 0, 0, 0, 1, 0}, 0)
	if got := ag.Argmax(x, 1); got[0] != 1 || got[1] != 0 {
		t.Fatalf("Argmax %v, want [1 0]", got)
	}
}

// Enough outer blocks to be split over the worker pool.
func TestMaxLargeParallel(t *testing.T) {
	rng := rand.New(rand.NewPCG(39, 40))
	x := ag.RandN(rng, 64, 10, 64)
	for _, isMin := range []bool{false, true} {
		op := ag.Max
		if isMin {
			op = ag.Min
		}
		wantV, _ := maxRef(x, 1, isMin)
		ewClose(t, "Max/Min", op(x, 1, false).Data, wantV, 0)
	}
	_, wantI := maxRef(x, 1, false)
	for i, a := range ag.Argmax(x, 1) {
		if a != wantI[i] {
			t.Fatalf("Argmax[%d] = %d, want %d", i, a, wantI[i])
		}
	}
}
