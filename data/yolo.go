package data

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// YOLO-format data sets: what Ultralytics, Roboflow, CVAT and LabelImg
// export for detection, read here for classification: an image's labels
// are the set of classes of its boxes (or polygons).
//
// Two layouts:
//
//	data.yaml                 Ultralytics: train/val/test name image folders,
//	images/train/a.jpg        .txt lists of images, or lists of either,
//	labels/train/a.txt        relative to `path` (default: the YAML's folder);
//	images/val/...            names are a list or an index: name mapping
//
//	classes.txt               the plain variant: one class name a line, in
//	images/[train/]a.jpg      index order (in the root or in labels/); splits
//	labels/[train/]a.txt      are the subfolders of images/, if any; LabelImg
//	                          puts images, .txt files and classes.txt together
//
// The label file of an image is its path with the last /images/ replaced
// by /labels/ and the extension by .txt (Ultralytics' rule), or beside the
// image when the path has no images folder. Each line is
//
//	class x_center y_center width height      (a box, normalized to [0, 1])
//	class x1 y1 x2 y2 x3 y3 ...               (a polygon, segmentation)
//
// with class a 0-based index into the names. An image without a label
// file, or with an empty one, is a background image: all classes negative.
// Classes keep the names' order (the class index is the file's own), unless
// Options.Classes fixes another list.

// YOLOSplits lists the splits of a YOLO data set: data.yaml's train, val
// and test keys that are set, or the subfolders of images/ in the plain
// layout (nil when images are not split). path is a data.yaml or a folder
// holding one, or a plain-layout folder.
func YOLOSplits(path string) ([]string, error) {
	y, err := openYOLO(path)
	if err != nil {
		return nil, err
	}
	return y.splitNames(), nil
}

// LoadYOLO reads one split of a YOLO data set (see YOLOSplits; "" is the
// whole set of an unsplit plain layout). Errors name the file and line.
func LoadYOLO(path, split string, opt Options) (*Dataset, error) {
	y, err := openYOLO(path)
	if err != nil {
		return nil, err
	}
	images, err := y.images(split)
	if err != nil {
		return nil, err
	}
	if opt.Classes == nil {
		opt.Classes = y.names
	}
	b, err := newBuilder(opt, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("yolo: %s: %w", y.file, err)
	}
	// The file's index i is the builder's class fileToClass[i] (-1: left out).
	fileToClass := make([]int, len(y.names))
	for i, n := range y.names {
		c, ok := b.index[n]
		if !ok {
			c = -1
		}
		fileToClass[i] = c
	}
	for _, img := range images {
		lp := yoloLabelPath(img)
		classes, err := readYOLOLabels(lp, len(y.names))
		if err != nil {
			if err := b.bad(err); err != nil {
				return nil, err
			}
			continue
		}
		t := make([]int8, len(b.ds.Classes))
		var dropped []string
		for _, k := range classes {
			if c := fileToClass[k]; c >= 0 {
				t[c] = Positive
			} else {
				dropped = append(dropped, y.names[k])
			}
		}
		if len(dropped) > 0 && !opt.DropOthers {
			err := &ItemError{File: lp, Item: img, Err: fmt.Errorf("%w: %q", ErrUnknownLabel, dropped[0])}
			if err := b.bad(err); err != nil {
				return nil, err
			}
			continue
		}
		b.ds.countDropped(dropped)
		if err := b.add(img, t, lp, 0); err != nil {
			return nil, err
		}
	}
	return b.ds, nil
}

// yoloSet is a parsed data.yaml or plain layout.
type yoloSet struct {
	file   string              // data.yaml or classes.txt: what errors name
	root   string              // the folder split entries are relative to
	names  []string            // class names by file index
	splits map[string][]string // split -> entries (folders, lists or images); nil for plain
	plain  string              // plain layout: the images folder (split subfolders below)
}

