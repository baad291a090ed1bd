package multilabel_test

import (
	"bytes"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/seed477ab429/multilabel"
	"github.com/seed477ab429/multilabel/models"
)

// BenchmarkLoad loads a run folder of the example's default architecture
// (efficientnetv2_t + ML-Decoder 256/512, 20 classes, 128 px, 15 MB of
// weights), as `multilabel predict` and a service do at start: Load from
// the file system, and Read from bytes in memory as the wasm page does.
// Besides wall time it reports cpu-ms/op, the process's CPU time per load
// (every thread, the garbage collector's included), which other jobs on a
// shared machine disturb far less.
//
//	go test -run '^$' -bench Load -benchtime 20x .
func BenchmarkLoad(b *testing.B) {
	dir := exampleRun(b)
	b.Run("Load", func(b *testing.B) {
		c0, ok := cpuTime()
		for b.Loop() {
			if _, err := multilabel.Load(dir); err != nil {
				b.Fatal(err)
			}
		}
		reportCPU(b, c0, ok)
	})
	b.Run("Read", func(b *testing.B) {
		js, err := os.ReadFile(filepath.Join(dir, multilabel.SpecFile))
		if err != nil {
			b.Fatal(err)
		}
		w, err := os.ReadFile(filepath.Join(dir, multilabel.WeightsFile))
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(w)))
		c0, ok := cpuTime()
		for b.Loop() {
			if _, err := multilabel.Read(bytes.NewReader(js), bytes.NewReader(w), nil); err != nil {
				b.Fatal(err)
			}
		}
		reportCPU(b, c0, ok)
	})
}

// reportCPU reports the CPU time per iteration since c0.
func reportCPU(b *testing.B, c0 time.Duration, ok bool) {
	if c1, ok1 := cpuTime(); ok && ok1 {
		b.ReportMetric(float64(c1-c0)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
	}
}

// BenchmarkScores classifies images through the Go API (Model.Scores:
// resize, normalize, forward, sigmoid) with the example's default
// architecture at 128 px and random weights, one image per call and
// BatchSize images per call; the images are 160 x 120 RGBA, as decoded.
//
//	go test -run '^$' -bench Scores -benchtime 20x .
func BenchmarkScores(b *testing.B) {
	m, err := multilabel.Load(exampleRun(b))
	if err != nil {
		b.Fatal(err)
	}
	imgs := make([]image.Image, multilabel.BatchSize)
	for k := range imgs {
		img := image.NewRGBA(image.Rect(0, 0, 160, 120))
		for i := range img.Pix {
			img.Pix[i] = uint8(i*(k+7) + i>>9)
		}
		imgs[k] = img
	}
	for _, n := range []int{1, multilabel.BatchSize} {
		b.Run(fmt.Sprintf("b%d", n), func(b *testing.B) {
			if _, err := m.Scores(imgs[:n]); err != nil { // warm-up
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := m.Scores(imgs[:n]); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "img/s")
		})
	}
}

// exampleRun writes a run folder of the example's default architecture
// (efficientnetv2_t + ML-Decoder 256/512, 20 classes, 128 px) with seeded
// random weights and returns its path.
func exampleRun(b *testing.B) string {
	b.Helper()
	classes := make([]string, 20)
	for i := range classes {
		classes[i] = string(rune('a'+i)) + "class"
	}
	spec := models.Spec{Backbone: "efficientnetv2_t", Head: "mldecoder", Classes: classes, Metric: true, Size: 128,
		Scale: 17, Norm: "half", DecoderEmbed: 256, DecoderFFN: 512}
	dir := b.TempDir()
	writeRun(b, dir, spec, 1)
	return dir
}
