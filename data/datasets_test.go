package data

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// labelsOf maps each item's base file name to its targets by class name
// (only non-zero targets), for compact expectations.
func labelsOf(ds *Dataset) map[string]map[string]int8 {
	out := map[string]map[string]int8{}
	for _, it := range ds.Items {
		m := map[string]int8{}
		for c, v := range it.Labels {
			if v != Negative {
				m[ds.Classes[c]] = v
			}
		}
		out[filepath.Base(it.Path)] = m
	}
	return out
}

func mustEqualLabels(t *testing.T, got *Dataset, want map[string]map[string]int8) {
	t.Helper()
	g := labelsOf(got)
	if len(g) != len(want) {
		t.Fatalf("got %d items %v, want %d %v", len(g), g, len(want), want)
	}
	for name, w := range want {
		gl, ok := g[name]
		if !ok {
			t.Fatalf("item %s missing; got %v", name, g)
		}
		if len(gl) != len(w) {
			t.Fatalf("%s: labels %v, want %v", name, gl, w)
		}
		for c, v := range w {
			if gl[c] != v {
				t.Fatalf("%s: labels %v, want %v", name, gl, w)
			}
		}
	}
}

// collect returns a Warn callback and the warnings it saw.
func collect() (func(error), *[]error) {
	var ws []error
	return func(err error) { ws = append(ws, err) }, &ws
}

func TestVOCFixture(t *testing.T) {
	// The classes are discovered from every annotation (v4's unicorn
	// included, though v4 is not in the split), sorted: with a unicorn this
	// is not VOC itself, so not the 20 VOC classes.
	ds, err := LoadVOC("testdata/voc/VOC2007", "good", VOCOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"bird", "cat", "chair", "dog", "person", "sofa", "unicorn"}; !slices.Equal(ds.Classes, want) {
		t.Fatalf("classes %v, want %v", ds.Classes, want)
	}
	// v1: person only difficult -> negative; owner and part names ignored.
	// v2: cat difficult and not -> positive; chair difficult only; sofa
	// without <difficult> counts as not difficult.
	mustEqualLabels(t, ds, map[string]map[string]int8{
		"v1.jpg": {"dog": 1},
		"v2.jpg": {"cat": 1, "sofa": 1},
	})

	ds, err = LoadVOC("testdata/voc", "good", VOCOptions{DifficultIgnored: true})
	if err != nil {
		t.Fatal(err)
	}
	mustEqualLabels(t, ds, map[string]map[string]int8{
		"v1.jpg": {"dog": 1, "person": -1},
		"v2.jpg": {"cat": 1, "sofa": 1, "chair": -1},
	})
}

func TestVOCErrors(t *testing.T) {
	voc := VOCOptions{Options: Options{Classes: VOCClasses}}
	_, err := LoadVOC("testdata/voc", "all", voc)
	if err == nil || !strings.Contains(err.Error(), "v3.xml") || !strings.Contains(err.Error(), "malformed XML") {
		t.Fatalf("malformed XML: got %v", err)
	}
	_, err = LoadVOC("testdata/voc", "nosuchsplit", VOCOptions{})
	if err == nil || !strings.Contains(err.Error(), "nosuchsplit.txt") {
		t.Fatalf("missing split: got %v", err)
	}
	_, err = LoadVOC("testdata", "good", VOCOptions{})
	if err == nil || !strings.Contains(err.Error(), "no Annotations") {
		t.Fatalf("not a VOC folder: got %v", err)
	}

	warn, ws := collect()
	ds, err := LoadVOC("testdata/voc", "all", VOCOptions{Options: Options{Classes: VOCClasses, SkipBad: true, Warn: warn}})
	if err != nil {
		t.Fatal(err)
	}
	if ds.Skipped != 3 || len(ds.Items) != 2 || len(*ws) != 3 {
		t.Fatalf("skipped %d, items %d, warnings %v", ds.Skipped, len(ds.Items), *ws)
	}
	msgs := []string{"v3.xml", "unicorn", "v5.jpg"}
	for i, m := range msgs {
		if !strings.Contains((*ws)[i].Error(), m) {
			t.Errorf("warning %d = %v, want it to mention %s", i, (*ws)[i], m)
		}
	}
	if !errors.Is((*ws)[1], ErrUnknownLabel) {
		t.Errorf("unknown label warning does not wrap ErrUnknownLabel: %v", (*ws)[1])
	}
	// The missing image names the split list and its line (v5 is on line 6).
	if !strings.Contains((*ws)[2].Error(), "all.txt:6") {
		t.Errorf("missing image warning lacks file:line: %v", (*ws)[2])
	}
}