// openYOLO finds and reads the description of a YOLO data set at path.
func openYOLO(path string) (*yoloSet, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("yolo: %w", err)
	}
	if !st.IsDir() {
		return readDataYAML(path)
	}
	for _, n := range []string{"data.yaml", "data.yml", "dataset.yaml", "dataset.yml"} {
		if p := filepath.Join(path, n); isFile(p) {
			return readDataYAML(p)
		}
	}
	for _, p := range []string{filepath.Join(path, "classes.txt"), filepath.Join(path, "labels", "classes.txt")} {
		if isFile(p) {
			return readPlainYOLO(path, p)
		}
	}
	return nil, fmt.Errorf("yolo: %s: no data.yaml, classes.txt or labels/classes.txt", path)
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// readDataYAML reads an Ultralytics data.yaml: path, train, val, test,
// nc and names.
func readDataYAML(file string) (*yoloSet, error) {
	src, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("yolo: %w", err)
	}
	doc, err := parseYAML(src)
	if err != nil {
		var ye *yamlError
		if errors.As(err, &ye) {
			return nil, &ItemError{File: file, Line: ye.Line, Err: fmt.Errorf("malformed YAML: %s", ye.Msg)}
		}
		return nil, &ItemError{File: file, Err: err}
	}
	y := &yoloSet{file: file, splits: map[string][]string{}}
	// Ultralytics: split entries are relative to `path`, itself relative to
	// the YAML's folder here (Ultralytics also tries its datasets folder).
	y.root = filepath.Dir(file)
	if p, ok := doc["path"]; ok && p.Kind == yamlScalar && p.Scalar != "" {
		if filepath.IsAbs(p.Scalar) {
			y.root = p.Scalar
		} else if r := filepath.Join(y.root, p.Scalar); isDir(r) {
			y.root = r
		}
	}
	for _, k := range []string{"train", "val", "test"} {
		v, ok := doc[k]
		if !ok {
			continue
		}
		entries, err := v.strings()
		if err != nil {
			return nil, &ItemError{File: file, Line: v.Line, Err: fmt.Errorf("%s: %w", k, err)}
		}
		if len(entries) > 0 {
			y.splits[k] = entries
		}
	}
	if len(y.splits) == 0 {
		return nil, &ItemError{File: file, Err: errors.New("no train, val or test entry: not a YOLO data.yaml")}
	}
	if y.names, err = yamlNames(doc, file); err != nil {
		return nil, err
	}
	return y, nil
}

// yamlNames reads names (a list, or an index: name mapping with indices
// 0..n-1) and checks nc against it; nc alone gives class_0, class_1, ...
func yamlNames(doc map[string]yamlValue, file string) ([]string, error) {
	nc := -1
	if v, ok := doc["nc"]; ok && v.Scalar != "" {
		n, err := strconv.Atoi(v.Scalar)
		if err != nil || n < 1 || v.Kind != yamlScalar {
			return nil, &ItemError{File: file, Line: v.Line, Err: fmt.Errorf("nc: want a positive integer, got %q", v.Scalar)}
		}
		nc = n
	}
	v, ok := doc["names"]
	var names []string
	switch {
	case !ok || (v.Kind == yamlScalar && v.Scalar == ""):
		if nc < 0 {
			return nil, &ItemError{File: file, Err: errors.New("no names (and no nc)")}
		}
		for i := range nc {
			names = append(names, "class_"+strconv.Itoa(i))
		}
		return names, nil
	case v.Kind == yamlList:
		names = v.List
	case v.Kind == yamlMap:
		names = make([]string, len(v.Map))
		for _, p := range v.Map {
			i, err := strconv.Atoi(p.Key)
			if err != nil || i < 0 || i >= len(v.Map) || names[i] != "" {
				return nil, &ItemError{File: file, Line: p.Line, Err: fmt.Errorf("names: key %q: want the indices 0..%d, each once", p.Key, len(v.Map)-1)}
			}
			names[i] = p.Value
		}
	default:
		return nil, &ItemError{File: file, Line: v.Line, Err: errors.New("names: want a list or an index: name mapping")}
	}
	if nc >= 0 && nc != len(names) {
		return nil, &ItemError{File: file, Line: v.Line, Err: fmt.Errorf("nc is %d but names has %d entries", nc, len(names))}
	}
	if err := checkNames(names); err != nil {
		return nil, &ItemError{File: file, Line: v.Line, Err: err}
	}
	return names, nil
}

