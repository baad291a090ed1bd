package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFindRunErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := findRun(dir); err == nil || !strings.Contains(err.Error(), "not a run folder (no model.json)") {
		t.Errorf("empty folder: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "model.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := findRun(dir); err == nil || !strings.Contains(err.Error(), "has no best.safetensors") {
		t.Errorf("no weights: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "best.safetensors"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := findRun(dir); err != nil || got != dir {
		t.Errorf("findRun(%s) = %q, %v", dir, got, err)
	}
	// The default: the newest run under ./runs.
	wd, _ := os.Getwd()
	defer os.Chdir(wd)
	if err := os.Chdir(t.TempDir()); err != nil {
		t.Fatal(err)
	}
	if _, err := findRun(""); err == nil || !strings.Contains(err.Error(), "go run ./examples/voc") {
		t.Errorf("no runs: %v", err)
	}
}