// vocSample is the VOC sample beside the checkout (docs/README.md,
// "Reference data beside the checkout").
const vocSample = "../../shared/data/voc-sample/VOCdevkit"

func TestVOCSample(t *testing.T) {
	if _, err := os.Stat(vocSample); err != nil {
		t.Skipf("VOC sample beside the checkout absent (%v): see docs/README.md, Reference data beside the checkout", err)
	}
	// VOC2007 via the devkit root; labels are the non-difficult objects.
	ds, err := LoadVOC(vocSample, "trainval", VOCOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mustEqualLabels(t, ds, map[string]map[string]int8{
		"000001.jpg": {"dog": 1, "person": 1},
		"000002.jpg": {"train": 1},
		"000003.jpg": {"chair": 1, "sofa": 1},
		"000004.jpg": {"car": 1},
		"000005.jpg": {"chair": 1}, // two of its five chairs are difficult
	})
	// VOC2012 folder given directly: <part><name>head</name> etc. must not count.
	ds12, err := LoadVOC(filepath.Join(vocSample, "VOC2012"), "test", VOCOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mustEqualLabels(t, ds12, map[string]map[string]int8{
		"2007_000027.jpg": {"person": 1},
		"2007_000032.jpg": {"aeroplane": 1, "person": 1},
		"2007_000033.jpg": {"aeroplane": 1},
		"2007_000039.jpg": {"tvmonitor": 1},
		"2007_000042.jpg": {"train": 1},
	})
	if got := ds.LabelsPerImage(); got != 7.0/5 {
		t.Errorf("labels per image %v, want 1.4", got)
	}

	// Every image decodes; 000001.jpg is a progressive JPEG (SOF2 marker).
	for _, it := range append(ds.Items, ds12.Items...) {
		img, err := DecodeFile(it.Path)
		if err != nil {
			t.Fatal(err)
		}
		if img.Rect.Dx() < 100 || img.Rect.Dy() < 100 {
			t.Errorf("%s: size %v", it.Path, img.Rect)
		}
	}
	raw, err := os.ReadFile(ds.Items[0].Path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), "\xff\xc2") {
		t.Fatalf("%s is not progressive: the fixture changed", ds.Items[0].Path)
	}
	img, err := DecodeFile(ds.Items[0].Path)
	if err != nil {
		t.Fatal(err)
	}
	if img.Rect.Dx() != 353 || img.Rect.Dy() != 500 {
		t.Fatalf("000001.jpg is %v, want 353x500 (the XML's <size>)", img.Rect)
	}
	// A progressive decode that stopped early would leave flat grey; the
	// photo has texture: check the spread of the green channel.
	lo, hi := 255, 0
	for i := 1; i < len(img.Pix); i += 4 {
		lo, hi = min(lo, int(img.Pix[i])), max(hi, int(img.Pix[i]))
	}
	if hi-lo < 100 {
		t.Fatalf("progressive decode looks flat: green in [%d, %d]", lo, hi)
	}
}

func TestRefJSON(t *testing.T) {
	warn, ws := collect()
	ds, err := LoadJSON("testdata/ref.json", Options{Warn: warn})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ds.Classes, []string{"cat", "dog", "zebra"}) {
		t.Fatalf("classes %v, want sorted", ds.Classes)
	}
	if want := filepath.Join("testdata", "img", "rgb8x6.png"); ds.Items[0].Path != want {
		t.Fatalf("path %q, want %q (relative to the JSON)", ds.Items[0].Path, want)
	}
	mustEqualLabels(t, ds, map[string]map[string]int8{
		"rgb8x6.png":  {"dog": 1},
		"rgb8x6.bmp":  {"cat": 1, "dog": 1}, // duplicate "cat" collapses
		"gray8x6.png": {},                   // kept, all negative, with a warning
	})
	if len(*ws) != 1 || !strings.Contains((*ws)[0].Error(), "ref.json:6") {
		t.Fatalf("warnings %v, want one about the unlabelled image on line 6", *ws)
	}

	// Numeric classes sort by value, as Python sorts ints.
	ds, err = LoadJSON("testdata/ref_numeric.json", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ds.Classes, []string{"1", "2", "10"}) {
		t.Fatalf("numeric classes %v", ds.Classes)
	}
	mustEqualLabels(t, ds, map[string]map[string]int8{
		"rgb8x6.png": {"10": 1, "2": 1},
		"rgb8x6.gif": {"1": 1},
	})

	// An explicit class list overrides the order.
	ds, err = LoadJSON("testdata/ref.json", Options{Classes: []string{"zebra", "dog", "cat"}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ds.Items[0].Labels, []int8{0, 1, 0}) {
		t.Fatalf("explicit order: labels %v", ds.Items[0].Labels)
	}
}

func TestRefJSONErrors(t *testing.T) {
	_, err := LoadJSON("testdata/ref_bad_label.json", Options{})
	if err == nil || !errors.Is(err, ErrUnknownLabel) || !strings.Contains(err.Error(), "ref_bad_label.json:5") {
		t.Fatalf("unknown label: got %v", err)
	}
	warn, ws := collect()
	ds, err := LoadJSON("testdata/ref_bad_label.json", Options{SkipBad: true, Warn: warn})
	if err != nil {
		t.Fatal(err)
	}
	if len(ds.Items) != 1 || ds.Skipped != 3 || len(*ws) != 3 {
		t.Fatalf("items %d skipped %d warnings %v", len(ds.Items), ds.Skipped, *ws)
	}
	for i, m := range []string{":5: ", ":6: ", ":7: "} {
		if !strings.Contains((*ws)[i].Error(), m) {
			t.Errorf("warning %v lacks line %s", (*ws)[i], m)
		}
	}
	if !strings.Contains((*ws)[1].Error(), "missing.png") {
		t.Errorf("missing image warning: %v", (*ws)[1])
	}

	// Broken syntax is fatal even with SkipBad, and names the line.
	_, err = LoadJSON("testdata/ref_malformed.json", Options{SkipBad: true})
	if err == nil || !strings.Contains(err.Error(), "ref_malformed.json:5") || !strings.Contains(err.Error(), "malformed JSON") {
		t.Fatalf("malformed: got %v", err)
	}
	dir := t.TempDir()
	for name, body := range map[string]string{
		"trunc.json":     `{"classes": ["a"], "images": [["x.png", ["a"]]`,
		"noimages.json":  `{"classes": ["a"]}`,
		"notobject.json": `[1, 2]`,
		"mixed.json":     `{"classes": ["a", 1], "images": []}`,
	} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadJSON(p, Options{}); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: got %v, want an error naming the file", name, err)
		}
	}
}