func checkNames(names []string) error {
	if len(names) == 0 {
		return errors.New("no class names")
	}
	seen := map[string]bool{}
	for i, n := range names {
		if strings.TrimSpace(n) == "" {
			return fmt.Errorf("class %d has an empty name", i)
		}
		if seen[n] {
			return fmt.Errorf("class %q listed twice", n)
		}
		seen[n] = true
	}
	return nil
}

// readPlainYOLO reads a classes.txt layout rooted at dir.
func readPlainYOLO(dir, classesFile string) (*yoloSet, error) {
	names, err := ReadClassList(classesFile)
	if err != nil {
		return nil, err
	}
	y := &yoloSet{file: classesFile, root: dir, names: names, plain: dir}
	if d := filepath.Join(dir, "images"); isDir(d) {
		y.plain = d
	}
	return y, nil
}

// ReadClassList reads a class list: one name a line, surrounding spaces
// trimmed, blank lines and lines starting with # skipped (classes.txt,
// a run folder's classes.txt, -classes). Names must be unique.
func ReadClassList(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("classes: %w", err)
	}
	defer f.Close()
	var names []string
	seen := map[string]int{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		s := sc.Text()
		if n == 1 {
			s = strings.TrimPrefix(s, "\uFEFF") // before trimming: "\uFEFF cat" is "cat"
		}
		s = strings.TrimSpace(s)
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		if prev, dup := seen[s]; dup {
			return nil, &ItemError{File: path, Line: n, Err: fmt.Errorf("class %q already listed on line %d", s, prev)}
		}
		seen[s] = n
		names = append(names, s)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("classes: %s: %w", path, err)
	}
	if len(names) == 0 {
		return nil, &ItemError{File: path, Err: errors.New("no class names")}
	}
	return names, nil
}

// splitNames lists the splits, in the order train, val, test, then others
// sorted.
func (y *yoloSet) splitNames() []string {
	var have []string
	if y.splits != nil {
		for k := range y.splits {
			have = append(have, k)
		}
	} else if filepath.Base(y.plain) == "images" {
		// images/<split>/: split; images and labels side by side: not.
		entries, _ := os.ReadDir(y.plain)
		for _, e := range entries {
			if e.IsDir() {
				have = append(have, e.Name())
			}
		}
	}
	rank := func(s string) int {
		switch s {
		case "train":
			return 0
		case "val", "valid":
			return 1
		case "test":
			return 2
		}
		return 3
	}
	slices.SortFunc(have, func(a, b string) int {
		if ra, rb := rank(a), rank(b); ra != rb {
			return ra - rb
		}
		return strings.Compare(a, b)
	})
	return have
}

// images lists a split's image files, sorted, without repeats.
func (y *yoloSet) images(split string) ([]string, error) {
	var entries []string
	if y.splits != nil {
		e, ok := y.splits[split]
		if !ok {
			return nil, fmt.Errorf("yolo: %s: no split %q (has %s)", y.file, split, strings.Join(y.splitNames(), ", "))
		}
		for _, p := range e {
			entries = append(entries, y.resolve(p))
		}
	} else {
		d := y.plain
		if split != "" {
			d = filepath.Join(y.plain, split)
			if !isDir(d) {
				return nil, fmt.Errorf("yolo: %s: no split %q (no folder %s)", y.root, split, d)
			}
		}
		entries = []string{d}
	}
	var out []string
	for _, e := range entries {
		imgs, err := y.expand(e)
		if err != nil {
			return nil, err
		}
		out = append(out, imgs...)
	}
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) == 0 {
		return nil, fmt.Errorf("yolo: %s: split %q has no images (%s)", y.file, split, strings.Join(entries, ", "))
	}
	return out, nil
}

