package metrics

import (
	"fmt"
	"math"
	"slices"
)

// Set is an evaluation set: N images x C classes of scores with their
// targets, both row-major (entry (i, j) at i*C + j).
//
//	Scores  [N*C] float32: probabilities σ(s·logit) for the threshold metrics;
//	        any monotone score works for mAP and the curves.
//	Targets [N*C] int8: 1 positive, 0 negative, < 0 ignored (the loss's
//	        rule: any entry < 0 is "ignore", e.g. VOC's difficult objects).
//
// A Set is read-only once built; build it with New, NewFloat or FromRows,
// which reject malformed input with an error instead of a panic.
type Set struct {
	N, C    int
	Scores  []float32
	Targets []int8
}

// New checks and wraps flat scores and targets of n images x c classes.
// The slices are not copied. Errors name the first bad entry.
func New(n, c int, scores []float32, targets []int8) (*Set, error) {
	if n < 0 || c <= 0 {
		return nil, fmt.Errorf("metrics: bad size %d images x %d classes", n, c)
	}
	if n >= 1<<31 {
		return nil, fmt.Errorf("metrics: %d images, at most 2^31-1 supported", n)
	}
	if len(scores) != n*c {
		return nil, fmt.Errorf("metrics: %d scores for %d images x %d classes, want %d", len(scores), n, c, n*c)
	}
	if len(targets) != n*c {
		return nil, fmt.Errorf("metrics: %d targets for %d images x %d classes, want %d", len(targets), n, c, n*c)
	}
	for k, s := range scores {
		if math.IsNaN(float64(s)) {
			return nil, fmt.Errorf("metrics: score of image %d, class %d is NaN", k/c, k%c)
		}
	}
	for k, y := range targets {
		if y > 1 {
			return nil, fmt.Errorf("metrics: target of image %d, class %d is %d, want 1, 0 or -1 (ignore)", k/c, k%c, y)
		}
	}
	return &Set{N: n, C: c, Scores: scores, Targets: targets}, nil
}

// NewFloat is New for float targets as the data loaders produce them:
// exactly 1 or 0, or negative for ignored. Anything else (a smoothed 0.9, a
// NaN) is an error, since evaluation needs hard labels.
func NewFloat(n, c int, scores, targets []float32) (*Set, error) {
	if len(targets) != n*c {
		return nil, fmt.Errorf("metrics: %d targets for %d images x %d classes, want %d", len(targets), n, c, n*c)
	}
	t := make([]int8, len(targets))
	for k, y := range targets {
		switch {
		case y == 1:
			t[k] = 1
		case y == 0:
			t[k] = 0
		case y < 0:
			t[k] = -1
		default:
			return nil, fmt.Errorf("metrics: target of image %d, class %d is %v, want 1, 0 or negative (ignore)", k/max(c, 1), k%max(c, 1), y)
		}
	}
	return New(n, c, scores, t)
}

// FromRows builds a Set from per-image rows ([N][C]); it copies.
func FromRows(scores [][]float32, targets [][]int8) (*Set, error) {
	n := len(scores)
	if len(targets) != n {
		return nil, fmt.Errorf("metrics: %d score rows but %d target rows", n, len(targets))
	}
	if n == 0 {
		return nil, fmt.Errorf("metrics: no rows, so the number of classes is unknown")
	}
	c := len(scores[0])
	s := make([]float32, 0, n*c)
	t := make([]int8, 0, n*c)
	for i := range n {
		if len(scores[i]) != c || len(targets[i]) != c {
			return nil, fmt.Errorf("metrics: row %d has %d scores and %d targets, want %d", i, len(scores[i]), len(targets[i]), c)
		}
		s = append(s, scores[i]...)
		t = append(t, targets[i]...)
	}
	return New(n, c, s, t)
}

// Sigmoid writes dst[k] = σ(scale·logits[k]) = 1/(1+exp(-scale·x)), the
// reference's evaluation score (docs/method.md §6.1: AM models multiply the cosine
// logits by s before the sigmoid). Computed in float64 so large |s·x| cannot
// overflow; dst and logits may be the same slice.
func Sigmoid(dst, logits []float32, scale float32) {
	if len(dst) != len(logits) {
		panic(fmt.Sprintf("metrics.Sigmoid: dst has %d values, logits %d", len(dst), len(logits)))
	}
	for k, x := range logits {
		z := float64(scale) * float64(x)
		if z >= 0 {
			dst[k] = float32(1 / (1 + math.Exp(-z)))
		} else {
			e := math.Exp(z)
			dst[k] = float32(e / (1 + e))
		}
	}
}

// entry is one non-ignored (image, class) pair of a class column.
type entry struct {
	s   float32 // score
	i   int32   // image index
	pos bool    // target is 1
}

// column gathers the non-ignored entries of class j into buf (reused) and
// sorts them by descending score. Ties are broken by descending image index:
// the tie-aware metrics do not depend on it, and RankedAP gets the order
// numpy's stable argsort()[::-1] gives, so its value is reproducible.
//
// The sort runs on one uint64 key per entry, (ordered score bits << 32 |
// image index), complemented so that ascending keys mean descending
// (score, index): a plain slices.Sort, no comparison callback per element.
func (d *Set) column(j int, keys []uint64, buf []entry) ([]uint64, []entry) {
	keys = keys[:0]
	for i := range d.N {
		if d.Targets[i*d.C+j] < 0 {
			continue
		}
		keys = append(keys, ^(uint64(orderedBits(d.Scores[i*d.C+j]))<<32 | uint64(i)))
	}
	slices.Sort(keys)
	buf = buf[:0]
	for _, k := range keys {
		i := int(uint32(^k))
		buf = append(buf, entry{s: d.Scores[i*d.C+j], i: int32(i), pos: d.Targets[i*d.C+j] == 1})
	}
	return keys, buf
}

// orderedBits maps a float32 to a uint32 with the same order (NaN excluded):
// negative floats have their bits flipped, positive ones the sign bit set.
// -0 is folded onto +0 so the two tie as they compare equal.
func orderedBits(f float32) uint32 {
	if f == 0 {
		f = 0
	}
	b := math.Float32bits(f)
	if b>>31 == 1 {
		return ^b
	}
	return b | 1<<31
}

// steps is the tie-aware ranking of one class: walking the sorted column
// from the highest score down, step k ends after the last entry whose score
// equals thr[k] (one step per distinct score, thr strictly decreasing).
// tp[k], fp[k] count the positives and negatives with score >= thr[k], i.e.
// the confusion counts when everything at or above thr[k] is predicted
// positive. This is scikit-learn's _binary_clf_curve.
type steps struct {
	thr    []float32
	tp, fp []int
}

func (st *steps) build(col []entry) {
	st.thr, st.tp, st.fp = st.thr[:0], st.tp[:0], st.fp[:0]
	tp, fp := 0, 0
	for k, e := range col {
		if e.pos {
			tp++
		} else {
			fp++
		}
		if k+1 == len(col) || col[k+1].s != e.s {
			st.thr = append(st.thr, e.s)
			st.tp = append(st.tp, tp)
			st.fp = append(st.fp, fp)
		}
	}
}

// positives is the number of positives of the class (tp at the last step).
func (st *steps) positives() int {
	if len(st.tp) == 0 {
		return 0
	}
	return st.tp[len(st.tp)-1]
}
