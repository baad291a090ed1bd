package metrics

import (
	"fmt"
	"math"
)

// Threshold metrics (docs/method.md §6.3). Class j is predicted for image i when
//
//	p_ij > t_j            (strictly: the reference's `scores > pos_thr`;
//	                       at t = 0.5 on σ(s·logit) this is logit > 0)
//
// Per class j, over its non-ignored images: N^c_j correct positive
// predictions (TP), N^p_j predicted positives (TP+FP), N^g_j ground-truth
// positives (TP+FN). Standard definitions (ML-GCN, Q2L; what the paper
// cites):
//
//	CP = 1/C Σ_j N^c_j / N^p_j     OP = Σ_j N^c_j / Σ_j N^p_j
//	CR = 1/C Σ_j N^c_j / N^g_j     OR = Σ_j N^c_j / Σ_j N^g_j
//	CF1 = 2·CP·CR / (CP + CR)      OF1 = 2·OP·OR / (OP + OR)
//
// Every 0/0 is taken as 0 (scikit-learn's zero_division=0): a class never
// predicted has precision 0, a class without positives recall 0, and both
// still count among the C classes, as in mAP. OP/OR/OF1 are scikit-learn's
// micro averages; CP/CR are its macro precision and recall, but CF1 is the
// F1 of the two means, not the mean of per-class F1s.
//
// PerImage reproduces what the reference code actually reports as
// CP/CR/CF1: the same counts taken per image (a row loop), then
//
//	p_i = TP_i/(TP_i+FP_i), r_i = TP_i/(TP_i+FN_i), f_i = 2 p_i r_i/(p_i+r_i)
//	(each 0 when TP_i = 0),  CP = mean_i p_i, CR = mean_i r_i, CF1 = mean_i f_i
//
// averaged over all N images, an image without any positive or prediction
// counting 0 (scikit-learn's average="samples" with zero_division=0).
// OP/OR/OF1 are the same either way.
// One reference quirk is not reproduced: it counts an ignored (-1) target
// predicted negative as a false positive; here ignored entries count nowhere.

// Averaging selects how CP, CR and CF1 average.
type Averaging int

const (
	PerClass Averaging = iota // mean over classes (the standard definition)
	PerImage                  // mean over images (the reference code's numbers)
)

func (a Averaging) String() string {
	if a == PerImage {
		return "per image"
	}
	return "per class"
}

// Confusion holds the counts of one class (or one image) at a threshold.
type Confusion struct{ TP, FP, FN int }

// Precision is TP/(TP+FP), 0 when nothing is predicted.
func (c Confusion) Precision() float64 { return ratio(c.TP, c.TP+c.FP) }

// Recall is TP/(TP+FN), 0 without positives.
func (c Confusion) Recall() float64 { return ratio(c.TP, c.TP+c.FN) }

// F1 is 2PR/(P+R) = 2TP/(2TP+FP+FN), 0 when TP = 0.
func (c Confusion) F1() float64 { return ratio(2*c.TP, 2*c.TP+c.FP+c.FN) }

// Thresholded holds the threshold metrics (fractions in [0, 1]) and the
// per-class counts they came from.
type Thresholded struct {
	CP, CR, CF1 float64
	OP, OR, OF1 float64
	Averaging   Averaging
	PerClass    []Confusion // [C]
}

// Uniform returns c copies of t, e.g. Uniform(C, 0.5) for the fixed threshold.
func Uniform(c int, t float64) []float64 {
	out := make([]float64, c)
	for j := range out {
		out[j] = t
	}
	return out
}

// AtThresholds computes the threshold metrics of d with per-class
// thresholds t ([C]; Uniform(C, 0.5) for the fixed one). t may come from a
// file, so a wrong length or a NaN is an error.
func AtThresholds(d *Set, t []float64, avg Averaging) (Thresholded, error) {
	if len(t) != d.C {
		return Thresholded{}, fmt.Errorf("metrics: %d thresholds for %d classes", len(t), d.C)
	}
	for j, v := range t {
		if math.IsNaN(v) {
			return Thresholded{}, fmt.Errorf("metrics: threshold of class %d is NaN", j)
		}
	}
	r := Thresholded{Averaging: avg, PerClass: make([]Confusion, d.C)}
	var sumP, sumR, sumF float64 // per-image sums
	for i := range d.N {
		var img Confusion
		row := i * d.C
		for j := range d.C {
			y := d.Targets[row+j]
			if y < 0 {
				continue
			}
			pred := float64(d.Scores[row+j]) > t[j]
			c := &r.PerClass[j]
			switch {
			case pred && y == 1:
				c.TP++
				img.TP++
			case pred:
				c.FP++
				img.FP++
			case y == 1:
				c.FN++
				img.FN++
			}
		}
		if img.TP > 0 {
			p, rc := img.Precision(), img.Recall()
			sumP += p
			sumR += rc
			sumF += 2 * p * rc / (p + rc)
		}
	}
	var all Confusion
	for _, c := range r.PerClass {
		all.TP += c.TP
		all.FP += c.FP
		all.FN += c.FN
	}
	r.OP, r.OR = all.Precision(), all.Recall()
	r.OF1 = f1(r.OP, r.OR)
	switch avg {
	case PerImage:
		if d.N > 0 {
			r.CP, r.CR, r.CF1 = sumP/float64(d.N), sumR/float64(d.N), sumF/float64(d.N)
		}
	default:
		for _, c := range r.PerClass {
			r.CP += c.Precision()
			r.CR += c.Recall()
		}
		r.CP /= float64(d.C)
		r.CR /= float64(d.C)
		r.CF1 = f1(r.CP, r.CR)
	}
	return r, nil
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func f1(p, r float64) float64 {
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}
