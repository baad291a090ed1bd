package metrics

import (
	"fmt"
	"strings"
)

// Options selects how Evaluate thresholds and averages.
type Options struct {
	// Thresholds per class ([C], applied as p > t); nil means the fixed
	// Threshold for every class.
	Thresholds []float64
	// Threshold is the fixed threshold when Thresholds is nil; 0 means 0.5
	// (for a threshold of exactly 0, pass Thresholds: Uniform(C, 0)).
	Threshold float64
	// Averaging of CP/CR/CF1: PerClass (standard) or PerImage (reference).
	Averaging Averaging
}

// Result is one evaluation in the paper's shape (all fractions in [0, 1];
// String prints percentages).
type Result struct {
	MAP         float64
	AP          []float64 // [C] tie-aware AP per class
	NoPositives int       // classes without a positive: AP 0, still averaged
	Thresholded
	N, C     int
	Adaptive bool    // per-class thresholds ("-adapt")
	Fixed    float64 // the fixed threshold when not Adaptive
}

// Evaluate computes mAP and the threshold metrics of d.
func Evaluate(d *Set, o Options) (Result, error) {
	r := Result{N: d.N, C: d.C}
	t := o.Thresholds
	if t == nil {
		r.Fixed = o.Threshold
		if r.Fixed == 0 {
			r.Fixed = 0.5
		}
		t = Uniform(d.C, r.Fixed)
	} else {
		r.Adaptive = true
	}
	th, err := AtThresholds(d, t, o.Averaging)
	if err != nil {
		return Result{}, err
	}
	r.Thresholded = th
	r.AP, r.NoPositives = APs(d)
	r.MAP = mean(r.AP)
	return r, nil
}

// String renders the result as the paper's table row, in percent:
//
//	  mAP     CP     CR    CF1     OP     OR    OF1
//	95.86  85.03  90.11  87.50  86.40  91.02  88.65
//	4952 images, 20 classes; threshold 0.5; CP/CR/CF1 per class
//
// plus a note when some classes had no positive.
func (r Result) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%6s %6s %6s %6s %6s %6s %6s\n", "mAP", "CP", "CR", "CF1", "OP", "OR", "OF1")
	fmt.Fprintf(&b, "%6.2f %6.2f %6.2f %6.2f %6.2f %6.2f %6.2f\n",
		100*r.MAP, 100*r.CP, 100*r.CR, 100*r.CF1, 100*r.OP, 100*r.OR, 100*r.OF1)
	thr := fmt.Sprintf("threshold %g", r.Fixed)
	if r.Adaptive {
		thr = "per-class thresholds (adapt)"
	}
	fmt.Fprintf(&b, "%d images, %d classes; %s; CP/CR/CF1 %s", r.N, r.C, thr, r.Averaging)
	if r.NoPositives > 0 {
		fmt.Fprintf(&b, "\nnote: %d of %d classes have no positive; their AP counts as 0 in mAP", r.NoPositives, r.C)
	}
	return b.String()
}

// PerClassTable renders AP, precision, recall and F1 (percent, at the
// result's thresholds) and the number of positives for each class, one line
// per class; names ([C]) label the lines, nil means class indices.
func (r Result) PerClassTable(names []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-16s %6s %6s %6s %6s %6s", "class", "AP", "P", "R", "F1", "pos")
	for j, c := range r.PerClass {
		name := fmt.Sprint(j)
		if j < len(names) {
			name = names[j]
		}
		fmt.Fprintf(&b, "\n%-16s %6.2f %6.2f %6.2f %6.2f %6d",
			name, 100*r.AP[j], 100*c.Precision(), 100*c.Recall(), 100*c.F1(), c.TP+c.FN)
	}
	return b.String()
}