func TestCOCO(t *testing.T) {
	ds, err := LoadCOCO("testdata/coco.json", COCOOptions{ImageDir: "testdata/img"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ds.Classes, []string{"car", "dog", "person"}) {
		t.Fatalf("classes by name %v", ds.Classes)
	}
	if ds.Dropped != 1 || len(ds.Items) != 2 {
		t.Fatalf("dropped %d items %d, want 1 and 2 (gray8x6.png has no annotation)", ds.Dropped, len(ds.Items))
	}
	mustEqualLabels(t, ds, map[string]map[string]int8{
		"rgb8x6.png": {"dog": 1, "person": 1}, // crowd annotations count
		"rgb8x6.bmp": {"car": 1},
	})
	ds, err = LoadCOCO("testdata/coco.json", COCOOptions{ImageDir: "testdata/img", ClassesByID: true})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ds.Classes, []string{"person", "car", "dog"}) {
		t.Fatalf("classes by id %v", ds.Classes)
	}

	// Bad file: unknown category, missing image.
	_, err = LoadCOCO("testdata/coco_bad.json", COCOOptions{ImageDir: "testdata/img"})
	if err == nil || !strings.Contains(err.Error(), "coco_bad.json") || !strings.Contains(err.Error(), "category id 99") {
		t.Fatalf("bad category: got %v", err)
	}
	warn, ws := collect()
	ds, err = LoadCOCO("testdata/coco_bad.json", COCOOptions{ImageDir: "testdata/img", Options: Options{SkipBad: true, Warn: warn}})
	if err != nil {
		t.Fatal(err)
	}
	if len(ds.Items) != 1 || ds.Skipped != 2 || len(*ws) != 2 || !strings.Contains((*ws)[1].Error(), "missing.png") {
		t.Fatalf("items %d skipped %d warnings %v", len(ds.Items), ds.Skipped, *ws)
	}
	_, err = LoadCOCO("testdata/coco_malformed.json", COCOOptions{})
	if err == nil || !strings.Contains(err.Error(), "coco_malformed.json:2") {
		t.Fatalf("malformed: got %v", err)
	}

	if got := cocoImageDir(filepath.Join("root", "annotations", "instances_val2017.json")); got != filepath.Join("root", "val2017") {
		t.Errorf("cocoImageDir: %s", got)
	}
}

