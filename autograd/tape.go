package autograd

import (
	"fmt"
	"math"
	"sync/atomic"

	"github.com/seed477ab429/multilabel/ops"
)

// The tape is implicit: each op's output remembers its inputs (prev) and a
// closure (backward) that, given the output's gradient in Grad, adds the
// inputs' gradients into their Grad. Backward sorts the graph
// topologically and runs the closures from the output back to the leaves.
// How a closure may fill its inputs' gradients (accumulate; write first;
// hand off) is set out under "Gradient buffers" below.

var noGrad atomic.Int32

// NoGrad runs fn with gradient recording off: ops inside build no graph and
// keep nothing for a backward pass. Use it for inference, evaluation and
// weight averaging. The switch is process-wide (like a global
// torch.no_grad), so do not train in another goroutine meanwhile.
func NoGrad(fn func()) {
	noGrad.Add(1)
	defer noGrad.Add(-1)
	fn()
}

// GradEnabled reports whether ops currently record the graph.
func GradEnabled() bool { return noGrad.Load() == 0 }

// result makes the output tensor of an op. Its Data has numel(shape)
// elements and is NOT zeroed when it comes from an arena: the op must write
// every element (use resultZeros otherwise). When recording is on and an
// input requires a gradient, the output does too and remembers its inputs;
// the op then sets out.backward.
func result(op string, shape []int, inputs ...*Tensor) *Tensor {
	out := &Tensor{Shape: shape, op: op}
	for _, in := range inputs {
		in.materialize()
		in.pin() // until the op says it reads in.Data only in its backward (lazyRead)
		if out.arena == nil {
			out.arena = in.arena
		}
	}
	out.Data = out.arena.get(numel(shape))
	out.arena.own(out)
	if GradEnabled() {
		for _, in := range inputs {
			if in.requiresGrad {
				out.requiresGrad = true
				break
			}
		}
		if out.requiresGrad {
			for _, in := range inputs {
				if in.requiresGrad {
					out.prev = append(out.prev, in)
				}
			}
		}
	}
	return out
}

// resultZeros is result with Data zeroed.
func resultZeros(op string, shape []int, inputs ...*Tensor) *Tensor {
	out := result(op, shape, inputs...)
	clear(out.Data)
	return out
}

// Gradient buffers: the rules of the tape.
//
// Accumulate. A backward closure adds (+=) its terms into its inputs'
// gradients, never assigns: a tensor used by k ops receives k terms, and
// its Grad is their sum (the multivariable chain rule, ∂L/∂x = Σ over the
// uses of x). t.grad() returns the buffer, allocated zeroed when the first
// term arrives. Every op may rely on this rule alone.
//
// Two mechanisms of the tape save the passes over memory that the rule,
// followed literally, costs; both keep the sum exact, and an op opts in
// only where its backward meets their condition:
//
//   - Write first (t.gradWrite). The first term to reach t may be written
//     into an unzeroed buffer instead of added to a zeroed one: gradWrite
//     returns t's buffer and whether it is new. A new buffer comes from the
//     arena with arbitrary contents, and the op must then assign (=) every
//     element; an existing one holds other ops' terms, and the op adds.
//     Only an op whose backward produces a term for every element of t
//     may call it (a scatter, a strided write or a gradient that skips
//     elements uses t.grad()). Saves a clearing pass and a read of an
//     activation-sized buffer per op.
//   - Hand off (t.gradTake(out)). When t's term is exactly out's gradient
//     (a reshape, either same-shape operand of an addition), and t has no
//     gradient yet, out's buffer becomes t's: out's gradient is never read
//     again once its own closure has run, so the buffer changes owner
//     instead of being copied. gradTake reports false when it cannot (t
//     already holds terms, out keeps its gradient for the caller, the two
//     belong to different arenas); the op then accumulates as usual.
//
//   - Views of parameters share their gradient (view). A view of a
//     contiguous range of a tensor's data (Reshape; Slice along the first
//     dimension that is not 1) copies nothing in the forward; when the
//     tensor is a parameter that already has its gradient buffer (every
//     step after the first: parameters keep it, ZeroGrad clears it), the
//     view's gradient is the matching range of the parameter's, so the
//     ops that read the view accumulate straight into the parameter
//     (they find a gradient there and add), and the view's backward has
//     nothing left to do: no per-step buffer, no copy. Otherwise the
//     view's backward adds its gradient into the range (or, for a view of
//     all of x, hands it over).
//
// The tests run with poisonFreshGrads on, so a new write-first buffer is
// filled with NaN: an op that claims to write every element and misses
// one fails its gradient check. writegrad_test.go checks every op that
// writes first or hands off, with its input used once and used twice
// (the second use must receive the sum of both terms).

// poisonFreshGrads makes gradWrite fill new buffers with NaN (tests only).
var poisonFreshGrads bool

// gradWrite returns t's gradient buffer for an op whose backward covers
// every element of it, and whether the buffer is new (write: =) or
// already holds other terms (add: +=). See "Gradient buffers" above.
func (t *Tensor) gradWrite() (g []float32, fresh bool) {
	if t.Grad != nil {
		return t.Grad, false
	}
	t.Grad = t.arena.get(numel(t.Shape)) // Data may be dropped (recompute.go)
	if poisonFreshGrads {
		nan := float32(math.NaN())
		for i := range t.Grad {
			t.Grad[i] = nan
		}
	}
	return t.Grad, true
}

