//go:build linux || darwin

package multilabel_test

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time (user + system, every thread) the process has
// used so far: on a machine shared with other jobs it measures the work
// done, where wall time also counts the waits for a core.
func cpuTime() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
