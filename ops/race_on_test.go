//go:build race

package ops

// raceEnabled: the race detector instruments goroutine hand-offs with
// allocations of its own, so allocation-count tests skip under -race.
const raceEnabled = true
