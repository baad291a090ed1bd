package data

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Data set formats, as Format names them.
const (
	FormatVOC  = "voc"  // a folder with Annotations/ (LoadVOC)
	FormatYOLO = "yolo" // a data.yaml, or a folder with one or with classes.txt (LoadYOLO)
	FormatCSV  = "csv"  // LoadCSV
	FormatCOCO = "coco" // a COCO instances .json (LoadCOCO)
	FormatJSON = "json" // the reference's .json (LoadJSON)
)

// Format tells which reader Open uses for path: a folder with
// Annotations/ (itself, VOC2007/ or VOCdevkit/VOC2007/) is VOC; a folder
// with data.yaml, classes.txt or labels/classes.txt, or a .yaml/.yml file,
// is YOLO; .csv is CSV; a .json with "categories" is COCO, one with
// "classes" the reference's format.
func Format(path string) (string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("data: %w", err)
	}
	if st.IsDir() {
		if _, err := vocYearDir(path, ""); err == nil {
			return FormatVOC, nil
		}
		if _, err := openYOLO(path); err == nil {
			return FormatYOLO, nil
		}
		return "", fmt.Errorf("data: %s: not a data set folder (want Annotations/ for VOC, or data.yaml or classes.txt for YOLO)", path)
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		return FormatCSV, nil
	case ".yaml", ".yml":
		return FormatYOLO, nil
	case ".json":
		keys, err := jsonTopKeys(path)
		if err != nil {
			return "", err
		}
		switch {
		case keys["categories"]:
			return FormatCOCO, nil
		case keys["classes"]:
			return FormatJSON, nil
		}
		return "", fmt.Errorf(`data: %s: JSON with neither "categories" (COCO) nor "classes" (reference format)`, path)
	}
	return "", fmt.Errorf("data: %s: unknown data set format (want a VOC or YOLO folder, a data.yaml, .csv or .json)", path)
}

// Splits lists the named splits of a data set: VOC's ImageSets/Main
// lists (VOCSplits), YOLO's data.yaml keys or images/ subfolders
// (YOLOSplits); nil for a single-file format or an unsplit folder.
func Splits(path string) ([]string, error) {
	f, err := Format(path)
	if err != nil {
		return nil, err
	}
	switch f {
	case FormatVOC:
		return VOCSplits(path, "")
	case FormatYOLO:
		return YOLOSplits(path)
	}
	return nil, nil
}

// Open loads a data set, choosing the reader with Format. split names a
// VOC ImageSets/Main list or a YOLO split ("" is every image of a folder);
// it is ignored by the single-file formats.
func Open(path, split string, opt Options) (*Dataset, error) {
	f, err := Format(path)
	if err != nil {
		return nil, err
	}
	switch f {
	case FormatVOC:
		return LoadVOC(path, split, VOCOptions{Options: opt})
	case FormatYOLO:
		return LoadYOLO(path, split, opt)
	case FormatCSV:
		return LoadCSV(path, opt)
	case FormatCOCO:
		return LoadCOCO(path, COCOOptions{Options: opt})
	}
	return LoadJSON(path, opt)
}

// jsonTopKeys lists the keys of the top-level object without keeping the
// values (a token walk; nested keys are skipped by depth).
func jsonTopKeys(path string) (map[string]bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	defer f.Close()
	dec := json.NewDecoder(bufio.NewReaderSize(f, 1<<16))
	keys := map[string]bool{}
	depth := 0
	expectKey := false // at depth 1, the next token is a key
	for {
		t, err := dec.Token()
		if err != nil {
			// io.EOF, or broken JSON that the loader will report with its line.
			return keys, nil
		}
		switch v := t.(type) {
		case json.Delim:
			if v == '{' || v == '[' {
				depth++
			} else {
				depth--
			}
			expectKey = depth == 1
		default:
			if depth != 1 {
				continue
			}
			if s, ok := v.(string); ok && expectKey {
				keys[s] = true
				expectKey = false
			} else {
				expectKey = true // a scalar value ended
			}
		}
	}
}
