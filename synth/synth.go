// Package synth generates the built-in data set of the VOC example: a
// synthetic multilabel image collection written to disk in the real
// PASCAL VOCdevkit layout (JPEGImages, Annotations XML with objects and
// boxes, ImageSets/Main split lists and per-class files), so the default
// run goes through exactly the loader a VOC user gets.
//
// There are 20 classes of procedurally drawn objects: ten shapes, each in
// two variants that differ in colour and texture (solid, stripes, dots,
// checks). Each image has a random gradient-and-noise background, a few
// distractor strokes, and 1-4 objects at random positions and scales that
// may overlap; an object less than a quarter visible is marked difficult,
// one fully hidden is not annotated. Label sets have real co-occurrence
// structure: the classes fall into five groups of four, and after the first
// object each further one comes from the same group with probability 0.7,
// so the label-graph head has something to learn.
//
// Everything is deterministic from Config.Seed.
package synth

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"image"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/seed477ab429/multilabel/ops"
)

// Config sets the size of the generated data set.
type Config struct {
	Seed  uint64
	Size  int // image side in pixels (default 128)
	Train int // images in the train split (default 1200)
	Val   int // images in the val split (default 300)
	Test  int // images in the test split (default 600)
}

func (c Config) withDefaults() Config {
	if c.Size == 0 {
		c.Size = 128
	}
	if c.Train == 0 {
		c.Train = 1200
	}
	if c.Val == 0 {
		c.Val = 300
	}
	if c.Test == 0 {
		c.Test = 600
	}
	return c
}

// key names a configuration, for cache folders.
func (c Config) key() string {
	c = c.withDefaults()
	return fmt.Sprintf("synthvoc-v1-s%d-%dpx-%d-%d-%d", c.Seed, c.Size, c.Train, c.Val, c.Test)
}

type shapeKind int

const (
	circle shapeKind = iota
	square
	triangle
	diamond
	cross
	ring
	star
	hexagon
	crescent
	bar
)

var shapeNames = [...]string{"circle", "square", "triangle", "diamond", "cross", "ring", "star", "hexagon", "crescent", "bar"}

type texture int

const (
	solid texture = iota
	stripes
	dots
	checks
)

var textureNames = [...]string{"solid", "stripes", "dots", "checks"}

type class struct {
	name    string
	shape   shapeKind
	tex     texture
	hue     float64 // degrees
	group   int     // co-occurrence group
	variant int
}

// classes: shape i%10; the two classes of a shape differ in texture and in
// hue (opposite sides of the colour wheel). Sorted by name, as VOC's are.
var classes = func() []class {
	var cs []class
	for i := 0; i < 20; i++ {
		sh := shapeKind(i % 10)
		v := i / 10
		tex := texture(v*2 + i%2) // variant 0: solid/stripes, 1: dots/checks
		hue := math.Mod(float64(i%10)*36+float64(v)*180, 360)
		cs = append(cs, class{
			name:  shapeNames[sh] + "_" + textureNames[tex],
			shape: sh, tex: tex, hue: hue, group: i % 5, variant: v,
		})
	}
	sort.Slice(cs, func(a, b int) bool { return cs[a].name < cs[b].name })
	return cs
}()

// Classes returns the 20 class names in VOC (sorted) order.
func Classes() []string {
	out := make([]string, len(classes))
	for i, c := range classes {
		out[i] = c.name
	}
	return out
}

// object is one drawn instance.
type object struct {
	cls                    int
	cx, cy, r              float64 // centre and radius in pixels
	angle                  float64
	col                    [3]float64
	col2                   [3]float64 // texture's second colour
	period                 float64    // texture period in pixels
	xmin, ymin, xmax, ymax int
	visible                int // pixels not covered by later objects
	area                   int
}

// Generate writes the data set under root as root/VOCdevkit/VOC2007 and
// returns that VOC2007 folder. It writes into a temporary folder first and
// renames it at the end, so an interrupted run leaves nothing half-made.
// progress, if not nil, is called after each image.
func Generate(root string, cfg Config, progress func(done, total int)) (string, error) {
	return generate(root, cfg.withDefaults(), Classes(), nil, progress)
}

