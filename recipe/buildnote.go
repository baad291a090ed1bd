package recipe

import (
	"fmt"
	"runtime/debug"
)

// fusedBuildNote is a line for the run's log when this binary was built
// with GOAMD64=v3 or v4, and "" otherwise. At those levels the Go
// compiler may fuse a*b + c in Go code into one fused multiply-add, a
// different rounding from the default build's (GOAMD64=v1): the
// assembly kernels are the same, but the loops written in Go (losses,
// layer norm, attention, metrics) round differently, training takes
// another path from the same seed, and the numbers differ from the
// README's (measured: the example's -quick run prints test mAP 14.64
// instead of 14.10). Builds of the same level agree with each other.
func fusedBuildNote() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	return fusedNote(bi.Settings)
}

func fusedNote(settings []debug.BuildSetting) string {
	for _, s := range settings {
		if s.Key == "GOAMD64" && (s.Value == "v3" || s.Value == "v4") {
			return fmt.Sprintf("build: GOAMD64=%s lets Go fuse multiply-adds in its own loops, which rounds differently: a seed's numbers will not match a default (v1) build's, such as the README's tables", s.Value)
		}
	}
	return ""
}
