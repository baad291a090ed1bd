package ops

import (
	"math/bits"
	"sync"
)

// Scratch buffers: the GEMM's packing panels, the depthwise planes' padded
// copies and autograd's im2col tiles and partial weight gradients are
// recycled on free lists by power-of-two size class, so a steady-state
// training step allocates no scratch. A sync.Pool would not do: it holds
// buffers of every size in one pool (a large request would get a small
// buffer back and allocate anyway) and drops them at every garbage
// collection. Each class keeps at most a few buffers per thread, so what
// stays held is bounded by the peak concurrent use.
var scratchFree struct {
	mu   sync.Mutex
	free [64][]*[]float32
}

// GetScratch returns a buffer of length n from the free lists (or a new
// one, of capacity the next power of two). Its contents are arbitrary.
// Give it back with PutScratch when done.
func GetScratch(n int) *[]float32 {
	cls := bits.Len(uint(max(n, 1) - 1))
	scratchFree.mu.Lock()
	if l := scratchFree.free[cls]; len(l) > 0 {
		p := l[len(l)-1]
		l[len(l)-1] = nil
		scratchFree.free[cls] = l[:len(l)-1]
		scratchFree.mu.Unlock()
		*p = (*p)[:n]
		return p
	}
	scratchFree.mu.Unlock()
	s := make([]float32, n, 1<<cls)
	return &s
}

// PutScratch returns a buffer from GetScratch to its free list; the
// caller must not use it afterwards. A buffer whose capacity is not a
// power of two (not one of ours) is left to the garbage collector, and so
// is one beyond the class's limit of 2*Threads()+2.
func PutScratch(p *[]float32) {
	cls := bits.Len(uint(cap(*p) - 1))
	if cap(*p) != 1<<cls {
		return
	}
	scratchFree.mu.Lock()
	if len(scratchFree.free[cls]) < 2*Threads()+2 {
		scratchFree.free[cls] = append(scratchFree.free[cls], p)
	}
	scratchFree.mu.Unlock()
}
