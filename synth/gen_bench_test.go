package synth

import "testing"

// BenchmarkGenerate generates the example's default set shape at a tenth
// of its size (240 train, 30 val, 60 test images of 160 px).
func BenchmarkGenerate(b *testing.B) {
	for b.Loop() {
		if _, err := Generate(b.TempDir(), Config{Seed: 1, Size: 160, Train: 240, Val: 30, Test: 60}, nil); err != nil {
			b.Fatal(err)
		}
	}
}
