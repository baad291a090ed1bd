package autograd_test

import (
	"math"
	"math/rand/v2"
	"testing"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/autograd/gradcheck"
)

// normLayerNormRef is LayerNorm over the last dim with plain float64 loops.
func normLayerNormRef(x, w, b []float32, c int, eps float64) []float32 {
	y := make([]float32, len(x))
	for r := 0; r < len(x)/c; r++ {
		row := x[r*c : (r+1)*c]
		var mu, v float64
		for _, e := range row {
			mu += float64(e)
		}
		mu /= float64(c)
		for _, e := range row {
			v += (float64(e) - mu) * (float64(e) - mu)
		}
		v /= float64(c)
		for j, e := range row {
			n := (float64(e) - mu) / math.Sqrt(v+eps)
			if w != nil {
				n = n*float64(w[j]) + float64(b[j])
			}
			y[r*c+j] = float32(n)
		}
	}
	return y
}

func TestLayerNormForward(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 1))
	x := ag.RandU(rng, -2, 3, 5, 7)
	w := ag.RandU(rng, -1, 1, 7)
	b := ag.RandU(rng, -1, 1, 7)
	assertClose(t, "LayerNorm", ag.LayerNorm(x, w, b, 1e-5).Data, normLayerNormRef(x.Data, w.Data, b.Data, 7, 1e-5), 1e-5)
	assertClose(t, "LayerNorm no affine", ag.LayerNorm(x, nil, nil, 1e-5).Data, normLayerNormRef(x.Data, nil, nil, 7, 1e-5), 1e-5)
}

func TestLayerNormGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 2))
	x := gradcheck.Rand(rng, 2, 3, 6)
	w := gradcheck.Param(rng, 6)
	b := gradcheck.Param(rng, 6)
	gradcheck.Check(t, func(in []*ag.Tensor) *ag.Tensor { return ag.LayerNorm(in[0], in[1], in[2], 1e-5) }, []*ag.Tensor{x, w, b}, gradcheck.Options{})
	gradcheck.Check(t, func(in []*ag.Tensor) *ag.Tensor { return ag.LayerNorm(in[0], nil, nil, 1e-5) }, []*ag.Tensor{x}, gradcheck.Options{})
	shapeExpectPanic(t, func() { ag.LayerNorm(ag.Zeros(2, 6), ag.Zeros(5), nil, 1e-5) }, "LayerNorm", "[2 6]", "[5]")
}

func TestLayerNormTorch(t *testing.T) {
	f := loadFixture(t, "layernorm")
	x := f.get(t, "x").SetRequiresGrad(true)
	w := f.get(t, "weight").AsParam()
	b := f.get(t, "bias").AsParam()
	y := ag.LayerNorm(x, w, b, 1e-5)
	assertClose(t, "LayerNorm y", y.Data, f.get(t, "y").Data, 1e-5)
	y.BackwardWith(f.get(t, "gy").Data)
	assertClose(t, "LayerNorm gx", x.Grad, f.get(t, "gx").Data, 1e-5)
	assertClose(t, "LayerNorm gw", w.Grad, f.get(t, "gw").Data, 1e-5)
	assertClose(t, "LayerNorm gb", b.Grad, f.get(t, "gb").Data, 1e-5)
}

// normL2Ref normalises x [outer, d, inner] along d with plain loops.
func normL2Ref(x []float32, outer, d, inner int, eps float64) []float32 {
	y := make([]float32, len(x))
	for o := 0; o < outer; o++ {
		for i := 0; i < inner; i++ {
			var s float64
			for k := 0; k < d; k++ {
				v := float64(x[(o*d+k)*inner+i])
				s += v * v
			}
			den := math.Max(math.Sqrt(s), eps)
			for k := 0; k < d; k++ {
				y[(o*d+k)*inner+i] = float32(float64(x[(o*d+k)*inner+i]) / den)
			}
		}
	}
	return y
}

func TestL2NormalizeForward(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 3))
	x := ag.RandU(rng, -1, 1, 3, 4, 5)
	for i := 0; i < 4; i++ {
		x.Data[i*5+2] = 1e-7 // one clamped vector
	}
	assertClose(t, "L2Normalize axis 1", ag.L2Normalize(x, 1, 1e-3).Data, normL2Ref(x.Data, 3, 4, 5, 1e-3), 1e-6)
	assertClose(t, "L2Normalize axis -1", ag.L2Normalize(x, -1, 1e-3).Data, normL2Ref(x.Data, 12, 5, 1, 1e-3), 1e-6)
	assertClose(t, "L2Normalize axis 0", ag.L2Normalize(x, 0, 1e-3).Data, normL2Ref(x.Data, 1, 3, 20, 1e-3), 1e-6)
}

func TestL2NormalizeGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	x := gradcheck.Rand(rng, 2, 4, 3)
	// Vector [1, :, 2] has a norm far below eps = 0.1 even after an
	// ε-step: the clamp branch (g/eps) is checked too.
	for k := 0; k < 4; k++ {
		x.Data[(4+k)*3+2] = 1e-5 * float32(k+1)
	}
	for _, axis := range []int{1, -1, 0} {
		gradcheck.Check(t, func(in []*ag.Tensor) *ag.Tensor { return ag.L2Normalize(in[0], axis, 0.1) }, []*ag.Tensor{x}, gradcheck.Options{})
	}
}

func TestL2NormalizeTorch(t *testing.T) {
	f := loadFixture(t, "l2normalize")
	x := f.get(t, "x").SetRequiresGrad(true)
	y := ag.L2Normalize(x, 1, 1e-2)
	assertClose(t, "L2Normalize y", y.Data, f.get(t, "y").Data, 1e-6)
	y.BackwardWith(f.get(t, "gy").Data)
	assertClose(t, "L2Normalize gx", x.Grad, f.get(t, "gx").Data, 1e-5)
}
