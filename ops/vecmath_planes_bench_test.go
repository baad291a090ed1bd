package ops

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// Plane-wise kernels on the small planes of EfficientNetV2's last stages,
// one call per image as batch norm makes them: "planes" is the active
// kernel table, "loop" the same table without its plane-wise kernels (the
// Go loop calling the single-plane kernel once a plane). Compare the two
// within one run; the machine is shared.
//
//	go test ./ops -run '^$' -bench Planes -count 3
func BenchmarkPlanes(b *testing.B) {
	saved := activeVec
	defer func() { activeVec = saved }()
	loop := saved
	loop.scaleShiftSiLUPlanes, loop.scaleShiftSiLUGradPlanes = nil, nil
	loop.scaleShiftPlanes, loop.combinePlanes, loop.combineAddPlanes = nil, nil, nil
	loop.scaleToPlanes, loop.axpyPlanes = nil, nil
	for _, sh := range []struct{ n, c, hw int }{{32, 672, 16}, {32, 256, 64}} {
		rng := rand.New(rand.NewPCG(3, 4))
		m := sh.n * sh.c * sh.hw
		x, g, y, z := make([]float32, m), make([]float32, m), make([]float32, m), make([]float32, m)
		for i := range x {
			x[i] = float32(rng.NormFloat64() * 3)
			g[i] = float32(rng.NormFloat64())
		}
		per := func() []float32 {
			s := make([]float32, sh.c)
			for i := range s {
				s[i] = float32(rng.NormFloat64())
			}
			return s
		}
		pa, pb, pc, pd := per(), per(), per(), per()
		s1, s2 := make([]float32, sh.c), make([]float32, sh.c)
		img := sh.c * sh.hw
		each := func(f func(o int)) {
			for i := range sh.n {
				f(i * img)
			}
		}
		ops := []struct {
			name string
			f    func(o int)
		}{
			{"ScaleShiftSiLU", func(o int) { ScaleShiftSiLUPlanes(y[o:o+img], x[o:o+img], sh.hw, pa, pb) }},
			{"ScaleShiftSiLUGrad", func(o int) {
				ScaleShiftSiLUGradPlanes(s1, s2, y[o:o+img], g[o:o+img], x[o:o+img], sh.hw, pa, pb, pc)
			}},
			{"Combine", func(o int) { CombinePlanes(y[o:o+img], g[o:o+img], x[o:o+img], sh.hw, pa, pb, pc, pd) }},
			{"ScaleTo", func(o int) { ScaleToPlanes(y[o:o+img], x[o:o+img], sh.hw, pa) }},
			{"ScaleShift", func(o int) { ScaleShiftPlanes(y[o:o+img], x[o:o+img], sh.hw, pa, pb) }},
			{"CombineAdd", func(o int) { CombineAddPlanes(z[o:o+img], g[o:o+img], x[o:o+img], sh.hw, pa, pb, pc, pd) }},
			{"Axpy", func(o int) { AxpyPlanes(z[o:o+img], x[o:o+img], sh.hw, pa) }},
		}
		for _, op := range ops {
			for _, impl := range []struct {
				name string
				k    vecKernels
			}{{"planes", saved}, {"loop", loop}} {
				b.Run(fmt.Sprintf("%s/%dx%dx%d/%s", op.name, sh.n, sh.c, sh.hw, impl.name), func(b *testing.B) {
					activeVec = impl.k
					defer func() { activeVec = saved }()
					b.SetBytes(int64(4 * m))
					for range b.N {
						each(op.f)
					}
				})
			}
		}
	}
}
