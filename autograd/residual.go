package autograd

import (
	"fmt"
	"math/rand/v2"

	"github.com/seed477ab429/multilabel/ops"
)

// ResidualOpts configures Residual.
type ResidualOpts struct {
	// DropPath is the stochastic-depth probability of the branch (as
	// DropPath; training only), drawn from RNG.
	DropPath float32
	RNG      *rand.Rand
	Training bool
	// Act is applied to the sum: ActNone, ActReLU or ActLeakyReLU (with
	// Slope).
	Act   Activation
	Slope float32
}

// Residual is the output of a residual block, act(DropPath(branch) +
// shortcut), as one op. Per sample n (dim 0),
//
//	y = act(branch·m_n + shortcut)
//	∂L/∂shortcut += gs,   ∂L/∂branch += gs·m_n,   gs = g·act'(y)
//
// with m_n = 1, or in training with DropPath p the sample's factor (0 or
// 1/(1−p), drawn from RNG exactly as DropPath draws it), and act' read
// from y's sign (ReLU and LeakyReLU are positive exactly where their input
// is). It computes the bits of act(Add(DropPath(branch, ...), shortcut))
// and draws the same random numbers, but stores one tensor where those
// ops store up to three, and makes one pass instead of three. The
// shortcut takes the output's gradient buffer when it has none yet (tape.go,
// "Gradient buffers"). branch and shortcut must have the same shape.
func Residual(branch, shortcut *Tensor, o ResidualOpts) *Tensor {
	if !SameShape(branch.Shape, shortcut.Shape) || len(branch.Shape) == 0 {
		panic(fmt.Sprintf("autograd.Residual: branch %v and shortcut %v must have one shape [N, ...]", branch.Shape, shortcut.Shape))
	}
	if o.DropPath < 0 || o.DropPath > 1 {
		panic(fmt.Sprintf("autograd.Residual: DropPath %v outside [0, 1] (input %v)", o.DropPath, branch.Shape))
	}
	if o.Act != ActNone && o.Act != ActReLU && o.Act != ActLeakyReLU {
		panic(fmt.Sprintf("autograd.Residual: activation %v is not None, ReLU or LeakyReLU", o.Act))
	}
	n := branch.Shape[0]
	var mask []float32 // nil: every m_n = 1
	if o.Training && o.DropPath > 0 {
		mask = dropPathMask(branch.arena, n, o.DropPath, o.RNG)
	}
	m := func(r int) float32 {
		if mask == nil {
			return 1
		}
		return mask[r]
	}
	slope := o.Slope
	if o.Act == ActReLU {
		slope = 0
	}
	op := "Residual"
	if o.Act != ActNone {
		op += "+" + o.Act.String()
	}
	out := result(op, cloneShape(branch.Shape), branch, shortcut)
	per := len(out.Data) / max(n, 1)
	fill := func(y []float32) {
		b, s := branch.Data, shortcut.Data
		sampleRuns(n, per, func(r, lo, hi int) {
			if o.Act == ActNone {
				ops.ScaleAdd(y[lo:hi], b[lo:hi], m(r), s[lo:hi])
			} else {
				ops.ScaleAddLeaky(y[lo:hi], b[lo:hi], m(r), s[lo:hi], slope)
			}
		})
	}
	fill(out.Data)
	if !out.requiresGrad {
		return out
	}
	// The backward reads out (for act') and its gradient, not the inputs;
	// out is one pass from them with the same mask (recompute.go).
	lazyRead(branch, shortcut)
	out.noInputData = true
	out.setRecompute(fill, branch, shortcut)
	out.backward = func() {
		g := out.Grad
		if o.Act != ActNone {
			out.materialize() // no consumer may have needed it
			y := out.Data
			if out.retainGrad { // the caller reads out.Grad: work on a copy
				g = out.arena.get(len(out.Grad))
				copy(g, out.Grad)
				defer out.arena.put(g)
			}
			sampleRuns(n, per, func(_, lo, hi int) { ops.LeakyGradInPlace(g[lo:hi], y[lo:hi], slope) })
		}
		if shortcut.requiresGrad {
			// The shortcut's term is gs itself: it takes the buffer when it
			// can (never when out retains its gradient, so g is that buffer).
			if !shortcut.gradTake(out) {
				gx, fresh := shortcut.gradWrite()
				sampleRuns(n, per, func(_, lo, hi int) {
					if fresh {
						copy(gx[lo:hi], g[lo:hi])
					} else {
						ops.Axpy(1, g[lo:hi], gx[lo:hi])
					}
				})
			}
		}
		if branch.requiresGrad {
			gb, fresh := branch.gradWrite()
			sampleRuns(n, per, func(r, lo, hi int) {
				if fresh {
					ops.ScaleTo(gb[lo:hi], g[lo:hi], m(r))
				} else if mr := m(r); mr != 0 {
					ops.Axpy(mr, g[lo:hi], gb[lo:hi])
				}
			})
		}
	}
	return out
}

// sampleRuns splits n samples of per elements each over the worker pool
// and calls f(r, lo, hi) for each run [lo, hi) of sample r's elements.
func sampleRuns(n, per int, f func(r, lo, hi int)) {
	ops.Parallel(n*per, 1<<14, func(lo, hi int) {
		for lo < hi {
			r := lo / per
			end := min(hi, (r+1)*per)
			f(r, lo, end)
			lo = end
		}
	})
}
