package train

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

var (
	lightBlue = color.RGBA{174, 199, 232, 255}
	red       = color.RGBA{214, 39, 40, 255}
)

// logLR puts the x axis of p in log scale, labelled "learning rate".
func logLR(p *plot.Plot) {
	p.X.Label.Text = "learning rate"
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = plot.LogTicks{Prec: 1} // Prec -1 prints 10^-5 as 9.999999999999999e-06
}

// markAt draws a red vertical line at x over [ylo, yhi] and a dot at
// (x, y), with a legend entry.
func markAt(p *plot.Plot, x, y, ylo, yhi float64, label string) error {
	line, err := plotter.NewLine(plotter.XYs{{X: x, Y: ylo}, {X: x, Y: yhi}})
	if err != nil {
		return err
	}
	line.Color = red
	line.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	dot, err := plotter.NewScatter(plotter.XYs{{X: x, Y: y}})
	if err != nil {
		return err
	}
	dot.GlyphStyle = draw.GlyphStyle{Color: red, Radius: vg.Points(4), Shape: draw.CircleGlyph{}}
	p.Add(line, dot)
	p.Legend.Add(label, line, dot)
	return nil
}

// Plot writes the range test as a PNG: raw and smoothed loss against the
// learning rate (log scale), the suggestion marked.
func (r *RangeResult) Plot(path string) error {
	if len(r.LRs) == 0 {
		return fmt.Errorf("plot %s: the range test recorded no points", path)
	}
	p := plot.New()
	p.Title.Text = "learning-rate range test"
	p.Y.Label.Text = "loss"
	logLR(p)
	var raw, sm plotter.XYs
	at := 0 // the smoothed minimum
	for i, lr := range r.LRs {
		raw = append(raw, plotter.XY{X: lr, Y: r.Losses[i]})
		sm = append(sm, plotter.XY{X: lr, Y: r.Smoothed[i]})
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
	p.Y.Min, p.Y.Max = lo-0.05*(hi-lo), hi+0.25*(hi-lo)
	p.Legend.Top, p.Legend.Left = true, true
	sm = clipY(sm, p.Y.Min, p.Y.Max)
	if err := addLine(p, "batch loss", clipY(raw, p.Y.Min, p.Y.Max), lightBlue); err != nil {
		return err
	}
	if err := addLine(p, "smoothed", sm, blue); err != nil {
		return err
	}
	if r.SuggestIndex >= 0 {
		if err := markAt(p, r.Suggestion, r.Smoothed[r.SuggestIndex], p.Y.Min, p.Y.Max,
			fmt.Sprintf("suggested %.2e", r.Suggestion)); err != nil {
			return err
		}
	}
	return saveGrid(path, [][]*plot.Plot{{p}}, 7*vg.Inch, 4.5*vg.Inch)
}

// clipY clamps the points' y into [lo, hi].
func clipY(pts plotter.XYs, lo, hi float64) plotter.XYs {
	out := make(plotter.XYs, len(pts))
	for i, q := range pts {
		out[i] = plotter.XY{X: q.X, Y: math.Min(math.Max(q.Y, lo), hi)}
	}
	return out
}

// Plot writes the grid search as a PNG: each trial's final mAP against
// its learning rate (log scale), the best marked; diverged trials are
// left out.
func (g *GridResult) Plot(path string) error {
	p := plot.New()
	p.Title.Text = "learning-rate search"
	p.Y.Label.Text = "final mAP (%)"
	logLR(p)
	var pts plotter.XYs
	for _, t := range g.Trials {
		if !t.Diverged && !math.IsNaN(t.Final) {
			pts = append(pts, plotter.XY{X: t.LR, Y: 100 * t.Final})
		}
	}
	if len(pts) == 0 {
		return fmt.Errorf("plot %s: no finished trial", path)
	}
	if err := addLine(p, "", pts, blue); err != nil {
		return err
	}
	sc, err := plotter.NewScatter(pts)
	if err != nil {
		return err
	}
	sc.GlyphStyle = draw.GlyphStyle{Color: blue, Radius: vg.Points(3), Shape: draw.CircleGlyph{}}
	p.Add(sc)
	if g.BestIndex >= 0 {
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, q := range pts {
			lo, hi = min(lo, q.Y), max(hi, q.Y)
		}
		if err := markAt(p, g.Best, 100*g.BestMAP, lo, hi, fmt.Sprintf("best %.2e", g.Best)); err != nil {
			return err
		}
	}
	return saveGrid(path, [][]*plot.Plot{{p}}, 7*vg.Inch, 4.5*vg.Inch)
}
