//go:build amd64 && !purego

package ops

import (
	"testing"

	"github.com/klauspost/cpuid/v2"
)

// TestHalfWidthFMA: the 12x24 kernel is chosen on the cores that split
// 512-bit FMAs in two, and not on full-width ones.
func TestHalfWidthFMA(t *testing.T) {
	for _, c := range []struct {
		name          string
		v             cpuid.Vendor
		family, model int
		want          bool
	}{
		{"Zen 4 EPYC", cpuid.AMD, 0x19, 0x11, true},
		{"Zen 4 Ryzen", cpuid.AMD, 0x19, 0x61, true},
		{"Zen 5 EPYC (Turin)", cpuid.AMD, 0x1A, 0x02, false},
		{"Zen 5 Ryzen 9000", cpuid.AMD, 0x1A, 0x44, false},
		{"Zen 5 mobile (Strix Point)", cpuid.AMD, 0x1A, 0x24, true},
		{"Ice Lake client", cpuid.Intel, 6, 0x7E, true},
		{"Sapphire Rapids", cpuid.Intel, 6, 0x8F, false},
		{"Skylake-SP", cpuid.Intel, 6, 0x55, false},
	} {
		if got := halfWidthFMA(c.v, c.family, c.model); got != c.want {
			t.Errorf("%s (family %#x model %#x): halfWidthFMA = %v, want %v", c.name, c.family, c.model, got, c.want)
		}
	}
	t.Logf("this CPU: %v family %#x model %#x: narrow companion %v", cpuid.CPU.VendorID, cpuid.CPU.Family, cpuid.CPU.Model, activeGemm.narrow != nil)
}
