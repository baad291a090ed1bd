package ops

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkDepthwise: the target shape of issue 3 (batch 8, 256 channels,
// 28x28, 3x3, stride 1, pad 1) and a stride-2 5x5 one, forward ("fwd") and
// forward + both gradients ("fwdbwd"), for the dispatched kernels ("fast"),
// the pure-Go kernels ("go") and the previous per-plane loops ("plane",
// DepthwiseConv2d/DepthwiseConv2dBackward spread over channels as autograd
// did), and the dispatched kernels without the flat small-plane path
// ("noflat"), so ratios come from one run:
//
//	go test ./ops/ -run '^$' -bench Depthwise -benchtime 20x
//	GOMAXPROCS=1 go test ./ops/ -run '^$' -bench Depthwise -benchtime 20x
func BenchmarkDepthwise(b *testing.B) {
	shapes := []struct {
		name string
		n    int
		g    ConvGeom
	}{
		{"8x256x28x28_k3s1", 8, dwGeom(256, 28, 28, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1)},
		{"8x96x56x56_k5s2", 8, dwGeom(96, 56, 56, 5, 5, 2, 2, 2, 2, 2, 2, 1, 1)},
		// efficientnetv2_t at 128 px, batch 32: the small planes of its
		// MBConv stages.
		{"32x192x16x16_k3s2", 32, dwGeom(192, 16, 16, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1)},
		{"32x672x8x8_k3s1", 32, dwGeom(672, 8, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1)},
		{"32x1152x4x4_k3s1", 32, dwGeom(1152, 4, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1)},
		// EfficientNetV2-S at 224 px, batch 8: stages 5 and 6.
		{"8x960x14x14_k3s1", 8, dwGeom(960, 14, 14, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1)},
		{"8x1536x7x7_k3s1", 8, dwGeom(1536, 7, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1)},
	}
	impls := []struct {
		name string
		fwd  func(g ConvGeom, n int, x, w, bias, out []float32)
		bwd  func(g ConvGeom, n int, x, w, gout, dx, dw []float32)
	}{
		{"fast", DepthwiseForward, DepthwiseBackward},
		{"go", func(g ConvGeom, n int, x, w, bias, out []float32) {
			depthwiseForward(&goDW, Threads(), g, n, x, w, bias, out, nil)
		}, func(g ConvGeom, n int, x, w, gout, dx, dw []float32) {
			depthwiseBackward(&goDW, Threads(), g, n, x, w, gout, dx, dw, false)
		}},
		{"plane", planeForward, planeBackward},
		{"noflat", func(g ConvGeom, n int, x, w, bias, out []float32) {
			k := *dwActive
			k.flat3x3, k.flatDot3x3 = nil, nil
			depthwiseForward(&k, Threads(), g, n, x, w, bias, out, nil)
		}, func(g ConvGeom, n int, x, w, gout, dx, dw []float32) {
			k := *dwActive
			k.flat3x3, k.flatDot3x3 = nil, nil
			depthwiseBackward(&k, Threads(), g, n, x, w, gout, dx, dw, false)
		}},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, s := range shapes {
		g := s.g
		x := im2colRandom(rng, s.n*g.C*g.H*g.W)
		w := im2colRandom(rng, g.C*g.KH*g.KW)
		bias := im2colRandom(rng, g.C)
		out := make([]float32, s.n*g.C*g.OH*g.OW)
		gout := im2colRandom(rng, len(out))
		dx := make([]float32, len(x))
		dw := make([]float32, len(w))
		for _, im := range impls {
			b.Run(s.name+"/fwd/"+im.name, func(b *testing.B) {
				b.ReportAllocs()
				for range b.N {
					im.fwd(g, s.n, x, w, bias, out)
				}
			})
			b.Run(s.name+"/fwdbwd/"+im.name, func(b *testing.B) {
				b.ReportAllocs()
				for range b.N {
					im.fwd(g, s.n, x, w, bias, out)
					im.bwd(g, s.n, x, w, gout, dx, dw)
				}
			})
		}
	}
}

// planeForward / planeBackward are the code autograd used before
// DepthwiseForward: the per-plane direct loops, workers taking channels.
func planeForward(g ConvGeom, n int, x, w, bias, out []float32) {
	C, hw, ohw, kk := g.C, g.H*g.W, g.OH*g.OW, g.KH*g.KW
	pg := g
	pg.C = 1
	Parallel(C, max(1, (1<<15)/(n*ohw*kk)), func(lo, hi int) {
		for c := lo; c < hi; c++ {
			for img := 0; img < n; img++ {
				p := img*C + c
				DepthwiseConv2d(pg, x[p*hw:(p+1)*hw], w[c*kk:(c+1)*kk], bias[c], out[p*ohw:(p+1)*ohw])
			}
		}
	})
}

func planeBackward(g ConvGeom, n int, x, w, gout, dx, dw []float32) {
	C, hw, ohw, kk := g.C, g.H*g.W, g.OH*g.OW, g.KH*g.KW
	pg := g
	pg.C = 1
	Parallel(C, max(1, (1<<15)/(n*ohw*kk)), func(lo, hi int) {
		for c := lo; c < hi; c++ {
			for img := 0; img < n; img++ {
				p := img*C + c
				DepthwiseConv2dBackward(pg, x[p*hw:(p+1)*hw], w[c*kk:(c+1)*kk], gout[p*ohw:(p+1)*ohw], dx[p*hw:(p+1)*hw], dw[c*kk:(c+1)*kk])
			}
		}
	})
}
