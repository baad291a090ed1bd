// Package chart draws the pictures of a run (training curves,
// precision-recall curves, learning-rate searches) as PNG images: a grid
// of panels, each with a title, two labelled axes (linear, or log10 for
// the x axis), grid lines, anti-aliased lines and dots, and a legend.
//
// It is the small part of a plotting library these pictures need, built
// on golang.org/x/image (vector for the anti-aliased shapes, opentype and
// the Go font for the text), so that building the trainer does not
// compile a general plotting stack with its PDF, SVG, EPS and LaTeX
// back ends and font families (about a third of a cold build of
// examples/voc).
//
// Everything is in pixels. A Figure is rendered to an *image.RGBA with
// Render, or written to a PNG file atomically with WritePNG.
package chart

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
)

// Scale is an axis' mapping from data to pixels.
type Scale int

const (
	Linear Scale = iota // equal steps of the value, equal distances
	Log                 // equal ratios, equal distances; values <= 0 are left out
)

// Axis is one axis of a panel. With Fixed, the axis spans [Min, Max];
// otherwise the range of the data, with a margin of 4% on both sides for
// the y axis (so that no line runs along the frame) and for the x axis of
// a panel with dots (so that none is cut in half).
type Axis struct {
	Label    string
	Scale    Scale
	Fixed    bool
	Min, Max float64
}

// Series is a set of points drawn as a polyline (Width > 0) and/or as
// dots (Marker > 0, the radius). Points with a NaN or infinite
// coordinate, or a non-positive one on a log axis, break the line. Dash, when not empty,
// alternates drawn and skipped lengths along the line.
type Series struct {
	X, Y   []float64
	Color  color.RGBA
	Width  float64
	Dash   []float64
	Marker float64
}

// LegendEntry is one line of a panel's legend: a sample of a line (Width
// > 0, with Dash) and/or a dot (Marker > 0) in Color, then Label.
type LegendEntry struct {
	Label  string
	Color  color.RGBA
	Width  float64
	Dash   []float64
	Marker float64
}

// Panel is one plot: its series drawn in order over grid lines at the
// major ticks, framed by the axes, with the legend in a top corner of
// the plot area (top right, or top left with LegendLeft).
type Panel struct {
	Title      string
	X, Y       Axis
	Series     []Series
	Legend     []LegendEntry
	LegendLeft bool
}

// Figure is a grid of Rows x Cols panels (row by row; a nil panel
// leaves its cell empty) on a white Width x Height picture.
type Figure struct {
	Width, Height int
	Rows, Cols    int
	Panels        []*Panel
}

// Colours of the pictures (the usual ten-colour palette's first ones).
var (
	Blue      = color.RGBA{31, 119, 180, 255}
	LightBlue = color.RGBA{174, 199, 232, 255}
	Orange    = color.RGBA{255, 127, 14, 255}
	Green     = color.RGBA{44, 160, 44, 255}
	Red       = color.RGBA{214, 39, 40, 255}

	black     = color.RGBA{0, 0, 0, 255}
	gridGrey  = color.RGBA{224, 224, 224, 255}
	frameGrey = color.RGBA{160, 160, 160, 255}
)

// Sizes in pixels.
const (
	cellPad    = 12 // between panels and around the figure
	tickLen    = 5
	minorLen   = 3
	labelGap   = 4 // between tick labels and the axis label, text and ticks
	titleGap   = 6
	titleSize  = 15
	labelSize  = 14
	tickSize   = 12
	legendSize = 13
)

