//go:build js

package ops

// l3Size: WebAssembly cannot ask the CPU, so the js/wasm build leaves
// cpuid out (and with it the flag package, which cpuid links: a smaller
// program for the web page, docs/deploy.md); newGemmPlan then assumes
// defaultL3, as cpuid's answer of 0 on wasm did.
func l3Size() int { return 0 }

// l2Size: as l3Size; newGemmPlan assumes defaultL2.
func l2Size() int { return 0 }
