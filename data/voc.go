package data

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// VOCClasses are the 20 PASCAL VOC classes, in VOC spelling, which is
// already alphabetical (the reference's sorted order).
var VOCClasses = []string{
	"aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
	"diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train", "tvmonitor",
}

// VOCOptions configure LoadVOC.
type VOCOptions struct {
	Options

	// Year picks VOC<Year> below a devkit root: "2007" when empty.
	Year string

	// DifficultIgnored marks a class whose only objects in an image are
	// "difficult" as Ignored (-1) instead of Negative. Either way such a
	// class is not a positive (the reference's VOC JSON lists only
	// non-difficult labels; the official per-class files mark these 0).
	DifficultIgnored bool
}

// LoadVOC reads a split of a data set in the PASCAL VOC layout: the
// format of VOC itself and of what LabelImg, CVAT and Roboflow export as
// "Pascal VOC". root is the folder holding Annotations (VOCdevkit/VOC2007,
// a custom set's own folder), the devkit (VOCdevkit), or the folder
// holding VOCdevkit.
//
//	Annotations/<id>.xml         one per image: its <object>s with <name> and <difficult>
//	JPEGImages/<id>.jpg          the images (else the XML's <filename>, or <id> with another extension)
//	ImageSets/Main/<split>.txt   optional: the ids of each split
//
// split names an ImageSets/Main list; "" takes every annotated image.
// Classes, unless opt.Classes fixes them, are discovered from all the
// annotations (every split's), sorted (VOCClassesOf): the 20 VOC classes
// for VOC itself, a custom set's own otherwise.
//
// A class is Positive when at least one of its objects is not difficult;
// a class seen only on difficult objects is Negative, or Ignored with
// DifficultIgnored. An image without objects is kept, negative for every
// class (a background image).
func LoadVOC(root, split string, opt VOCOptions) (*Dataset, error) {
	dir, err := vocYearDir(root, opt.Year)
	if err != nil {
		return nil, err
	}
	var ids []string
	var lines []int
	listPath := filepath.Join(dir, "Annotations")
	var parsed map[string]vocParsed
	if split == "" {
		if parsed, ids, err = scanVOC(dir); err != nil {
			return nil, err
		}
		lines = make([]int, len(ids))
	} else {
		listPath = filepath.Join(dir, "ImageSets", "Main", split+".txt")
		if ids, lines, err = readIDList(listPath); err != nil {
			return nil, err
		}
	}
	o := opt.Options
	if o.Classes == nil {
		if parsed == nil {
			if parsed, _, err = scanVOC(dir); err != nil {
				return nil, err
			}
		}
		o.Classes = vocClasses(dir, parsed)
	}
	b, err := newBuilder(o, nil, nil)
	if err != nil {
		return nil, err
	}
	for k, id := range ids {
		xmlPath := filepath.Join(dir, "Annotations", id+".xml")
		p, ok := parsed[id]
		if !ok {
			p = parseVOCFile(xmlPath)
		}
		var labels []int8
		err := p.err
		if err == nil {
			labels, err = b.vocLabels(p.ann, opt.DifficultIgnored)
		}
		if err != nil {
			var ie *ItemError
			if !errors.As(err, &ie) {
				err = &ItemError{File: xmlPath, Item: id, Err: err}
			}
			if err := b.bad(err); err != nil {
				return nil, err
			}
			continue
		}
		img := vocImagePath(dir, id, p.ann, o.NoFileCheck)
		if err := b.add(img, labels, listPath, lines[k]); err != nil {
			return nil, err
		}
	}
	return b.ds, nil
}

// VOCClassesOf discovers the classes of a VOC-layout folder (as LoadVOC
// takes it) from all its annotation files and per-class split lists,
// sorted: the 20 VOC classes
// when the folder is VOC itself (a VOC<year> folder whose classes are all
// VOC's, even if some are missing from a sample), the names found
// otherwise. Unreadable annotation files are passed over here; loading
// the split that holds them reports them.
func VOCClassesOf(root, year string) ([]string, error) {
	dir, err := vocYearDir(root, year)
	if err != nil {
		return nil, err
	}
	parsed, _, err := scanVOC(dir)
	if err != nil {
		return nil, err
	}
	return vocClasses(dir, parsed), nil
}

