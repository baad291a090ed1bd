package train

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/seed477ab429/multilabel/metrics"
)

// Pictures of a run, drawn with gonum/plot.

var (
	blue   = color.RGBA{31, 119, 180, 255}
	orange = color.RGBA{255, 127, 14, 255}
	green  = color.RGBA{44, 160, 44, 255}
)

// PlotCurves writes a PNG with three panels: training loss, learning rate
// (per logged step) and validation mAP of the raw and EMA models per
// epoch.
func PlotCurves(path string, history []EpochStats, steps []StepStats) error {
	loss := plot.New()
	loss.Title.Text = "training loss"
	loss.X.Label.Text = "epoch"
	var lpts plotter.XYs
	for _, e := range history {
		lpts = append(lpts, plotter.XY{X: float64(e.Epoch), Y: e.TrainLoss})
	}
	if err := addLine(loss, "", lpts, blue); err != nil {
		return err
	}

	lr := plot.New()
	lr.Title.Text = "learning rate"
	lr.X.Label.Text = "step"
	var rpts plotter.XYs
	for _, s := range steps {
		rpts = append(rpts, plotter.XY{X: float64(s.Step), Y: s.LR})
	}
	if err := addLine(lr, "", rpts, orange); err != nil {
		return err
	}

	mp := plot.New()
	mp.Title.Text = "validation mAP (%)"
	mp.X.Label.Text = "epoch"
	var raw, ema plotter.XYs
	for _, e := range history {
		if e.MAP >= 0 {
			raw = append(raw, plotter.XY{X: float64(e.Epoch), Y: 100 * e.MAP})
		}
		if e.MAPEMA >= 0 {
			ema = append(ema, plotter.XY{X: float64(e.Epoch), Y: 100 * e.MAPEMA})
		}
	}
	if err := addLine(mp, "raw", raw, blue); err != nil {
		return err
	}
	if err := addLine(mp, "EMA", ema, green); err != nil {
		return err
	}
	return saveGrid(path, [][]*plot.Plot{{loss, lr, mp}}, 15*vg.Inch, 4*vg.Inch)
}

// PlotPR writes a PNG with one precision-recall panel per class, titled
// with the class name and its AP.
func PlotPR(path string, curves []metrics.Curve, names []string) error {
	cols := 5
	rows := (len(curves) + cols - 1) / cols
	grid := make([][]*plot.Plot, rows)
	for i, c := range curves {
		p := plot.New()
		name := fmt.Sprint(i)
		if i < len(names) {
			name = names[i]
		}
		p.Title.Text = fmt.Sprintf("%s  AP %.1f", name, 100*c.AP())
		p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1.02
		p.X.Label.Text = "recall"
		p.Y.Label.Text = "precision"
		var pts plotter.XYs
		for k := range c.Precision {
			if !math.IsNaN(c.Precision[k]) {
				pts = append(pts, plotter.XY{X: c.Recall[k], Y: c.Precision[k]})
			}
		}
		if err := addLine(p, "", pts, blue); err != nil {
			return err
		}
		grid[i/cols] = append(grid[i/cols], p)
	}
	for r := range grid {
		for len(grid[r]) < cols {
			grid[r] = append(grid[r], nil)
		}
	}
	return saveGrid(path, grid, vg.Length(cols)*3*vg.Inch, vg.Length(rows)*2.6*vg.Inch)
}

func addLine(p *plot.Plot, name string, pts plotter.XYs, c color.Color) error {
	if len(pts) == 0 {
		return nil
	}
	l, err := plotter.NewLine(pts)
	if err != nil {
		return err
	}
	l.Color = c
	l.Width = vg.Points(1.5)
	p.Add(l)
	if name != "" {
		p.Legend.Add(name, l)
	}
	p.Add(plotter.NewGrid())
	return nil
}

func saveGrid(path string, grid [][]*plot.Plot, w, h vg.Length) error {
	img := vgimg.New(w, h)
	dc := draw.New(img)
	t := draw.Tiles{Rows: len(grid), Cols: len(grid[0]), PadX: vg.Millimeter * 4, PadY: vg.Millimeter * 4,
		PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2}
	canvases := plot.Align(grid, t, dc)
	for r := range grid {
		for c := range grid[r] {
			if grid[r][c] != nil {
				grid[r][c].Draw(canvases[r][c])
			}
		}
	}
	return writePNG(path, img)
}
