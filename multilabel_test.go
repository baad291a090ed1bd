package multilabel_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seed477ab429/multilabel"
)

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := multilabel.Load(dir); err == nil || !strings.Contains(err.Error(), "not a run folder") {
		t.Fatalf("empty folder: %v", err)
	}
	makeRun(dir)
	os.WriteFile(filepath.Join(dir, multilabel.WeightsFile), []byte("garbage"), 0o644)
	if _, err := multilabel.Load(dir); err == nil || !strings.Contains(err.Error(), multilabel.WeightsFile) {
		t.Fatalf("corrupt weights: %v", err)
	}
	makeRun(dir)
	os.WriteFile(filepath.Join(dir, multilabel.ThresholdsFile), []byte("{"), 0o644)
	if _, err := multilabel.Load(dir); err == nil || !strings.Contains(err.Error(), multilabel.ThresholdsFile) {
		t.Fatalf("corrupt thresholds: %v", err)
	}
	os.WriteFile(filepath.Join(dir, multilabel.ThresholdsFile), []byte(`{"dog": 0.7}`), 0o644)
	m, err := multilabel.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if m.Thresholds[1] != 0.7 || m.Thresholds[0] != 0.5 {
		t.Fatalf("thresholds %v", m.Thresholds)
	}
	if _, err := m.ClassifyFile(filepath.Join(dir, "missing.jpg")); err == nil || !strings.Contains(err.Error(), "missing.jpg") {
		t.Fatalf("missing image: %v", err)
	}
}
