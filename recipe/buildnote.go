package recipe

import (
	"fmt"

	"github.com/seed477ab429/multilabel/ops"
)

// fusedBuildNote is a line for the run's log when this binary was built
// with GOAMD64=v3 or v4 (ops.FusedBuild), and "" otherwise: its numbers
// cannot match a default build's (measured: the example's -quick run
// prints test mAP 14.64 instead of 14.10). Builds of the same level agree
// with each other.
func fusedBuildNote() string {
	if lvl := ops.FusedBuild(); lvl != "" {
		return fmt.Sprintf("build: GOAMD64=%s lets Go fuse multiply-adds, and Go's math functions round differently, so a seed's numbers will not match a default (v1) build's, such as the README's tables", lvl)
	}
	return ""
}