// Render draws the figure.
func (f *Figure) Render() (*image.RGBA, error) {
	if f.Width <= 0 || f.Height <= 0 || f.Rows <= 0 || f.Cols <= 0 {
		return nil, fmt.Errorf("chart: a %dx%d figure of %dx%d panels", f.Width, f.Height, f.Rows, f.Cols)
	}
	if len(f.Panels) > f.Rows*f.Cols {
		return nil, fmt.Errorf("chart: %d panels for a grid of %dx%d", len(f.Panels), f.Rows, f.Cols)
	}
	img := image.NewRGBA(image.Rect(0, 0, f.Width, f.Height))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	fonts, err := newFonts()
	if err != nil {
		return nil, err
	}
	cw := (f.Width - cellPad) / f.Cols
	ch := (f.Height - cellPad) / f.Rows
	for i, p := range f.Panels {
		if p == nil {
			continue
		}
		r, c := i/f.Cols, i%f.Cols
		cell := image.Rect(cellPad+c*cw, cellPad+r*ch, (c+1)*cw, (r+1)*ch)
		if err := p.draw(img, cell, fonts); err != nil {
			if p.Title != "" {
				return nil, fmt.Errorf("chart: panel %q: %w", p.Title, err)
			}
			return nil, fmt.Errorf("chart: panel %d: %w", i, err)
		}
	}
	return img, nil
}

// axisMap maps data values of one axis to pixel coordinates: lo..hi onto
// p0..p1 (p1 < p0 for the y axis, whose pixels grow downwards).
type axisMap struct {
	scale  Scale
	lo, hi float64 // in the scale's units (log10 of the value for Log)
	p0, p1 float64
}

func (m axisMap) unit(v float64) float64 {
	if m.scale == Log {
		if v <= 0 {
			return math.NaN()
		}
		return math.Log10(v)
	}
	return v
}

// px is the pixel coordinate of v (NaN where v cannot be shown).
func (m axisMap) px(v float64) float64 {
	u := m.unit(v)
	return m.p0 + (u-m.lo)/(m.hi-m.lo)*(m.p1-m.p0)
}

// dataRange is the axis' range in the scale's units, from the series'
// values (xs true: the x values) unless the axis is Fixed; margin widens
// a range from the data by 4% on both sides.
func dataRange(a Axis, series []Series, xs, margin bool) (lo, hi float64, err error) {
	m := axisMap{scale: a.Scale}
	if a.Fixed {
		lo, hi = m.unit(a.Min), m.unit(a.Max)
		if !(lo < hi) {
			return 0, 0, fmt.Errorf("axis %q: range [%g, %g] (log axes need 0 < min < max)", a.Label, a.Min, a.Max)
		}
		return lo, hi, nil
	}
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, s := range series {
		vs := s.Y
		if xs {
			vs = s.X
		}
		for _, v := range vs {
			if u := m.unit(v); !math.IsNaN(u) && !math.IsInf(u, 0) {
				lo, hi = min(lo, u), max(hi, u)
			}
		}
	}
	switch {
	case lo > hi: // nothing to show
		lo, hi = 0, 1
	case lo == hi:
		d := max(math.Abs(lo)*0.1, 1e-9)
		if a.Scale == Log {
			d = 0.5
		}
		lo, hi = lo-d, hi+d
	case margin:
		d := 0.04 * (hi - lo)
		lo, hi = lo-d, hi+d
	}
	return lo, hi, nil
}

// frame is a panel's geometry in its cell: the plot area, the axes'
// mappings and their ticks.
type frame struct {
	area   image.Rectangle
	xm, ym axisMap
	xt, yt []tick
}

