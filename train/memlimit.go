package train

import (
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
)

// The Go heap of a training run is almost all long-lived: the weights,
// gradients, optimizer and EMA state, and the arena's activation buffers,
// reused every step. What a step leaves behind (closures, tensor headers)
// is small, but with the default GOGC=100 the collector lets the heap grow
// to twice the live set before it runs, and the process's RSS follows. So
// after the first step, when the arena holds a whole step's buffers (and
// after the first step at each new image size, under progressive
// resizing), and after every epoch, the trainer sets a soft memory limit
// (debug.SetMemoryLimit) a little above what the runtime then holds: the
// collector runs when the small per-step garbage reaches the margin. Its
// marking is cheap here, since the big buffers are pointer-free []float32.
// A limit set by the program or by GOMEMLIMIT is left alone, and Run
// restores the previous limit when it returns.

// memoryMargin is the headroom above the runtime's in-use memory: a
// sixteenth, plus 32 MiB. The peak RSS of a run sits near the limit, and
// a collection is cheap (bench/step configuration (a): the collector's
// mark workers took under 0.5% of the CPU profile's samples), so the
// margin is kept small: half the earlier eighth plus 64 MiB, which left
// the example's step about 55 MB higher (docs/PERFORMANCE.md).
func memoryMargin(inUse uint64) uint64 { return inUse/16 + 32<<20 }

// runtimeInUse is the memory the Go runtime holds and counts against its
// limit (mapped and not returned to the OS), minus the idle heap spans.
func runtimeInUse() uint64 {
	s := []metrics.Sample{
		{Name: "/memory/classes/total:bytes"},
		{Name: "/memory/classes/heap/released:bytes"},
		{Name: "/memory/classes/heap/free:bytes"},
	}
	metrics.Read(s)
	return s[0].Value.Uint64() - s[1].Value.Uint64() - s[2].Value.Uint64()
}

// fitMemoryLimit collects garbage and sets the limit from the memory the
// runtime holds now. The first call remembers the previous limit (and does
// nothing, now or later, if the program or GOMEMLIMIT chose one).
func (t *Trainer) fitMemoryLimit() {
	if t.memLimit.off {
		return
	}
	if !t.memLimit.set {
		prev := debug.SetMemoryLimit(-1)
		if prev != math.MaxInt64 || os.Getenv("GOMEMLIMIT") != "" {
			t.memLimit.off = true
			return
		}
		t.memLimit.prev, t.memLimit.set = prev, true
	}
	runtime.GC()
	u := runtimeInUse()
	debug.SetMemoryLimit(int64(u + memoryMargin(u)))
}

// restoreMemoryLimit puts back the limit fitMemoryLimit replaced.
func (t *Trainer) restoreMemoryLimit() {
	if t.memLimit.set {
		debug.SetMemoryLimit(t.memLimit.prev)
		t.memLimit.set = false
	}
}

// memLimitState is the trainer's record of the limit it set.
type memLimitState struct {
	prev     int64
	set, off bool
	size     int // the image size of the step the limit was last fitted after
}
