package autograd

import (
	"slices"
	"unsafe"
)

// Arena recycles the buffers of a training step. Tensors created from an
// arena (Arena.New, Arena.Zeros), and every op output that has such a tensor
// among its inputs, take their Data and Grad from it; Reset hands all of
// them back at once, so the next step, which has the same shapes, reuses
// the same memory instead of allocating its working set afresh (llm.c's
// "one allocation for all activations", made automatic).
//
// After Reset every tensor the arena produced has nil Data: keep nothing
// from a step (copy out a loss value with Item first). An Arena is not
// safe for concurrent use; use one per training goroutine. A nil *Arena is
// valid and means "allocate from the Go heap".
type Arena struct {
	// ReleaseInBackward makes Backward hand each intermediate tensor's
	// Data back to the arena as soon as the backward pass is through with
	// it (its own closure and those of all its consumers have run), as
	// PyTorch frees saved activations during backward. The buffers are
	// reused at once by the gradients that follow, and by a second
	// forward pass on the same arena before Reset (SAM's), so the peak is
	// one step's activations, not two. Afterwards the intermediate tensors
	// of the graph have nil Data; the tensor Backward started from and the
	// leaves keep theirs. Leave it off if you read an intermediate's Data
	// after Backward (or hold a Reshape view of one outside the graph).
	ReleaseInBackward bool

	// Recompute makes ReleaseSince, while gradients are recorded, hand
	// back the Data of the block's outputs that cost one pass to compute
	// again (batch norm with its activation, a broadcast product, a
	// padding), and Backward compute them again when a closure needs
	// them (recompute.go): the step's activations take less memory for
	// one more pass over each dropped tensor, and no result changes.
	// Leave it off if you read an intermediate's Data after the block
	// that made it has returned.
	Recompute bool

	slabs []*slab    // every allocation, by address
	idle  []idleSpan // the idle ranges of all slabs, each as long as it can be
	owned []*Tensor  // tensors whose buffers came from here
	inUse int        // float32s handed out and not yet returned
	peak  int        // the most float32s ever in use at once
	total int        // float32s ever allocated by this arena
}

// NewArena returns an empty arena.
func NewArena() *Arena { return &Arena{} }

// New copies data into an arena buffer and returns it as a tensor.
func (a *Arena) New(data []float32, shape ...int) *Tensor {
	if n := numel(shape); n != len(data) {
		panic("autograd: Arena.New: data length does not match shape")
	}
	t := &Tensor{Shape: cloneShape(shape), arena: a}
	t.Data = a.get(len(data))
	copy(t.Data, data)
	a.own(t)
	return t
}

// Zeros returns a tensor of zeros whose buffer belongs to the arena.
func (a *Arena) Zeros(shape ...int) *Tensor {
	checkShape("Arena.Zeros", shape)
	t := &Tensor{Shape: cloneShape(shape), arena: a}
	t.Data = a.zeros(numel(shape))
	a.own(t)
	return t
}

// Reset returns every buffer handed out since the last Reset to the arena
// and clears the tensors that held them.
func (a *Arena) Reset() {
	for _, t := range a.owned {
		a.release(t)
	}
	clear(a.owned)
	a.owned = a.owned[:0]
}

// release hands t's buffers back to the arena (a view's Data belongs to
// another tensor) and clears t, which must not be used after.
func (a *Arena) release(t *Tensor) {
	if !t.view && t.Data != nil {
		a.put(t.Data)
	}
	if t.Grad != nil {
		a.put(t.Grad)
	}
	t.Data, t.Grad, t.backward, t.prev = nil, nil, nil, nil
	t.recompute, t.recomputeFrom, t.dropped = nil, nil, false
	t.released = true
}

// Arena returns the arena t's buffers come from (nil: the Go heap).
func (t *Tensor) Arena() *Arena { return t.arena }

