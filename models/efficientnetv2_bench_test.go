package models

import (
	"math/rand/v2"
	"testing"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/nn"
)

// Benchmarks (not tests): images per second of EfficientNetV2 inference
// (eval, no gradient recording) and of a training step (train-mode
// forward, mean of the logits, backward; buffers recycled by an arena as
// a training loop does). bench/effnetv2/run.sh runs them next to PyTorch.
//
//	GOMAXPROCS=2 go test ./models -run '^$' -bench EfficientNetV2 -benchtime 3x

func benchEffNetV2(b *testing.B, name string, size, batch int, train bool) {
	m, err := NewBackbone(name, Options{NumClasses: 1000})
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	data := make([]float32, batch*3*size*size)
	for i := range data {
		data[i] = float32(rng.NormFloat64())
	}
	ar := ag.NewArena()
	step := func(i int) {
		x := ar.New(data, batch, 3, size, size)
		if train {
			ag.MeanAll(m.Forward(nn.Train(uint64(i)), x)).Backward()
		} else {
			ag.NoGrad(func() { m.Forward(nn.Eval, x) })
		}
		ar.Reset()
	}
	step(0) // warm-up: arena buffers, worker pool
	b.ResetTimer()
	for i := range b.N {
		step(i + 1)
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "img/s")
}

func BenchmarkEfficientNetV2S(b *testing.B) {
	b.Run("forward/224/b1", func(b *testing.B) { benchEffNetV2(b, "efficientnetv2_s", 224, 1, false) })
	b.Run("forward/224/b8", func(b *testing.B) { benchEffNetV2(b, "efficientnetv2_s", 224, 8, false) })
	b.Run("train/224/b8", func(b *testing.B) { benchEffNetV2(b, "efficientnetv2_s", 224, 8, true) })
}

// BenchmarkEfficientNetV2T is our laptop variant at the demo's sizes.
func BenchmarkEfficientNetV2T(b *testing.B) {
	b.Run("forward/128/b32", func(b *testing.B) { benchEffNetV2(b, "efficientnetv2_t", 128, 32, false) })
	b.Run("train/128/b32", func(b *testing.B) { benchEffNetV2(b, "efficientnetv2_t", 128, 32, true) })
}
