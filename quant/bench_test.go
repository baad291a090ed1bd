package quant

import (
	"math/rand/v2"
	"testing"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/models"
	"github.com/seed477ab429/multilabel/nn"
	"github.com/seed477ab429/multilabel/ops"
)

// BenchmarkInference: images per second of the example's deployed model
// (efficientnetv2_t + ML-Decoder, 128 px) at batch 1 and 32, through the
// float32 classifier (what predict and the Go API run, activations in an
// arena), the same on the Go heap (heap), the folded float32 engine and
// the int8 engine (calibrated on random images: speed only; on CPUs with
// AVX512_VNNI or AVX-VNNI).
//
//	go test ./quant -run '^$' -bench Inference -benchtime 20x
func BenchmarkInference(b *testing.B) {
	spec := models.Spec{Backbone: "efficientnetv2_t", Head: "mldecoder", Classes: make([]string, 20),
		Metric: true, Size: 128, Scale: 17, Norm: "half", DecoderEmbed: 256, DecoderFFN: 512}
	for i := range spec.Classes {
		spec.Classes[i] = string(rune('a' + i))
	}
	net, err := models.Build(spec, models.Options{Seed: 1}, nil)
	if err != nil {
		b.Fatal(err)
	}
	net.Freeze()
	for _, nt := range nn.Tensors(net) { // as multilabel.Load gives them: no graph is recorded
		nt.Tensor.SetRequiresGrad(false)
	}
	f32, err := New(net)
	if err != nil {
		b.Fatal(err)
	}
	i8, err := New(net)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	i8.Engine.BeginCalibration()
	i8.Engine.Features(randImages(rng, 4, 128), 4, 128, 128)
	cal, err := i8.Engine.EndCalibration()
	if err != nil {
		b.Fatal(err)
	}
	if err := i8.Engine.Quantize(cal); err != nil {
		b.Fatal(err)
	}
	for _, batch := range []int{1, 32} {
		x := randImages(rng, batch, 128)
		run := func(name string, fwd func(*ag.Tensor) *ag.Tensor) {
			b.Run(name, func(b *testing.B) {
				fwd(ag.New(append([]float32(nil), x...), batch, 3, 128, 128)) // warm-up
				b.ResetTimer()
				for range b.N {
					fwd(ag.New(append([]float32(nil), x...), batch, 3, 128, 128))
				}
				b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "img/s")
			})
		}
		bs := map[int]string{1: "b1", 32: "b32"}[batch]
		// float32, folded, int8: the input (and the activations outside
		// the engine) in an arena reset before each pass, as in the Go
		// API's forward (package multilabel, classify.go); heap: the
		// float32 forward with every activation a new Go allocation, as the
		// Go API ran it before (docs/PERFORMANCE.md).
		ar := ag.NewArena()
		inArena := func(fwd func(*nn.Ctx, *ag.Tensor) *ag.Tensor) func(*ag.Tensor) *ag.Tensor {
			return func(t *ag.Tensor) *ag.Tensor {
				ar.Reset()
				return fwd(nn.Eval, ar.New(t.Data, t.Shape...))
			}
		}
		run("heap/"+bs, func(t *ag.Tensor) *ag.Tensor { return net.Forward(nn.Eval, t) })
		run("float32/"+bs, inArena(net.Forward))
		run("folded/"+bs, inArena(f32.Forward))
		if ops.I8Available() { // else the pure-Go twin: tens of times slower than float32, nothing to time
			run("int8/"+bs, inArena(i8.Forward))
		}
	}
}