// layout places the panel in cell: the title on top, the x tick labels
// and the x label below the plot area, the y tick labels and the
// (rotated) y label to its left.
func (p *Panel) layout(cell image.Rectangle, fonts *fonts) (*frame, error) {
	for i, s := range p.Series {
		if len(s.X) != len(s.Y) {
			return nil, fmt.Errorf("series %d: %d x values, %d y values", i, len(s.X), len(s.Y))
		}
	}
	markers := false
	for _, s := range p.Series {
		markers = markers || s.Marker > 0
	}
	xlo, xhi, err := dataRange(p.X, p.Series, true, markers)
	if err != nil {
		return nil, err
	}
	ylo, yhi, err := dataRange(p.Y, p.Series, false, true)
	if err != nil {
		return nil, err
	}
	fr := &frame{xt: ticks(p.X.Scale, xlo, xhi), yt: ticks(p.Y.Scale, ylo, yhi)}
	area := cell
	if p.Title != "" {
		area.Min.Y += fonts.title.height + titleGap
	}
	area.Max.Y -= tickLen + labelGap + fonts.tick.height
	if p.X.Label != "" {
		area.Max.Y -= labelGap + fonts.label.height
	}
	yw := 0
	for _, t := range fr.yt {
		if t.label != "" {
			yw = max(yw, fonts.tick.width(t.label))
		}
	}
	area.Min.X += tickLen + labelGap + yw
	if p.Y.Label != "" {
		area.Min.X += fonts.label.height + labelGap
	}
	// Room for the last x tick label's right half.
	for i := len(fr.xt) - 1; i >= 0; i-- {
		if fr.xt[i].label != "" {
			area.Max.X -= fonts.tick.width(fr.xt[i].label)/2 + 1
			break
		}
	}
	if area.Dx() < 10 || area.Dy() < 10 {
		return nil, fmt.Errorf("a cell of %dx%d pixels is too small to draw in", cell.Dx(), cell.Dy())
	}
	fr.area = area
	fr.xm = axisMap{scale: p.X.Scale, lo: xlo, hi: xhi, p0: float64(area.Min.X), p1: float64(area.Max.X)}
	fr.ym = axisMap{scale: p.Y.Scale, lo: ylo, hi: yhi, p0: float64(area.Max.Y), p1: float64(area.Min.Y)}
	return fr, nil
}

// draw draws the panel into cell of img.
func (p *Panel) draw(img *image.RGBA, cell image.Rectangle, fonts *fonts) error {
	fr, err := p.layout(cell, fonts)
	if err != nil {
		return err
	}
	area, xm, ym, xt, yt := fr.area, fr.xm, fr.ym, fr.xt, fr.yt
	xlo, xhi, ylo, yhi := xm.lo, xm.hi, ym.lo, ym.hi

	// Grid lines at the major ticks.
	for _, t := range xt {
		if t.label != "" {
			x := int(math.Round(xm.p0 + (t.at-xlo)/(xhi-xlo)*(xm.p1-xm.p0)))
			fillRect(img, image.Rect(x, area.Min.Y, x+1, area.Max.Y), gridGrey)
		}
	}
	for _, t := range yt {
		if t.label != "" {
			y := int(math.Round(ym.p0 + (t.at-ylo)/(yhi-ylo)*(ym.p1-ym.p0)))
			fillRect(img, image.Rect(area.Min.X, y, area.Max.X, y+1), gridGrey)
		}
	}

	// The series, clipped to the plot area.
	pen := newPen(img, area)
	for _, s := range p.Series {
		pts := make([][2]float64, len(s.X))
		for i := range s.X {
			pts[i] = [2]float64{xm.px(s.X[i]), ym.px(s.Y[i])}
		}
		if s.Width > 0 {
			pen.polyline(pts, s.Width, s.Dash, s.Color)
		}
		if s.Marker > 0 {
			for _, q := range pts {
				if finite(q) {
					pen.disc(q[0], q[1], s.Marker, s.Color)
				}
			}
		}
	}

	// Axes: the left and bottom edges, ticks pointing out, labels.
	fillRect(img, image.Rect(area.Min.X-1, area.Min.Y, area.Min.X, area.Max.Y+1), black)
	fillRect(img, image.Rect(area.Min.X-1, area.Max.Y, area.Max.X, area.Max.Y+1), black)
	fillRect(img, image.Rect(area.Min.X, area.Min.Y, area.Max.X, area.Min.Y+1), frameGrey)
	fillRect(img, image.Rect(area.Max.X-1, area.Min.Y, area.Max.X, area.Max.Y), frameGrey)
	for _, t := range xt {
		x := int(math.Round(xm.p0 + (t.at-xlo)/(xhi-xlo)*(xm.p1-xm.p0)))
		n := minorLen
		if t.label != "" {
			n = tickLen
			fonts.tick.draw(img, t.label, x-fonts.tick.width(t.label)/2, area.Max.Y+1+tickLen+labelGap, black)
		}
		fillRect(img, image.Rect(x-1, area.Max.Y+1, x, area.Max.Y+1+n), black)
	}
	for _, t := range yt {
		y := int(math.Round(ym.p0 + (t.at-ylo)/(yhi-ylo)*(ym.p1-ym.p0)))
		n := minorLen
		if t.label != "" {
			n = tickLen
			w := fonts.tick.width(t.label)
			fonts.tick.draw(img, t.label, area.Min.X-1-tickLen-labelGap-w, y-fonts.tick.height/2, black)
		}
		fillRect(img, image.Rect(area.Min.X-1-n, y, area.Min.X-1, y+1), black)
	}
	if p.X.Label != "" {
		w := fonts.label.width(p.X.Label)
		fonts.label.draw(img, p.X.Label, (area.Min.X+area.Max.X-w)/2,
			area.Max.Y+1+tickLen+labelGap+fonts.tick.height+labelGap, black)
	}
	if p.Y.Label != "" {
		w := fonts.label.width(p.Y.Label)
		fonts.label.drawUp(img, p.Y.Label, cell.Min.X, (area.Min.Y+area.Max.Y+w)/2, black)
	}
	if p.Title != "" {
		w := fonts.title.width(p.Title)
		fonts.title.draw(img, p.Title, max(cell.Min.X, (area.Min.X+area.Max.X-w)/2), cell.Min.Y, black)
	}
	p.drawLegend(img, area, pen, fonts)
	return nil
}