// resolve finds a data.yaml entry as Ultralytics does: relative to root,
// and a "../x" that is not there as root/x (Roboflow's exports).
func (y *yoloSet) resolve(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	full := filepath.Join(y.root, p)
	if _, err := os.Stat(full); err != nil && strings.HasPrefix(p, "../") {
		if alt := filepath.Join(y.root, p[3:]); exists(alt) {
			return alt
		}
	}
	return full
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// expand turns an entry into image paths: a folder is walked (recursively,
// image extensions only), a .txt file lists images (relative to its
// folder), an image is itself.
func (y *yoloSet) expand(p string) ([]string, error) {
	st, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("yolo: %s: %w", y.file, err)
	}
	if st.IsDir() {
		var out []string
		err := filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && IsImageFile(path) {
				out = append(out, path)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("yolo: %w", err)
		}
		return out, nil
	}
	if strings.EqualFold(filepath.Ext(p), ".txt") {
		f, err := os.Open(p)
		if err != nil {
			return nil, fmt.Errorf("yolo: %w", err)
		}
		defer f.Close()
		var out []string
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			s := strings.TrimSpace(sc.Text())
			if s == "" || strings.HasPrefix(s, "#") {
				continue
			}
			if !filepath.IsAbs(s) {
				s = filepath.Join(filepath.Dir(p), s)
			}
			out = append(out, s)
		}
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("yolo: %s: %w", p, err)
		}
		return out, nil
	}
	if IsImageFile(p) {
		return []string{p}, nil
	}
	return nil, fmt.Errorf("yolo: %s: %s is neither a folder, a .txt list nor an image", y.file, p)
}

// ImageExts are the image file extensions that folder walks pick up (the
// formats DecodeFile reads).
var ImageExts = []string{".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".gif"}

// IsImageFile reports whether name has one of ImageExts (any case).
func IsImageFile(name string) bool {
	return slices.Contains(ImageExts, strings.ToLower(filepath.Ext(name)))
}

// yoloLabelPath is Ultralytics' img2label_paths: the last /images/ of the
// path becomes /labels/, the extension .txt.
func yoloLabelPath(img string) string {
	sep := string(filepath.Separator)
	sa, sb := sep+"images"+sep, sep+"labels"+sep
	p := img
	if i := strings.LastIndex(p, sa); i >= 0 {
		p = p[:i] + sb + p[i+len(sa):]
	}
	return strings.TrimSuffix(p, filepath.Ext(p)) + ".txt"
}

// readYOLOLabels reads an image's label file: the distinct class indices,
// in order of first appearance. A missing file is a background image.
func readYOLOLabels(path string, classes int) ([]int, error) {
	src, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, &ItemError{File: path, Err: err}
	}
	return parseYOLOLabels(bytes.NewReader(src), path, classes)
}

// parseYOLOLabels parses the lines of a YOLO label file ("class x y w h"
// or "class x1 y1 x2 y2 ..."), checking every field as Ultralytics does
// (class an integer in [0, classes), at least four coordinates, each in
// [0, 1]). It returns the distinct classes in order of first appearance;
// errors are *ItemError naming file and line.
func parseYOLOLabels(r io.Reader, file string, classes int) ([]int, error) {
	var out []int
	seen := map[int]bool{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 16<<20) // long polygons
	for n := 1; sc.Scan(); n++ {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		bad := func(format string, a ...any) error {
			return &ItemError{File: file, Line: n, Err: fmt.Errorf(format, a...)}
		}
		if len(f) < 5 {
			return nil, bad("want class x_center y_center width height (or a polygon), got %d fields", len(f))
		}
		c, err := strconv.ParseFloat(f[0], 64)
		if err != nil || c != math.Trunc(c) || c < 0 {
			return nil, bad("class %q is not a non-negative integer", f[0])
		}
		if c >= float64(classes) {
			return nil, bad("class %s out of range: %d names", f[0], classes)
		}
		for _, s := range f[1:] {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil || math.IsNaN(v) {
				return nil, bad("coordinate %q is not a number", s)
			}
			if v < 0 || v > 1 {
				return nil, bad("coordinate %s outside [0, 1] (YOLO coordinates are normalized by the image size)", s)
			}
		}
		k := int(c)
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, &ItemError{File: file, Err: err}
	}
	return out, nil
}
