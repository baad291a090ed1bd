package autograd_test

import (
	"math/rand/v2"
	"testing"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/autograd/gradcheck"
)

// s2dRef is the definition, out[n,(i*b+j)*C+c,h,w] = x[n,c,h*b+i,w*b+j].
func s2dRef(x *ag.Tensor, b int) []float32 {
	N, C, H, W := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	OH, OW := H/b, W/b
	out := make([]float32, len(x.Data))
	for n := 0; n < N; n++ {
		for c := 0; c < C; c++ {
			for i := 0; i < b; i++ {
				for j := 0; j < b; j++ {
					for h := 0; h < OH; h++ {
						for w := 0; w < OW; w++ {
							oc := (i*b+j)*C + c
							out[((n*C*b*b+oc)*OH+h)*OW+w] = x.Data[((n*C+c)*H+h*b+i)*W+w*b+j]
						}
					}
				}
			}
		}
	}
	return out
}

func TestSpaceToDepthForward(t *testing.T) {
	rng := rand.New(rand.NewPCG(40, 1))
	for _, b := range []int{1, 2, 4} {
		x := gradcheck.Rand(rng, 2, 3, 8, 4)
		out := ag.SpaceToDepth(x, b)
		if want := []int{2, 3 * b * b, 8 / b, 4 / b}; !ag.SameShape(out.Shape, want) {
			t.Fatalf("block %d: shape %v, want %v", b, out.Shape, want)
		}
		assertClose(t, "SpaceToDepth", out.Data, s2dRef(x, b), 0)
	}
	f := loadFixture(t, "conv") // TResNet's view/permute/reshape in PyTorch
	assertClose(t, "SpaceToDepth vs PyTorch", ag.SpaceToDepth(f.get(t, "s2d_x"), 2).Data, f.get(t, "s2d_out").Data, 0)
}

func TestSpaceToDepthGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(40, 2))
	x := gradcheck.Rand(rng, 2, 2, 4, 6)
	gradcheck.Check(t, func(in []*ag.Tensor) *ag.Tensor { return ag.SpaceToDepth(in[0], 2) }, []*ag.Tensor{x}, gradcheck.Options{MaxElems: 96})
}

func TestSpaceToDepthShapeError(t *testing.T) {
	convPanics(t, "block does not divide", func() { ag.SpaceToDepth(ag.Zeros(1, 2, 6, 5), 2) }, "SpaceToDepth", "[1 2 6 5]")
}
