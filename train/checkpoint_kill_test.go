package train

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// The child side of TestCheckpointSurvivesKill: rewrite the checkpoint in
// CKPT_DIR over and over until killed.
func TestCheckpointKillChild(t *testing.T) {
	dir := os.Getenv("MULTILABEL_CKPT_CHILD")
	if dir == "" {
		t.Skip("only runs as the child of TestCheckpointSurvivesKill")
	}
	tr := newTestTrainer(t, dir, 2)
	if err := tr.Resume(filepath.Join(dir, "last.safetensors")); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "child-ready"), nil, 0o644)
	for {
		if err := tr.saveLast(); err != nil {
			t.Fatal(err)
		}
	}
}

// A training process killed (SIGKILL) while it writes its checkpoint
// leaves the last good checkpoint intact, and resuming from it reproduces
// the uninterrupted run's losses exactly.
func TestCheckpointSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	want := uninterruptedLosses(t)
	dir := t.TempDir()
	got := interruptAt(t, dir, 8)

	// Kill a process that keeps rewriting last.safetensors, at several
	// moments; most land in the middle of a write.
	for i, delay := range []time.Duration{3, 7, 11, 17, 23, 31} {
		os.Remove(filepath.Join(dir, "child-ready"))
		cmd := exec.Command(os.Args[0], "-test.run=^TestCheckpointKillChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), "MULTILABEL_CKPT_CHILD="+dir)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		for start := time.Now(); ; time.Sleep(time.Millisecond) {
			if _, err := os.Stat(filepath.Join(dir, "child-ready")); err == nil {
				break
			}
			if time.Since(start) > 30*time.Second {
				cmd.Process.Kill()
				t.Fatal("child never started writing")
			}
		}
		time.Sleep(delay * time.Millisecond)
		cmd.Process.Kill()
		cmd.Wait()
		if _, err := LoadCheckpoint(filepath.Join(dir, "last.safetensors"), newTinyNet(1, 20), nil, nil); err != nil {
			t.Fatalf("kill %d: checkpoint damaged: %v", i, err)
		}
	}

	resumeAndCompare(t, dir, got, want)
}
