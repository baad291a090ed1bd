//go:build amd64 && !purego

package main

import "golang.org/x/sys/cpu"

//go:noescape
func fmaChainsAVX512(n int)

// fmaProbe runs n iterations of the FMA probe and returns the FLOPs done,
// or 0 when the CPU lacks AVX-512.
func fmaProbe(n int) float64 {
	if !cpu.X86.HasAVX512F {
		return 0
	}
	fmaChainsAVX512(n)
	return float64(n) * 12 * 16 * 2
}
