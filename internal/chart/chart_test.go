package chart

import (
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func labels(ts []tick) []string {
	var out []string
	for _, t := range ts {
		if t.label != "" {
			out = append(out, t.label)
		}
	}
	return out
}

func TestTicks(t *testing.T) {
	cases := []struct {
		name   string
		s      Scale
		lo, hi float64
		want   []string
	}{
		{"unit", Linear, 0, 1, []string{"0.0", "0.2", "0.4", "0.6", "0.8", "1.0"}},
		{"epochs", Linear, 1, 13, []string{"2", "4", "6", "8", "10", "12"}},
		{"negative", Linear, -3.2, 4.9, []string{"-2", "0", "2", "4"}},
		{"small", Linear, 0, 0.001, []string{"0.0000", "0.0002", "0.0004", "0.0006", "0.0008", "0.0010"}},
		{"tiny", Linear, 0, 4e-8, []string{"0", "1e-08", "2e-08", "3e-08", "4e-08"}},
		{"decades", Log, -7, -1, []string{"1e-07", "1e-06", "1e-05", "0.0001", "0.001", "0.01", "0.1"}},
		{"one decade", Log, math.Log10(2e-4), math.Log10(3e-3), []string{"0.0002", "0.0005", "0.001", "0.002"}},
		{"narrow", Log, math.Log10(2.5e-4), math.Log10(4.5e-4), []string{"0.0003", "0.0004"}},
		{"very narrow", Log, math.Log10(1.01), math.Log10(1.05), []string{"1.01", "1.02", "1.03", "1.04", "1.05"}},
	}
	for _, c := range cases {
		ts := ticks(c.s, c.lo, c.hi)
		if got := labels(ts); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: labels %q, want %q", c.name, got, c.want)
		}
		for i, tk := range ts {
			if tk.at < c.lo-1e-9 || tk.at > c.hi+1e-9 {
				t.Errorf("%s: tick %d at %g outside [%g, %g]", c.name, i, tk.at, c.lo, c.hi)
			}
			if i > 0 && !(tk.at > ts[i-1].at) {
				t.Errorf("%s: ticks not increasing at %d", c.name, i)
			}
		}
	}
	// Minor ticks of a log axis at 2..9 times the powers of ten.
	ts := ticks(Log, 0, 1)
	if len(ts) != 10 || len(labels(ts)) != 2 {
		t.Errorf("log [1, 10]: %d ticks (%d labelled), want 10 (2)", len(ts), len(labels(ts)))
	}
}

func TestDashes(t *testing.T) {
	length := func(pts [][2]float64) float64 {
		var l float64
		for i := 0; i+1 < len(pts); i++ {
			l += math.Hypot(pts[i+1][0]-pts[i][0], pts[i+1][1]-pts[i][1])
		}
		return l
	}
	// An L-shaped line of length 30 + 20, pattern 4 on, 3 off: the pieces
	// start every 7 along the line and are 4 long (the last cut short),
	// one of them around the corner.
	pts := [][2]float64{{0, 0}, {30, 0}, {30, 20}}
	pieces := dashes(pts, []float64{4, 3})
	if len(pieces) != 8 {
		t.Fatalf("%d pieces, want 8", len(pieces))
	}
	for i, p := range pieces {
		want := 4.0
		if i == len(pieces)-1 {
			want = 50 - 49
		}
		if l := length(p); math.Abs(l-want) > 1e-9 {
			t.Errorf("piece %d: length %g, want %g", i, l, want)
		}
	}
	if c := pieces[4]; len(c) != 3 || c[1] != [2]float64{30, 0} {
		t.Errorf("the piece around the corner is %v, want 3 points through (30, 0)", c)
	}
	// An odd pattern is read twice: 5 on, 5 off.
	if got := len(dashes([][2]float64{{0, 0}, {40, 0}}, []float64{5})); got != 4 {
		t.Errorf("pattern {5} over 40: %d pieces, want 4", got)
	}
}

// render draws one panel alone and returns the picture and the panel's
// frame.
func render(t *testing.T, p *Panel, w, h int) (*image.RGBA, *frame) {
	t.Helper()
	f := &Figure{Width: w, Height: h, Rows: 1, Cols: 1, Panels: []*Panel{p}}
	img, err := f.Render()
	if err != nil {
		t.Fatal(err)
	}
	fonts, err := newFonts()
	if err != nil {
		t.Fatal(err)
	}
	fr, err := p.layout(image.Rect(cellPad, cellPad, w-cellPad, h-cellPad), fonts)
	if err != nil {
		t.Fatal(err)
	}
	return img, fr
}

func near(c color.RGBA, want color.RGBA, tol int) bool {
	d := func(a, b uint8) int { return max(int(a)-int(b), int(b)-int(a)) }
	return d(c.R, want.R) <= tol && d(c.G, want.G) <= tol && d(c.B, want.B) <= tol
}

