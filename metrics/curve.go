package metrics

// Curve is the precision-recall curve of one class, laid out exactly as
// scikit-learn 1.2's precision_recall_curve returns it:
//
//	Thresholds [K]   the distinct scores, increasing
//	Precision  [K+1] Precision[k] = tp/(tp+fp) predicting score >= Thresholds[k]
//	Recall     [K+1] Recall[k]    = tp/P       likewise
//
// and a last point (Precision 1, Recall 0) with no threshold, so a plot
// reaches the precision axis. Every distinct score is a point (scikit-learn
// 1.3 added drop_intermediate; 1.2 keeps all, as here). Conventions kept
// from scikit-learn: precision is 0 where nothing is predicted positive
// (never happens at a real threshold); a class with no positives gets recall
// 1 at every threshold. A class whose entries are all ignored has no
// thresholds, only the last point.
type Curve struct {
	Precision  []float64
	Recall     []float64
	Thresholds []float32
	Positives  int // P: non-ignored positives
	Negatives  int // non-ignored negatives
}

// curveOf builds the Curve from the steps (which run from the highest score
// down, so the order is reversed here).
func curveOf(st *steps) Curve {
	k := len(st.thr)
	c := Curve{
		Precision:  make([]float64, k+1),
		Recall:     make([]float64, k+1),
		Thresholds: make([]float32, k),
		Positives:  st.positives(),
	}
	if k > 0 {
		c.Negatives = st.fp[k-1]
	}
	for s := range k {
		out := k - 1 - s
		tp, fp := st.tp[s], st.fp[s]
		c.Thresholds[out] = st.thr[s]
		if tp+fp > 0 {
			c.Precision[out] = float64(tp) / float64(tp+fp)
		}
		if c.Positives == 0 {
			c.Recall[out] = 1
		} else {
			c.Recall[out] = float64(tp) / float64(c.Positives)
		}
	}
	c.Precision[k], c.Recall[k] = 1, 0
	return c
}

// PRCurves returns the precision-recall curve of every class ([C]).
func PRCurves(d *Set) []Curve {
	out := make([]Curve, d.C)
	perClass(d, func(j int, col []entry, st *steps) { out[j] = curveOf(st) })
	return out
}

// AP is the tie-aware average precision read off the curve, as
// scikit-learn's average_precision_score does: −Σ_k (R_{k+1} − R_k)·P_k.
// It equals APs' value for the class (to rounding); 0 without positives.
func (c Curve) AP() float64 {
	if c.Positives == 0 {
		return 0
	}
	var ap float64
	for k := 0; k+1 < len(c.Recall); k++ {
		ap -= (c.Recall[k+1] - c.Recall[k]) * c.Precision[k]
	}
	return ap
}

// F1 returns 2PR/(P+R) at every point with a threshold ([K]), 0 where
// P+R = 0 (the reference gets NaN there and np.argmax then picks it).
func (c Curve) F1() []float64 {
	f := make([]float64, len(c.Thresholds))
	for k := range f {
		if s := c.Precision[k] + c.Recall[k]; s > 0 {
			f[k] = 2 * c.Precision[k] * c.Recall[k] / s
		}
	}
	return f
}
