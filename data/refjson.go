package data

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// LoadJSON reads the reference implementation's annotation file
// (MultiLabelClassification.load_annotation, docs/method.md §7):
//
//	{"classes": ["cat", "dog", ...],
//	 "images": [["img/1.jpg", ["dog"]], ["img/2.jpg", ["cat", "dog"]], ...]}
//
// Image paths are relative to the JSON's folder. Classes are sorted as
// Python's sorted() does: by string, or numerically when every class is a
// number (VG500 uses integer ids 0-499). Duplicate labels collapse to one
// positive; an image without labels is kept as all-negative, with a warning.
// Errors name the file and the line of the offending entry.
func LoadJSON(path string, opt Options) (*Dataset, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	doc, err := parseRefJSON(path, src)
	if err != nil {
		return nil, err
	}
	order := strings.Compare
	if doc.numeric {
		order = numericCompare
	}
	b, err := newBuilder(opt, doc.classes, order)
	if err != nil {
		return nil, fmt.Errorf("data: %s: %w", path, err)
	}
	base := filepath.Dir(path)
	for _, e := range doc.images {
		line := lineAt(src, e.off)
		var pair []json.RawMessage
		var imgPath string
		var names []string
		err := json.Unmarshal(e.raw, &pair)
		if err == nil && len(pair) != 2 {
			err = fmt.Errorf("entry has %d elements, want [path, [labels]]", len(pair))
		}
		if err == nil {
			err = json.Unmarshal(pair[0], &imgPath)
		}
		if err == nil {
			names, _, err = jsonNames(pair[1])
		}
		if err != nil {
			if err := b.bad(&ItemError{File: path, Line: line, Err: fmt.Errorf("bad image entry %s: %v", clip(e.raw), err)}); err != nil {
				return nil, err
			}
			continue
		}
		labels, err := b.labels(names)
		if err != nil {
			if err := b.bad(&ItemError{File: path, Line: line, Item: imgPath, Err: err}); err != nil {
				return nil, err
			}
			continue
		}
		if len(names) == 0 {
			b.warn(&ItemError{File: path, Line: line, Item: imgPath, Err: errors.New("no labels: kept as all-negative")})
		}
		if !filepath.IsAbs(imgPath) {
			imgPath = filepath.Join(base, imgPath)
		}
		if err := b.add(imgPath, labels, path, line); err != nil {
			return nil, err
		}
	}
	return b.ds, nil
}

type refDoc struct {
	classes []string
	numeric bool // every class was a JSON number
	images  []rawAt
}

// rawAt is one array element and its byte offset in the file.
type rawAt struct {
	raw json.RawMessage
	off int64
}

// parseRefJSON walks the top-level object with a streaming decoder so that
// each image entry keeps its offset (for line numbers in errors).
func parseRefJSON(path string, src []byte) (*refDoc, error) {
	fail := func(off int64, err error) error {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			off = se.Offset
			err = errors.New("malformed JSON: " + se.Error())
		} else if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			off = int64(len(src))
			err = errors.New("malformed JSON: unexpected end of file")
		}
		return &ItemError{File: path, Line: lineAt(src, off), Err: err}
	}
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil {
		return nil, fail(0, err)
	} else if d, ok := t.(json.Delim); !ok || d != '{' {
		return nil, fail(0, errors.New(`want an object {"classes": [...], "images": [...]}`))
	}
	doc := &refDoc{}
	var haveClasses, haveImages bool
	for dec.More() {
		off := dec.InputOffset()
		t, err := dec.Token()
		if err != nil {
			return nil, fail(off, err)
		}
		key, _ := t.(string)
		switch key {
		case "classes":
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return nil, fail(off, err)
			}
			var numbers int
			doc.classes, numbers, err = jsonNames(raw)
			if err == nil && numbers > 0 && numbers < len(doc.classes) {
				err = errors.New("mixes numbers and strings (Python's sorted() refuses that)")
			}
			if err != nil {
				return nil, fail(off, fmt.Errorf("classes: %v", err))
			}
			doc.numeric = numbers > 0
			haveClasses = true
		case "images":
			if t, err := dec.Token(); err != nil {
				return nil, fail(off, err)
			} else if d, ok := t.(json.Delim); !ok || d != '[' {
				return nil, fail(off, errors.New(`"images" is not a list`))
			}
			for dec.More() {
				// InputOffset is just past the previous token; the entry
				// starts after the separating comma and spaces.
				start := skipSpaceComma(src, dec.InputOffset())
				var raw json.RawMessage
				if err := dec.Decode(&raw); err != nil {
					return nil, fail(start, err)
				}
				doc.images = append(doc.images, rawAt{raw: raw, off: start})
			}
			if _, err := dec.Token(); err != nil {
				return nil, fail(dec.InputOffset(), err)
			}
			haveImages = true
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, fail(off, err)
			}
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, fail(dec.InputOffset(), err)
	}
	if !haveClasses || !haveImages {
		return nil, &ItemError{File: path, Err: errors.New(`want both "classes" and "images" keys`)}
	}
	return doc, nil
}

func skipSpaceComma(src []byte, off int64) int64 {
	for off < int64(len(src)) {
		switch src[off] {
		case ' ', '\t', '\n', '\r', ',':
			off++
		default:
			return off
		}
	}
	return off
}

// jsonNames reads a list of strings or numbers as strings; numbers counts
// the elements that were numbers.
func jsonNames(raw json.RawMessage) (names []string, numbers int, err error) {
	var vals []any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&vals); err != nil {
		return nil, 0, fmt.Errorf("want a list of names: %v", err)
	}
	for _, v := range vals {
		switch x := v.(type) {
		case string:
			names = append(names, x)
		case json.Number:
			names = append(names, x.String())
			numbers++
		default:
			return nil, 0, fmt.Errorf("label %v is neither a string nor a number", v)
		}
	}
	return names, numbers, nil
}

// numericCompare orders numeric class names by value (Python's sorted on
// ints), ties broken by the text so the order is total.
func numericCompare(a, b string) int {
	x, _ := strconv.ParseFloat(a, 64)
	y, _ := strconv.ParseFloat(b, 64)
	if c := cmp.Compare(x, y); c != 0 {
		return c
	}
	return cmp.Compare(a, b)
}

// clip shortens a raw JSON value for an error message.
func clip(raw []byte) string {
	s := strings.Join(strings.Fields(string(raw)), " ") // JSON whitespace folded
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}
