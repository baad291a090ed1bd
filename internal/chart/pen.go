package chart

import (
	"image"
	"image/color"
	"math"

	"golang.org/x/image/vector"
)

// pen fills anti-aliased shapes into one rectangle of a picture (the
// plot area), which clips them.
//
// golang.org/x/image/vector accumulates each pixel's signed coverage over
// the polygons of a path and clamps its magnitude to 1, so polygons
// wound the same way add up to their union; every polygon here is wound
// the same way (poly reverses the others), so overlapping pieces of a
// line do not cancel.
type pen struct {
	img  *image.RGBA
	area image.Rectangle
	z    vector.Rasterizer
}

func newPen(img *image.RGBA, area image.Rectangle) *pen {
	return &pen{img: img, area: area}
}

func (p *pen) begin() { p.z.Reset(p.area.Dx(), p.area.Dy()) }

func (p *pen) end(c color.RGBA) {
	p.z.Draw(p.img, p.area, image.NewUniform(c), image.Point{})
}

// poly adds a closed polygon (picture coordinates), wound anticlockwise
// on the screen.
func (p *pen) poly(pts [][2]float64) {
	if len(pts) < 3 {
		return
	}
	var area2 float64 // twice the signed area (shoelace)
	for i := range pts {
		a, b := pts[i], pts[(i+1)%len(pts)]
		area2 += a[0]*b[1] - b[0]*a[1]
	}
	ox, oy := float64(p.area.Min.X), float64(p.area.Min.Y)
	at := func(i int) (float32, float32) {
		if area2 < 0 {
			i = len(pts) - 1 - i
		}
		return float32(pts[i][0] - ox), float32(pts[i][1] - oy)
	}
	p.z.MoveTo(at(0))
	for i := 1; i < len(pts); i++ {
		p.z.LineTo(at(i))
	}
	p.z.ClosePath()
}

// circle adds a disc of radius r around (x, y) as a polygon fine enough
// that its edges stay within a tenth of a pixel of the circle.
func (p *pen) circle(x, y, r float64) {
	n := max(8, int(math.Ceil(math.Pi/math.Acos(max(0, 1-0.1/r)))))
	pts := make([][2]float64, n)
	for i := range pts {
		a := 2 * math.Pi * float64(i) / float64(n)
		pts[i] = [2]float64{x + r*math.Cos(a), y + r*math.Sin(a)}
	}
	p.poly(pts)
}

// disc draws a filled circle.
func (p *pen) disc(x, y, r float64, c color.RGBA) {
	p.begin()
	p.circle(x, y, r)
	p.end(c)
}

// polyline strokes the line through pts, width wide with round joins
// and caps; a point with a NaN or infinite coordinate breaks it. A non-empty dash
// alternates drawn and skipped lengths along each unbroken piece.
func (p *pen) polyline(pts [][2]float64, width float64, dash []float64, c color.RGBA) {
	p.begin()
	run := pts[:0:0]
	flush := func() {
		if len(dash) > 0 {
			for _, d := range dashes(run, dash) {
				p.stroke(d, width)
			}
		} else {
			p.stroke(run, width)
		}
		run = run[:0]
	}
	for _, q := range pts {
		if !finite(q) {
			flush()
			continue
		}
		run = append(run, q)
	}
	flush()
	p.end(c)
}

// stroke adds one unbroken line: a rectangle per segment and a disc at
// every point.
func (p *pen) stroke(pts [][2]float64, width float64) {
	h := width / 2
	for i := 0; i+1 < len(pts); i++ {
		a, b := pts[i], pts[i+1]
		dx, dy := b[0]-a[0], b[1]-a[1]
		l := math.Hypot(dx, dy)
		if l == 0 {
			continue
		}
		nx, ny := -dy/l*h, dx/l*h // the normal, half the width long
		p.poly([][2]float64{{a[0] + nx, a[1] + ny}, {b[0] + nx, b[1] + ny}, {b[0] - nx, b[1] - ny}, {a[0] - nx, a[1] - ny}})
	}
	for _, q := range pts {
		p.circle(q[0], q[1], h)
	}
}

// dashes cuts the line through pts into its drawn pieces: along the
// line, pattern[0] drawn, pattern[1] skipped, pattern[2] drawn, ...,
// repeating (an odd-length pattern is read twice, as SVG does).
func dashes(pts [][2]float64, pattern []float64) [][][2]float64 {
	var total float64
	for _, d := range pattern {
		total += d
	}
	if total <= 0 || len(pts) < 2 {
		return [][][2]float64{pts}
	}
	if len(pattern)%2 == 1 { // read twice, as SVG does, so that parts alternate
		pattern = append(pattern[:len(pattern):len(pattern)], pattern...)
	}
	var out [][][2]float64
	k, left := 0, pattern[0] // the pattern's current part and its length left
	cur := [][2]float64{pts[0]}
	for i := 0; i+1 < len(pts); i++ {
		a, b := pts[i], pts[i+1]
		l := math.Hypot(b[0]-a[0], b[1]-a[1])
		pos := 0.0
		for l-pos > left {
			pos += left
			t := pos / l
			q := [2]float64{a[0] + t*(b[0]-a[0]), a[1] + t*(b[1]-a[1])}
			if k%2 == 0 { // a drawn part ends
				out = append(out, append(cur, q))
				cur = nil
			} else { // a drawn part starts
				cur = [][2]float64{q}
			}
			k = (k + 1) % len(pattern)
			left = pattern[k]
		}
		left -= l - pos
		if k%2 == 0 {
			cur = append(cur, b)
		}
	}
	if len(cur) >= 2 {
		out = append(out, cur)
	}
	return out
}

// finite reports whether both coordinates of q are finite numbers.
func finite(q [2]float64) bool {
	return !math.IsNaN(q[0]) && !math.IsNaN(q[1]) && !math.IsInf(q[0], 0) && !math.IsInf(q[1], 0)
}
