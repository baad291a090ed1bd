package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// The plane-wise kernels give, plane by plane, the bits of the
// single-plane kernel on that plane with that plane's scalars: every
// implementation, plane sizes around the vector widths (tails of every
// length, planes shorter than a vector) and a few plane counts, inputs
// with zeros, infinities and NaNs, and outputs inside poisoned memory
// that must stay untouched past the last plane.
func TestPlanesMatchSinglePlane(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 1))
	bits := func(a, b float32) bool { return math.Float32bits(a) == math.Float32bits(b) }
	saved := activeVec
	defer func() { activeVec = saved }()
	for _, k := range vecImpls() {
		activeVec = k
		for _, hw := range []int{1, 2, 3, 4, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 49, 64, 100} {
			for _, n := range []int{1, 2, 5, 13} {
				m := n * hw
				x, g := bnActInputs(rng, m, 1), bnActInputs(rng, m, 2)
				per := func() []float32 {
					s := make([]float32, n)
					for i := range s {
						s[i] = float32(rng.NormFloat64())
					}
					return s
				}
				a, b, c, d := per(), per(), per(), per()
				name := fmt.Sprintf("%s hw=%d n=%d", k.name, hw, n)
				// out is a fresh poisoned buffer for the plane-wise call,
				// want what the single-plane kernel wrote plane by plane.
				check := func(op string, got, want []float32, full []float32) {
					t.Helper()
					for i := range want {
						if !bits(got[i], want[i]) {
							t.Fatalf("%s %s: element %d (plane %d) %v, single-plane kernel %v", name, op, i, i/hw, got[i], want[i])
						}
					}
					if full != nil {
						for i := m; i < len(full); i++ {
							if !bits(full[i], 1e30) && full[i] == full[i] && !math.IsInf(float64(full[i]), 1) {
								t.Fatalf("%s %s: wrote %v past the last plane (index %d)", name, op, full[i], i)
							}
						}
					}
				}
				out := func() ([]float32, []float32) {
					full := poisoned(rng, m, 0, func() float32 { return 0 })
					return full, full[:cap(full)]
				}
				type elementwise struct {
					op     string
					planes func(y []float32)
					single func(y []float32, p int)
				}
				for _, e := range []elementwise{
					{"ScaleShift", func(y []float32) { ScaleShiftPlanes(y, x, hw, a, b) },
						func(y []float32, p int) { k.scaleShift(y, x[p*hw:(p+1)*hw], a[p], b[p]) }},
					{"ScaleShiftSiLU", func(y []float32) { ScaleShiftSiLUPlanes(y, x, hw, a, b) },
						func(y []float32, p int) { k.scaleShiftSiLU(y, x[p*hw:(p+1)*hw], a[p], b[p]) }},
					{"ScaleShiftLeaky", func(y []float32) { ScaleShiftLeakyPlanes(y, x, hw, a, b, 0.01) },
						func(y []float32, p int) { k.scaleShiftLeaky(y, x[p*hw:(p+1)*hw], a[p], b[p], 0.01) }},
					{"ScaleTo", func(y []float32) { ScaleToPlanes(y, x, hw, a) },
						func(y []float32, p int) { k.scaleTo(y, x[p*hw:(p+1)*hw], a[p]) }},
					{"Combine", func(y []float32) { CombinePlanes(y, g, x, hw, a, b, c, d) },
						func(y []float32, p int) {
							k.combine(y, g[p*hw:(p+1)*hw], x[p*hw:(p+1)*hw], a[p], b[p], c[p], d[p])
						}},
				} {
					y, yfull := out()
					e.planes(y)
					want := make([]float32, m)
					for p := range n {
						e.single(want[p*hw:(p+1)*hw], p)
					}
					check(e.op, y, want, yfull)
				}
				// CombineAdd accumulates: both start from the same z.
				z0 := bnActInputs(rng, m, 3)
				z, want := append([]float32(nil), z0...), append([]float32(nil), z0...)
				CombineAddPlanes(z, g, x, hw, a, b, c, d)
				for p := range n {
					o := p * hw
					k.combineAdd(want[o:o+hw], g[o:o+hw], x[o:o+hw], a[p], b[p], c[p], d[p])
				}
				check("CombineAdd", z, want, nil)
				z, want = append([]float32(nil), z0...), append([]float32(nil), z0...)
				AxpyPlanes(z, x, hw, a)
				for p := range n {
					o := p * hw
					k.axpy(want[o:o+hw], x[o:o+hw], a[p])
				}
				check("Axpy", z, want, nil)

				// The reductions: sums per plane, and for the gradient
				// kernels gz, in place (gz = g) as batch norm calls them.
				s1, s2 := make([]float32, n), make([]float32, n)
				for _, cs := range [][]float32{nil, c} {
					SumSqPlanes(s1, s2, x, hw, cs)
					for p := range n {
						cp := float32(0)
						if cs != nil {
							cp = cs[p]
						}
						w1, w2 := k.sumSq(x[p*hw:(p+1)*hw], cp)
						check("SumSq", []float32{s1[p], s2[p]}, []float32{w1, w2}, nil)
					}
				}
				SumDotPlanes(s1, s2, g, x, hw, c)
				for p := range n {
					w1, w2 := k.sumDot(g[p*hw:(p+1)*hw], x[p*hw:(p+1)*hw], c[p])
					check("SumDot", []float32{s1[p], s2[p]}, []float32{w1, w2}, nil)
				}
				for _, silu := range []bool{true, false} {
					op := "ScaleShiftLeakyGrad"
					if silu {
						op = "ScaleShiftSiLUGrad"
					}
					gz := append([]float32(nil), g...)
					if silu {
						ScaleShiftSiLUGradPlanes(s1, s2, gz, gz, x, hw, a, b, c)
					} else {
						ScaleShiftLeakyGradPlanes(s1, s2, gz, gz, x, hw, a, b, 0.01, c)
					}
					want := append([]float32(nil), g...)
					for p := range n {
						o := p * hw
						var w1, w2 float32
						if silu {
							w1, w2 = k.scaleShiftSiLUGrad(want[o:o+hw], want[o:o+hw], x[o:o+hw], a[p], b[p], c[p])
						} else {
							w1, w2 = k.scaleShiftLeakyGrad(want[o:o+hw], want[o:o+hw], x[o:o+hw], a[p], b[p], 0.01, c[p])
						}
						check(op+" sums", []float32{s1[p], s2[p]}, []float32{w1, w2}, nil)
					}
					check(op, gz, want, nil)
				}
			}
		}
	}
}

