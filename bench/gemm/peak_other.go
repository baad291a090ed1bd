//go:build !amd64 || purego

package main

// fmaProbe: no peak probe without amd64 assembly.
func fmaProbe(n int) float64 { return 0 }
