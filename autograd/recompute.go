package autograd

// Recomputation: trading a cheap pass for an activation's memory.
//
// A training step keeps every activation that a backward closure will
// read, from the forward until the backward reaches it; that is most of
// a step's memory. Some outputs cost a single pass over memory to
// compute again from an input the graph keeps anyway: batch norm with
// its activation (from the convolution output its own backward keeps),
// a broadcast product (SqueezeExcitation's scaling), a padding, a
// residual sum (from the block's last batch norm and its input). With
// Arena.Recompute on, Arena.ReleaseSince (which models call after each
// block) hands such outputs' buffers back to the arena once the block is
// done with them, and Backward computes them again, into a fresh arena
// buffer, just before the first closure that reads them. In an
// EfficientNetV2 MBConv block that keeps two of the five expanded-width
// tensors instead of five (docs/PERFORMANCE.md, "Recomputing cheap
// activations").
//
// The recomputed values are the same bits: the op runs the same kernel
// on the same input with the same per-channel numbers it saved (batch
// norm's batch statistics, not recomputed; the running statistics are
// not updated again).
//
// What makes a tensor droppable:
//   - its op set recompute (setRecompute), and requires a gradient;
//   - no op holds a slice of its Data taken in the forward (pins == 0):
//     result pins every input, and an op whose backward reads an
//     input's Data only through the tensor (x.Data at backward time)
//     unpins it (lazyRead); a view (Reshape, Detach) pins it for good;
//   - it is not the block's output (ReleaseSince's keep);
//   - restoring it takes at most maxRecomputeDepth recomputations in a
//     row.
//
// Backward restores the dropped inputs of a node before running its
// closure (materialize), unless the node's op reads none of its inputs'
// Data (noInputData: pooling, padding and residual additions need only
// shapes; a residual sum with an activation restores its own output,
// which its backward reads), and drops nothing after that: the restored
// buffer goes back when the tensor's own closure has run
// (Arena.ReleaseInBackward), as every other activation's does. An op
// given a dropped tensor in the forward restores it first (result, view,
// Reshape; the ops size their inputs by Shape, not by len(Data)), so a
// caller that breaks ReleaseSince's contract pays a pass, not a wrong
// result.

// setRecompute records how to compute t's values again: fn writes them
// into dst from from's Data (each of from restored first). fn must give
// the forward's bits, and t's own backward must not read t.Data (a
// dropped t that no consumer needed is never restored).
func (t *Tensor) setRecompute(fn func(dst []float32), from ...*Tensor) {
	if t.requiresGrad && t.arena != nil {
		t.recompute, t.recomputeFrom = fn, from
	}
}

// pin records a holder of t's Data slice besides t. Only an arena's
// tensors are counted: only they can be dropped, and they belong to one
// goroutine, where parameters (on the Go heap) are read by every caller
// of a shared model at once.
func (t *Tensor) pin() {
	if t.arena != nil {
		t.pins++
	}
}

// lazyRead says that the op that just made its output from x reads
// x.Data in its backward through x, at the time it runs (not a slice
// taken in the forward), so x may be dropped and restored meanwhile.
func lazyRead(xs ...*Tensor) {
	for _, x := range xs {
		if x.arena != nil {
			x.pins--
		}
	}
}

// maxRecomputeDepth bounds the chain of recomputations that restoring one
// tensor may set off (an input dropped too, whose input was dropped...).
// Batch norm's output is one deep (its input, a convolution output, is
// kept), SqueezeExcitation's product and a padding after it two. A
// residual sum whose shortcut, the previous block's sum, was dropped
// would be three: so every other block's sum is dropped, and restoring
// one never walks the whole chain of a stage.
const maxRecomputeDepth = 2

// droppable reports whether ReleaseSince may hand t's Data back.
func (t *Tensor) droppable() bool {
	if t.recompute == nil || t.pins != 0 || t.dropped || t.view || t.Data == nil || t.Grad != nil {
		return false
	}
	d := 0
	for _, in := range t.recomputeFrom {
		d = max(d, in.dropDepth())
	}
	return d+1 <= maxRecomputeDepth
}

// dropDepth is the number of recomputations restoring t takes in a row:
// 0 if it holds its Data.
func (t *Tensor) dropDepth() int {
	if !t.dropped {
		return 0
	}
	d := 0
	for _, in := range t.recomputeFrom {
		d = max(d, in.dropDepth())
	}
	return d + 1
}

// drop hands t's Data back to the arena; materialize restores it.
func (t *Tensor) drop() {
	t.arena.put(t.Data)
	t.Data = nil
	t.dropped = true
}

// materialize restores a dropped t's Data by recomputing it (its inputs
// first, if they were dropped too).
func (t *Tensor) materialize() {
	if !t.dropped {
		return
	}
	for _, in := range t.recomputeFrom {
		in.materialize()
	}
	t.Data = t.arena.get(numel(t.Shape))
	t.recompute(t.Data)
	t.dropped = false
}
