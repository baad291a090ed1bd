package train

import (
	"fmt"
	"math"

	"github.com/seed477ab429/multilabel/internal/chart"
)

// lrAxis is the learning-rate axis of the search pictures: log scale.
var lrAxis = chart.Axis{Label: "learning rate", Scale: chart.Log}

// markAt adds to p a dashed red vertical line at x over [ylo, yhi] and a
// dot at (x, y), with a legend entry showing both.
func markAt(p *chart.Panel, x, y, ylo, yhi float64, label string) {
	dash := []float64{5, 4}
	p.Series = append(p.Series,
		chart.Series{X: []float64{x, x}, Y: []float64{ylo, yhi}, Color: chart.Red, Width: lineWidth, Dash: dash},
		chart.Series{X: []float64{x}, Y: []float64{y}, Color: chart.Red, Marker: 5})
	p.Legend = append(p.Legend, chart.LegendEntry{Label: label, Color: chart.Red, Width: lineWidth, Dash: dash, Marker: 5})
}

// Plot writes the range test as a PNG: raw and smoothed loss against the
// learning rate (log scale), the suggestion marked.
func (r *RangeResult) Plot(path string) error {
	if len(r.LRs) == 0 {
		return fmt.Errorf("plot %s: the range test recorded no points", path)
	}
	at := 0 // the smoothed minimum
	for i := range r.LRs {
		if r.Smoothed[i] < r.Smoothed[at] {
			at = i
		}
	}
	// The y axis shows the descent: from the lowest loss to a little above
	// the highest one before the smoothed minimum. The blow-up after it
	// would squash the part that matters; it is clipped.
	lo, hi := math.Inf(1), math.Inf(-1)
	for i := range r.LRs {
		lo = min(lo, r.Losses[i], r.Smoothed[i])
		if i <= at {
			hi = max(hi, r.Losses[i], r.Smoothed[i])
		}
	}
	if hi-lo < 1e-12 {
		hi = lo + 1e-3*max(1, math.Abs(lo))
	}
	ylo, yhi := lo-0.05*(hi-lo), hi+0.25*(hi-lo)
	p := &chart.Panel{
		Title:      "learning-rate range test",
		X:          lrAxis,
		Y:          chart.Axis{Label: "loss", Fixed: true, Min: ylo, Max: yhi},
		LegendLeft: true,
		Series: []chart.Series{
			line(r.LRs, clipY(r.Losses, ylo, yhi), chart.LightBlue),
			line(r.LRs, clipY(r.Smoothed, ylo, yhi), chart.Blue),
		},
		Legend: []chart.LegendEntry{
			{Label: "batch loss", Color: chart.LightBlue, Width: lineWidth},
			{Label: "smoothed", Color: chart.Blue, Width: lineWidth},
		},
	}
	if r.SuggestIndex >= 0 {
		markAt(p, r.Suggestion, r.Smoothed[r.SuggestIndex], ylo, yhi, fmt.Sprintf("suggested %.2e", r.Suggestion))
	}
	return save(path, &chart.Figure{Width: 672, Height: 432, Rows: 1, Cols: 1, Panels: []*chart.Panel{p}})
}

// clipY clamps the values into [lo, hi].
func clipY(ys []float64, lo, hi float64) []float64 {
	out := make([]float64, len(ys))
	for i, y := range ys {
		out[i] = math.Min(math.Max(y, lo), hi)
	}
	return out
}

// Plot writes the grid search as a PNG: each trial's final mAP against
// its learning rate (log scale), the best marked; diverged trials are
// left out.
func (g *GridResult) Plot(path string) error {
	var xs, ys []float64
	for _, t := range g.Trials {
		if !t.Diverged && !math.IsNaN(t.Final) {
			xs, ys = append(xs, t.LR), append(ys, 100*t.Final)
		}
	}
	if len(xs) == 0 {
		return fmt.Errorf("plot %s: no finished trial", path)
	}
	pts := line(xs, ys, chart.Blue)
	pts.Marker = 4
	p := &chart.Panel{
		Title:  "learning-rate search",
		X:      lrAxis,
		Y:      chart.Axis{Label: "final mAP (%)"},
		Series: []chart.Series{pts},
	}
	if g.BestIndex >= 0 {
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, y := range ys {
			lo, hi = min(lo, y), max(hi, y)
		}
		markAt(p, g.Best, 100*g.BestMAP, lo, hi, fmt.Sprintf("best %.2e", g.Best))
	}
	return save(path, &chart.Figure{Width: 672, Height: 432, Rows: 1, Cols: 1, Panels: []*chart.Panel{p}})
}