// gradTake hands out's gradient buffer to t, whose term it is exactly,
// when t has no gradient yet; it reports whether it did. See "Gradient
// buffers" above.
func (t *Tensor) gradTake(out *Tensor) bool {
	if t.Grad != nil || out.Grad == nil || out.retainGrad || t.arena != out.arena || len(out.Grad) != numel(t.Shape) {
		return false
	}
	t.Grad, out.Grad = out.Grad, nil
	return true
}

// view returns a tensor of the given shape over x.Data[lo:hi] (no copy),
// with the backward described under "Gradient buffers" (views of
// parameters share their gradient).
func view(op string, x *Tensor, shape []int, lo, hi int) *Tensor {
	x.materialize()
	x.pin() // the view holds a slice of x.Data
	out := &Tensor{Data: x.Data[lo:hi:hi], Shape: shape, op: op, view: true, arena: x.arena}
	x.arena.own(out)
	if !GradEnabled() || !x.requiresGrad {
		return out
	}
	out.requiresGrad = true
	out.prev = []*Tensor{x}
	if x.isParam && x.Grad != nil && x.arena == nil {
		out.Grad = x.Grad[lo:hi:hi] // consumers add into the parameter
		out.backward = func() {}
		return out
	}
	out.backward = func() {
		// All of x: x takes out's buffer when it has none yet.
		if lo == 0 && hi == len(x.Data) && x.gradTake(out) {
			return
		}
		ops.Axpy(1, out.Grad, x.grad()[lo:hi])
	}
	return out
}

// Backward computes the gradient of t with respect to every tensor that
// requires one and that t depends on. t must have exactly one element; its
// gradient is seeded with 1. Gradients accumulate (+=) into the leaves'
// Grad, so call ZeroGrad on parameters between steps.
func (t *Tensor) Backward() {
	if len(t.Data) != 1 {
		panic(fmt.Sprintf("autograd: Backward on a tensor of shape %v; reduce it to one element or use BackwardWith", t.Shape))
	}
	t.BackwardWith([]float32{1})
}

// BackwardWith runs the backward pass seeding t's gradient with grad (same
// number of elements as t): the vector-Jacobian product grad·∂t/∂x.
//
// As it goes, Backward frees what it no longer needs: each node's closure
// (and with it the activations it saved) and the gradient of every
// non-leaf node once its closure has run, unless RetainGrad was called;
// with Arena.ReleaseInBackward, the node's Data too. A
// graph can therefore be walked once; run the forward again for another
// backward pass.
func (t *Tensor) BackwardWith(grad []float32) {
	if len(grad) != len(t.Data) {
		panic(fmt.Sprintf("autograd: BackwardWith: gradient has %d elements, tensor %v has %d", len(grad), t.Shape, len(t.Data)))
	}
	if !t.requiresGrad {
		panic(fmt.Sprintf("autograd: Backward on a tensor that does not require a gradient (op %q); is a parameter missing, or was the forward run under NoGrad?", t.op))
	}
	order := topoSort(t)
	g := t.grad()
	for i, v := range grad {
		g[i] += v
	}
	for i := len(order) - 1; i >= 0; i-- {
		n := order[i]
		if n.released {
			panic(fmt.Sprintf("autograd: Backward through the output of %s a second time; its graph was freed by the first pass (run the forward again)", n.op))
		}
		if n.backward == nil {
			continue // a leaf
		}
		if n.Grad != nil {
			if !n.noInputData {
				for _, in := range n.prev {
					in.materialize() // recompute.go
				}
			}
			n.backward()
		}
		n.backward = nil
		n.prev = nil
		n.recompute, n.recomputeFrom, n.dropped = nil, nil, false
		n.released = true
		if !n.retainGrad && n.Grad != nil {
			n.arena.put(n.Grad)
			n.Grad = nil
		}
		// Every consumer of n comes after it in order and has run, so
		// n's Data is read by no closure any more (Arena.ReleaseInBackward).
		if n != t && n.arena != nil && n.arena.ReleaseInBackward {
			if !n.view {
				n.arena.put(n.Data)
			}
			n.Data = nil
		}
	}
}

// topoSort returns the nodes reachable from root through prev, each after
// all of its inputs. It is iterative so very deep graphs do not recurse.
func topoSort(root *Tensor) []*Tensor {
	var order []*Tensor
	seen := map[*Tensor]bool{root: true}
	type frame struct {
		t *Tensor
		i int
	}
	stack := []frame{{root, 0}}
	for len(stack) > 0 {
		f := &stack[len(stack)-1]
		if f.i < len(f.t.prev) {
			p := f.t.prev[f.i]
			f.i++
			if !seen[p] {
				seen[p] = true
				stack = append(stack, frame{p, 0})
			}
			continue
		}
		order = append(order, f.t)
		stack = stack[:len(stack)-1]
	}
	return order
}
