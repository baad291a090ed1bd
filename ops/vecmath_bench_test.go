package ops

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Single-thread kernel benchmarks on one [8,64,56,56] activation (1.6M
// floats, 6.4 MB: the size of an early EfficientNetV2 feature map), every
// implementation in the same run, plus "float64" rows: the loop autograd
// used before, float64 library math rounded to float32. Compare ratios
// within one run; the machine is shared.
//
//	go test ./ops -run XXX -bench VecMath -benchtime 20x

const vmBenchN = 8 * 64 * 56 * 56

func vmBenchData() (x, g, y []float32) {
	rng := rand.New(rand.NewPCG(1, 2))
	x, g, y = make([]float32, vmBenchN), make([]float32, vmBenchN), make([]float32, vmBenchN)
	for i := range x {
		x[i] = float32(rng.NormFloat64() * 3)
		g[i] = float32(rng.NormFloat64())
	}
	return x, g, y
}

func BenchmarkVecMath(b *testing.B) {
	x, g, y := vmBenchData()
	run := func(name string, f func()) {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(4 * vmBenchN)
			for range b.N {
				f()
			}
		})
	}
	run("Exp/float64", func() {
		for i, v := range x {
			y[i] = float32(math.Exp(float64(v)))
		}
	})
	run("Sigmoid/float64", func() {
		for i, v := range x {
			y[i] = float32(1 / (1 + math.Exp(-float64(v))))
		}
	})
	run("SiLU/float64", func() {
		for i, v := range x {
			y[i] = float32(float64(v) / (1 + math.Exp(-float64(v))))
		}
	})
	run("SiLUGrad/float64", func() {
		for i, v := range x {
			s := 1 / (1 + math.Exp(-float64(v)))
			y[i] += g[i] * float32(s*(1+float64(v)*(1-s)))
		}
	})
	run("ScaleShift/loop", func() {
		for i, v := range x {
			y[i] = 1.5*v + 0.25
		}
	})
	var sink float32
	run("SumSq/float64", func() { // batch norm's loops before the kernels
		var s, q float64
		for _, v := range x {
			s += float64(v)
		}
		for _, v := range x {
			d := float64(v) - s
			q += d * d
		}
		sink += float32(q)
	})
	for _, k := range vecImpls() {
		run("Sum/"+k.name, func() { sink += float32(k.sum(x)) })
		run("SumSq/"+k.name, func() { a, b := k.sumSq(x, 0.5); sink += a + b })
		run("SumDot/"+k.name, func() { a, b := k.sumDot(g, x, 0.5); sink += a + b })
		run("Combine/"+k.name, func() { k.combine(y, g, x, 1.5, -0.5, 0.25, 0.125) })
	}
	for _, k := range vecImpls() {
		run("Exp/"+k.name, func() { k.exp(y, x) })
		run("Sigmoid/"+k.name, func() { k.sigmoid(y, x) })
		run("SiLU/"+k.name, func() { k.silu(y, x) })
		run("SiLUGrad/"+k.name, func() { k.siluGrad(y, g, x) })
		run("SigmoidGrad/"+k.name, func() { k.sigmoidGrad(y, g, x) })
		run("MulAdd/"+k.name, func() { k.mulAdd(y, g, x) })
		run("ScaleShift/"+k.name, func() { k.scaleShift(y, x, 1.5, 0.25) })
		run("ScaleShiftSiLU/"+k.name, func() { k.scaleShiftSiLU(y, x, 1.5, 0.25) })
		run("ScaleShiftSiLUGrad/"+k.name, func() { a, b := k.scaleShiftSiLUGrad(y, g, x, 1.5, 0.25, 0.5); sink += a + b })
		run("ScaleTo/"+k.name, func() { k.scaleTo(y, x, 1.5) })
		run("Axpy/"+k.name, func() { k.axpy(y, x, 1.5) })
		run("Mul/"+k.name, func() { k.mul(y, g, x) })
		run("ScaleShiftLeakyGrad/"+k.name, func() { a, b := k.scaleShiftLeakyGrad(y, g, x, 1.5, 0.25, 0.01, 0.5); sink += a + b })
	}
	run("GELU/float64", func() {
		for i, v := range x {
			t := float64(v)
			y[i] = float32(0.5 * t * math.Erfc(-t/math.Sqrt2))
		}
	})
	run("GELU/go", func() { GELU(y, x) })
	run("Tanh/float64", func() {
		for i, v := range x {
			y[i] = float32(math.Tanh(float64(v)))
		}
	})
	run("Tanh/go", func() { Tanh(y, x) })
	if sink == 42 {
		b.Log(sink)
	}
}