// generate is Generate with the hook GenerateWithLabelSets uses: names are
// the class names written to the annotations and per-class files (class k
// is drawn as object type k), and sets, if not nil, fixes the label set of
// image i of split s (0 train, 1 val, 2 test) to sets[s][i] instead of
// drawing it (drawLabels); cfg's split sizes must then match.
func generate(root string, cfg Config, names []string, sets *[3][][]int, progress func(done, total int)) (string, error) {
	if cfg.Size < 32 {
		return "", fmt.Errorf("synth: image size %d too small (min 32)", cfg.Size)
	}
	final := filepath.Join(root, "VOCdevkit")
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", fmt.Errorf("synth: %w", err)
	}
	tmp, err := os.MkdirTemp(root, ".synth-tmp-")
	if err != nil {
		return "", fmt.Errorf("synth: %w", err)
	}
	defer os.RemoveAll(tmp)
	voc := filepath.Join(tmp, "VOCdevkit", "VOC2007")
	for _, d := range []string{"JPEGImages", "Annotations", filepath.Join("ImageSets", "Main")} {
		if err := os.MkdirAll(filepath.Join(voc, d), 0o755); err != nil {
			return "", fmt.Errorf("synth: %w", err)
		}
	}
	splits := []struct {
		name string
		n    int
	}{{"train", cfg.Train}, {"val", cfg.Val}, {"test", cfg.Test}}
	total := cfg.Train + cfg.Val + cfg.Test
	ids := map[string][]string{}
	present := map[string][][]int{} // split -> per image -> per class 1/0/-1
	// Images are independent (each draws from its own seeded RNG), so they
	// are made in parallel on the worker pool; the result does not depend
	// on the number of workers.
	type item struct {
		split, index int
		id           string
		row          []int
	}
	var items []item
	for si, sp := range splits {
		for i := 0; i < sp.n; i++ {
			items = append(items, item{split: si, index: i, id: fmt.Sprintf("%06d", len(items)+1)})
		}
	}
	var (
		mu       sync.Mutex
		done     int
		firstErr error
	)
	ops.Parallel(len(items), 1, func(lo, hi int) {
		for k := lo; k < hi; k++ {
			it := &items[k]
			rng := rand.New(rand.NewPCG(cfg.Seed, uint64(it.split)<<32|uint64(it.index)))
			var labels []int
			if sets != nil {
				labels = sets[it.split][it.index]
			}
			img, objs := render(rng, cfg.Size, labels)
			err := writeImage(voc, it.id, cfg.Size, img, objs, names)
			it.row = labelRow(objs)
			mu.Lock()
			if err != nil && firstErr == nil {
				firstErr = err
			}
			done++
			if progress != nil {
				progress(done, total)
			}
			mu.Unlock()
		}
	})
	if firstErr != nil {
		return "", firstErr
	}
	for _, it := range items {
		name := splits[it.split].name
		ids[name] = append(ids[name], it.id)
		present[name] = append(present[name], it.row)
	}
	ids["trainval"] = append(append([]string{}, ids["train"]...), ids["val"]...)
	present["trainval"] = append(append([][]int{}, present["train"]...), present["val"]...)
	main := filepath.Join(voc, "ImageSets", "Main")
	for _, sp := range []string{"train", "val", "trainval", "test"} {
		if err := os.WriteFile(filepath.Join(main, sp+".txt"), []byte(strings.Join(ids[sp], "\n")+"\n"), 0o644); err != nil {
			return "", fmt.Errorf("synth: %w", err)
		}
		for c, name := range names {
			var b strings.Builder
			for i, id := range ids[sp] {
				fmt.Fprintf(&b, "%s %2d\n", id, present[sp][i][c])
			}
			if err := os.WriteFile(filepath.Join(main, name+"_"+sp+".txt"), []byte(b.String()), 0o644); err != nil {
				return "", fmt.Errorf("synth: %w", err)
			}
		}
	}
	readme := fmt.Sprintf("Synthetic VOC-format data set made by github.com/seed477ab429/multilabel/synth\nconfig: %+v\n", cfg)
	if err := os.WriteFile(filepath.Join(tmp, "VOCdevkit", "README.txt"), []byte(readme), 0o644); err != nil {
		return "", fmt.Errorf("synth: %w", err)
	}
	os.RemoveAll(final)
	if err := os.Rename(filepath.Join(tmp, "VOCdevkit"), final); err != nil {
		return "", fmt.Errorf("synth: %w", err)
	}
	return filepath.Join(final, "VOC2007"), nil
}

