package data

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// COCOOptions configure LoadCOCO.
type COCOOptions struct {
	Options

	// ImageDir holds the images named by file_name. When empty, the layout
	// <root>/annotations/instances_<split>.json + <root>/<split>/ is assumed.
	ImageDir string

	// ClassesByID orders classes by category id (COCO's own order) instead
	// of by name (sorted, the reference's presumed order; docs/method.md §7).
	ClassesByID bool
}

type cocoFile struct {
	Images []struct {
		ID       int64  `json:"id"`
		FileName string `json:"file_name"`
	} `json:"images"`
	Annotations []struct {
		ImageID    int64 `json:"image_id"`
		CategoryID int64 `json:"category_id"`
	} `json:"annotations"`
	Categories []cocoCategory `json:"categories"`
}

type cocoCategory struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// LoadCOCO reads a COCO instances file (instances_train2017.json, ...): an
// image is positive for every category it has an annotation of (crowd
// annotations included, as ASL's CocoDetection does). Images without any
// annotation are dropped and counted in Dataset.Dropped: the paper's COCO
// counts (117,266 train / 4,952 val) are the 2017 images with at least one
// annotation.
func LoadCOCO(path string, opt COCOOptions) (*Dataset, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("coco: %w", err)
	}
	var f cocoFile
	if err := json.Unmarshal(src, &f); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return nil, &ItemError{File: path, Line: lineAt(src, se.Offset), Err: fmt.Errorf("malformed JSON: %v", se)}
		case errors.As(err, &te):
			return nil, &ItemError{File: path, Line: lineAt(src, te.Offset), Err: fmt.Errorf("malformed COCO JSON: %v", te)}
		}
		return nil, &ItemError{File: path, Err: fmt.Errorf("malformed JSON: %v", err)}
	}
	if len(f.Categories) == 0 {
		return nil, &ItemError{File: path, Err: errors.New(`no "categories": not a COCO instances file`)}
	}

	// Category id -> name, and the class list in the chosen order.
	cats := slices.Clone(f.Categories)
	catName := make(map[int64]string, len(cats))
	for _, c := range cats {
		if _, dup := catName[c.ID]; dup {
			return nil, &ItemError{File: path, Err: fmt.Errorf("category id %d listed twice", c.ID)}
		}
		catName[c.ID] = c.Name
	}
	var found []string
	order := strings.Compare
	if opt.ClassesByID {
		slices.SortFunc(cats, func(a, b cocoCategory) int { return cmp.Compare(a.ID, b.ID) })
		order = nil // keep id order
	}
	for _, c := range cats {
		found = append(found, c.Name)
	}
	b, err := newBuilder(opt.Options, found, order)
	if err != nil {
		return nil, fmt.Errorf("coco: %s: %w", path, err)
	}

	imgDir := opt.ImageDir
	if imgDir == "" {
		imgDir = cocoImageDir(path)
	}

	// Names per image id, in annotation order.
	names := make(map[int64][]string, len(f.Images))
	known := make(map[int64]bool, len(f.Images))
	for _, im := range f.Images {
		known[im.ID] = true
	}
	for k, a := range f.Annotations {
		name, ok := catName[a.CategoryID]
		if !ok || !known[a.ImageID] {
			what := fmt.Sprintf("annotation %d: category id %d not in categories", k, a.CategoryID)
			if ok {
				what = fmt.Sprintf("annotation %d: image id %d not in images", k, a.ImageID)
			}
			if err := b.bad(&ItemError{File: path, Err: errors.New(what)}); err != nil {
				return nil, err
			}
			continue
		}
		names[a.ImageID] = append(names[a.ImageID], name)
	}
	for _, im := range f.Images {
		n := names[im.ID]
		if len(n) == 0 {
			b.ds.Dropped++
			continue
		}
		labels, err := b.labels(n)
		if err != nil {
			if err := b.bad(&ItemError{File: path, Item: im.FileName, Err: err}); err != nil {
				return nil, err
			}
			continue
		}
		if err := b.add(filepath.Join(imgDir, im.FileName), labels, path, 0); err != nil {
			return nil, err
		}
	}
	return b.ds, nil
}

// cocoImageDir maps <root>/annotations/instances_<split>.json to
// <root>/<split>; any other name to the JSON's own folder.
func cocoImageDir(path string) string {
	dir, base := filepath.Split(path)
	dir = filepath.Clean(dir)
	split, ok := strings.CutPrefix(strings.TrimSuffix(base, ".json"), "instances_")
	if ok && filepath.Base(dir) == "annotations" {
		return filepath.Join(filepath.Dir(dir), split)
	}
	return dir
}