// Mark returns the arena's place in its record of the tensors it made,
// for ReleaseSince (0 for a nil arena).
func (a *Arena) Mark() int {
	if a == nil {
		return 0
	}
	return len(a.owned)
}

// ReleaseSince hands back at once the buffers of the tensors the arena
// made after mark, except keep's (keep itself, or, if keep is a view, the
// tensor whose buffer it lies in), and clears those tensors as Reset
// does. It is for inference without gradients (under NoGrad, or on
// parameters and inputs that require none, as the inference API runs),
// where the intermediate tensors of a block are dead once it has returned
// its output: a model that calls it between its blocks keeps about one
// block's working set in the arena instead of its whole forward's, as
// PyTorch frees a no-grad intermediate when its last reference goes. The
// caller must hold no other tensor made after mark. It does nothing for a
// nil arena.
//
// While gradients are recorded (keep, or a tensor made after mark,
// requires one) the graph still needs what keep was made from, and
// nothing is released; with Recompute on, the recomputable tensors made
// after mark other than keep (recompute.go) drop their Data instead, for
// Backward to compute again.
func (a *Arena) ReleaseSince(mark int, keep *Tensor) {
	if a == nil || mark < 0 || mark > len(a.owned) {
		return
	}
	if a.recordsSince(mark, keep) {
		if a.Recompute && GradEnabled() {
			for _, t := range a.owned[mark:] {
				if t != keep && t.droppable() && !holdsData(t, keep) {
					t.drop()
				}
			}
		}
		return
	}
	kept := mark
	for _, t := range a.owned[mark:] {
		if t == keep || holdsData(t, keep) {
			a.owned[kept] = t
			kept++
			continue
		}
		a.release(t)
	}
	clear(a.owned[kept:])
	a.owned = a.owned[:kept]
}

// recordsSince reports whether gradients are being recorded through the
// tensors made after mark: keep requires a gradient, or the process-wide
// switch is on and one of them does.
func (a *Arena) recordsSince(mark int, keep *Tensor) bool {
	if keep.requiresGrad {
		return true
	}
	if !GradEnabled() {
		return false
	}
	for _, t := range a.owned[mark:] {
		if t.requiresGrad {
			return true
		}
	}
	return false
}

// holdsData reports whether keep's Data lies in t's buffer (keep is a
// view of t, or of part of it).
func holdsData(t, keep *Tensor) bool {
	if t.view || cap(t.Data) == 0 || len(keep.Data) == 0 {
		return false
	}
	p := uintptr(unsafe.Pointer(unsafe.SliceData(keep.Data)))
	lo := uintptr(unsafe.Pointer(unsafe.SliceData(t.Data)))
	return lo <= p && p < lo+4*uintptr(cap(t.Data))
}

// Stats reports the float32s in use (the lengths of the buffers handed
// out) and allocated in total by the arena.
func (a *Arena) Stats() (inUse, total int) { return a.inUse, a.total }

// Peak reports the most float32s the arena has had in use at once: the
// working set its users needed, against Stats' total, what it allocated
// (total - peak is memory that idled at the peak in ranges too small for
// the requests then made).
func (a *Arena) Peak() int { return a.peak }

// The arena's memory is a set of slabs, each one Go allocation, handed out
// in ranges: get takes the smallest idle range that fits (best fit),
// splits off what it needs and leaves the rest idle; put returns a range
// and merges it with the idle ranges beside it in its slab. A step asks
// for its buffers in a different order than it frees them, and with
// Recompute a block's dropped buffers are taken by the next block's
// tensors of other sizes: without splitting, a small tensor kept until
// the backward would pin a whole large buffer (ResNet-50's step held 495
// MB of buffers for 339 MB of convolution outputs), and without merging
// the pieces would never serve a large request again. Which range an op
// writes into changes no result: an op writes every element of a
// result's buffer, or clears it first (zeros).

