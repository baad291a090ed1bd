package autograd_test

import (
	"math/rand/v2"
	"testing"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/autograd/gradcheck"
)

// linearRef is y[r, o] = Σ_i x[r, i]·w[o, i] + b[o], a plain loop.
func linearRef(x, w, b []float32, rows, in, out int) []float32 {
	y := make([]float32, rows*out)
	for r := 0; r < rows; r++ {
		for o := 0; o < out; o++ {
			var s float32
			if b != nil {
				s = b[o]
			}
			for i := 0; i < in; i++ {
				s += x[r*in+i] * w[o*in+i]
			}
			y[r*out+o] = s
		}
	}
	return y
}

func TestLinearForward(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 1))
	x := ag.RandU(rng, -1, 1, 2, 3, 5)
	w := ag.RandU(rng, -1, 1, 4, 5)
	b := ag.RandU(rng, -1, 1, 4)
	y := ag.Linear(x, w, b)
	if !ag.SameShape(y.Shape, []int{2, 3, 4}) {
		t.Fatalf("shape %v", y.Shape)
	}
	assertClose(t, "Linear", y.Data, linearRef(x.Data, w.Data, b.Data, 6, 5, 4), 1e-6)
	assertClose(t, "Linear no bias", ag.Linear(x, w, nil).Data, linearRef(x.Data, w.Data, nil, 6, 5, 4), 1e-6)
	// A 1-D input is one row.
	v := ag.RandU(rng, -1, 1, 5)
	assertClose(t, "Linear 1-D", ag.Linear(v, w, b).Data, linearRef(v.Data, w.Data, b.Data, 1, 5, 4), 1e-6)
}

func TestLinearGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 2))
	x := gradcheck.Rand(rng, 2, 3, 5)
	w := gradcheck.Param(rng, 4, 5)
	b := gradcheck.Param(rng, 4)
	gradcheck.Check(t, func(in []*ag.Tensor) *ag.Tensor { return ag.Linear(in[0], in[1], in[2]) }, []*ag.Tensor{x, w, b}, gradcheck.Options{})
	gradcheck.Check(t, func(in []*ag.Tensor) *ag.Tensor { return ag.Linear(in[0], in[1], nil) }, []*ag.Tensor{x, w}, gradcheck.Options{})
}

func TestLinearShapeError(t *testing.T) {
	shapeExpectPanic(t, func() { ag.Linear(ag.Zeros(2, 5), ag.Zeros(4, 6), nil) }, "Linear", "[2 5]", "[4 6]")
	shapeExpectPanic(t, func() { ag.Linear(ag.Zeros(2, 5), ag.Zeros(4, 5), ag.Zeros(5)) }, "Linear", "[4 5]", "[5]")
}

// matMulTRef computes one product op(A)·op(B) with plain loops; a is
// stored [m,k] or [k,m] (transA), b [k,n] or [n,k] (transB).
func matMulTRef(a, b []float32, m, n, k int, transA, transB bool) []float32 {
	c := make([]float32, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float32
			for p := 0; p < k; p++ {
				av, bv := a[i*k+p], b[p*n+j]
				if transA {
					av = a[p*m+i]
				}
				if transB {
					bv = b[j*k+p]
				}
				s += av * bv
			}
			c[i*n+j] = s
		}
	}
	return c
}

// matMulTShapes returns the stored shapes of a and b for a batch of
// op(A) [m,k] · op(B) [k,n]; batch nil means b is shared (2-D).
func matMulTShapes(batch []int, m, n, k int, transA, transB, shared bool) (sa, sb []int) {
	sa = append(append([]int{}, batch...), m, k)
	if transA {
		sa = append(append([]int{}, batch...), k, m)
	}
	sb = []int{k, n}
	if transB {
		sb = []int{n, k}
	}
	if !shared {
		sb = append(append([]int{}, batch...), sb...)
	}
	return sa, sb
}

func TestMatMulTForward(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	batch := []int{2, 3}
	m, n, k := 4, 5, 3
	for _, shared := range []bool{false, true} {
		for _, tA := range []bool{false, true} {
			for _, tB := range []bool{false, true} {
				sa, sb := matMulTShapes(batch, m, n, k, tA, tB, shared)
				a := ag.RandU(rng, -1, 1, sa...)
				b := ag.RandU(rng, -1, 1, sb...)
				c := ag.MatMulT(a, b, tA, tB)
				if !ag.SameShape(c.Shape, []int{2, 3, m, n}) {
					t.Fatalf("shape %v", c.Shape)
				}
				for i := 0; i < 6; i++ {
					bi := b.Data
					if !shared {
						bi = b.Data[i*k*n : (i+1)*k*n]
					}
					want := matMulTRef(a.Data[i*m*k:(i+1)*m*k], bi, m, n, k, tA, tB)
					assertClose(t, "MatMulT", c.Data[i*m*n:(i+1)*m*n], want, 1e-6)
				}
			}
		}
	}
	// Two 2-D inputs: a plain product.
	a := ag.RandU(rng, -1, 1, k, m)
	b := ag.RandU(rng, -1, 1, n, k)
	assertClose(t, "MatMulT 2-D", ag.MatMulT(a, b, true, true).Data, matMulTRef(a.Data, b.Data, m, n, k, true, true), 1e-6)
}

func TestMatMulTGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	m, n, k := 3, 2, 4
	for _, shared := range []bool{false, true} {
		for _, tA := range []bool{false, true} {
			for _, tB := range []bool{false, true} {
				sa, sb := matMulTShapes([]int{3}, m, n, k, tA, tB, shared)
				a := gradcheck.Rand(rng, sa...)
				b := gradcheck.Param(rng, sb...)
				if err := gradcheck.Run(func(in []*ag.Tensor) *ag.Tensor { return ag.MatMulT(in[0], in[1], tA, tB) },
					[]*ag.Tensor{a, b}, gradcheck.Options{}); err != nil {
					t.Errorf("shared=%v transA=%v transB=%v: %v", shared, tA, tB, err)
				}
			}
		}
	}
}

func TestBatchMatMul(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	a := gradcheck.Rand(rng, 2, 3, 4)
	b := gradcheck.Rand(rng, 2, 4, 5)
	c := ag.BatchMatMul(a, b)
	for i := 0; i < 2; i++ {
		assertClose(t, "BatchMatMul", c.Data[i*15:(i+1)*15], matMulTRef(a.Data[i*12:(i+1)*12], b.Data[i*20:(i+1)*20], 3, 5, 4, false, false), 1e-6)
	}
	gradcheck.Check(t, func(in []*ag.Tensor) *ag.Tensor { return ag.BatchMatMul(in[0], in[1]) }, []*ag.Tensor{a, b}, gradcheck.Options{})
	shapeExpectPanic(t, func() { ag.BatchMatMul(ag.Zeros(2, 3, 4), ag.Zeros(3, 4, 5)) }, "MatMulT", "[2 3 4]", "[3 4 5]")
	shapeExpectPanic(t, func() { ag.BatchMatMul(ag.Zeros(2, 3, 4), ag.Zeros(3, 5)) }, "MatMulT", "[2 3 4]", "[3 5]")
}
