//go:build linux

package models

import (
	"math/rand/v2"
	"strconv"
	"syscall"
	"testing"
	"time"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/nn"
)

// BenchmarkTrainStep is the profiling harness of the README's main
// command: one training step of efficientnetv2_t at 128 px, batch 32
// (train-mode forward, mean of the logits, backward, parameter gradients
// zeroed, buffers recycled by an arena) as in go run ./examples/voc. It
// reports the step time (ns/op), images per second, the process CPU time
// per step (cpu-ms/op, user + system, all threads: steadier than wall time
// on a shared machine, where other processes steal the cores) and the
// Go-heap allocations per step (the arena's buffers are reused, so these
// are closures, tensor headers and scratch), and the arena's buffers in
// MB (arena-MB: every activation and gradient buffer of a step, the
// largest part of the process's memory). Linux only (getrusage).
// Profile it with
//
//	GOMAXPROCS=2 go test ./models -run '^$' -bench TrainStep -benchtime 5x \
//	    -cpuprofile /tmp/step.prof && go tool pprof -top models.test /tmp/step.prof
//
// docs/PERFORMANCE.md ("Training step") records the figures.
func BenchmarkTrainStep(b *testing.B) {
	const name, size, batch = "efficientnetv2_t", 128, 32
	m, err := NewBackbone(name, Options{NumClasses: 20})
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
		nn.ZeroGrad(m)
		x := ar.New(data, batch, 3, size, size)
		ag.MeanAll(m.Forward(nn.Train(uint64(i)), x)).Backward()
		ar.Reset()
	}
	step(0) // warm-up: arena buffers, worker pool, packing free lists
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := range b.N {
		step(i + 1)
	}
	cpu := cpuTime() - cpu0
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "img/s")
	b.ReportMetric(cpu.Seconds()*1e3/float64(b.N), "cpu-ms/op")
	_, total := ar.Stats()
	b.ReportMetric(float64(total)*4/1e6, "arena-MB")
}

// cpuTime is the user + system CPU time of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkTrainStepConfigs is the bare training step (forward, mean of
// the logits, backward; an arena; no optimizer or data) of the issue-10
// configurations, for profiling the ops of each model:
//
//	GOMAXPROCS=2 go test ./models -run '^$' -bench 'TrainStepConfigs/s96' -benchtime 3x \
//	    -cpuprofile /tmp/s96.prof
//
// Sub-benchmarks: t128 (efficientnetv2_t 128 px, batch 32, ML-Decoder
// 256/512), s96 (EfficientNetV2-S 96 px, batch 32, ML-Decoder 768/2048),
// s224 (batch 8), s448 (batch 4), tresnet224 and resnet224 (batch 8,
// pooled head). Metrics as BenchmarkTrainStep.
func BenchmarkTrainStepConfigs(b *testing.B) {
	classes := make([]string, 20)
	for i := range classes {
		classes[i] = "c" + string(rune('a'+i))
	}
	cfgs := []struct {
		name           string
		backbone, head string
		size, batch    int
		embed, ffn     int
	}{
		{"t128", "efficientnetv2_t", "mldecoder", 128, 32, 256, 512},
		{"s96", "efficientnetv2_s", "mldecoder", 96, 32, 0, 0},
		{"s224", "efficientnetv2_s", "mldecoder", 224, 8, 0, 0},
		{"s448", "efficientnetv2_s", "mldecoder", 448, 4, 0, 0},
		{"tresnet224", "tresnet_m", "pool", 224, 8, 0, 0},
		{"resnet224", "resnet50", "pool", 224, 8, 0, 0},
	}
	for _, cf := range cfgs {
		b.Run(cf.name, func(b *testing.B) {
			spec := Spec{Backbone: cf.backbone, Head: cf.head, Classes: classes, Metric: true, Size: cf.size,
				Scale: 30, Norm: "imagenet", DecoderEmbed: cf.embed, DecoderFFN: cf.ffn}
			m, err := Build(spec, Options{Seed: 1}, nil)
			if err != nil {
				b.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(1, 2))
			data := make([]float32, cf.batch*3*cf.size*cf.size)
			for i := range data {
				data[i] = float32(rng.NormFloat64())
			}
			ar := ag.NewArena()
			step := func(i int) {
				nn.ZeroGrad(m)
				x := ar.New(data, cf.batch, 3, cf.size, cf.size)
				ag.MeanAll(m.Forward(nn.Train(uint64(i)), x)).Backward()
				ar.Reset()
			}
			step(0)
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := cpuTime()
			for i := range b.N {
				step(i + 1)
			}
			cpu := cpuTime() - cpu0
			b.ReportMetric(float64(b.N*cf.batch)/b.Elapsed().Seconds(), "img/s")
			b.ReportMetric(cpu.Seconds()*1e3/float64(b.N), "cpu-ms/op")
			_, total := ar.Stats()
			b.ReportMetric(float64(total)*4/1e6, "arena-MB")
		})
	}
}