// maxSlabGrowth caps the part of a new slab beyond its first request, in
// floats. ResNet-50's step (224 px, batch 8) held 560 MB for a 458 MB
// peak with a slab per request, 482 MB with slabs of a quarter of the
// total; TResNet-M 388 -> 355 MB, EfficientNetV2-S 498 -> 445 MB.
const maxSlabGrowth = 8 << 20

// slab is one allocation of the arena.
type slab struct {
	buf  []float32
	base uintptr // address of buf[0]
}

// idleSpan is an idle range buf[off : off+n] of a slab.
type idleSpan struct {
	s      *slab
	off, n int
}

// addr is the address of b's first element.
func addr(b []float32) uintptr { return uintptr(unsafe.Pointer(unsafe.SliceData(b))) }

// get returns a buffer of n elements (capacity n) with arbitrary
// contents: part of the smallest idle range that holds n (the first of
// equal ones), else a new slab.
func (a *Arena) get(n int) []float32 {
	if a == nil || n == 0 {
		return make([]float32, n)
	}
	best := -1
	for i, sp := range a.idle {
		if sp.n >= n && (best < 0 || sp.n < a.idle[best].n) {
			best = i
			if sp.n == n {
				break
			}
		}
	}
	a.inUse += n
	a.peak = max(a.peak, a.inUse)
	if best < 0 {
		// A new slab is at least a quarter of what the arena holds (at
		// most 32 MiB): the many small tensors of a step then lie in
		// few slabs, where their ranges merge into large ones as they
		// are returned (the ranges of two slabs never merge).
		size := max(n, min(a.total/4, maxSlabGrowth))
		b := make([]float32, size)
		sl := &slab{buf: b, base: addr(b)}
		i, _ := slices.BinarySearchFunc(a.slabs, sl.base, func(s *slab, p uintptr) int { return cmpAddr(s.base, p) })
		a.slabs = slices.Insert(a.slabs, i, sl)
		a.total += size
		if size > n {
			a.idle = append(a.idle, idleSpan{sl, n, size - n})
		}
		return b[:n:n]
	}
	sp := a.idle[best]
	if sp.n == n {
		a.idle = slices.Delete(a.idle, best, best+1)
	} else {
		a.idle[best] = idleSpan{sp.s, sp.off + n, sp.n - n}
	}
	return sp.s.buf[sp.off : sp.off+n : sp.off+n]
}

func cmpAddr(a, b uintptr) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// zeros returns a zeroed buffer of n elements.
func (a *Arena) zeros(n int) []float32 {
	if a == nil {
		return make([]float32, n)
	}
	b := a.get(n)
	clear(b)
	return b
}

// put hands a buffer from get back for reuse (its whole capacity), merged
// with the idle ranges next to it. A nil arena, or a buffer that is not
// the arena's, lets the GC have it.
func (a *Arena) put(b []float32) {
	if a == nil || cap(b) == 0 {
		return
	}
	b = b[:cap(b)]
	p := addr(b)
	i, found := slices.BinarySearchFunc(a.slabs, p, func(s *slab, p uintptr) int { return cmpAddr(s.base, p) })
	if !found {
		i-- // the slab that starts before p
	}
	if i < 0 {
		return
	}
	sl := a.slabs[i]
	off := int(p-sl.base) / 4
	if off >= len(sl.buf) {
		return
	}
	n := len(b)
	a.inUse -= n
	// Merge with the idle ranges that end at off or start at off+n.
	for j := 0; j < len(a.idle); {
		sp := a.idle[j]
		switch {
		case sp.s == sl && sp.off+sp.n == off:
			off, n = sp.off, n+sp.n
		case sp.s == sl && sp.off == off+n:
			n += sp.n
		default:
			j++
			continue
		}
		a.idle = slices.Delete(a.idle, j, j+1)
	}
	a.idle = append(a.idle, idleSpan{sl, off, n})
}

// own records that t's buffers belong to the arena.
func (a *Arena) own(t *Tensor) {
	if a != nil {
		a.owned = append(a.owned, t)
	}
}
