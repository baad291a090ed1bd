package data

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const (
	shapesVOC  = "testdata/shapes-voc"
	shapesYOLO = "testdata/shapes-yolo"
)

// copyTree copies the files of src below dst, skipping paths for which
// skip returns true.
func copyTree(t *testing.T, src, dst string, skip func(rel string) bool) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if skip != nil && skip(rel) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func positives(ds *Dataset, i int) string { return strings.Join(ds.PositiveNames(i), ",") }

func TestVOCCustomClasses(t *testing.T) {
	if f, err := Format(shapesVOC); err != nil || f != FormatVOC {
		t.Fatalf("Format: %q, %v", f, err)
	}
	splits, err := Splits(shapesVOC)
	if err != nil || !slices.Equal(splits, []string{"test", "train", "trainval", "val"}) {
		t.Fatalf("splits %v, %v", splits, err)
	}
	ds, err := Open(shapesVOC, "train", Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Discovered from the annotations, sorted byte-wise (capitals first).
	if want := []string{"Cross", "hexagon", "ring", "star"}; !slices.Equal(ds.Classes, want) {
		t.Fatalf("classes %v, want %v", ds.Classes, want)
	}
	if len(ds.Items) != 40 || ds.Background() < 4 {
		t.Errorf("%d items, %d background; want 40 and the fixture's background images", len(ds.Items), ds.Background())
	}
	// 000013 is a PNG, found through the XML's <filename>.
	i := slices.IndexFunc(ds.Items, func(it Item) bool { return strings.HasSuffix(it.Path, "000013.png") })
	if i < 0 {
		t.Fatal("000013.png not found through <filename>")
	}
	if positives(ds, i) != "ring" {
		t.Errorf("000013: %q", positives(ds, i))
	}
	// The same classes for every split, even one lacking a class.
	for _, s := range []string{"val", "test", "trainval"} {
		d, err := Open(shapesVOC, s, Options{})
		if err != nil || !slices.Equal(d.Classes, ds.Classes) {
			t.Fatalf("%s: %v %v", s, d.Classes, err)
		}
	}
	if IsVOCItself(shapesVOC, "") {
		t.Error("a custom set is not VOC itself")
	}

	// -classes: order and subset; other labels dropped and counted.
	sub, err := Open(shapesVOC, "train", Options{Classes: []string{"star", "Cross"}, DropOthers: true})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(sub.Classes, []string{"star", "Cross"}) || sub.DroppedLabels["ring"] == 0 || sub.DroppedLabels["star"] != 0 {
		t.Errorf("subset: classes %v, dropped %v", sub.Classes, sub.DroppedLabels)
	}
	for k, it := range sub.Items {
		full := ds.Items[k]
		if it.Path != full.Path || it.Labels[0] != full.Labels[3] || it.Labels[1] != full.Labels[0] {
			t.Fatalf("subset item %d: %v vs %v", k, it, full)
		}
	}
	// Without DropOthers, a label outside the list is an error naming the file.
	_, err = Open(shapesVOC, "train", Options{Classes: []string{"star", "Cross"}})
	if err == nil || !errors.Is(err, ErrUnknownLabel) || !strings.Contains(err.Error(), ".xml") {
		t.Errorf("strict subset: %v", err)
	}
}

// Without ImageSets, every annotated image is the data set (split "").
func TestVOCWithoutImageSets(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "export")
	copyTree(t, shapesVOC, dir, func(rel string) bool { return rel == "ImageSets" })
	splits, err := Splits(dir)
	if err != nil || splits != nil {
		t.Fatalf("splits %v, %v", splits, err)
	}
	ds, err := Open(dir, "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ds.Items) != 64 || len(ds.Classes) != 4 {
		t.Errorf("%d items, %d classes; want 64, 4", len(ds.Items), len(ds.Classes))
	}
	if _, err := Open(dir, "train", Options{}); err == nil || !strings.Contains(err.Error(), "train.txt") {
		t.Errorf("a named split without ImageSets: %v", err)
	}
}