// writeImage writes one image as JPEG and its annotation.
func writeImage(voc, id string, size int, img *image.RGBA, objs []object, names []string) error {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 92}); err != nil {
		return fmt.Errorf("synth: encode %s: %w", id, err)
	}
	if err := os.WriteFile(filepath.Join(voc, "JPEGImages", id+".jpg"), buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("synth: %w", err)
	}
	return writeAnnotation(filepath.Join(voc, "Annotations", id+".xml"), id, size, objs, names)
}

// Cached returns the VOC2007 folder of the data set for cfg under dir
// (default: the user cache directory, e.g. ~/.cache/multilabel), generating
// it first if it is not there yet.
func Cached(dir string, cfg Config, progress func(done, total int)) (string, error) {
	if dir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			base = os.TempDir()
		}
		dir = filepath.Join(base, "multilabel")
	}
	root := filepath.Join(dir, cfg.key())
	voc := filepath.Join(root, "VOCdevkit", "VOC2007")
	if _, err := os.Stat(filepath.Join(root, "VOCdevkit", "README.txt")); err == nil {
		return voc, nil
	}
	return Generate(root, cfg, progress)
}

// labelRow gives the VOC per-class value of an image: 1 if a non-difficult
// object of the class is present, 0 if only difficult ones are, -1 if none.
func labelRow(objs []object) []int {
	row := make([]int, len(classes))
	for i := range row {
		row[i] = -1
	}
	for _, o := range objs {
		if o.visible == 0 {
			continue
		}
		if difficult(o) {
			if row[o.cls] < 0 {
				row[o.cls] = 0
			}
		} else {
			row[o.cls] = 1
		}
	}
	return row
}

func difficult(o object) bool { return float64(o.visible) < 0.25*float64(o.area) }

type xmlObject struct {
	Name      string `xml:"name"`
	Pose      string `xml:"pose"`
	Truncated int    `xml:"truncated"`
	Difficult int    `xml:"difficult"`
	Box       struct {
		Xmin int `xml:"xmin"`
		Ymin int `xml:"ymin"`
		Xmax int `xml:"xmax"`
		Ymax int `xml:"ymax"`
	} `xml:"bndbox"`
}

type xmlAnnotation struct {
	XMLName  xml.Name `xml:"annotation"`
	Folder   string   `xml:"folder"`
	Filename string   `xml:"filename"`
	Source   struct {
		Database string `xml:"database"`
	} `xml:"source"`
	Size struct {
		Width  int `xml:"width"`
		Height int `xml:"height"`
		Depth  int `xml:"depth"`
	} `xml:"size"`
	Segmented int         `xml:"segmented"`
	Objects   []xmlObject `xml:"object"`
}

func writeAnnotation(path, id string, size int, objs []object, names []string) error {
	var a xmlAnnotation
	a.Folder = "VOC2007"
	a.Filename = id + ".jpg"
	a.Source.Database = "multilabel synthetic VOC"
	a.Size.Width, a.Size.Height, a.Size.Depth = size, size, 3
	for _, o := range objs {
		if o.visible == 0 {
			continue
		}
		var x xmlObject
		x.Name = names[o.cls]
		x.Pose = "Unspecified"
		if o.xmin == 0 || o.ymin == 0 || o.xmax == size-1 || o.ymax == size-1 {
			x.Truncated = 1
		}
		if difficult(o) {
			x.Difficult = 1
		}
		// VOC boxes are 1-based and inclusive.
		x.Box.Xmin, x.Box.Ymin, x.Box.Xmax, x.Box.Ymax = o.xmin+1, o.ymin+1, o.xmax+1, o.ymax+1
		a.Objects = append(a.Objects, x)
	}
	out, err := xml.MarshalIndent(a, "", "\t")
	if err != nil {
		return fmt.Errorf("synth: %s: %w", path, err)
	}
	if err := os.WriteFile(path, append(out, '\n'), 0o644); err != nil {
		return fmt.Errorf("synth: %w", err)
	}
	return nil
}

