//go:build amd64 && !purego

package ops

import "testing"

// The AVX2 table carries its plane-wise kernels, so that
// TestPlanesMatchSinglePlane, which runs every table asmVecKernels lists
// (the AVX2 one on AVX-512 machines too), compares them bit for bit with
// the single-plane AVX2 kernels.
func TestAVX2PlanesWired(t *testing.T) {
	k := avx2Vec
	for name, nil_ := range map[string]bool{
		"scaleShiftSiLUPlanes":     k.scaleShiftSiLUPlanes == nil,
		"scaleShiftSiLUGradPlanes": k.scaleShiftSiLUGradPlanes == nil,
		"scaleShiftPlanes":         k.scaleShiftPlanes == nil,
		"combinePlanes":            k.combinePlanes == nil,
		"combineAddPlanes":         k.combineAddPlanes == nil,
		"scaleToPlanes":            k.scaleToPlanes == nil,
		"axpyPlanes":               k.axpyPlanes == nil,
		"sumSqPlanes":              k.sumSqPlanes == nil,
		"sumDotPlanes":             k.sumDotPlanes == nil,
	} {
		if nil_ {
			t.Errorf("avx2Vec.%s is nil", name)
		}
	}
}
