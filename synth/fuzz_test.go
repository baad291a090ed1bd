package synth

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seed477ab429/multilabel/data"
)

// FuzzLabelSets fuzzes the label list ReadLabelSets reads ("id name name
// ...", one image a line), with the VOC classes. Properties: no panic,
// every error one line naming the file, and what is accepted is one set
// per image line, each of distinct class indices in range. The seeds are
// lines of the VOC 2007 label lists (labels_test.txt) and their near
// misses. bench/fuzz.sh runs it with the others (docs/RELIABILITY.md).
//
//	go test ./synth -run '^$' -fuzz '^FuzzLabelSets$' -fuzztime 10m
func FuzzLabelSets(f *testing.F) {
	for _, s := range []string{
		"000001.jpg dog person\n000002.jpg train\n000003.jpg chair sofa\n000004.jpg car\n000006.jpg chair diningtable pottedplant\n",
		"# image then its classes\n\n000009.jpg horse person\r\n000012.jpg car",
		"000001.jpg dog dog\n", "000001.jpg Dog\n", "000001.jpg\n", "#\n#000001.jpg dog\n", "   \t\n",
		"000005.jpg -1 -1 -1 -1 -1 -1 -1 -1 1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1\n",
		"000001.jpg dog\x00person\n", "000001.jpg " + strings.Repeat("person ", 3) + "\n", "",
	} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	path := filepath.Join(dir, "labels.txt")
	classes := data.VOCClasses
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		sets, err := ReadLabelSets(path, classes)
		if err != nil {
			msg := err.Error()
			if strings.ContainsAny(msg, "\n\r") || !strings.Contains(msg, path) {
				t.Fatalf("error is not one line naming %s: %q", path, msg)
			}
			return
		}
		images := 0
		for _, line := range strings.Split(string(b), "\n") {
			if fs := strings.Fields(line); len(fs) > 0 && !strings.HasPrefix(fs[0], "#") {
				images++
			}
		}
		if len(sets) != images {
			t.Fatalf("%d label sets for %d image lines", len(sets), images)
		}
		for i, set := range sets {
			seen := map[int]bool{}
			for _, c := range set {
				if c < 0 || c >= len(classes) || seen[c] {
					t.Fatalf("image %d: class index %d out of range or repeated in %v", i, c, set)
				}
				seen[c] = true
			}
		}
	})
}
