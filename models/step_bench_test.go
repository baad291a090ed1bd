//go:build linux

package models

import (
	"math/rand/v2"
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
