package recipe

import (
	"fmt"
	"io"
	"sync"
)

// warnings prints each distinct warning once per run (a bad image the
// loader skips comes back every epoch, and again when the thresholds are
// tuned) and counts them, for one line at the end of the run.
type warnings struct {
	mu   sync.Mutex
	out  io.Writer
	seen map[string]bool
	n    int // times warned, repeats included
}

func newWarnings(out io.Writer) *warnings {
	return &warnings{out: out, seen: map[string]bool{}}
}

// warn prints err the first time its text is seen. It is safe for
// concurrent use (loaders call it from their own goroutines).
func (w *warnings) warn(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.n++
	msg := err.Error()
	if w.seen[msg] {
		return
	}
	w.seen[msg] = true
	fmt.Fprintln(w.out, "warning:", msg)
}

// distinct is the number of different warnings so far.
func (w *warnings) distinct() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.seen)
}

// summary prints the count, when there was anything to count.
func (w *warnings) summary() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.seen) == 0 {
		return
	}
	fmt.Fprintf(w.out, "warnings: %d (each printed once above; %d times in all, repeats from later epochs included)\n", len(w.seen), w.n)
}