func TestRenderGeometry(t *testing.T) {
	// A horizontal line at y = 0.25 and a dot at (0.75, 0.75) in fixed
	// unit axes: the line's and the dot's pixels have their colours, a
	// point between them is the background.
	p := &Panel{
		Title: "geometry", X: Axis{Label: "x", Fixed: true, Min: 0, Max: 1}, Y: Axis{Label: "y", Fixed: true, Min: 0, Max: 1},
		Series: []Series{
			{X: []float64{0, 1}, Y: []float64{0.25, 0.25}, Color: Red, Width: 3},
			{X: []float64{0.75}, Y: []float64{0.75}, Color: Green, Marker: 6},
		},
	}
	img, fr := render(t, p, 400, 300)
	px := func(x, y float64) color.RGBA {
		return img.RGBAAt(int(math.Floor(fr.xm.px(x))), int(math.Floor(fr.ym.px(y))))
	}
	if c := px(0.3, 0.25); !near(c, Red, 8) {
		t.Errorf("on the line: %v, want %v", c, Red)
	}
	if c := px(0.75, 0.75); !near(c, Green, 8) {
		t.Errorf("on the dot: %v, want %v", c, Green)
	}
	if c := px(0.3, 0.5); !near(c, color.RGBA{255, 255, 255, 255}, 0) {
		t.Errorf("between them: %v, want white", c)
	}
	// 8 pixels off the line: clear of a 3-pixel stroke.
	x, y := int(fr.xm.px(0.3)), int(fr.ym.px(0.25))
	if c := img.RGBAAt(x, y-8); near(c, Red, 60) {
		t.Errorf("8 px above the line: %v, red", c)
	}
	// The y axis maps 0 to the bottom of the plot area and 1 to its top.
	if got := fr.ym.px(0); math.Abs(got-float64(fr.area.Max.Y)) > 1e-9 {
		t.Errorf("y = 0 at %g, want %d", got, fr.area.Max.Y)
	}
	if got := fr.xm.px(1); math.Abs(got-float64(fr.area.Max.X)) > 1e-9 {
		t.Errorf("x = 1 at %g, want %d", got, fr.area.Max.X)
	}
	// Nothing is drawn outside the figure's cell but the white border.
	for x := 0; x < 400; x++ {
		if c := img.RGBAAt(x, 2); c != (color.RGBA{255, 255, 255, 255}) {
			t.Fatalf("top border pixel (%d, 2) is %v", x, c)
		}
	}
}

func TestRenderClipsToPlotArea(t *testing.T) {
	// A line far outside the fixed range is cut at the plot area: no red
	// pixel outside it.
	p := &Panel{X: Axis{Fixed: true, Min: 0, Max: 1}, Y: Axis{Fixed: true, Min: 0, Max: 1},
		Series: []Series{{X: []float64{-5, 5}, Y: []float64{-5, 5}, Color: Red, Width: 4}}}
	img, fr := render(t, p, 300, 300)
	inside := 0
	for y := 0; y < 300; y++ {
		for x := 0; x < 300; x++ {
			if !near(img.RGBAAt(x, y), Red, 30) {
				continue
			}
			if !(image.Point{x, y}.In(fr.area)) {
				t.Fatalf("red pixel at (%d, %d) outside the plot area %v", x, y, fr.area)
			}
			inside++
		}
	}
	if inside < fr.area.Dx() {
		t.Errorf("only %d red pixels for a diagonal across %v", inside, fr.area)
	}
}

func TestRenderLogAxisAndGaps(t *testing.T) {
	// Non-positive values on a log axis, NaNs and infinities break the line
	// instead of failing; the range comes from the finite positive values.
	p := &Panel{X: Axis{Scale: Log}, Series: []Series{{
		X: []float64{0, 1e-5, 1e-4, -1, 1e-3, 1e-2, math.NaN(), 1e-1, 2e-1},
		Y: []float64{1, 2, 3, 4, 5, math.NaN(), 7, 8, math.Inf(1)}, Color: Blue, Width: 2}}}
	_, fr := render(t, p, 500, 300)
	if hi := math.Log10(2e-1); math.Abs(fr.xm.lo+5) > 1e-12 || math.Abs(fr.xm.hi-hi) > 1e-12 {
		t.Errorf("x range [%g, %g] in log units, want [-5, %g]", fr.xm.lo, fr.xm.hi, hi)
	}
	if got := labels(fr.xt); len(got) != 5 || got[0] != "1e-05" {
		t.Errorf("x tick labels %q", got)
	}
}

