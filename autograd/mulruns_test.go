package autograd_test

import (
	"math"
	"math/rand/v2"
	"testing"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/autograd/gradcheck"
)

// Mul's gradient for a factor stretched along the runs (a squeeze-
// excitation gate [N,C,1,1], a per-channel [1,C,1,1] or [C,1,1] scale,
// where several runs share an element) is one dot product per run.
// Finite differences on small shapes, in both operand orders, and a float64
// reference on a shape large enough to split over the workers.
func TestMulStretchedFactorGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 1))
	for _, gate := range [][]int{{2, 3, 1, 1}, {1, 3, 1, 1}, {3, 1, 1}, {2, 1, 1, 1}} {
		x := gradcheck.Rand(rng, 2, 3, 2, 3)
		s := gradcheck.Rand(rng, gate...)
		gradcheck.Check(t, func(in []*ag.Tensor) *ag.Tensor { return ag.Mul(in[0], in[1]) },
			[]*ag.Tensor{x, s}, gradcheck.Options{})
		gradcheck.Check(t, func(in []*ag.Tensor) *ag.Tensor { return ag.Mul(in[1], in[0]) },
			[]*ag.Tensor{x, s}, gradcheck.Options{})
	}
}

func TestMulStretchedFactorParallel(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 2))
	n, c, hw := 4, 64, 16*16 // 256 runs of 256: several chunks
	for _, perSample := range []bool{true, false} {
		gn := n
		if !perSample {
			gn = 1
		}
		x := ag.RandU(rng, -1, 1, n, c, 16, 16).SetRequiresGrad(true)
		s := ag.RandU(rng, -1, 1, gn, c, 1, 1).SetRequiresGrad(true)
		r := ag.RandU(rng, -1, 1, n, c, 16, 16)
		ag.Mul(s, x).BackwardWith(r.Data)
		want := make([]float64, gn*c)
		for i := range n {
			for ch := range c {
				for j := range hw {
					k := (i*c+ch)*hw + j
					want[(i%gn)*c+ch] += float64(r.Data[k]) * float64(x.Data[k])
				}
			}
		}
		for i, w := range want {
			if math.Abs(float64(s.Grad[i])-w) > 1e-5*(1+math.Abs(w)) {
				t.Fatalf("per-sample %v: gate gradient %d = %v, want %v", perSample, i, s.Grad[i], w)
			}
		}
		for k := range x.Grad { // the contiguous factor's gradient: g·s
			w := r.Data[k] * s.Data[(k/(c*hw)%gn)*c+(k/hw)%c]
			if x.Grad[k] != w {
				t.Fatalf("per-sample %v: input gradient %d = %v, want %v", perSample, k, x.Grad[k], w)
			}
		}
	}
}

// A tensor times one value per plane (x [N,C,H,W] ⊙ gate [N,C,1,1]) runs on
// the plane-wise kernels (bcastPlan.planeScale). x enters two products, so
// its gradient is written by the first and added to by the second; the
// planes are shorter than a vector and ragged. Against float64 sums.
func TestMulPlaneScaleAccumulates(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 3))
	for _, sp := range [][2]int{{2, 2}, {1, 17}, {5, 7}} {
		n, c := 3, 5
		hw := sp[0] * sp[1]
		x := ag.RandU(rng, -1, 1, n, c, sp[0], sp[1]).SetRequiresGrad(true)
		s1 := ag.RandU(rng, -1, 1, n, c, 1, 1).SetRequiresGrad(true)
		s2 := ag.RandU(rng, -1, 1, n, c, 1, 1).SetRequiresGrad(true)
		r1 := ag.RandU(rng, -1, 1, n, c, sp[0], sp[1])
		r2 := ag.RandU(rng, -1, 1, n, c, sp[0], sp[1])
		y1, y2 := ag.Mul(x, s1), ag.Mul(s2, x)
		for i, v := range y1.Data {
			if want := x.Data[i] * s1.Data[i/hw]; v != want {
				t.Fatalf("%v: x·s[%d] = %v, want %v", sp, i, v, want)
			}
		}
		z := ag.Add(ag.Mul(y1, r1), ag.Mul(y2, r2))
		z.BackwardWith(ag.Full(1, z.Shape...).Data)
		for i := range x.Data {
			p := i / hw
			want := float64(r1.Data[i])*float64(s1.Data[p]) + float64(r2.Data[i])*float64(s2.Data[p])
			if math.Abs(float64(x.Grad[i])-want) > 1e-6 {
				t.Fatalf("%v: ∂x[%d] = %v, want %v", sp, i, x.Grad[i], want)
			}
		}
		for p := range n * c {
			var w1, w2 float64
			for j := p * hw; j < (p+1)*hw; j++ {
				w1 += float64(r1.Data[j]) * float64(x.Data[j])
				w2 += float64(r2.Data[j]) * float64(x.Data[j])
			}
			if math.Abs(float64(s1.Grad[p])-w1) > 1e-5 || math.Abs(float64(s2.Grad[p])-w2) > 1e-5 {
				t.Fatalf("%v: ∂s[%d] = %v, %v, want %v, %v", sp, p, s1.Grad[p], s2.Grad[p], w1, w2)
			}
		}
	}
}
