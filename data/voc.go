package data

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"os"
	"path/filepath"
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

// LoadVOC reads a PASCAL VOC split: ImageSets/Main/<split>.txt lists the
// image ids, Annotations/<id>.xml their objects, JPEGImages/<id>.jpg the
// images. root is the year folder itself (VOCdevkit/VOC2007), the devkit
// (VOCdevkit), or the folder holding VOCdevkit. Classes default to the 20
// VOC classes.
//
// A class is Positive when at least one of its objects is not difficult;
// a class seen only on difficult objects is Negative, or Ignored with
// DifficultIgnored.
func LoadVOC(root, split string, opt VOCOptions) (*Dataset, error) {
	dir, err := vocYearDir(root, opt.Year)
	if err != nil {
		return nil, err
	}
	listPath := filepath.Join(dir, "ImageSets", "Main", split+".txt")
	ids, lines, err := readIDList(listPath)
	if err != nil {
		return nil, err
	}
	o := opt.Options
	if o.Classes == nil {
		o.Classes = VOCClasses
	}
	b, err := newBuilder(o, nil, nil)
	if err != nil {
		return nil, err
	}
	for k, id := range ids {
		xmlPath := filepath.Join(dir, "Annotations", id+".xml")
		labels, err := b.vocLabels(xmlPath, opt.DifficultIgnored)
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
		img := filepath.Join(dir, "JPEGImages", id+".jpg")
		if err := b.add(img, labels, listPath, lines[k]); err != nil {
			return nil, err
		}
	}
	return b.ds, nil
}

// vocYearDir finds the folder holding Annotations and ImageSets.
func vocYearDir(root, year string) (string, error) {
	if year == "" {
		year = "2007"
	}
	for _, d := range []string{
		root,
		filepath.Join(root, "VOC"+year),
		filepath.Join(root, "VOCdevkit", "VOC"+year),
	} {
		if isDir(filepath.Join(d, "Annotations")) && isDir(filepath.Join(d, "ImageSets")) {
			return d, nil
		}
	}
	return "", fmt.Errorf("voc: %s: no Annotations and ImageSets here, in VOC%s/ or in VOCdevkit/VOC%s/", root, year, year)
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
	Objects []struct {
		Name      string `xml:"name"`
		Difficult string `xml:"difficult"`
	} `xml:"object"`
}

// vocLabels parses one annotation file into targets.
func (b *builder) vocLabels(path string, difficultIgnored bool) ([]int8, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var a vocAnnotation
	dec := xml.NewDecoder(bytes.NewReader(src))
	if err := dec.Decode(&a); err != nil {
		var se *xml.SyntaxError
		if errors.As(err, &se) {
			return nil, &ItemError{File: path, Line: se.Line, Err: fmt.Errorf("malformed XML: %s", se.Msg)}
		}
		return nil, fmt.Errorf("malformed XML: %w", err)
	}
	t := make([]int8, len(b.ds.Classes))
	for _, o := range a.Objects {
		name := strings.TrimSpace(o.Name)
		c, ok := b.index[name]
		if !ok {
			return nil, fmt.Errorf("%w: object %q", ErrUnknownLabel, name)
		}
		switch strings.TrimSpace(o.Difficult) {
		case "", "0":
			t[c] = Positive
		case "1":
			if difficultIgnored && t[c] != Positive {
				t[c] = Ignored
			}
		default:
			return nil, fmt.Errorf("object %q: <difficult> is %q, want 0 or 1", name, o.Difficult)
		}
	}
	return t, nil
}
