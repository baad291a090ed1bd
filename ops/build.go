package ops

import (
	"runtime/debug"
	"sync"
)

// FusedBuild returns the GOAMD64 level ("v3" or "v4") when this binary
// was built at a level where the Go compiler fuses a*b + c in Go code into
// one fused multiply-add, and "" for other builds (the default v1, v2,
// other architectures). Such a build rounds differently wherever Go code
// does arithmetic, Go's own math functions included (math.Sin, math.Cos,
// math.Atan2 and rand's NormFloat64 return other bits at v3 than at v1),
// so a seed's numbers cannot match a default build's: the assembly kernels
// are the same, but the initial weights and the loops written in Go
// differ (the synthetic images came out byte for byte the same: their
// values are rounded to bytes). recipe says so in the run's log.
func FusedBuild() string {
	fusedOnce.Do(func() {
		if bi, ok := debug.ReadBuildInfo(); ok {
			fusedLevel = fusedLevelOf(bi.Settings)
		}
	})
	return fusedLevel
}

var (
	fusedOnce  sync.Once
	fusedLevel string
)

// fusedLevelOf is FusedBuild's rule on a build's settings.
func fusedLevelOf(settings []debug.BuildSetting) string {
	for _, s := range settings {
		if s.Key == "GOAMD64" && (s.Value == "v3" || s.Value == "v4") {
			return s.Value
		}
	}
	return ""
}
