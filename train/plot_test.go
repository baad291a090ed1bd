package train

import (
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/seed477ab429/multilabel/metrics"
)

func TestPlots(t *testing.T) {
	dir := t.TempDir()
	hist := []EpochStats{{Epoch: 1, TrainLoss: 3, MAP: 0.4, MAPEMA: 0.3}, {Epoch: 2, TrainLoss: 2, MAP: 0.6, MAPEMA: 0.5}}
	steps := []StepStats{{Step: 1, LR: 0.001}, {Step: 2, LR: 0.01}, {Step: 3, LR: 0.005}}
	if err := PlotCurves(filepath.Join(dir, "curves.png"), hist, steps); err != nil {
		t.Fatal(err)
	}
	set, err := metrics.New(4, 2, []float32{0.9, 0.1, 0.8, 0.7, 0.2, 0.6, 0.1, 0.3}, []int8{1, 0, 1, 1, 0, 1, 0, 0})
	if err != nil {
		t.Fatal(err)
	}
	if err := PlotPR(filepath.Join(dir, "pr.png"), metrics.PRCurves(set), []string{"cat", "dog"}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"curves.png", "pr.png"} {
		fh, err := os.Open(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(fh)
		fh.Close()
		if err != nil || img.Bounds().Dx() < 100 {
			t.Fatalf("%s: %v", f, err)
		}
	}
}