// drawLabels picks 1-4 classes: the first uniformly, each further one from
// the first's group with probability 0.7, else uniformly.
func drawLabels(rng *rand.Rand) []int {
	n := 1 + rng.IntN(4)
	if rng.Float64() < 0.35 { // skew toward fewer objects, as real photos
		n = 1 + rng.IntN(2)
	}
	first := rng.IntN(len(classes))
	out := []int{first}
	var group []int
	for i, c := range classes {
		if c.group == classes[first].group && i != first {
			group = append(group, i)
		}
	}
	for len(out) < n {
		if rng.Float64() < 0.7 {
			out = append(out, group[rng.IntN(len(group))])
		} else {
			out = append(out, rng.IntN(len(classes)))
		}
	}
	return out
}

// hsv converts hue (degrees), saturation and value to RGB in [0, 255].
func hsv(h, s, v float64) [3]float64 {
	h = math.Mod(h+360, 360) / 60
	c := v * s
	x := c * (1 - math.Abs(math.Mod(h, 2)-1))
	var r, g, b float64
	switch int(h) {
	case 0:
		r, g, b = c, x, 0
	case 1:
		r, g, b = x, c, 0
	case 2:
		r, g, b = 0, c, x
	case 3:
		r, g, b = 0, x, c
	case 4:
		r, g, b = x, 0, c
	default:
		r, g, b = c, 0, x
	}
	m := v - c
	return [3]float64{255 * (r + m), 255 * (g + m), 255 * (b + m)}
}

// render draws one image and returns it with its objects (in drawing
// order, with visible pixel counts after occlusion). labels, if not nil,
// are the classes to draw, one object each; nil draws them (drawLabels) at
// the same point of the RNG stream as always, so Generate's output does
// not depend on the hook.
func render(rng *rand.Rand, size int, labels []int) (*image.RGBA, []object) {
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	fs := float64(size)
	// Background: a two-colour linear gradient plus low-frequency waves.
	c0 := hsv(rng.Float64()*360, 0.1+0.3*rng.Float64(), 0.3+0.5*rng.Float64())
	c1 := hsv(rng.Float64()*360, 0.1+0.3*rng.Float64(), 0.3+0.5*rng.Float64())
	ang := rng.Float64() * 2 * math.Pi
	dx, dy := math.Cos(ang), math.Sin(ang)
	wf := 2 * math.Pi / (fs * (0.2 + 0.5*rng.Float64()))
	wa := 10 + 20*rng.Float64()
	wph := rng.Float64() * 2 * math.Pi
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			t := ((float64(x)-fs/2)*dx+(float64(y)-fs/2)*dy)/fs + 0.5
			t = math.Max(0, math.Min(1, t))
			w := wa * math.Sin(wf*(float64(x)*dy-float64(y)*dx)+wph)
			i := img.PixOffset(x, y)
			for ch := 0; ch < 3; ch++ {
				img.Pix[i+ch] = clamp8(c0[ch]*(1-t) + c1[ch]*t + w + 8*rng.NormFloat64())
			}
			img.Pix[i+3] = 255
		}
	}
	// Distractor strokes in background tones.
	for s := rng.IntN(4); s > 0; s-- {
		col := hsv(rng.Float64()*360, 0.15, 0.2+0.6*rng.Float64())
		x0, y0 := rng.Float64()*fs, rng.Float64()*fs
		a := rng.Float64() * math.Pi
		l, w := fs*(0.3+0.5*rng.Float64()), 1+fs*0.02*rng.Float64()
		ca, sa := math.Cos(a), math.Sin(a)
		for y := 0; y < size; y++ {
			for x := 0; x < size; x++ {
				u := (float64(x)-x0)*ca + (float64(y)-y0)*sa
				v := -(float64(x)-x0)*sa + (float64(y)-y0)*ca
				if math.Abs(u) < l/2 && math.Abs(v) < w {
					i := img.PixOffset(x, y)
					for ch := 0; ch < 3; ch++ {
						img.Pix[i+ch] = clamp8(col[ch])
					}
				}
			}
		}
	}
	// Objects, with an owner map for occlusion.
	if labels == nil {
		labels = drawLabels(rng)
	}
	owner := make([]int16, size*size)
	for i := range owner {
		owner[i] = -1
	}
	objs := make([]object, len(labels))
	for k, c := range labels {
		cl := classes[c]
		o := object{cls: c}
		o.r = fs * (0.12 + 0.16*rng.Float64())
		o.cx = o.r*0.6 + rng.Float64()*(fs-1.2*o.r)
		o.cy = o.r*0.6 + rng.Float64()*(fs-1.2*o.r)
		o.angle = rng.Float64() * 2 * math.Pi
		o.col = hsv(cl.hue+12*rng.NormFloat64(), 0.75+0.25*rng.Float64(), 0.7+0.3*rng.Float64())
		o.col2 = hsv(cl.hue+180, 0.3, 0.15+0.2*rng.Float64())
		o.period = math.Max(3, o.r*(0.25+0.15*rng.Float64()))
		o.xmin, o.ymin, o.xmax, o.ymax = size, size, -1, -1
		ca, sa := math.Cos(o.angle), math.Sin(o.angle)
		x0, x1 := max(0, int(o.cx-o.r*1.5)), min(size-1, int(o.cx+o.r*1.5))
		y0, y1 := max(0, int(o.cy-o.r*1.5)), min(size-1, int(o.cy+o.r*1.5))
		for y := y0; y <= y1; y++ {
			for x := x0; x <= x1; x++ {
				// Object-local coordinates, rotated, in units of r.
				px, py := float64(x)+0.5-o.cx, float64(y)+0.5-o.cy
				u := (px*ca + py*sa) / o.r
				v := (-px*sa + py*ca) / o.r
				if !inside(cl.shape, u, v) {
					continue
				}
				o.area++
				o.xmin, o.ymin = min(o.xmin, x), min(o.ymin, y)
				o.xmax, o.ymax = max(o.xmax, x), max(o.ymax, y)
				owner[y*size+x] = int16(k)
				col := o.col
				if textured(cl.tex, px*ca+py*sa, -px*sa+py*ca, o.period) {
					col = o.col2
				}
				i := img.PixOffset(x, y)
				shade := 0.85 + 0.15*(1-u*u-v*v)
				for ch := 0; ch < 3; ch++ {
					img.Pix[i+ch] = clamp8(col[ch]*shade + 4*rng.NormFloat64())
				}
			}
		}
		objs[k] = o
	}
	for _, k := range owner {
		if k >= 0 {
			objs[k].visible++
		}
	}
	// Drop objects that fell outside the image entirely (area 0).
	kept := objs[:0]
	for _, o := range objs {
		if o.area > 0 {
			kept = append(kept, o)
		}
	}
	return img, kept
}