func TestCSV(t *testing.T) {
	warn, ws := collect()
	ds, err := LoadCSV("testdata/list.csv", Options{Warn: warn})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ds.Classes, []string{"bird", "cat", "dog"}) {
		t.Fatalf("classes %v", ds.Classes)
	}
	mustEqualLabels(t, ds, map[string]map[string]int8{
		"rgb8x6.png":  {"dog": 1},
		"rgb8x6.bmp":  {"cat": 1, "dog": 1},
		"gray8x6.png": {},
		"rgb8x6.tiff": {"bird": 1},
	})
	if len(*ws) != 1 || !strings.Contains((*ws)[0].Error(), "list.csv:5") {
		t.Fatalf("warnings %v, want the unlabelled image on line 5", *ws)
	}

	_, err = LoadCSV("testdata/list_bad.csv", Options{})
	if err == nil || !strings.Contains(err.Error(), "list_bad.csv:2") {
		t.Fatalf("bad csv: got %v", err)
	}
	warn, ws = collect()
	ds, err = LoadCSV("testdata/list_bad.csv", Options{SkipBad: true, Warn: warn, Classes: []string{"dog", "cat"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(ds.Items) != 1 || ds.Skipped != 3 || len(*ws) != 3 {
		t.Fatalf("items %d skipped %d warnings %v", len(ds.Items), ds.Skipped, *ws)
	}
	for i, m := range []string{":2: ", ":4", ":3: "} {
		if !strings.Contains((*ws)[i].Error(), m) {
			t.Errorf("warning %v lacks %q", (*ws)[i], m)
		}
	}
}

func TestOpen(t *testing.T) {
	for _, c := range []struct {
		path    string
		classes int
	}{
		{"testdata/voc", 7},
		{"testdata/ref.json", 3},
		{"testdata/list.csv", 3},
	} {
		ds, err := Open(c.path, "good", Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(ds.Classes) != c.classes {
			t.Errorf("%s: %d classes, want %d", c.path, len(ds.Classes), c.classes)
		}
	}
	// COCO is recognized ("categories"), then fails on its images, which
	// live in img/: the error proves the COCO reader ran.
	_, err := Open("testdata/coco.json", "", Options{})
	if err == nil || !strings.Contains(err.Error(), "rgb8x6.png") {
		t.Fatalf("coco via Open: %v", err)
	}
	ds, err := Open("testdata/coco.json", "", Options{NoFileCheck: true})
	if err != nil || !slices.Equal(ds.Classes, []string{"car", "dog", "person"}) {
		t.Fatalf("coco via Open: %v %v", ds, err)
	}
}
