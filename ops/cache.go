//go:build !js

package ops

import "github.com/klauspost/cpuid/v2"

// l3Size is the L3 cache size in bytes as cpuid reports it (0 or less when
// it cannot tell).
func l3Size() int { return cpuid.CPU.Cache.L3 }

// l2Size is the L2 cache size per core in bytes as cpuid reports it (0 or
// less when it cannot tell).
func l2Size() int { return cpuid.CPU.Cache.L2 }
