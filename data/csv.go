package data

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// LoadCSV reads a list of images and labels, one image per line:
//
//	path,label1;label2
//	images/cat.jpg,cat
//	images/both.jpg,cat;dog
//	images/none.jpg,
//
// Paths are relative to the CSV's folder. Fields follow RFC 4180 (quote a
// path that holds a comma). A first line "path,labels" (or image/file/
// filename, label/tags) is a header and skipped; lines starting with # are
// comments. Labels are trimmed; an
// empty label list keeps the image as all-negative, with a warning (as the
// reference does for its JSON). Classes are all labels seen, sorted.
func LoadCSV(path string, opt Options) (*Dataset, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	defer f.Close()

	type row struct {
		path  string
		names []string
		line  int
	}
	var rows []row
	var found []string
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	r.Comment = '#'
	base := filepath.Dir(path)
	skipBad := func(line int, err error) error {
		if !opt.SkipBad {
			return &ItemError{File: path, Line: line, Err: err}
		}
		if opt.Warn != nil {
			opt.Warn(&ItemError{File: path, Line: line, Err: err})
		}
		return nil
	}
	skipped := 0
	for first := true; ; first = false {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		var line int
		if err != nil {
			// No record came back, so FieldPos has nothing to report (it
			// panics); the line is the parse error's.
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.Line
				err = fmt.Errorf("malformed CSV: %v", pe.Err)
			}
			if err := skipBad(line, err); err != nil {
				return nil, err
			}
			skipped++
			continue
		}
		line, _ = r.FieldPos(0)
		if first && isCSVHeader(rec) {
			continue
		}
		if len(rec) > 2 || strings.TrimSpace(rec[0]) == "" {
			if err := skipBad(line, fmt.Errorf("want path,label1;label2 but got %d fields %q", len(rec), rec)); err != nil {
				return nil, err
			}
			skipped++
			continue
		}
		var names []string
		if len(rec) == 2 {
			for _, n := range strings.Split(rec[1], ";") {
				if n = strings.TrimSpace(n); n != "" {
					names = append(names, n)
				}
			}
		}
		p := strings.TrimSpace(rec[0])
		if !filepath.IsAbs(p) {
			p = filepath.Join(base, p)
		}
		rows = append(rows, row{p, names, line})
		found = append(found, names...)
	}

	b, err := newBuilder(opt, found, strings.Compare)
	if err != nil {
		return nil, fmt.Errorf("data: %s: %w", path, err)
	}
	b.ds.Skipped = skipped
	for _, rw := range rows {
		labels, err := b.labels(rw.names)
		if err != nil {
			if err := b.bad(&ItemError{File: path, Line: rw.line, Item: rw.path, Err: err}); err != nil {
				return nil, err
			}
			continue
		}
		if len(rw.names) == 0 {
			b.warn(&ItemError{File: path, Line: rw.line, Item: rw.path, Err: errors.New("no labels: kept as all-negative")})
		}
		if err := b.add(rw.path, labels, path, rw.line); err != nil {
			return nil, err
		}
	}
	return b.ds, nil
}

func isCSVHeader(rec []string) bool {
	if len(rec) != 2 {
		return false
	}
	a := strings.ToLower(strings.TrimSpace(rec[0]))
	b := strings.ToLower(strings.TrimSpace(rec[1]))
	return (a == "path" || a == "image" || a == "file" || a == "filename") &&
		(b == "labels" || b == "label" || b == "tags")
}
