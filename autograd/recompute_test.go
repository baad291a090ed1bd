package autograd_test

import (
	"math/rand/v2"
	"testing"

	ag "github.com/seed477ab429/multilabel/autograd"
)

// recomputeNet is one residual block with every op that Arena.Recompute
// drops or reads lazily: convolutions, batch norm with and without an
// activation, a reflection padding, squeeze-excitation's broadcast
// product (whose gate is a view) and the fused residual addition. block
// returns the block's output and the intermediates Recompute may drop.
type recomputeNet struct {
	w1, w2, w3, wb, fc *ag.Tensor
	bn1, bn2, bn3      ag.BatchNormOpts
}

func newRecomputeNet(rng *rand.Rand) *recomputeNet {
	bn := func(c int, act ag.Activation) ag.BatchNormOpts {
		return ag.BatchNormOpts{Weight: ag.RandN(rng, c).AsParam(), Bias: ag.RandN(rng, c).AsParam(),
			RunningMean: ag.Zeros(c), RunningVar: ag.Full(1, c), Training: true, Momentum: 0.1, Eps: 1e-5, Act: act}
	}
	return &recomputeNet{
		w1:  ag.RandN(rng, 8, 4, 3, 3).AsParam(), // 4 -> 8
		w2:  ag.RandN(rng, 8, 1, 3, 3).AsParam(), // depthwise
		wb:  ag.RandN(rng, 8, 8, 3, 3).AsParam(), // after the padding
		fc:  ag.RandN(rng, 8, 8).AsParam(),       // the gate
		w3:  ag.RandN(rng, 4, 8, 1, 1).AsParam(), // 8 -> 4
		bn1: bn(8, ag.ActSiLU),
		bn2: bn(8, ag.ActSiLU),
		bn3: bn(4, ag.ActNone),
	}
}

func (n *recomputeNet) params() []*ag.Tensor {
	return []*ag.Tensor{n.w1, n.w2, n.w3, n.wb, n.fc, n.bn1.Weight, n.bn1.Bias, n.bn2.Weight, n.bn2.Bias, n.bn3.Weight, n.bn3.Bias}
}

func (n *recomputeNet) block(x *ag.Tensor) (out *ag.Tensor, mids []*ag.Tensor) {
	h1 := ag.BatchNorm2d(ag.Conv2d(x, n.w1, nil, ag.Conv2dOpts{PadTop: 1, PadBottom: 1, PadLeft: 1, PadRight: 1}), n.bn1)
	h2 := ag.BatchNorm2d(ag.Conv2d(h1, n.w2, nil, ag.Conv2dOpts{PadTop: 1, PadBottom: 1, PadLeft: 1, PadRight: 1, Groups: 8}), n.bn2)
	p := ag.ReflectPad2d(h2, 1, 1, 1, 1)
	h3 := ag.Conv2d(p, n.wb, nil, ag.Conv2dOpts{})
	gate := ag.Sigmoid(ag.MatMul(ag.GlobalAvgPool2d(h3), n.fc)) // [N, 8]
	s := ag.Mul(h3, ag.Reshape(gate, x.Shape[0], 8, 1, 1))
	b := ag.BatchNorm2d(ag.Conv2d(s, n.w3, nil, ag.Conv2dOpts{}), n.bn3)
	out = ag.Residual(b, x, ag.ResidualOpts{Act: ag.ActLeakyReLU, Slope: 0.1})
	return out, []*ag.Tensor{h1, h2, p, s, b}
}

// Recompute drops the blocks' batch-norm outputs, paddings and products
// once each block has returned, and every other block's residual sum (a
// sum whose shortcut was dropped is kept, so restoring one is at most two
// recomputations deep); Backward computes them again. The gradients, the
// running statistics (updated once, not again when recomputing) and a
// second pass (SAM's) are the same bits as keeping everything, and the
// forward holds less memory. A forward use of a dropped tensor restores
// it first. (The peak over a whole step, which
// TestReleaseInBackwardModels checks on the real models, is too close to
// the forward's in a graph this small.)
func TestArenaRecompute(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	x := make([]float32, 2*4*6*6)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	proj := make([]float32, 2*4*3*3) // a non-uniform projection of the output
	for i := range proj {
		proj[i] = float32(rng.NormFloat64())
	}
	type res struct {
		grads, stats, again [][]float32
		held                int // floats in use after the first forward
	}
	const blocks = 3
	run := func(recompute bool) res {
		net := newRecomputeNet(rand.New(rand.NewPCG(5, 6)))
		ar := ag.NewArena()
		ar.ReleaseInBackward, ar.Recompute = true, recompute
		var r res
		for pass := range 2 {
			for _, p := range net.params() {
				p.ZeroGrad()
			}
			in := ar.New(x, 2, 4, 6, 6).AsParam()
			mark := ar.Mark()
			out := in
			var mids, sums []*ag.Tensor
			for range blocks { // the same weights three times
				var m []*ag.Tensor
				out, m = net.block(out)
				ar.ReleaseSince(mark, out)
				mids, sums = append(mids, m...), append(sums, out)
			}
			if pass == 0 {
				r.held, _ = ar.Stats()
			}
			for i, m := range mids {
				if dropped := m.Data == nil; dropped != recompute {
					t.Fatalf("recompute %v: intermediate %d (%v) has Data %v after ReleaseSince", recompute, i, m.Shape, !dropped)
				}
			}
			// The first sum's shortcut is the input: dropped. The second's
			// is the first: kept. The third is the output.
			for i, want := range []bool{recompute, false, false} {
				if dropped := sums[i].Data == nil; dropped != want {
					t.Fatalf("recompute %v: block %d's sum dropped %v, want %v", recompute, i, dropped, want)
				}
			}
			if pass == 1 { // a forward use of a dropped tensor restores it
				r.again = append(r.again, append([]float32(nil), ag.Add(mids[0], mids[0]).Data...))
			}
			pooled := ag.MaxPool2d(out, ag.PoolOpts{KernelH: 2, KernelW: 2, StrideH: 2, StrideW: 2})
			pooled.BackwardWith(proj)
			r.grads = append(r.grads, append([]float32(nil), in.Grad...))
			for _, p := range net.params() {
				r.grads = append(r.grads, append([]float32(nil), p.Grad...))
			}
		}
		for _, o := range []ag.BatchNormOpts{net.bn1, net.bn2, net.bn3} {
			r.stats = append(r.stats, o.RunningMean.Data, o.RunningVar.Data)
		}
		ar.Reset()
		return r
	}
	keep, rec := run(false), run(true)
	same := func(what string, a, b [][]float32) {
		t.Helper()
		for i := range a {
			for j := range a[i] {
				if a[i][j] != b[i][j] {
					t.Fatalf("%s %d[%d]: %v recomputed, %v kept", what, i, j, b[i][j], a[i][j])
				}
			}
		}
	}
	same("gradient", keep.grads, rec.grads)
	same("running statistic", keep.stats, rec.stats)
	same("forward use of a dropped tensor", keep.again, rec.again)
	// Dropped per block: h1, h2, s [2, 8, 6, 6], p [2, 8, 8, 8], b [2, 4, 6,
	// 6]; and the first block's sum [2, 4, 6, 6]. The convolution outputs
	// that batch norm's backward reads stay.
	if want := keep.held - blocks*(3*576+1024+288) - 288; rec.held != want {
		t.Errorf("after the forward the arena holds %d floats with recompute, want %d (%d without)", rec.held, want, keep.held)
	}
	t.Logf("held after the forward: %d floats kept, %d recomputed", keep.held, rec.held)
}
