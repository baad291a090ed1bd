package metrics

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// The fixtures written by testdata/gen_metrics.py (scikit-learn 1.2).

type fxThreshold struct {
	PerClass struct{ CP, CR, CF1 float64 } `json:"per_class"`
	Overall  struct {
		OP  float64 `json:"op"`
		OR  float64 `json:"or"`
		OF1 float64 `json:"of1"`
	} `json:"overall"`
	PerImage struct{ CP, CR, CF1 float64 } `json:"per_image"`
	Counts   [][3]int                      `json:"counts"`
}

type fxCurve struct {
	Precision  []float64 `json:"precision"`
	Recall     []float64 `json:"recall"`
	Thresholds []float32 `json:"thresholds"`
}

type fxCase struct {
	Name      string      `json:"name"`
	N         int         `json:"n"`
	C         int         `json:"c"`
	Scores    []float32   `json:"scores"`
	Targets   []int8      `json:"targets"`
	AP        []*float64  `json:"ap"` // null: every entry ignored
	Positives []int       `json:"positives"`
	ASLAP     []float64   `json:"asl_ap"`
	Curves    []*fxCurve  `json:"curves"`
	MAP       float64     `json:"map"`
	ASLMAP    float64     `json:"asl_map"`
	AtHalf    fxThreshold `json:"at_half"`
}

type fxFile struct {
	Cases []fxCase `json:"cases"`
	Tune  struct {
		Train      fxCase      `json:"train"`
		Val        fxCase      `json:"val"`
		Thresholds []float64   `json:"thresholds"`
		Score      []*float32  `json:"score"`
		F1         []float64   `json:"f1"`
		Fallback   []bool      `json:"fallback"`
		ValMetrics fxThreshold `json:"val_metrics"`
	} `json:"tune"`
}

func loadFixture(t testing.TB) fxFile {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "metrics.json"))
	if err != nil {
		t.Fatalf("fixture: %v (regenerate with testdata/gen_metrics.py)", err)
	}
	var f fxFile
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatalf("fixture metrics.json: %v", err)
	}
	if len(f.Cases) == 0 {
		t.Fatal("fixture metrics.json has no cases")
	}
	return f
}

func (c *fxCase) set(t testing.TB) *Set {
	t.Helper()
	d, err := New(c.N, c.C, c.Scores, c.Targets)
	if err != nil {
		t.Fatalf("%s: %v", c.Name, err)
	}
	return d
}

// close64 fails unless |got-want| <= tol.
func close64(t testing.TB, what string, got, want, tol float64) {
	t.Helper()
	if math.IsNaN(got) || math.Abs(got-want) > tol {
		t.Errorf("%s = %.15g, want %.15g (tolerance %g)", what, got, want, tol)
	}
}

func checkThreshold(t *testing.T, name string, d *Set, th []float64, want fxThreshold) {
	t.Helper()
	pc, err := AtThresholds(d, th, PerClass)
	if err != nil {
		t.Fatal(err)
	}
	pi, err := AtThresholds(d, th, PerImage)
	if err != nil {
		t.Fatal(err)
	}
	const tol = 1e-12
	close64(t, name+" CP", pc.CP, want.PerClass.CP, tol)
	close64(t, name+" CR", pc.CR, want.PerClass.CR, tol)
	close64(t, name+" CF1", pc.CF1, want.PerClass.CF1, tol)
	for _, r := range []Thresholded{pc, pi} {
		close64(t, name+" OP", r.OP, want.Overall.OP, tol)
		close64(t, name+" OR", r.OR, want.Overall.OR, tol)
		close64(t, name+" OF1", r.OF1, want.Overall.OF1, tol)
	}
	close64(t, name+" per-image CP", pi.CP, want.PerImage.CP, tol)
	close64(t, name+" per-image CR", pi.CR, want.PerImage.CR, tol)
	close64(t, name+" per-image CF1", pi.CF1, want.PerImage.CF1, tol)
	for j, c := range pc.PerClass {
		if w := want.Counts[j]; c.TP != w[0] || c.FP != w[1] || c.FN != w[2] {
			t.Errorf("%s class %d counts %+v, want TP %d FP %d FN %d", name, j, c, w[0], w[1], w[2])
		}
	}
}