// inside reports whether the point (u, v), in units of the object's
// radius, lies in the shape.
func inside(s shapeKind, u, v float64) bool {
	r := math.Hypot(u, v)
	switch s {
	case circle:
		return r <= 1
	case square:
		return math.Abs(u) <= 0.8 && math.Abs(v) <= 0.8
	case triangle:
		return v <= 0.7 && v >= -1+1.7*math.Abs(u)/0.98
	case diamond:
		return math.Abs(u)/0.75+math.Abs(v) <= 1
	case cross:
		return (math.Abs(u) <= 0.3 && math.Abs(v) <= 1) || (math.Abs(v) <= 0.3 && math.Abs(u) <= 1)
	case ring:
		return r <= 1 && r >= 0.55
	case star:
		a := math.Atan2(v, u)
		return r <= 0.45+0.55*math.Pow(math.Abs(math.Cos(2.5*a)), 3)
	case hexagon:
		au, av := math.Abs(u), math.Abs(v)
		return av <= 0.866 && 0.866*au+0.5*av <= 0.866
	case crescent:
		return r <= 1 && math.Hypot(u-0.45, v) > 0.8
	case bar:
		return math.Abs(u) <= 1 && math.Abs(v) <= 0.35
	}
	return false
}

// textured reports whether a pixel at object-aligned offset (x, y) takes
// the texture's second colour.
func textured(t texture, x, y, period float64) bool {
	switch t {
	case stripes:
		return math.Mod(math.Abs(x), period) < period*0.45
	case dots:
		fx := math.Mod(math.Abs(x), period) - period/2
		fy := math.Mod(math.Abs(y), period) - period/2
		return fx*fx+fy*fy < period*period*0.08
	case checks:
		return (int(math.Floor(x/period))+int(math.Floor(y/period)))%2 == 0
	}
	return false
}

func clamp8(v float64) uint8 {
	if v <= 0 {
		return 0
	}
	if v >= 255 {
		return 255
	}
	return uint8(v + 0.5)
}