// A VOC<year> folder whose classes are VOC's is VOC itself: the 20
// classes, even when a sample holds only a few.
func TestVOCItselfClasses(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "VOCdevkit", "VOC2012")
	copyTree(t, "testdata/voc/VOC2007", dir, func(rel string) bool {
		return rel == filepath.Join("Annotations", "v4.xml") || rel == filepath.Join("Annotations", "v3.xml")
	})
	ds, err := LoadVOC(filepath.Dir(dir), "good", VOCOptions{Year: "2012"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ds.Classes, VOCClasses) || !IsVOCItself(filepath.Dir(dir), "2012") {
		t.Errorf("classes %v", ds.Classes)
	}
}

func TestYOLOUltralytics(t *testing.T) {
	for _, path := range []string{shapesYOLO, filepath.Join(shapesYOLO, "data.yaml")} {
		if f, err := Format(path); err != nil || f != FormatYOLO {
			t.Fatalf("Format(%s): %q, %v", path, f, err)
		}
		splits, err := Splits(path)
		if err != nil || !slices.Equal(splits, []string{"train", "val", "test"}) {
			t.Fatalf("splits %v, %v", splits, err)
		}
	}
	ds, err := Open(shapesYOLO, "train", Options{})
	if err != nil {
		t.Fatal(err)
	}
	// The file's own index order, not sorted.
	if want := []string{"star", "ring", "Cross", "hexagon"}; !slices.Equal(ds.Classes, want) {
		t.Fatalf("classes %v, want %v", ds.Classes, want)
	}
	voc, err := Open(shapesVOC, "train", Options{Classes: ds.Classes})
	if err != nil {
		t.Fatal(err)
	}
	// The same images: YOLO's labels are every box's class, difficult or
	// not; VOC's positives leave difficult-only classes out.
	if len(ds.Items) != len(voc.Items) {
		t.Fatalf("%d YOLO images, %d VOC", len(ds.Items), len(voc.Items))
	}
	background := 0
	for i := range ds.Items {
		y, v := ds.Items[i], voc.Items[i]
		if filepath.Base(y.Path)[:6] != filepath.Base(v.Path)[:6] {
			t.Fatalf("item %d: %s vs %s", i, y.Path, v.Path)
		}
		for c := range y.Labels {
			if v.Labels[c] == Positive && y.Labels[c] != Positive {
				t.Errorf("%s: class %s positive in VOC, not in YOLO", y.Path, ds.Classes[c])
			}
		}
		if !slices.Contains(y.Labels, Positive) {
			background++
		}
	}
	if background == 0 {
		t.Error("no background image (empty or missing label file)")
	}
	for _, s := range []string{"val", "test"} {
		d, err := Open(shapesYOLO, s, Options{})
		if err != nil || len(d.Items) != 12 {
			t.Fatalf("%s: %v", s, err)
		}
	}
	if _, err := Open(shapesYOLO, "nope", Options{}); err == nil || !strings.Contains(err.Error(), `no split "nope"`) {
		t.Errorf("unknown split: %v", err)
	}
}

