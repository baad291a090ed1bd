//go:build amd64 && !purego

package ops

import "golang.org/x/sys/cpu"

func asmVecKernels() []vecKernels { return nil }

var _ = cpu.X86
