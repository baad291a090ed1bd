package multilabel

import (
	"strings"
	"testing"
)

// FuzzThresholds fuzzes a run folder's thresholds.json ({"class": t}),
// which Load, LoadFS and Read parse with parseThresholds: no panic, errors
// in one line, and what is accepted is one threshold in [0, 1] per class.
// (model.json is models.FuzzSpec's; the weight files are package nn's.)
//
//	go test . -run '^$' -fuzz '^FuzzThresholds$' -fuzztime 10m
func FuzzThresholds(f *testing.F) {
	for _, s := range []string{
		`{"cat": 0.31, "dog": 0.5}`, `{"cat": 1, "dog": 0, "bird": 0.2}`, `{"traffic light": 0.75}`,
		`{"cat": 1.5}`, `{"cat": -0.1}`, `{"cat": "0.3"}`, `{"cat": null}`, `{"cat": 1e400}`,
		`["cat", 0.3]`, `{}`, `null`, `{"cat": 0.3, "cat": 0.4}`, `{`, ``,
	} {
		f.Add([]byte(s))
	}
	classes := []string{"cat", "dog", "traffic light"}
	f.Fuzz(func(t *testing.T, b []byte) {
		thr, err := parseThresholds(b, classes)
		if err != nil {
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Fatalf("error %q", err)
			}
			return
		}
		if len(thr) != len(classes) {
			t.Fatalf("%d thresholds for %d classes", len(thr), len(classes))
		}
		for i, v := range thr {
			if !(v >= 0 && v <= 1) {
				t.Fatalf("class %q: threshold %v accepted", classes[i], v)
			}
		}
	})
}
