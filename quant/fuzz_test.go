package quant

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seed477ab429/multilabel/models"
)

// FuzzInt8Info fuzzes a run folder's int8.json through ReadInfo (beside a
// weights file whose SHA-256 the seeds record), then quantizes a tiny
// EfficientNetV2 with what was accepted, as Model.WithInt8 does: no panic,
// every error one line naming the file.
//
//	go test ./quant/ -run '^$' -fuzz '^FuzzInt8Info$' -fuzztime 10m
func FuzzInt8Info(f *testing.F) {
	bb, err := models.NewEfficientNetV2(models.EffNetV2Config{Name: "e", Stem: 8, Head: 16, BNEps: 1e-3, BNMomentum: 0.1, Seed: 9,
		Stages: []models.EffNetV2Stage{
			{Block: models.FusedMBConvBlock, Expand: 2, Kernel: 3, Stride: 2, Out: 8, Repeats: 1},
			{Block: models.MBConvBlock, Expand: 2, Kernel: 3, Stride: 2, Out: 16, Repeats: 1},
		}})
	if err != nil {
		f.Fatal(err)
	}
	e, err := NewEngine(bb)
	if err != nil {
		f.Fatal(err)
	}
	dir := f.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "best.safetensors"), []byte("weights"), 0o644); err != nil {
		f.Fatal(err)
	}
	sum, err := FileSHA256(filepath.Join(dir, "best.safetensors"))
	if err != nil {
		f.Fatal(err)
	}
	cal := Calibration{}
	for i, c := range e.convs {
		cal[c.name] = Range{-float32(i), float32(i) + 1}
	}
	good, err := json.Marshal(&Info{Format: Format, Weights: "best.safetensors", WeightsSHA256: sum, Images: 8, Ranges: cal})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	for _, s := range []string{
		`{"format":"` + Format + `","weights":"best.safetensors","weights_sha256":"` + sum + `","ranges":{"x":{"Min":1,"Max":0}}}`,
		`{"format":"` + Format + `","weights":"../best.safetensors","weights_sha256":"` + sum + `"}`,
		`{"format":"` + Format + `","weights":"best.safetensors","weights_sha256":"00"}`,
		`{"format":"other"}`, `{"ranges":[1,2]}`, `null`, `{`, ``,
	} {
		f.Add([]byte(s))
	}
	path := filepath.Join(dir, File)
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		info, err := ReadInfo(dir)
		if err == nil {
			err = e.Quantize(info.Ranges)
			if err != nil {
				return // WithInt8 names the file around Quantize's errors
			}
		}
		if err != nil {
			if msg := err.Error(); strings.ContainsAny(msg, "\n\r") || !strings.Contains(msg, File) {
				t.Fatalf("error %q", msg)
			}
		}
	})
}
