//go:build amd64 && !purego

package main

import "golang.org/x/sys/cpu"

//go:noescape
func fmaChainsAVX512(n int)

//go:noescape
func fmaChainsAVX2(n int)

// fmaProbe runs n iterations of the FMA probe of the widest vectors this
// CPU has (AVX-512, else AVX2 + FMA) and returns the FLOPs done, or 0
// when it has neither.
func fmaProbe(n int) float64 {
	switch {
	case cpu.X86.HasAVX512F:
		fmaChainsAVX512(n)
		return float64(n) * 12 * 16 * 2
	case cpu.X86.HasAVX2 && cpu.X86.HasFMA:
		fmaChainsAVX2(n)
		return float64(n) * 12 * 8 * 2
	}
	return 0
}
