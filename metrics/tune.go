package metrics

import "math"

// Per-class threshold tuning (docs/method.md §6.4, the paper's "-adapt" columns).
//
// For each class j, on scores of the TRAINING set (the reference uses the
// augmented training loader; use the train set with test-time transforms),
// every distinct score is a candidate: predicting score >= s gives one point
// of the precision-recall curve, F1 = 2PR/(P+R) there. The best point wins;
// among equal F1 the lowest score, as np.argmax over scikit-learn's
// increasing thresholds picks.
//
// Where the threshold goes. The winner s* is a training score; the next lower
// distinct training score s⁻ is the first one left out. We store
//
//	t_j = (s* + s⁻) / 2   (just below s* when s* is the lowest score)
//
// so that the prediction rule `p > t_j` (AtThresholds) reproduces on the
// training set exactly the point whose F1 was maximised, and a new score
// falls on the nearer side of the gap. The reference stores s* itself and
// applies `>`, which drops the training images tied at s*.
//
// Classes without a training positive have F1 = 0 at every point (the
// reference's argmax then lands on the lowest score, predicting the class
// almost everywhere). Nothing can be learnt there, so such a class keeps the
// fallback threshold (normally the fixed 0.5) and is flagged. A class whose
// training images are all positive gets a threshold below its lowest score:
// predicting it everywhere is what the training data supports.

// Tuned holds per-class thresholds and how they were found.
type Tuned struct {
	T        []float64 // [C] apply as p > T[j]
	Score    []float32 // [C] the winning training score s* (NaN where Fallback)
	F1       []float64 // [C] training F1 at s* (0 where Fallback)
	Fallback []bool    // [C] no positive in training: T[j] is the fallback
}

// Fallbacks counts the classes that kept the fallback threshold.
func (t Tuned) Fallbacks() int {
	n := 0
	for _, f := range t.Fallback {
		if f {
			n++
		}
	}
	return n
}

// TuneThresholds picks, per class, the threshold maximising F1 on train.
// fallback is used for classes without a training positive.
func TuneThresholds(train *Set, fallback float64) Tuned {
	c := train.C
	r := Tuned{
		T:        make([]float64, c),
		Score:    make([]float32, c),
		F1:       make([]float64, c),
		Fallback: make([]bool, c),
	}
	perClass(train, func(j int, col []entry, st *steps) {
		p := st.positives()
		if p == 0 {
			r.T[j], r.Score[j], r.Fallback[j] = fallback, float32(math.NaN()), true
			return
		}
		// Steps run from the highest score down; scan them from the lowest
		// score up (scikit-learn's order) and keep the first maximum.
		best, bestF := -1, -1.0
		for k := len(st.thr) - 1; k >= 0; k-- {
			tp, fp := st.tp[k], st.fp[k]
			f := ratio(2*tp, tp+fp+p) // 2PR/(P+R) = 2TP/(TP+FP+P)
			if f > bestF {
				best, bestF = k, f
			}
		}
		s := float64(st.thr[best])
		t := math.Nextafter(s, math.Inf(-1))
		if best+1 < len(st.thr) {
			if m := s/2 + float64(st.thr[best+1])/2; m < s {
				t = m
			}
		}
		r.T[j], r.Score[j], r.F1[j] = t, st.thr[best], bestF
	})
	return r
}
