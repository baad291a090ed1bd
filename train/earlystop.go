package train

import "math"

// EarlyStopping is the reference's exit_on_plateau_and_choose_best
// (docs/method.md §5.5). After each epoch, with a the epoch's metric in [0, 1]
// (max of raw and EMA mAP):
//
//	cur = round(a, 4)
//	cur ≈ 1                  → stop
//	cur <= smooth            → if warm-up is over: wait++, stop at Patience
//	otherwise                → smooth = 0.8·a + 0.2·smooth, wait = 0
//	cur >= best              → best = cur, save
type EarlyStopping struct {
	Patience int // 5
	Smooth   float64
	Wait     int
	Best     float64
}

// NewEarlyStopping returns the reference's rule with the given patience.
func NewEarlyStopping(patience int) *EarlyStopping { return &EarlyStopping{Patience: patience} }

// Observe records an epoch's metric a. It reports whether this is the best
// so far (save the checkpoint) and whether training should stop.
func (e *EarlyStopping) Observe(a float64, warmupDone bool) (best, stop bool) {
	cur := math.Round(a*1e4) / 1e4
	if math.Abs(cur-1) < 1e-4 {
		stop = true
	} else if cur <= e.Smooth {
		if warmupDone {
			e.Wait++
			if e.Wait >= e.Patience {
				stop = true
			}
		}
	} else {
		e.Smooth = 0.8*a + 0.2*e.Smooth
		e.Wait = 0
	}
	if cur >= e.Best {
		e.Best = cur
		best = true
	}
	return best, stop
}
