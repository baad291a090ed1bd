package train

import (
	"fmt"
	"image/color"
	"math"

	"github.com/seed477ab429/multilabel/internal/chart"
	"github.com/seed477ab429/multilabel/metrics"
)

// Pictures of a run, drawn with internal/chart and written atomically.

// lineWidth is the width of the curves, in pixels.
const lineWidth = 2

// line is a curve of the points (x[i], y[i]) in colour c.
func line(x, y []float64, c color.RGBA) chart.Series {
	return chart.Series{X: x, Y: y, Color: c, Width: lineWidth}
}

// PlotCurves writes a PNG with three panels: training loss, learning rate
// (per logged step) and validation mAP of the raw and EMA models per
// epoch.
func PlotCurves(path string, history []EpochStats, steps []StepStats) error {
	var ex, loss, mx, raw, ex2, ema []float64
	for _, e := range history {
		ex, loss = append(ex, float64(e.Epoch)), append(loss, e.TrainLoss)
		if e.MAP >= 0 {
			mx, raw = append(mx, float64(e.Epoch)), append(raw, 100*e.MAP)
		}
		if e.MAPEMA >= 0 {
			ex2, ema = append(ex2, float64(e.Epoch)), append(ema, 100*e.MAPEMA)
		}
	}
	var sx, lr []float64
	for _, s := range steps {
		sx, lr = append(sx, float64(s.Step)), append(lr, s.LR)
	}
	mp := &chart.Panel{Title: "validation mAP (%)", X: chart.Axis{Label: "epoch"},
		Series: []chart.Series{line(mx, raw, chart.Blue), line(ex2, ema, chart.Green)}}
	if len(raw) > 0 {
		mp.Legend = append(mp.Legend, chart.LegendEntry{Label: "raw", Color: chart.Blue, Width: lineWidth})
	}
	if len(ema) > 0 {
		mp.Legend = append(mp.Legend, chart.LegendEntry{Label: "EMA", Color: chart.Green, Width: lineWidth})
	}
	f := &chart.Figure{Width: 1440, Height: 384, Rows: 1, Cols: 3, Panels: []*chart.Panel{
		{Title: "training loss", X: chart.Axis{Label: "epoch"}, Series: []chart.Series{line(ex, loss, chart.Blue)}},
		{Title: "learning rate", X: chart.Axis{Label: "step"}, Series: []chart.Series{line(sx, lr, chart.Orange)}},
		mp,
	}}
	return save(path, f)
}

// PlotPR writes a PNG with one precision-recall panel per class, titled
// with the class name and its AP, five to a row.
func PlotPR(path string, curves []metrics.Curve, names []string) error {
	const cols = 5
	rows := max(1, (len(curves)+cols-1)/cols)
	f := &chart.Figure{Width: cols * 288, Height: rows * 250, Rows: rows, Cols: cols}
	for i, c := range curves {
		name := fmt.Sprint(i)
		if i < len(names) {
			name = names[i]
		}
		var r, p []float64
		for k := range c.Precision {
			if !math.IsNaN(c.Precision[k]) {
				r, p = append(r, c.Recall[k]), append(p, c.Precision[k])
			}
		}
		f.Panels = append(f.Panels, &chart.Panel{
			Title:  fmt.Sprintf("%s  AP %.1f", name, 100*c.AP()),
			X:      chart.Axis{Label: "recall", Fixed: true, Min: 0, Max: 1},
			Y:      chart.Axis{Label: "precision", Fixed: true, Min: 0, Max: 1.02},
			Series: []chart.Series{line(r, p, chart.Blue)},
		})
	}
	return save(path, f)
}

// save renders the figure and writes it to path atomically.
func save(path string, f *chart.Figure) error {
	img, err := f.Render()
	if err != nil {
		return fmt.Errorf("plot %s: %w", path, err)
	}
	return chart.WritePNG(path, img)
}
