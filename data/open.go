package data

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Open loads a data set, choosing the reader from the path: a folder is
// PASCAL VOC (split names the ImageSets/Main list), a .csv file is LoadCSV,
// a .json file with "categories" is COCO and one with "classes" the
// reference's format. split is ignored except for VOC.
func Open(path, split string, opt Options) (*Dataset, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	if st.IsDir() {
		return LoadVOC(path, split, VOCOptions{Options: opt})
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		return LoadCSV(path, opt)
	case ".json":
		keys, err := jsonTopKeys(path)
		if err != nil {
			return nil, err
		}
		switch {
		case keys["categories"]:
			return LoadCOCO(path, COCOOptions{Options: opt})
		case keys["classes"]:
			return LoadJSON(path, opt)
		}
		return nil, fmt.Errorf(`data: %s: JSON with neither "categories" (COCO) nor "classes" (reference format)`, path)
	}
	return nil, fmt.Errorf("data: %s: unknown data set format (want a VOC folder, .csv or .json)", path)
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