// BenchmarkInferConfigs is issue 10's inference configuration (f):
// EfficientNetV2-S + ML-Decoder (768/2048) at 224 px, eval mode under
// NoGrad (the folded Conv2d+BN+activation epilogues), batch 1 (latency)
// and batch 32, buffers recycled by an arena:
//
//	GOMAXPROCS=2 go test ./models -run '^$' -bench 'InferConfigs' -benchtime 3x \
//	    -cpuprofile /tmp/infer.prof
func BenchmarkInferConfigs(b *testing.B) {
	classes := make([]string, 20)
	for i := range classes {
		classes[i] = "c" + string(rune('a'+i))
	}
	spec := Spec{Backbone: "efficientnetv2_s", Head: "mldecoder", Classes: classes, Metric: true, Size: 224,
		Scale: 30, Norm: "imagenet"}
	m, err := Build(spec, Options{Seed: 1}, nil)
	if err != nil {
		b.Fatal(err)
	}
	for _, batch := range []int{1, 32} {
		b.Run("s224/b"+strconv.Itoa(batch), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			data := make([]float32, batch*3*224*224)
			for i := range data {
				data[i] = float32(rng.NormFloat64())
			}
			ar := ag.NewArena()
			step := func() {
				x := ar.New(data, batch, 3, 224, 224)
				ag.NoGrad(func() { m.Forward(nn.Eval, x) })
				ar.Reset()
			}
			step()
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := cpuTime()
			for range b.N {
				step()
			}
			cpu := cpuTime() - cpu0
			b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "img/s")
			b.ReportMetric(cpu.Seconds()*1e3/float64(b.N), "cpu-ms/op")
			_, total := ar.Stats()
			b.ReportMetric(float64(total)*4/1e6, "arena-MB")
		})
	}
}

// BenchmarkEvalBackbones: the eval forward of bench/step's (e) backbones
// and the example's, pooled head, 224 px, batch 8, under NoGrad (BN and
// activations folded into the convolutions' epilogues), buffers recycled
// by an arena. Compare two trees by building the test binary in each and
// alternating them:
//
//	go test -c -o /tmp/models.test ./models
//	cd models && GOMAXPROCS=2 /tmp/models.test -test.run '^$' -test.bench EvalBackbones -test.benchtime 10x
func BenchmarkEvalBackbones(b *testing.B) {
	classes := make([]string, 20)
	for i := range classes {
		classes[i] = "c" + string(rune('a'+i))
	}
	const batch = 8
	for _, bb := range []string{"resnet50", "tresnet_m", "efficientnetv2_t"} {
		spec := Spec{Backbone: bb, Head: "pool", Classes: classes, Size: 224, Norm: "imagenet", Scale: 1}
		m, err := Build(spec, Options{Seed: 1}, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(bb, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			data := make([]float32, batch*3*224*224)
			for i := range data {
				data[i] = float32(rng.NormFloat64())
			}
			ar := ag.NewArena()
			step := func() {
				x := ar.New(data, batch, 3, 224, 224)
				ag.NoGrad(func() { m.Forward(nn.Eval, x) })
				ar.Reset()
			}
			step()
			b.ResetTimer()
			for range b.N {
				step()
			}
			b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "img/s")
		})
	}
}
