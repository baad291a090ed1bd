package metrics

import (
	"math"
	"testing"
)

// Checks against scikit-learn on the committed fixtures.

func TestAPMatchesSklearn(t *testing.T) {
	f := loadFixture(t)
	for _, c := range f.Cases {
		d := c.set(t)
		ap, noPos := APs(d)
		wantNoPos := 0
		for j := range c.C {
			want := 0.0
			if c.AP[j] != nil {
				want = *c.AP[j]
			}
			if c.Positives[j] == 0 {
				wantNoPos++
			}
			close64(t, c.Name+" AP", ap[j], want, 1e-12)
		}
		if noPos != wantNoPos {
			t.Errorf("%s: %d classes without positives, want %d", c.Name, noPos, wantNoPos)
		}
		m, _ := MAP(d)
		close64(t, c.Name+" mAP", m, c.MAP, 1e-12)
	}
}

func TestRankedAPMatchesASLHelper(t *testing.T) {
	f := loadFixture(t)
	for _, c := range f.Cases {
		d := c.set(t)
		got := RankedAP(d)
		for j := range c.C {
			close64(t, c.Name+" ranked AP", got[j], c.ASLAP[j], 1e-12)
		}
		if c.Name == "near_constant" {
			m, _ := MAP(d)
			if r := mean(got); r-m < 0.3 {
				t.Errorf("near-constant scores: ASL helper %.4f vs tie-aware %.4f; the fixture should show the gap", r, m)
			}
		}
	}
}

func TestPRCurveMatchesSklearn(t *testing.T) {
	f := loadFixture(t)
	for _, c := range f.Cases {
		d := c.set(t)
		ap, _ := APs(d)
		for j, got := range PRCurves(d) {
			want := c.Curves[j]
			if want == nil { // every entry ignored: only the end point
				if len(got.Thresholds) != 0 || len(got.Precision) != 1 || got.Precision[0] != 1 || got.Recall[0] != 0 {
					t.Errorf("%s class %d: all ignored, curve %+v, want only (P 1, R 0)", c.Name, j, got)
				}
				continue
			}
			if len(got.Thresholds) != len(want.Thresholds) || len(got.Precision) != len(want.Precision) || len(got.Recall) != len(want.Recall) {
				t.Fatalf("%s class %d: curve lengths %d/%d/%d, want %d/%d/%d", c.Name, j,
					len(got.Precision), len(got.Recall), len(got.Thresholds), len(want.Precision), len(want.Recall), len(want.Thresholds))
			}
			for k := range got.Thresholds {
				if got.Thresholds[k] != want.Thresholds[k] {
					t.Fatalf("%s class %d: threshold %d = %v, want %v", c.Name, j, k, got.Thresholds[k], want.Thresholds[k])
				}
			}
			for k := range got.Precision {
				close64(t, c.Name+" precision", got.Precision[k], want.Precision[k], 1e-12)
				close64(t, c.Name+" recall", got.Recall[k], want.Recall[k], 1e-12)
			}
			if got.Positives != c.Positives[j] {
				t.Errorf("%s class %d: %d positives, want %d", c.Name, j, got.Positives, c.Positives[j])
			}
			close64(t, c.Name+" curve AP vs APs", got.AP(), ap[j], 1e-12)
		}
	}
}

func TestThresholdMetricsMatchSklearn(t *testing.T) {
	f := loadFixture(t)
	for _, c := range f.Cases {
		checkThreshold(t, c.Name, c.set(t), Uniform(c.C, 0.5), c.AtHalf)
	}
}

func TestTuneThresholdsMatchesSklearn(t *testing.T) {
	f := loadFixture(t)
	ft := f.Tune
	train, val := ft.Train.set(t), ft.Val.set(t)
	got := TuneThresholds(train, 0.5)
	for j := range train.C {
		if got.Fallback[j] != ft.Fallback[j] {
			t.Fatalf("class %d: fallback %v, want %v", j, got.Fallback[j], ft.Fallback[j])
		}
		if got.Fallback[j] {
			if got.T[j] != 0.5 || !math.IsNaN(float64(got.Score[j])) || got.F1[j] != 0 {
				t.Errorf("class %d: fallback class got T %v score %v F1 %v", j, got.T[j], got.Score[j], got.F1[j])
			}
			continue
		}
		if got.Score[j] != *ft.Score[j] {
			t.Errorf("class %d: winning score %v, want %v", j, got.Score[j], *ft.Score[j])
		}
		close64(t, "training F1", got.F1[j], ft.F1[j], 1e-12)
		if got.T[j] != ft.Thresholds[j] {
			t.Errorf("class %d: threshold %.17g, want %.17g", j, got.T[j], ft.Thresholds[j])
		}
	}
	if got.Fallbacks() != 1 {
		t.Errorf("%d fallbacks, want 1 (class 5 has no training positive)", got.Fallbacks())
	}
	// Applying the thresholds to the training set gives back the maximised F1.
	tr, err := AtThresholds(train, got.T, PerClass)
	if err != nil {
		t.Fatal(err)
	}
	for j, c := range tr.PerClass {
		if !got.Fallback[j] {
			close64(t, "train F1 at tuned threshold", c.F1(), got.F1[j], 1e-12)
		}
	}
	checkThreshold(t, "tuned on val", val, got.T, ft.ValMetrics)
}
