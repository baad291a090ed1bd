package chart

import (
	"image"
	"image/color"
	"image/draw"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// Text: the Go font (regular), parsed once, in one face per size. A
// face caches glyphs and is not safe for concurrent use, so every Render
// makes its own.

var goFont struct {
	once sync.Once
	f    *opentype.Font
	err  error
}

// face is a font at one size: height is the line's height (ascent +
// descent) in pixels.
type face struct {
	f              font.Face
	ascent, height int
}

type fonts struct{ title, label, tick, legend *face }

func newFonts() (*fonts, error) {
	goFont.once.Do(func() { goFont.f, goFont.err = opentype.Parse(goregular.TTF) })
	if goFont.err != nil {
		return nil, goFont.err
	}
	mk := func(px float64) (*face, error) {
		// At 72 DPI a point is a pixel.
		f, err := opentype.NewFace(goFont.f, &opentype.FaceOptions{Size: px, DPI: 72, Hinting: font.HintingFull})
		if err != nil {
			return nil, err
		}
		m := f.Metrics()
		return &face{f: f, ascent: m.Ascent.Ceil(), height: (m.Ascent + m.Descent).Ceil()}, nil
	}
	var fs fonts
	for _, x := range []struct {
		dst **face
		px  float64
	}{{&fs.title, titleSize}, {&fs.label, labelSize}, {&fs.tick, tickSize}, {&fs.legend, legendSize}} {
		f, err := mk(x.px)
		if err != nil {
			return nil, err
		}
		*x.dst = f
	}
	return &fs, nil
}

// width is the advance of s in pixels.
func (f *face) width(s string) int { return font.MeasureString(f.f, s).Ceil() }

// draw writes s with the top of its line box at (x, top).
func (f *face) draw(img *image.RGBA, s string, x, top int, c color.RGBA) {
	d := font.Drawer{Dst: img, Src: image.NewUniform(c), Face: f.f, Dot: fixed.P(x, top+f.ascent)}
	d.DrawString(s)
}

// drawUp writes s rotated a quarter turn anticlockwise (reading upwards),
// its line box's left edge at x and the text starting at y (the bottom).
func (f *face) drawUp(img *image.RGBA, s string, x, y int, c color.RGBA) {
	w := f.width(s)
	if w == 0 {
		return
	}
	mask := image.NewAlpha(image.Rect(0, 0, w, f.height))
	d := font.Drawer{Dst: mask, Src: image.Opaque, Face: f.f, Dot: fixed.P(0, f.ascent)}
	d.DrawString(s)
	// Mask pixel (i, j), i along the text and j down its line box, lands
	// at (x + j, y - 1 - i).
	rot := image.NewAlpha(image.Rect(x, y-w, x+f.height, y))
	for j := 0; j < f.height; j++ {
		for i := 0; i < w; i++ {
			rot.SetAlpha(x+j, y-1-i, mask.AlphaAt(i, j))
		}
	}
	draw.DrawMask(img, rot.Rect, image.NewUniform(c), image.Point{}, rot, rot.Rect.Min, draw.Over)
}
