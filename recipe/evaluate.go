package recipe

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/seed477ab429/multilabel"
	"github.com/seed477ab429/multilabel/data"
	"github.com/seed477ab429/multilabel/metrics"
	"github.com/seed477ab429/multilabel/models"
	"github.com/seed477ab429/multilabel/train"
)

// EvalLoader is the loader a saved model is evaluated with: the test
// transform at the model's input size and normalisation, in data set order.
func EvalLoader(spec models.Spec, ds *data.Dataset, batch, workers int) (*data.Loader, error) {
	lc, err := loaderConfig(spec, batch, workers, 0, false, nil)
	if err != nil {
		return nil, err
	}
	return data.NewLoader(ds, lc)
}

// Score runs the model over every image of loader (eval mode, no
// gradients) and returns the scores σ(scale·output) with the targets.
// progress, if not nil, gets the number of images done after each batch.
func Score(ctx context.Context, m train.Model, scale float32, loader *data.Loader, progress func(done int)) (*metrics.Set, error) {
	scores, targets, n, c, err := train.Predict(ctx, m, loader, scale, progress)
	if err != nil {
		return nil, err
	}
	return metrics.New(n, c, scores, targets)
}

// Evaluate computes the paper's metrics of set at the fixed threshold 0.5
// and, when thresholds is not nil, with those per-class thresholds
// (tuned is nil otherwise).
func Evaluate(set *metrics.Set, thresholds []float64) (at05 metrics.Result, tuned *metrics.Result, err error) {
	if at05, err = metrics.Evaluate(set, metrics.Options{}); err != nil {
		return at05, nil, err
	}
	if thresholds == nil {
		return at05, nil, nil
	}
	r, err := metrics.Evaluate(set, metrics.Options{Thresholds: thresholds})
	if err != nil {
		return at05, nil, err
	}
	return at05, &r, nil
}

// Table renders the paper's table: mAP and the threshold metrics (percent)
// at 0.5 and, if tuned is not nil, with per-class thresholds.
//
//	                          mAP     CP     CR    CF1     OP     OR    OF1
//	threshold 0.5           93.10  88.02  86.91  87.46  89.40  88.37  88.88
//	per-class thresholds    93.10  87.60  89.72  88.65  88.51  90.66  89.57
func Table(at05 metrics.Result, tuned *metrics.Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-22s %6s %6s %6s %6s %6s %6s %6s\n", "", "mAP", "CP", "CR", "CF1", "OP", "OR", "OF1")
	row := func(name string, r metrics.Result) {
		fmt.Fprintf(&b, "%-22s %6.2f %6.2f %6.2f %6.2f %6.2f %6.2f %6.2f\n", name,
			100*r.MAP, 100*r.CP, 100*r.CR, 100*r.CF1, 100*r.OP, 100*r.OR, 100*r.OF1)
	}
	row("threshold 0.5", at05)
	if tuned != nil {
		row("per-class thresholds", *tuned)
	}
	if at05.NoPositives > 0 {
		fmt.Fprintf(&b, "note: %d of %d classes have no positive in this set; their AP counts as 0\n", at05.NoPositives, at05.C)
	}
	return b.String()
}

// PrintTable writes Table, a blank line and the per-class table (AP, and
// P/R/F1 at 0.5) to w.
func PrintTable(w io.Writer, at05 metrics.Result, tuned *metrics.Result, classes []string) {
	fmt.Fprintln(w, Table(at05, tuned))
	fmt.Fprintln(w, at05.PerClassTable(classes))
}

// WriteThresholds writes per-class thresholds to dir/thresholds.json as
// {"class": t}, the file multilabel.Load reads.
func WriteThresholds(dir string, classes []string, t []float64) error {
	m := map[string]float64{}
	for i, c := range classes {
		m[c] = t[i]
	}
	b, _ := json.MarshalIndent(m, "", "  ")
	path := filepath.Join(dir, multilabel.ThresholdsFile)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("recipe: %w", err)
	}
	return nil
}