func vocClasses(dir string, parsed map[string]vocParsed) []string {
	var found []string
	for _, p := range parsed {
		if p.err != nil {
			continue
		}
		for _, o := range p.ann.Objects {
			found = append(found, strings.TrimSpace(o.Name))
		}
	}
	// VOC's per-class lists (ImageSets/Main/<class>_<split>.txt) name
	// classes too, even ones no annotation of a small sample has.
	found = append(found, vocListClasses(dir)...)
	found = distinct(found)
	slices.Sort(found)
	if isVOCYearName(filepath.Base(dir)) {
		voc := true
		for _, c := range found {
			voc = voc && slices.Contains(VOCClasses, c)
		}
		if voc {
			return slices.Clone(VOCClasses)
		}
	}
	return found
}

// IsVOCItself reports whether a VOC-layout folder is PASCAL VOC itself by
// its name (VOC2007, VOC2012, ...) and classes (VOC's 20 or a subset).
func IsVOCItself(root, year string) bool {
	dir, err := vocYearDir(root, year)
	if err != nil || !isVOCYearName(filepath.Base(dir)) {
		return false
	}
	classes, err := VOCClassesOf(root, year)
	return err == nil && slices.Equal(classes, VOCClasses)
}

func isVOCYearName(s string) bool {
	if len(s) != 7 || !strings.HasPrefix(s, "VOC") {
		return false
	}
	for _, c := range s[3:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// vocListClasses lists the classes of the per-class lists
// <class>_<split>.txt beside a <split>.txt.
func vocListClasses(dir string) []string {
	files, _ := filepath.Glob(filepath.Join(dir, "ImageSets", "Main", "*_*.txt"))
	var out []string
	for _, f := range files {
		s := strings.TrimSuffix(filepath.Base(f), ".txt")
		i := strings.LastIndexByte(s, '_')
		if i > 0 && isFile(filepath.Join(dir, "ImageSets", "Main", s[i+1:]+".txt")) {
			out = append(out, s[:i])
		}
	}
	return out
}

// VOCSplits lists the ImageSets/Main split lists of a VOC-layout folder
// (train, val, trainval, test, ...; not the per-class <class>_<split>
// lists), sorted; nil when there are none.
func VOCSplits(root, year string) ([]string, error) {
	dir, err := vocYearDir(root, year)
	if err != nil {
		return nil, err
	}
	files, _ := filepath.Glob(filepath.Join(dir, "ImageSets", "Main", "*.txt"))
	all := map[string]bool{}
	for _, f := range files {
		all[strings.TrimSuffix(filepath.Base(f), ".txt")] = true
	}
	var out []string
	for s := range all {
		// <class>_<split>.txt is a per-class list when <split>.txt exists.
		if i := strings.LastIndexByte(s, '_'); i > 0 && all[s[i+1:]] {
			continue
		}
		out = append(out, s)
	}
	slices.Sort(out)
	return out, nil
}

// vocParsed is one annotation file, or why it could not be read.
type vocParsed struct {
	ann *vocAnnotation
	err error
}

// scanVOC parses every Annotations/*.xml of dir; ids are sorted.
func scanVOC(dir string) (map[string]vocParsed, []string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "Annotations", "*.xml"))
	if err != nil {
		return nil, nil, fmt.Errorf("voc: %w", err)
	}
	if len(files) == 0 {
		return nil, nil, fmt.Errorf("voc: %s: no .xml files in Annotations", dir)
	}
	parsed := make(map[string]vocParsed, len(files))
	ids := make([]string, 0, len(files))
	for _, f := range files {
		id := strings.TrimSuffix(filepath.Base(f), ".xml")
		parsed[id] = parseVOCFile(f)
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return parsed, ids, nil
}

// vocImagePath finds an annotation's image: JPEGImages/<id>.jpg, else
// the XML's <filename> in JPEGImages, else <id> with another image
// extension. When none exists (or noCheck), <id>.jpg: the loader's check
// then reports it missing.
func vocImagePath(dir, id string, a *vocAnnotation, noCheck bool) string {
	jpg := filepath.Join(dir, "JPEGImages", id+".jpg")
	if noCheck || exists(jpg) {
		return jpg
	}
	if fn := strings.TrimSpace(a.Filename); fn != "" && filepath.Base(fn) == fn {
		if p := filepath.Join(dir, "JPEGImages", fn); exists(p) {
			return p
		}
	}
	for _, ext := range ImageExts {
		for _, e := range []string{ext, strings.ToUpper(ext)} {
			if p := filepath.Join(dir, "JPEGImages", id+e); exists(p) {
				return p
			}
		}
	}
	return jpg
}

// vocYearDir finds the folder holding Annotations (and, in VOC itself,
// ImageSets).
func vocYearDir(root, year string) (string, error) {
	if year == "" {
		year = "2007"
	}
	for _, d := range []string{
		root,
		filepath.Join(root, "VOC"+year),
		filepath.Join(root, "VOCdevkit", "VOC"+year),
	} {
		if isDir(filepath.Join(d, "Annotations")) {
			return d, nil
		}
	}
	return "", fmt.Errorf("voc: %s: no Annotations folder here, in VOC%s/ or in VOCdevkit/VOC%s/", root, year, year)
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// readIDList reads a split list: one id per line (first field; per-class
// files have "id  1"), blank lines skipped. lines[k] is the line of ids[k].
func readIDList(path string) (ids []string, lines []int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("voc: split list: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		ids = append(ids, fields[0])
		lines = append(lines, n)
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("voc: %s: %w", path, err)
	}
	return ids, lines, nil
}

// vocAnnotation is the part of a VOC XML we need. Only direct <object>
// children count: <owner><name> and <object><part><name> (VOC2012 person
// layout) are not objects.
type vocAnnotation struct {
	Filename string `xml:"filename"`
	Objects  []struct {
		Name      string `xml:"name"`
		Difficult string `xml:"difficult"`
	} `xml:"object"`
}

// parseVOCFile reads one annotation file.
func parseVOCFile(path string) vocParsed {
	src, err := os.ReadFile(path)
	if err != nil {
		return vocParsed{err: err}
	}
	a, err := parseVOCAnnotation(src, path)
	return vocParsed{ann: a, err: err}
}

// parseVOCAnnotation parses the XML of one VOC annotation; a syntax error
// is an *ItemError naming file and line.
func parseVOCAnnotation(src []byte, file string) (*vocAnnotation, error) {
	var a vocAnnotation
	dec := xml.NewDecoder(bytes.NewReader(src))
	if err := dec.Decode(&a); err != nil {
		var se *xml.SyntaxError
		if errors.As(err, &se) {
			return nil, &ItemError{File: file, Line: se.Line, Err: fmt.Errorf("malformed XML: %s", se.Msg)}
		}
		return nil, &ItemError{File: file, Err: fmt.Errorf("malformed XML: %w", err)}
	}
	return &a, nil
}

// vocLabels turns one annotation into targets.
func (b *builder) vocLabels(a *vocAnnotation, difficultIgnored bool) ([]int8, error) {
	t := make([]int8, len(b.ds.Classes))
	var dropped []string
	for _, o := range a.Objects {
		name := strings.TrimSpace(o.Name)
		var difficult bool
		switch strings.TrimSpace(o.Difficult) {
		case "", "0":
		case "1":
			difficult = true
		default:
			return nil, fmt.Errorf("object %q: <difficult> is %q, want 0 or 1", name, o.Difficult)
		}
		c, ok := b.index[name]
		if !ok {
			if b.opt.DropOthers {
				dropped = append(dropped, name)
				continue
			}
			return nil, fmt.Errorf("%w: object %q", ErrUnknownLabel, name)
		}
		switch {
		case !difficult:
			t[c] = Positive
		case difficultIgnored && t[c] != Positive:
			t[c] = Ignored
		}
	}
	b.ds.countDropped(dropped)
	return t, nil
}
