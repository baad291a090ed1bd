package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/seed477ab429/multilabel/data"
)

// FuzzEvalThresholds fuzzes the file `eval -thresholds FILE` reads,
// {"class": threshold, ...} for every class of the run (a stricter reading
// than a run's own thresholds.json, which the root package's
// FuzzThresholds covers). Properties: no panic, every error one line
// naming the file, and what is accepted is one threshold in [0, 1] per
// class. The seeds are thresholds.json files as `multilabel thresholds`
// writes them (recipe.WriteThresholds: json.MarshalIndent of the map) for
// the VOC classes, and their near misses. bench/fuzz.sh runs it with the
// others (docs/RELIABILITY.md).
//
//	go test ./cmd/multilabel -run '^$' -fuzz '^FuzzEvalThresholds$' -fuzztime 10m
func FuzzEvalThresholds(f *testing.F) {
	classes := data.VOCClasses
	full := map[string]float64{}
	for i, c := range classes {
		full[c] = float64(i+1) / 25
	}
	b, _ := json.MarshalIndent(full, "", "  ")
	f.Add(b)
	f.Add(b[:len(b)/2])
	f.Add([]byte(strings.Replace(string(b), "0.04", "1.5", 1)))
	f.Add([]byte(strings.Replace(string(b), `"aeroplane"`, `"airplane"`, 1)))
	for _, s := range []string{
		`{"cat": 0.31, "dog": 0.5}`, `{"cat": -0.1}`, `{"cat": "0.3"}`, `{"cat": null}`, `{"cat": 1e400}`,
		`["cat", 0.3]`, `{}`, `null`, `{"cat": 0.3, "cat": 0.4}`, `{`, ``,
	} {
		f.Add([]byte(s))
	}
	const path = "my thresholds.json"
	f.Fuzz(func(t *testing.T, b []byte) {
		thr, err := parseEvalThresholds(b, path, classes)
		if err != nil {
			msg := err.Error()
			if strings.ContainsAny(msg, "\n\r") || !strings.Contains(msg, path) {
				t.Fatalf("error is not one line naming %s: %q", path, msg)
			}
			if _, ok := err.(usageError); !ok {
				t.Fatalf("error %q is not a usage error (exit 2)", msg)
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