// drawLegend draws the legend box in a top corner of the plot area.
func (p *Panel) drawLegend(img *image.RGBA, area image.Rectangle, pen *pen, fonts *fonts) {
	if len(p.Legend) == 0 {
		return
	}
	const sample, pad = 24, 6
	lh := fonts.legend.height + 2
	w := 0
	for _, e := range p.Legend {
		w = max(w, fonts.legend.width(e.Label))
	}
	bw, bh := pad+sample+pad+w+pad, pad+len(p.Legend)*lh+pad-2
	box := image.Rect(area.Max.X-8-bw, area.Min.Y+8, area.Max.X-8, area.Min.Y+8+bh)
	if p.LegendLeft {
		box = box.Add(image.Pt(area.Min.X+8-box.Min.X, 0))
	}
	fillRect(img, box, color.RGBA{255, 255, 255, 255})
	strokeRect(img, box, frameGrey)
	for i, e := range p.Legend {
		y := box.Min.Y + pad + i*lh
		cy := float64(y) + float64(lh-2)/2
		x0 := float64(box.Min.X + pad)
		if e.Width > 0 {
			pen.polyline([][2]float64{{x0, cy}, {x0 + sample, cy}}, e.Width, e.Dash, e.Color)
		}
		if e.Marker > 0 {
			pen.disc(x0+sample/2, cy, e.Marker, e.Color)
		}
		fonts.legend.draw(img, e.Label, box.Min.X+pad+sample+pad, y, black)
	}
}

func fillRect(img *image.RGBA, r image.Rectangle, c color.RGBA) {
	draw.Draw(img, r.Intersect(img.Bounds()), image.NewUniform(c), image.Point{}, draw.Src)
}

func strokeRect(img *image.RGBA, r image.Rectangle, c color.RGBA) {
	fillRect(img, image.Rect(r.Min.X, r.Min.Y, r.Max.X, r.Min.Y+1), c)
	fillRect(img, image.Rect(r.Min.X, r.Max.Y-1, r.Max.X, r.Max.Y), c)
	fillRect(img, image.Rect(r.Min.X, r.Min.Y, r.Min.X+1, r.Max.Y), c)
	fillRect(img, image.Rect(r.Max.X-1, r.Min.Y, r.Max.X, r.Max.Y), c)
}
