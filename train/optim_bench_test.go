package train

import (
	"math/rand/v2"
	"testing"

	"github.com/seed477ab429/multilabel/models"
	"github.com/seed477ab429/multilabel/nn"
	"github.com/seed477ab429/multilabel/ops"
)

// The per-step passes over all the weights of the example's model
// (efficientnetv2_t with an ML-Decoder head, 20 classes: 3.76M
// parameters), each reported as ns/param: the wall time of one pass over
// every parameter divided by their number, on GOMAXPROCS threads.
//
//	go test ./train -run XXX -bench Update -cpu 1,2
func BenchmarkUpdate(b *testing.B) {
	classes := make([]string, 20)
	for i := range classes {
		classes[i] = string(rune('a' + i))
	}
	spec := models.Spec{Backbone: "efficientnetv2_t", Head: "mldecoder", Classes: classes, Metric: true, Size: 64,
		Scale: 17, Norm: models.DefaultNorm, DecoderEmbed: 256, DecoderFFN: 512}
	m, err := models.Build(spec, models.Options{Seed: 11}, nil)
	if err != nil {
		b.Fatal(err)
	}
	params := nn.Parameters(m)
	rng := rand.New(rand.NewPCG(1, 2))
	n := 0
	for _, p := range params {
		p.Tensor.Grad = make([]float32, len(p.Tensor.Data))
		for i := range p.Tensor.Grad {
			p.Tensor.Grad[i] = float32(rng.NormFloat64() * 1e-3)
		}
		n += len(p.Tensor.Data)
	}
	groups := NoBiasDecayGroups(params, 5e-4)
	run := func(name string, f func()) {
		b.Run(name, func(b *testing.B) {
			f() // allocate the optimizer's buffers
			b.ResetTimer()
			for range b.N {
				f()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/param")
		})
	}
	b.Logf("%d parameters, update kernels %s", n, ops.OptKernel())
	adamw := NewAdamW(groups)
	run("AdamW", func() { adamw.Step(1e-3, 0.9) })
	sgd := NewSGD(groups, true)
	run("SGDNesterov", func() { sgd.Step(1e-2, 0.9) })
	ema := NewEMA(m, 0.9993, false)
	run("EMA", func() { ema.Update(m) })
	flat := flatParams(groups)
	run("GradsFinite", func() {
		if !gradsFinite(flat) {
			b.Fatal("gradients reported non-finite")
		}
	})
	sam := NewSAM(adamw, 0.05, false)
	run("SAMFirstStep", func() {
		sam.FirstStep()
		for _, p := range params { // FirstStep zeroed them
			p.Tensor.Grad[0] = 1e-3
		}
	})
}
