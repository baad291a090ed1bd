package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// lrsearch on the VOC fixture: the range test suggests a rate and plots
// the curve; the grid search trains each candidate and plots final mAP.
func TestLRSearch(t *testing.T) {
	quiet(t)
	dir := t.TempDir()
	plot := filepath.Join(dir, "range.png")
	base := []string{"lrsearch", "-data", "../../data/testdata/shapes-voc", "-size", "32", "-batch", "8", "-head", "pool", "-workers", "2"}
	rc, out, errs := cli(t, append(base, "-steps", "24", "-plot", plot)...)
	if rc != 0 || !strings.Contains(out, "suggested lr") || !strings.Contains(out, "-lr ") {
		t.Fatalf("range: exit %d %s\n%s", rc, errs, out)
	}
	if st, err := os.Stat(plot); err != nil || st.Size() == 0 {
		t.Errorf("no plot: %v", err)
	}
	gplot := filepath.Join(dir, "grid.png")
	rc, js, errs := cli(t, append(base, "-mode", "grid", "-trials", "2", "-trial-epochs", "1", "-min-lr", "1e-4", "-max-lr", "1e-3", "-plot", gplot, "-json")...)
	var res lrsearchResult
	if rc != 0 || json.Unmarshal([]byte(js), &res) != nil || len(res.Trials) != 2 || res.Suggested == nil ||
		(*res.Suggested != 1e-4 && *res.Suggested != 1e-3) {
		t.Fatalf("grid: exit %d %s\n%s", rc, errs, js)
	}
	if st, err := os.Stat(gplot); err != nil || st.Size() == 0 {
		t.Errorf("no grid plot: %v", err)
	}
	wantUsage(t, "-mode", append(base, "-mode", "bisect")...)
	wantUsage(t, "-data is required", "lrsearch")
}
