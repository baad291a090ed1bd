package ops

import (
	"math/rand/v2"
	"testing"
)

// Single-thread update kernels over 1M parameters (16 MB of weights,
// gradients and moments: more than the caches hold, as in training),
// every implementation in the same run; ns/elem is the time per
// parameter.
//
//	go test ./ops -run XXX -bench Optim
func BenchmarkOptim(b *testing.B) {
	const n = 1 << 20
	rng := rand.New(rand.NewPCG(3, 4))
	data, grad, m, v := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range data {
		data[i] = float32(rng.NormFloat64() * 0.05)
		grad[i] = float32(rng.NormFloat64() * 1e-3)
	}
	c := adamWCoefs()[0]
	for _, k := range optImpls() {
		run := func(name string, f func()) {
			b.Run(name+"/"+k.name, func(b *testing.B) {
				for range b.N {
					f()
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/elem")
			})
		}
		run("AdamW", func() { k.adamW(data, grad, m, v, c.Decay, c.Beta1, c.C1, c.Beta2, c.C2, c.BC2, c.Eps, c.StepLR) })
		run("SGDMomentum", func() { k.sgdM(data, grad, m, 0.01, 5e-4, 0.9, false, true) })
		run("Axpby", func() { k.axpby(v, data, 0.9993, 1-0.9993) })
		run("SAMPerturb", func() { k.samPerturb(v, grad, 1e-3, false) })
		run("AllFinite", func() {
			if k.maxAbsBits(grad) >= 0x7f800000 {
				b.Fatal("non-finite")
			}
		})
	}
}