// writeFiles writes name -> content below dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func pngBytes(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("testdata/img/rgb8x6.png")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The plain classes.txt variant, split into images/<split>/ or not, and
// LabelImg's flat folder.
func TestYOLOPlain(t *testing.T) {
	img := pngBytes(t)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"classes.txt":        "dog\ncat\n\n",
		"images/train/a.png": img, "labels/train/a.txt": "1 0.5 0.5 0.2 0.2\n0 0.1 0.1 0.1 0.1\n1 0.3 0.3 0.1 0.1\n",
		"images/train/b.png": img, // no label file: background
		"images/val/c.png":   img, "labels/val/c.txt": "0 0.5 0.5 0.2 0.2\n",
	})
	if s, err := Splits(dir); err != nil || !slices.Equal(s, []string{"train", "val"}) {
		t.Fatalf("splits %v %v", s, err)
	}
	ds, err := Open(dir, "train", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ds.Classes, []string{"dog", "cat"}) || len(ds.Items) != 2 || positives(ds, 0) != "dog,cat" || positives(ds, 1) != "" {
		t.Errorf("classes %v, items %v", ds.Classes, ds.Items)
	}

	flat := t.TempDir()
	writeFiles(t, flat, map[string]string{
		"classes.txt": "dog\ncat\n", "x.png": img, "x.txt": "1 0.5 0.5 0.2 0.2\n", "y.png": img, "y.txt": "",
	})
	if s, err := Splits(flat); err != nil || s != nil {
		t.Fatalf("flat splits %v %v", s, err)
	}
	ds, err = Open(flat, "", Options{})
	if err != nil || len(ds.Items) != 2 || positives(ds, 0) != "cat" || positives(ds, 1) != "" {
		t.Fatalf("flat: %v %v", ds, err)
	}
}

// data.yaml variants: a names list, Roboflow's ../ paths, nc alone, image
// lists in .txt files; and the errors with file:line.
func TestYOLOYAMLVariants(t *testing.T) {
	img := pngBytes(t)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		// Roboflow: ../train/images relative to the YAML, resolved as train/images.
		"data.yaml":             "train: ../train/images\nval: ../valid/images\n\nnc: 2\nnames: ['no helmet', \"helmet\"]\n",
		"train/images/a.png":    img,
		"train/labels/a.txt":    "1 0.5 0.5 0.2 0.2\n",
		"valid/images/b.png":    img,
		"valid/labels/b.txt":    "0 0.5 0.5 0.2 0.2\n",
		"lists.yaml":            "path: .\ntrain: [list.txt]\nval: valid/images/b.png\nnc: 2\n",
		"list.txt":              "# images\ntrain/images/a.png\n./valid/images/b.png\n",
		"bad_nc.yaml":           "train: train/images\nnc: 3\nnames: [a, b]\n",
		"bad_yaml.yaml":         "train: train/images\nnames: [a, b\nval: x\n",
		"bad_names.yaml":        "train: train/images\nnames:\n  0: a\n  2: b\n",
		"not_yolo.yaml":         "foo: bar\n",
		"badlabel/data.yaml":    "train: images\nnames: [a, b]\n",
		"badlabel/images/a.png": img, "badlabel/labels/a.txt": "0 0.5 0.5 0.2 0.2\n\n7 0.5 0.5 0.1 0.1\n",
		"badlabel/images/b.png": img, "badlabel/labels/b.txt": "1 0.5 0.5 0.2 0.2\n",
		"badlabel/images/c.png": img, "badlabel/labels/c.txt": "1 0.5 1.5 0.2 0.2\n",
	})
	ds, err := Open(dir, "train", Options{})
	if err != nil || !slices.Equal(ds.Classes, []string{"no helmet", "helmet"}) || positives(ds, 0) != "helmet" {
		t.Fatalf("roboflow: %v %v", ds, err)
	}
	ds, err = Open(filepath.Join(dir, "lists.yaml"), "train", Options{})
	if err != nil || !slices.Equal(ds.Classes, []string{"class_0", "class_1"}) || len(ds.Items) != 2 {
		t.Fatalf("lists: %v %v", ds, err)
	}
	for _, tc := range []struct{ file, want string }{
		{"bad_nc.yaml", "bad_nc.yaml:3: nc is 3 but names has 2"},
		{"bad_yaml.yaml", "bad_yaml.yaml:2: malformed YAML"},
		{"bad_names.yaml", "bad_names.yaml:4: names: key \"2\""},
		{"not_yolo.yaml", "no train, val or test"},
	} {
		_, err := Open(filepath.Join(dir, tc.file), "train", Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: want one line with %q, got %v", tc.file, tc.want, err)
		}
	}
	// A bad label line: file:line, or skipped with SkipBad.
	bad := filepath.Join(dir, "badlabel")
	_, err = Open(bad, "train", Options{})
	if err == nil || !strings.Contains(err.Error(), filepath.Join("labels", "a.txt")+":3: class 7 out of range") {
		t.Fatalf("bad class: %v", err)
	}
	warn, ws := collect()
	ds, err = Open(bad, "train", Options{SkipBad: true, Warn: warn})
	if err != nil || len(ds.Items) != 1 || ds.Skipped != 2 || len(*ws) != 2 || !strings.Contains((*ws)[1].Error(), "c.txt:1: coordinate 1.5 outside [0, 1]") {
		t.Fatalf("skip-bad: %v %v %v", ds, err, *ws)
	}
}

