package models

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/nn"
)

// Eval under NoGrad folds batch norm and its activation into the
// convolutions' epilogues (convBN); with gradients recorded it runs them
// as separate ops. Both must give the same bits on every backbone family,
// with batch norms whose statistics and affine maps are not the initial
// ones (TResNet starts its blocks' last γ at zero, which would hide the
// branch), and with images small enough that the late stages take several
// images per product.
func TestEvalFoldedSameBits(t *testing.T) {
	for _, backbone := range []string{"efficientnetv2_t", "tf_efficientnetv2_s", "resnet50", "tresnet_m"} {
		m, err := Build(Spec{Backbone: backbone, Head: "pool", Classes: []string{"a", "b"}, Size: 64, Scale: 10}, Options{Seed: 1}, nil)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(4, 4))
		for _, nt := range nn.Tensors(m) {
			d := nt.Tensor.Data
			switch {
			case strings.HasSuffix(nt.Name, "running_var"):
				for i := range d {
					d[i] = 0.5 + rng.Float32()
				}
			case strings.HasSuffix(nt.Name, "running_mean"), len(nt.Tensor.Shape) == 1 && strings.HasSuffix(nt.Name, "bias"):
				for i := range d {
					d[i] = 0.2 * (rng.Float32() - 0.5)
				}
			case len(nt.Tensor.Shape) == 1 && strings.HasSuffix(nt.Name, "weight"):
				for i := range d {
					d[i] = 0.5 + rng.Float32()
				}
			}
		}
		x := ag.RandN(rng, 3, 3, 64, 64)
		var folded *ag.Tensor
		ag.NoGrad(func() { folded = m.Forward(nn.Eval, x) })
		xg := ag.RandN(rng, 3, 3, 64, 64)
		copy(xg.Data, x.Data)
		xg.SetRequiresGrad(true)
		plain := m.Forward(nn.Eval, xg)
		for i := range plain.Data {
			if math.Float32bits(folded.Data[i]) != math.Float32bits(plain.Data[i]) {
				t.Fatalf("%s: output %d = %v folded, %v as separate ops", backbone, i, folded.Data[i], plain.Data[i])
			}
		}
		// Parameters that require no gradient on an input that needs none,
		// with the process-wide switch on (a loaded model in the inference
		// API): folded too, and nothing recorded.
		for _, nt := range nn.Tensors(m) {
			nt.Tensor.SetRequiresGrad(false)
		}
		api := m.Forward(nn.Eval, x)
		if api.RequiresGrad() {
			t.Fatalf("%s: the output of parameters without gradients requires one", backbone)
		}
		for i := range plain.Data {
			if math.Float32bits(api.Data[i]) != math.Float32bits(plain.Data[i]) {
				t.Fatalf("%s: output %d = %v without gradients, %v as separate ops", backbone, i, api.Data[i], plain.Data[i])
			}
		}
	}
}
