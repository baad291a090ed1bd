package autograd_test

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	ag "github.com/seed477ab429/multilabel/autograd"
)

// Shared test helpers for the op tests of this package.

// fixture is a set of named tensors written by a script in testdata/
// (testdata/gen_*.py, run with Debian's python3 and torch 1.13). The file
// format is JSON: {"tensors": {"name": {"shape": [...], "data": [...]}}}.
type fixture map[string]*ag.Tensor

// loadFixture reads testdata/<name>.json.
func loadFixture(t testing.TB, name string) fixture {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name+".json"))
	if err != nil {
		t.Fatalf("fixture %s: %v", name, err)
	}
	var f struct {
		Tensors map[string]struct {
			Shape []int     `json:"shape"`
			Data  []float32 `json:"data"`
		} `json:"tensors"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatalf("fixture %s: %v", name, err)
	}
	out := fixture{}
	for k, v := range f.Tensors {
		out[k] = ag.New(v.Data, v.Shape...)
	}
	return out
}

// get returns the named tensor or fails the test.
func (f fixture) get(t testing.TB, name string) *ag.Tensor {
	t.Helper()
	x, ok := f[name]
	if !ok {
		t.Fatalf("fixture has no tensor %q", name)
	}
	return x
}

// assertClose fails unless got and want have the same length and
// max|got-want| <= tol*max(1, max|want|).
func assertClose(t testing.TB, what string, got, want []float32, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	var maxDiff, maxRef float64
	worst := 0
	for i := range got {
		d := math.Abs(float64(got[i]) - float64(want[i]))
		if d > maxDiff || math.IsNaN(d) {
			maxDiff, worst = d, i
		}
		maxRef = math.Max(maxRef, math.Abs(float64(want[i])))
	}
	if maxDiff > tol*math.Max(1, maxRef) || math.IsNaN(maxDiff) {
		t.Fatalf("%s: max |diff| %.3g at %d (got %v want %v), tolerance %.3g", what, maxDiff, worst, got[worst], want[worst], tol*math.Max(1, maxRef))
	}
}