func TestParseYAML(t *testing.T) {
	src := `# comment
---
path: ../datasets/coco8 # trailing comment
train: 'images/train'   
val: "images/v#al"
test:
names:
  0: person
  1: 'traffic light'
  2: "it's"
list:
- a
- "b, c"
flow: [x, 'y, z',
  w]
map: {0: a, 1: b}
download: |
  import os
  print("hi")
empty:
after: 1
`
	doc, err := parseYAML([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	check := func(key string, kind yamlKind, want string) {
		t.Helper()
		v := doc[key]
		var got string
		switch v.Kind {
		case yamlScalar:
			got = v.Scalar
		case yamlList:
			got = strings.Join(v.List, "|")
		case yamlMap:
			var s []string
			for _, p := range v.Map {
				s = append(s, p.Key+"="+p.Value)
			}
			got = strings.Join(s, "|")
		}
		if v.Kind != kind || got != want {
			t.Errorf("%s: kind %d %q, want %d %q", key, v.Kind, got, kind, want)
		}
	}
	check("path", yamlScalar, "../datasets/coco8")
	check("train", yamlScalar, "images/train")
	check("val", yamlScalar, "images/v#al")
	check("test", yamlScalar, "")
	check("names", yamlMap, "0=person|1=traffic light|2=it's")
	check("list", yamlList, "a|b, c")
	check("flow", yamlList, "x|y, z|w")
	check("map", yamlMap, "0=a|1=b")
	check("download", yamlScalar, "import os\nprint(\"hi\")")
	check("empty", yamlScalar, "")
	check("after", yamlScalar, "1")
	if doc["names"].Line != 7 || doc["after"].Line != 21 {
		t.Errorf("lines %d %d", doc["names"].Line, doc["after"].Line)
	}
	for _, tc := range []struct{ src, want string }{
		{"a: 1\na: 2\n", "line 2: key \"a\" given twice"},
		{"a: [1, 2\n", "line 1: unclosed ["},
		{"  a: 1\n", "line 1: indented line"},
		{"a: &x 1\n", "line 1:"},
		{"a\n", "line 1: want key: value"},
		{"a:\n\t- x\n", "line 2: tab"},
		{"a: 'x\n", "line 1: unterminated"},
		{"a: [[1]]\n", "nested"},
	} {
		_, err := parseYAML([]byte(tc.src))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: want %q, got %v", tc.src, tc.want, err)
		}
	}
}

func TestReadClassList(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "classes.txt")
	writeFiles(t, dir, map[string]string{"classes.txt": "\uFEFFb\n  # indented comment\n\na \n# comment\n"})
	got, err := ReadClassList(p)
	if err != nil || !slices.Equal(got, []string{"b", "a"}) {
		t.Errorf("%q %v", got, err)
	}
	writeFiles(t, dir, map[string]string{"dup.txt": "a\nb\na\n", "empty.txt": "\n#x\n"})
	if _, err := ReadClassList(filepath.Join(dir, "dup.txt")); err == nil || !strings.Contains(err.Error(), "dup.txt:3") {
		t.Errorf("dup: %v", err)
	}
	if _, err := ReadClassList(filepath.Join(dir, "empty.txt")); err == nil || !strings.Contains(err.Error(), "no class names") {
		t.Errorf("empty: %v", err)
	}
}
