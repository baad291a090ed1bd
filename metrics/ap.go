package metrics

import "github.com/seed477ab429/multilabel/ops"

// Average precision, tie-aware (the main metric) and ASL's ranked version.
//
// For one class with P positives, sort the non-ignored images by descending
// score. Tie-aware AP (scikit-learn's average_precision_score) integrates
// precision over recall as a step function, one step per DISTINCT score:
//
//	AP = Σ_k (R_k − R_{k−1}) · P_k,   R_k = tp_k / P,   P_k = tp_k / (tp_k + fp_k)
//
// where tp_k, fp_k count positives and negatives scoring >= the k-th distinct
// score (R_0 = 0). Images with equal scores enter together, so their order
// cannot matter. Without ties this equals ASL's helper (docs/method.md §6.2):
//
//	AP_ASL = 1/(P + 1e-8) · Σ_{i : y_(i) = 1} (#positives in the top i) / i
//
// which, with ties, credits each positive with the precision at its own
// position in an arbitrary order. A model emitting one constant score
// scores AP = prevalence tie-aware, but anything from prevalence up to 1
// under ASL's helper, depending on how the sort happened to order the tie.
//
// A class with no positives (or only ignored entries) has AP 0 in both, and
// counts in the mean: that is the reference's rule (so numbers stay
// comparable); APs reports how many such classes there were so callers can
// say so.

// apOf is tie-aware AP from the steps of one class; 0 without positives.
func apOf(st *steps) float64 {
	p := st.positives()
	if p == 0 {
		return 0
	}
	var ap float64
	prev := 0
	for k, tp := range st.tp {
		if tp == prev {
			continue // no recall gained at this step
		}
		ap += float64(tp-prev) / float64(p) * float64(tp) / float64(tp+st.fp[k])
		prev = tp
	}
	return ap
}

// rankedAPOf is ASL's helper on a sorted column (ties by descending image
// index, the order of numpy's argsort(kind="stable")[::-1]); 1e-8 kept as in
// the helper so old logs reproduce to the last digit.
func rankedAPOf(col []entry) float64 {
	var sum float64
	pos := 0
	for i, e := range col {
		if e.pos {
			pos++
			sum += float64(pos) / float64(i+1)
		}
	}
	return sum / (float64(pos) + 1e-8)
}

// APs returns the tie-aware average precision of every class ([C], each in
// [0, 1]) and the number of classes without a positive (their AP is 0).
func APs(d *Set) (ap []float64, noPositives int) {
	ap = make([]float64, d.C)
	pos := make([]int, d.C)
	perClass(d, func(j int, col []entry, st *steps) {
		ap[j] = apOf(st)
		pos[j] = st.positives()
	})
	for _, p := range pos {
		if p == 0 {
			noPositives++
		}
	}
	return ap, noPositives
}

// MAP is the mean of APs over all C classes, classes without positives
// counting as 0 (returned as noPositives). A fraction in [0, 1].
func MAP(d *Set) (mAP float64, noPositives int) {
	ap, np := APs(d)
	return mean(ap), np
}

// RankedAP returns, per class, the average precision as ASL's (and the
// reference's) helper computes it, ties ranked by descending image index.
// Only for comparing with numbers the reference printed; use APs.
func RankedAP(d *Set) []float64 {
	ap := make([]float64, d.C)
	perClass(d, func(j int, col []entry, st *steps) { ap[j] = rankedAPOf(col) })
	return ap
}

// perClass calls fn for every class j with its sorted column and its steps,
// classes spread over the worker pool. fn must only write to slot j of its
// outputs. Buffers are per chunk, so nothing is allocated per element.
func perClass(d *Set, fn func(j int, col []entry, st *steps)) {
	// A class costs about N log N; keep chunks above ~64k entries of work.
	grain := 1
	if d.N > 0 {
		grain = max(1, (1<<16)/d.N)
	}
	ops.Parallel(d.C, grain, func(lo, hi int) {
		keys := make([]uint64, 0, d.N)
		buf := make([]entry, 0, d.N)
		var st steps
		for j := lo; j < hi; j++ {
			keys, buf = d.column(j, keys, buf)
			st.build(buf)
			fn(j, buf, &st)
		}
	})
}

func mean(x []float64) float64 {
	if len(x) == 0 {
		return 0
	}
	var s float64
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}