// A short buffer or a short list of per-plane scalars is a programming
// error: it panics naming the op, before anything is written.
func TestPlanesLengthPanics(t *testing.T) {
	f := func(n int) []float32 { return make([]float32, n) }
	for _, c := range []struct {
		name string
		f    func()
	}{
		{"ScaleShiftSiLUPlanes", func() { ScaleShiftSiLUPlanes(f(7), f(8), 4, f(2), f(2)) }},
		{"ScaleShiftSiLUPlanes", func() { ScaleShiftSiLUPlanes(f(8), f(8), 4, f(2), f(1)) }},
		{"ScaleShiftSiLUGradPlanes", func() { ScaleShiftSiLUGradPlanes(f(2), f(1), f(8), f(8), f(8), 4, f(2), f(2), f(2)) }},
		{"CombinePlanes", func() { CombinePlanes(f(8), f(8), f(7), 4, f(2), f(2), f(2), f(2)) }},
		{"SumSqPlanes", func() { SumSqPlanes(f(2), f(2), f(8), 0, nil) }},
	} {
		func() {
			defer func() {
				if r := recover(); r == nil {
					t.Errorf("%s with bad lengths did not panic", c.name)
				} else if s := fmt.Sprint(r); !strings.HasPrefix(s, "ops."+c.name+":") {
					t.Errorf("%s panic %q does not name the op", c.name, s)
				}
			}()
			c.f()
		}()
	}
}
