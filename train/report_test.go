package train

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seed477ab429/multilabel/metrics"
)

func TestWriteReport(t *testing.T) {
	set, err := metrics.New(3, 2, []float32{0.9, 0.1, 0.8, 0.7, 0.2, 0.6}, []int8{1, 0, 1, 1, 0, 1})
	if err != nil {
		t.Fatal(err)
	}
	r05, err := metrics.Evaluate(set, metrics.Options{})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "report.html")
	err = WriteReport(path, &Report{
		Title: "test run", Model: "tiny", Classes: []string{"cat", "dog"}, At05: r05, Adapt: &r05,
		History:  []EpochStats{{Epoch: 1, TrainLoss: 1, MAP: 0.5, MAPEMA: -1, Best: true}},
		Examples: []Example{{Image: "ex0.jpg", Truth: []string{"cat", "dog"}, Predicted: []Prediction{{"cat", 0.9, true}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	s := string(b)
	for _, want := range []string{"test run", "ex0.jpg", "missed: dog", "cat 0.90", "<td class=\"l\">dog</td>"} {
		if !strings.Contains(s, want) {
			t.Errorf("report lacks %q", want)
		}
	}
}
