package metrics

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// Hand-computed examples, invariances and input errors.

func mustRows(t *testing.T, s [][]float32, y [][]int8) *Set {
	t.Helper()
	d, err := FromRows(s, y)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// One class as an N x 1 set.
func column1(t *testing.T, s []float32, y []int8) *Set {
	t.Helper()
	d, err := New(len(s), 1, s, y)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestAPByHand(t *testing.T) {
	// scikit-learn's docstring example: ranking 0.8(+) 0.4(-) 0.35(+) 0.1(-),
	// AP = 1/2·1 + 1/2·2/3 = 5/6.
	d := column1(t, []float32{0.1, 0.4, 0.35, 0.8}, []int8{0, 0, 1, 1})
	ap, _ := APs(d)
	close64(t, "AP", ap[0], 5.0/6, 1e-15)
	c := PRCurves(d)[0]
	if !slices.Equal(c.Thresholds, []float32{0.1, 0.35, 0.4, 0.8}) {
		t.Errorf("thresholds %v", c.Thresholds)
	}
	wantP := []float64{0.5, 2.0 / 3, 0.5, 1, 1}
	wantR := []float64{1, 1, 0.5, 0.5, 0}
	for k := range wantP {
		close64(t, "precision", c.Precision[k], wantP[k], 1e-15)
		close64(t, "recall", c.Recall[k], wantR[k], 1e-15)
	}

	// Ties: 0.9(-) then three images tied at 0.5 holding both positives.
	// Tie-aware: one step to recall 1 at precision 2/4, AP = 0.5.
	// ASL's helper, ties by descending index: - + + -, AP = (1/2 + 2/3)/2.
	d = column1(t, []float32{0.9, 0.5, 0.5, 0.5}, []int8{0, 0, 1, 1})
	ap, _ = APs(d)
	close64(t, "tied AP", ap[0], 0.5, 1e-15)
	close64(t, "tied ranked AP", RankedAP(d)[0], (0.5+2.0/3)/2/(1+0.5e-8), 1e-15)

	// Ignored entries leave the ranking: the ignored 0.95 would be a top
	// negative otherwise.
	d = column1(t, []float32{0.95, 0.9, 0.2}, []int8{-1, 1, 0})
	ap, np := APs(d)
	if ap[0] != 1 || np != 0 {
		t.Errorf("AP with ignored top entry %v (%d without positives), want 1", ap[0], np)
	}
}

func TestSignedZerosAndInfinitiesTie(t *testing.T) {
	// -0 and +0 are one score (one PR point); ±Inf sort at the ends.
	inf := float32(math.Inf(1))
	negZero := float32(math.Copysign(0, -1))
	d := column1(t, []float32{0, negZero, inf, -inf, 1, 0}, []int8{1, 0, 1, 0, 0, 1})
	c := PRCurves(d)[0]
	if want := []float32{-inf, 0, 1, inf}; !slices.Equal(c.Thresholds, want) {
		t.Fatalf("thresholds %v, want %v", c.Thresholds, want)
	}
	// Steps from the top: Inf(+) 1(-) {0,-0,0}(+,-,+) -Inf(-):
	// AP = 1/3·1 + 2/3·3/5.
	ap, _ := APs(d)
	close64(t, "AP", ap[0], 1.0/3+2.0/3*3/5, 1e-15)
	vals := []float32{-inf, -3, -1e-30, negZero, 0, 1e-30, 2, inf}
	for k := 1; k < len(vals); k++ {
		a, b := orderedBits(vals[k-1]), orderedBits(vals[k])
		if (vals[k-1] < vals[k]) != (a < b) || (vals[k-1] == vals[k]) != (a == b) {
			t.Errorf("orderedBits(%v) = %x, orderedBits(%v) = %x: order not kept", vals[k-1], a, vals[k], b)
		}
	}
}

// The hand example for the threshold family: 3 images x 3 classes.
//
//	scores          targets        predicted at 0.5 (p > 0.5)
//	0.9 0.6 0.1     1  0  0        1 1 0
//	0.2 0.7 0.8     1  1 -1        0 1 (ignored)
//	0.4 0.3 0.5     0  1  1        0 0 0      (0.5 is not > 0.5)
//
// class 0: TP 1 FP 0 FN 1 -> P 1,   R 1/2
// class 1: TP 1 FP 1 FN 1 -> P 1/2, R 1/2
// class 2: TP 0 FP 0 FN 1 -> P 0,   R 0
// CP = 1/2, CR = 1/3, CF1 = 2/5; OP = 2/3, OR = 2/5, OF1 = 1/2.
// Per image: (P 1/2, R 1, F 2/3), (1, 1/2, 2/3), (0, 0, 0):
// CP = 1/2, CR = 1/2, CF1 = 4/9.
func handSet(t *testing.T) *Set {
	return mustRows(t,
		[][]float32{{0.9, 0.6, 0.1}, {0.2, 0.7, 0.8}, {0.4, 0.3, 0.5}},
		[][]int8{{1, 0, 0}, {1, 1, -1}, {0, 1, 1}})
}

func TestThresholdMetricsByHand(t *testing.T) {
	d := handSet(t)
	r, err := AtThresholds(d, Uniform(3, 0.5), PerClass)
	if err != nil {
		t.Fatal(err)
	}
	const tol = 1e-15
	close64(t, "CP", r.CP, 0.5, tol)
	close64(t, "CR", r.CR, 1.0/3, tol)
	close64(t, "CF1", r.CF1, 0.4, tol)
	close64(t, "OP", r.OP, 2.0/3, tol)
	close64(t, "OR", r.OR, 0.4, tol)
	close64(t, "OF1", r.OF1, 0.5, tol)
	if want := []Confusion{{1, 0, 1}, {1, 1, 1}, {0, 0, 1}}; !slices.Equal(r.PerClass, want) {
		t.Errorf("counts %v, want %v", r.PerClass, want)
	}

	pi, err := AtThresholds(d, Uniform(3, 0.5), PerImage)
	if err != nil {
		t.Fatal(err)
	}
	close64(t, "per-image CP", pi.CP, 0.5, tol)
	close64(t, "per-image CR", pi.CR, 0.5, tol)
	close64(t, "per-image CF1", pi.CF1, 4.0/9, tol)
	close64(t, "per-image OF1", pi.OF1, 0.5, tol)

	// Per-class thresholds 0.95, 0.65, 0.45: class 0 never predicted
	// (TP 0 FP 0 FN 2), class 1 only image 1 (TP 1 FN 1), class 2 image 2
	// (TP 1). CP = (0+1+1)/3, CR = (0+1/2+1)/3, OP = 1, OR = 2/5.
	r, err = AtThresholds(d, []float64{0.95, 0.65, 0.45}, PerClass)
	if err != nil {
		t.Fatal(err)
	}
	close64(t, "adapt CP", r.CP, 2.0/3, tol)
	close64(t, "adapt CR", r.CR, 0.5, tol)
	close64(t, "adapt CF1", r.CF1, 4.0/7, tol)
	close64(t, "adapt OP", r.OP, 1, tol)
	close64(t, "adapt OR", r.OR, 0.4, tol)
	close64(t, "adapt OF1", r.OF1, 4.0/7, tol)
}

func TestTuneByHand(t *testing.T) {
	// Class 0: scores 0.9(+) 0.8(-) 0.7(+) 0.2(-). Points (predict >= s):
	// 0.9: F1 2/3; 0.8: 1/2; 0.7: 4/5; 0.2: 2/3. Best 0.7, next lower 0.2,
	// so T = 0.45. Class 1 has no positive: fallback 0.5.
	// Class 2 is all positive: best is the lowest score, T just below it.
	d := mustRows(t,
		[][]float32{{0.9, 0.1, 0.3}, {0.8, 0.2, 0.4}, {0.7, 0.3, 0.5}, {0.2, 0.4, 0.6}},
		[][]int8{{1, 0, 1}, {0, 0, 1}, {1, 0, 1}, {0, 0, 1}})
	tu := TuneThresholds(d, 0.5)
	if tu.Score[0] != 0.7 || math.Abs(tu.T[0]-(float64(float32(0.7))+float64(float32(0.2)))/2) > 1e-16 {
		t.Errorf("class 0: score %v T %v, want 0.7 and 0.45", tu.Score[0], tu.T[0])
	}
	close64(t, "class 0 F1", tu.F1[0], 0.8, 1e-15)
	if !tu.Fallback[1] || tu.T[1] != 0.5 {
		t.Errorf("class 1: fallback %v T %v, want fallback at 0.5", tu.Fallback[1], tu.T[1])
	}
	if lo := float64(float32(0.3)); !(tu.T[2] < lo) || tu.T[2] != math.Nextafter(lo, -1) || tu.F1[2] != 1 {
		t.Errorf("class 2: T %v F1 %v, want just below 0.3 and F1 1", tu.T[2], tu.F1[2])
	}

	// An F1 tie: 0.9(+) 0.8(-) 0.7(-) 0.6(+) gives F1 2/3 at 0.9 and at 0.6
	// (1/2 and 2/5 between). The lowest score wins, as np.argmax over
	// scikit-learn's increasing thresholds picks; T is below 0.6.
	tu = TuneThresholds(column1(t, []float32{0.9, 0.8, 0.7, 0.6}, []int8{1, 0, 0, 1}), 0.5)
	if tu.Score[0] != 0.6 || !(tu.T[0] < float64(float32(0.6))) {
		t.Errorf("F1 tie: score %v T %v, want 0.6 and below it", tu.Score[0], tu.T[0])
	}
	close64(t, "tied F1", tu.F1[0], 2.0/3, 1e-15)
}

// permuteRows returns d with its images in the order perm.
func permuteRows(d *Set, perm []int) *Set {
	s := make([]float32, 0, len(d.Scores))
	y := make([]int8, 0, len(d.Targets))
	for _, i := range perm {
		s = append(s, d.Scores[i*d.C:(i+1)*d.C]...)
		y = append(y, d.Targets[i*d.C:(i+1)*d.C]...)
	}
	return &Set{N: d.N, C: d.C, Scores: s, Targets: y}
}

func TestPermutingImagesKeepsMetrics(t *testing.T) {
	f := loadFixture(t)
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range f.Cases {
		d := c.set(t)
		ap, _ := APs(d)
		th, _ := AtThresholds(d, Uniform(d.C, 0.5), PerClass)
		ranked := RankedAP(d)
		rankedMoved := false
		for range 5 {
			p := permuteRows(d, rng.Perm(d.N))
			ap2, _ := APs(p)
			if !slices.Equal(ap, ap2) { // bit for bit: AP only depends on counts
				t.Fatalf("%s: AP changed when images were permuted: %v vs %v", c.Name, ap, ap2)
			}
			th2, _ := AtThresholds(p, Uniform(d.C, 0.5), PerClass)
			if th.CP != th2.CP || th.CR != th2.CR || th.OP != th2.OP || th.OR != th2.OR {
				t.Fatalf("%s: threshold metrics changed under permutation", c.Name)
			}
			for j, r := range RankedAP(p) {
				if math.Abs(r-ranked[j]) > 0.05 {
					rankedMoved = true
				}
			}
		}
		// The reason for tie-aware AP: ASL's helper moves with the order.
		if c.Name == "near_constant" && !rankedMoved {
			t.Errorf("near_constant: ASL's ranked AP did not depend on the image order; the test data lost its ties")
		}
	}
}

func TestEmptySet(t *testing.T) {
	d, err := New(0, 3, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	m, np := MAP(d)
	if m != 0 || np != 3 {
		t.Errorf("empty set: mAP %v, %d without positives; want 0 and 3", m, np)
	}
	for _, c := range PRCurves(d) {
		if len(c.Thresholds) != 0 || len(c.Precision) != 1 {
			t.Errorf("empty set curve %+v", c)
		}
	}
	r, err := Evaluate(d, Options{})
	if err != nil || r.CP != 0 || r.OF1 != 0 {
		t.Errorf("empty set evaluate: %+v, %v", r, err)
	}
}

func TestInputErrors(t *testing.T) {
	nan := float32(math.NaN())
	cases := []struct {
		name string
		err  func() error
		want string
	}{
		{"short scores", func() error { _, err := New(2, 2, make([]float32, 3), make([]int8, 4)); return err }, "3 scores"},
		{"short targets", func() error { _, err := New(2, 2, make([]float32, 4), make([]int8, 3)); return err }, "3 targets"},
		{"NaN score", func() error { _, err := New(1, 2, []float32{0, nan}, []int8{0, 0}); return err }, "image 0, class 1 is NaN"},
		{"target 2", func() error { _, err := New(1, 2, []float32{0, 0}, []int8{2, 0}); return err }, "is 2"},
		{"soft target", func() error { _, err := NewFloat(1, 2, []float32{0, 0}, []float32{1, 0.9}); return err }, "is 0.9"},
		{"ragged rows", func() error {
			_, err := FromRows([][]float32{{0, 1}, {0}}, [][]int8{{0, 1}, {0}})
			return err
		}, "row 1"},
		{"thresholds", func() error { _, err := AtThresholds(handSet(t), []float64{0.5}, PerClass); return err }, "1 thresholds for 3"},
		{"NaN threshold", func() error {
			_, err := Evaluate(handSet(t), Options{Thresholds: []float64{0.5, math.NaN(), 0.5}})
			return err
		}, "class 1 is NaN"},
	}
	for _, c := range cases {
		err := c.err()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
	d, err := NewFloat(1, 3, []float32{0.1, 0.2, 0.3}, []float32{1, 0, -1})
	if err != nil || !slices.Equal(d.Targets, []int8{1, 0, -1}) {
		t.Errorf("NewFloat: %v %v", d, err)
	}
}

func TestSigmoid(t *testing.T) {
	x := []float32{0, 1, -1, 100, -100, 0.05}
	p := make([]float32, len(x))
	Sigmoid(p, x, 17)
	for k, v := range x {
		want := 1 / (1 + math.Exp(-17*float64(v)))
		if math.Abs(float64(p[k])-want) > 1e-7 || math.IsNaN(float64(p[k])) {
			t.Errorf("σ(17·%v) = %v, want %v", v, p[k], want)
		}
	}
	if p[0] != 0.5 || p[3] != 1 || p[4] != 0 {
		t.Errorf("σ at 0, ±100·17: %v %v %v", p[0], p[3], p[4])
	}
}

func TestResultString(t *testing.T) {
	d := mustRows(t, [][]float32{{0.9, 0.2}, {0.1, 0.3}}, [][]int8{{1, 0}, {0, 0}})
	r, err := Evaluate(d, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Class 0 ranks its positive first (AP 1), class 1 has none (AP 0).
	s := r.String()
	for _, want := range []string{"mAP", "OF1", " 50.00", "2 images, 2 classes; threshold 0.5; CP/CR/CF1 per class",
		"1 of 2 classes have no positive"} {
		if !strings.Contains(s, want) {
			t.Errorf("String() lacks %q:\n%s", want, s)
		}
	}
	tab := r.PerClassTable([]string{"cat", "dog"})
	for _, want := range []string{"cat              100.00 100.00 100.00 100.00      1", "dog                0.00   0.00   0.00   0.00      0"} {
		if !strings.Contains(tab, want) {
			t.Errorf("PerClassTable lacks %q:\n%s", want, tab)
		}
	}
	r, _ = Evaluate(d, Options{Thresholds: []float64{0.5, 0.5}, Averaging: PerImage})
	if s := r.String(); !strings.Contains(s, "per-class thresholds (adapt); CP/CR/CF1 per image") {
		t.Errorf("adaptive String():\n%s", s)
	}
}