func TestRotatedText(t *testing.T) {
	fonts, err := newFonts()
	if err != nil {
		t.Fatal(err)
	}
	img := image.NewRGBA(image.Rect(0, 0, 100, 200))
	f := fonts.label
	w := f.width("precision")
	f.drawUp(img, "precision", 10, 150, color.RGBA{0, 0, 0, 255})
	box := image.Rect(10, 150-w, 10+f.height, 150)
	ink := 0
	for y := 0; y < 200; y++ {
		for x := 0; x < 100; x++ {
			if img.RGBAAt(x, y).A == 0 {
				continue
			}
			if !(image.Point{x, y}.In(box)) {
				t.Fatalf("ink at (%d, %d) outside the rotated box %v", x, y, box)
			}
			ink++
		}
	}
	if ink < 50 {
		t.Errorf("only %d inked pixels", ink)
	}
	// Pixel (i, j) of the text drawn level is pixel (10+j, 149-i) of the
	// rotated one: a quarter turn anticlockwise, reading upwards.
	level := image.NewRGBA(image.Rect(0, 0, w, f.height))
	f.draw(level, "precision", 0, 0, color.RGBA{0, 0, 0, 255})
	for j := 0; j < f.height; j++ {
		for i := 0; i < w; i++ {
			if a, b := level.RGBAAt(i, j).A, img.RGBAAt(10+j, 149-i).A; a != b {
				t.Fatalf("level (%d, %d) alpha %d, rotated (%d, %d) alpha %d", i, j, a, 10+j, 149-i, b)
			}
		}
	}
}

func TestRenderErrors(t *testing.T) {
	ok := &Panel{Series: []Series{{X: []float64{1, 2}, Y: []float64{1, 2}, Width: 1}}}
	cases := []struct {
		name string
		f    Figure
		want string
	}{
		{"empty figure", Figure{Width: 0, Height: 100, Rows: 1, Cols: 1}, "figure"},
		{"too many panels", Figure{Width: 200, Height: 100, Rows: 1, Cols: 1, Panels: []*Panel{ok, ok}}, "2 panels"},
		{"lengths", Figure{Width: 300, Height: 200, Rows: 1, Cols: 1, Panels: []*Panel{{Title: "bad",
			Series: []Series{{X: []float64{1, 2}, Y: []float64{1}}}}}}, `panel "bad": series 0: 2 x values, 1 y values`},
		{"log range", Figure{Width: 300, Height: 200, Rows: 1, Cols: 1, Panels: []*Panel{{
			X: Axis{Label: "lr", Scale: Log, Fixed: true, Min: 0, Max: 1}}}}, `axis "lr"`},
		{"reversed range", Figure{Width: 300, Height: 200, Rows: 1, Cols: 1, Panels: []*Panel{{
			Y: Axis{Fixed: true, Min: 1, Max: 1}}}}, "range [1, 1]"},
		{"tiny cell", Figure{Width: 40, Height: 40, Rows: 1, Cols: 1, Panels: []*Panel{ok}}, "too small"},
	}
	for _, c := range cases {
		_, err := c.f.Render()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
	// An empty panel and empty cells are fine.
	f := Figure{Width: 400, Height: 200, Rows: 1, Cols: 2, Panels: []*Panel{{Title: "nothing"}}}
	if _, err := f.Render(); err != nil {
		t.Errorf("empty panel: %v", err)
	}
}

func TestWritePNG(t *testing.T) {
	dir := t.TempDir()
	f := &Figure{Width: 320, Height: 240, Rows: 1, Cols: 1, Panels: []*Panel{{
		Title: "t", X: Axis{Label: "x"}, Y: Axis{Label: "y"},
		Series: []Series{{X: []float64{0, 1, 2}, Y: []float64{2, 0, 1}, Color: Blue, Width: 2, Dash: []float64{4, 2}}},
		Legend: []LegendEntry{{Label: "dashed", Color: Blue, Width: 2, Dash: []float64{4, 2}, Marker: 3}},
	}}}
	img, err := f.Render()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "a.png")
	if err := WritePNG(path, img); err != nil {
		t.Fatal(err)
	}
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	got, err := png.Decode(fh)
	fh.Close()
	if err != nil || got.Bounds() != img.Bounds() {
		t.Fatalf("decoded %v, %v", got.Bounds(), err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("%d files in the folder, want only a.png", len(entries))
	}
	bad := filepath.Join(dir, "missing", "b.png")
	if err := WritePNG(bad, img); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("into a missing folder: %v, want an error naming %s", err, bad)
	}
}

func TestRenderNonFiniteDots(t *testing.T) {
	// Dots at infinite or NaN values are left out, the others drawn.
	p := &Panel{X: Axis{Fixed: true, Min: 0, Max: 1}, Y: Axis{Fixed: true, Min: 0, Max: 1},
		Series: []Series{{X: []float64{0.5, 0.2, math.Inf(-1)}, Y: []float64{0.5, math.NaN(), 0.3}, Color: Red, Marker: 5}}}
	img, fr := render(t, p, 300, 300)
	if c := img.RGBAAt(int(fr.xm.px(0.5)), int(fr.ym.px(0.5))); !near(c, Red, 8) {
		t.Errorf("the finite dot: %v, want %v", c, Red)
	}
}
