//go:build !unix

package train

import "time"

// processCPU is not measured here (Phases.CPU stays zero).
func processCPU() time.Duration { return 0 }
