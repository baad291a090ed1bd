package train

import (
	"math/rand/v2"
	"testing"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/losses"
	"github.com/seed477ab429/multilabel/models"
	"github.com/seed477ab429/multilabel/nn"
)

// The trainer's arena releases activations during Backward
// (ag.Arena.ReleaseInBackward). On the real models, with SAM's second
// forward and backward on the same arena, the gradients must be
// bit-identical to keeping every activation, and the second pass must
// reuse the first pass's buffers. Recomputing the cheap activations
// (ag.Arena.Recompute, the trainer's default) must give the same bits
// again with a lower arena peak.
func TestReleaseInBackwardModels(t *testing.T) {
	classes := make([]string, 5)
	for i := range classes {
		classes[i] = string(rune('a' + i))
	}
	for _, spec := range []models.Spec{
		{Backbone: "efficientnetv2_t", Head: "mldecoder", Metric: true, Size: 32, DecoderEmbed: 32, DecoderHeads: 4, DecoderFFN: 64},
		{Backbone: "tresnet_m", Head: "pool", Size: 32},
		{Backbone: "resnet50", Head: "pool", Size: 32},
	} {
		t.Run(spec.Backbone, func(t *testing.T) {
			if spec.Backbone == "tresnet_m" && testing.Short() {
				t.Skip("8 s")
			}
			spec.Classes, spec.Scale, spec.Norm = classes, 1, "half"
			net, err := models.Build(spec, models.Options{Seed: 3}, nil)
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(1, 1))
			const batch = 2
			x := make([]float32, batch*3*32*32)
			for i := range x {
				x[i] = float32(rng.NormFloat64())
			}
			y := make([]float32, batch*len(classes))
			for i := range y {
				y[i] = float32(rng.IntN(2))
			}
			loss := losses.NewAAM(10, 1, 2)
			params := nn.Parameters(net)
			run := func(release, recompute bool) (grads [][]float32, first, second, peak int) {
				ar := ag.NewArena()
				ar.ReleaseInBackward = release
				ar.Recompute = recompute
				in := ar.New(x, batch, 3, 32, 32)
				for pass := range 2 { // the two passes of a SAM step
					nn.ZeroGrad(net)
					loss.Loss(net.Forward(nn.Train(7), in), y).Backward()
					_, total := ar.Stats()
					if pass == 0 {
						first = total
					} else {
						second = total
					}
				}
				for _, p := range params {
					grads = append(grads, append([]float32(nil), p.Tensor.Grad...))
				}
				peak = ar.Peak()
				ar.Reset()
				return grads, first, second, peak
			}
			keep, keep1, keep2, _ := run(false, false)
			rel, rel1, rel2, relPeak := run(true, false)
			rec, rec1, rec2, recPeak := run(true, true)
			for i, p := range params {
				for j := range keep[i] {
					if keep[i][j] != rel[i][j] {
						t.Fatalf("%s[%d]: %v with release, %v without", p.Name, j, rel[i][j], keep[i][j])
					}
					if keep[i][j] != rec[i][j] {
						t.Fatalf("%s[%d]: %v with recompute, %v without", p.Name, j, rec[i][j], keep[i][j])
					}
				}
			}
			if grown := rel2 - rel1; grown > rel1/20 {
				t.Errorf("the second pass allocated %d floats more (first %d)", grown, rel1)
			}
			if grown := rec2 - rec1; grown > rec1/20 {
				t.Errorf("recompute: the second pass allocated %d floats more (first %d)", grown, rec1)
			}
			// At 32 px the convolutions' weight-sized backward temporaries
			// (from the arena) are a large part of the peak, so the saving
			// is smaller than at real sizes (docs/PERFORMANCE.md).
			if recPeak > relPeak*19/20 {
				t.Errorf("arena peak %d floats with recompute, %d without: want at most 95%%", recPeak, relPeak)
			}
			t.Logf("arena floats: keep %d then %d; release %d then %d (peak %d); recompute %d then %d (peak %d)",
				keep1, keep2, rel1, rel2, relPeak, rec1, rec2, recPeak)
		})
	}
}
