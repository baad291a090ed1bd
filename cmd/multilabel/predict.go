package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/seed477ab429/multilabel"
	"github.com/seed477ab429/multilabel/data"
)

// predict: the labels of images above the run's tuned thresholds, with
// their scores, through package multilabel (the same API a Go service
// uses). Folders are walked for image files.
//
//	multilabel predict -run runs/voc-20261125-191230 photos/ cat.jpg
//	photos/a.jpg: dog (0.97) person (0.64)
//	cat.jpg: cat (0.99)
//
// With -json each image is one line: {"image": "cat.jpg", "labels":
// [{"class": "cat", "score": 0.99, "threshold": 0.41}]}.
func init() {
	commands["predict"] = command{summary: "labels of images or folders of images above the run's thresholds (-json)", args: "image-or-folder...", run: runPredict}
}

func runPredict(args []string, stdout io.Writer) error {
	fset := newFlags("predict", stdout)
	runDir := fset.String("run", "", "run folder (written by multilabel train or examples/voc)")
	asJSON := fset.Bool("json", false, "print one JSON object per image")
	precision := fset.String("precision", "float32", "float32, or int8 (needs the run's int8.json: multilabel quantize)")
	fset.Usage = func() {
		fmt.Fprintln(fset.Output(), "usage: multilabel predict -run RUN [-json] image-or-folder...")
		fset.PrintDefaults()
	}
	inputs, err := parseInterleaved(fset, args)
	if err != nil {
		return err
	}
	if len(inputs) == 0 {
		return usagef("no images given (usage: multilabel predict -run RUN [-json] image-or-folder...)")
	}
	files, err := imageFiles(inputs)
	if err != nil {
		return err
	}
	m, err := loadRun(*runDir)
	if err != nil {
		return err
	}
	if m, err = usePrecision(m, *runDir, *precision); err != nil {
		return err
	}
	bad := 0
	for _, path := range files {
		labels, err := m.ClassifyFile(path)
		if err != nil {
			fmt.Fprintln(logOut, "warning:", err)
			bad++
			continue
		}
		if *asJSON {
			if labels == nil {
				labels = []multilabel.Label{}
			}
			b, _ := json.Marshal(struct {
				Image  string             `json:"image"`
				Labels []multilabel.Label `json:"labels"`
			}{path, labels})
			fmt.Fprintln(stdout, string(b))
			continue
		}
		var b strings.Builder
		fmt.Fprintf(&b, "%s:", path)
		for _, l := range labels {
			fmt.Fprintf(&b, " %s (%.2f)", l.Class, l.Score)
		}
		fmt.Fprintln(stdout, b.String())
	}
	if bad > 0 {
		return fmt.Errorf("%d of %d images could not be read", bad, len(files))
	}
	return nil
}

// parseInterleaved parses flags that may come before, between or after
// the positional arguments (predict -run R a.jpg -json b.jpg), which the
// flag package alone stops at; it returns the positional ones.
func parseInterleaved(fset *flag.FlagSet, args []string) ([]string, error) {
	if help(fset, args) {
		return nil, flag.ErrHelp
	}
	fset.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fset.Parse(args); err != nil {
			return nil, usagef("%v", err)
		}
		args = fset.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// imageFiles expands the inputs: a file is used as given, a folder is
// walked (in lexical order) for files with an image extension. A path that
// does not exist is the user's error.
func imageFiles(inputs []string) ([]string, error) {
	var files []string
	for _, in := range inputs {
		st, err := os.Stat(in)
		if err != nil {
			return nil, usagef("%s: %v", in, unwrapPath(err))
		}
		if !st.IsDir() {
			files = append(files, in)
			continue
		}
		n := len(files)
		err = filepath.WalkDir(in, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && data.IsImageFile(path) {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			return nil, usagef("%v", err)
		}
		if len(files) == n {
			return nil, usagef("%s: no image files (.jpg .jpeg .png .bmp .tif .tiff .webp .gif) in the folder", in)
		}
	}
	return files, nil
}
