package train

import (
	"strings"
	"testing"
)

// TestProgressLines checks the bar a log (not a terminal) gets: the first
// update, then a line each time a new tenth is reached (the last always), items of total, the extra text only
// when there is one, and no output for a nil bar.
func TestProgressLines(t *testing.T) {
	var out strings.Builder
	p := NewProgress(&out, false, "scoring", 20, "images")
	for i := 1; i <= 20; i++ {
		p.Update(i, i, "")
	}
	p.Done()
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 11 {
		t.Fatalf("%d lines, want the first and one a tenth (11):\n%s", len(lines), out.String())
	}
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, "scoring [====================] 20/20 images  ") || !strings.Contains(last, " img/s  ETA 0s") {
		t.Errorf("last line %q", last)
	}

	out.Reset()
	p = NewProgress(&out, false, "epoch 1/2", 4, "batches")
	p.Update(1, 32, "loss 1.2345")
	if s := out.String(); !strings.Contains(s, "1/4 batches") || !strings.Contains(s, " img/s  loss 1.2345  ETA ") {
		t.Errorf("line with extra text %q", s)
	}

	var nilBar *Progress
	nilBar.Update(1, 1, "")
	nilBar.Done()
}
