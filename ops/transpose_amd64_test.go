//go:build amd64 && !purego

package ops

import (
	"testing"

	"golang.org/x/sys/cpu"
)

// TestTransposeAVX2: TestTranspose again with the AVX2 8 x 8 tiles, which
// an AVX-512 CPU would not otherwise run.
func TestTransposeAVX2(t *testing.T) {
	if !cpu.X86.HasAVX2 {
		t.Skip("no AVX2")
	}
	f, n := transposeTiles, transposeT
	defer func() { transposeTiles, transposeT = f, n }()
	transposeTiles, transposeT = transpose8xNAVX2, 8
	TestTranspose(t)
}
