package main

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/seed477ab429/multilabel"
	"github.com/seed477ab429/multilabel/models"
	"github.com/seed477ab429/multilabel/nn"
)

// BenchmarkServe measures the service end to end over loopback HTTP: one
// JPEG per request (upload, decode, classify, JSON), at 1, 4 and 16
// clients sending back to back. It reports images per second and the
// latency percentiles.
//
//	go test ./examples/serve -run '^$' -bench Serve -benchtime 200x
//
// SERVE_BENCH_SLOTS sets -slots (default: the command's).
// The model is SERVE_BENCH_RUN (a run folder) if set, else the example's
// default architecture (efficientnetv2_t + ML-Decoder 256/512, 20 classes,
// 128 px) with seeded weights: the weights do not change the cost. The
// images are the VOC sample beside the checkout (docs/README.md) when there,
// else synthetic 500x375 JPEGs (VOC's typical size).
func BenchmarkServe(b *testing.B) {
	runDir := os.Getenv("SERVE_BENCH_RUN")
	if runDir == "" {
		runDir = b.TempDir()
		writeDefaultRun(b, runDir)
	}
	m, err := multilabel.Load(runDir)
	if err != nil {
		b.Fatal(err)
	}
	imgs := benchImages(b)
	slots := defaultSlots()
	if v := os.Getenv("SERVE_BENCH_SLOTS"); v != "" {
		if slots, err = strconv.Atoi(v); err != nil || slots < 1 {
			b.Fatalf("SERVE_BENCH_SLOTS=%q", v)
		}
	}
	s := newServer(m, config{Timeout: time.Minute, MaxBytes: 32 << 20, MaxImages: 16, Slots: slots})
	ts := httptest.NewServer(s.handler())
	defer ts.Close()
	spec := m.Spec()
	b.Logf("model %s + %s, %d classes, %d px; %d images; GOMAXPROCS %d, %d slots",
		spec.Backbone, spec.Head, len(spec.Classes), spec.Size, len(imgs), runtime.GOMAXPROCS(0), cap(s.slots))

	for _, clients := range []int{1, 4, 16} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			tr := &http.Transport{MaxIdleConnsPerHost: clients}
			defer tr.CloseIdleConnections()
			client := &http.Client{Transport: tr}
			post := func(k int) error {
				resp, err := client.Post(ts.URL+"/classify", "image/jpeg", bytes.NewReader(imgs[k%len(imgs)]))
				if err != nil {
					return err
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					return fmt.Errorf("status %d", resp.StatusCode)
				}
				return nil
			}
			for k := range clients { // warm the connections and the code paths
				if err := post(k); err != nil {
					b.Fatal(err)
				}
			}
			lat := make([]time.Duration, b.N)
			var next sync.Mutex
			n := 0
			var wg sync.WaitGroup
			errs := make(chan error, clients)
			b.ResetTimer()
			start := time.Now()
			for range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						next.Lock()
						k := n
						n++
						next.Unlock()
						if k >= b.N {
							return
						}
						t0 := time.Now()
						if err := post(k); err != nil {
							errs <- err
							return
						}
						lat[k] = time.Since(t0)
					}
				}()
			}
			wg.Wait()
			wall := time.Since(start)
			b.StopTimer()
			close(errs)
			for err := range errs {
				b.Fatal(err)
			}
			slices.Sort(lat)
			pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))]) / 1e6 }
			b.ReportMetric(float64(b.N)/wall.Seconds(), "img/s")
			b.ReportMetric(pct(0.5), "p50-ms")
			b.ReportMetric(pct(0.95), "p95-ms")
			b.ReportMetric(pct(0.99), "p99-ms")
		})
	}
}

// writeDefaultRun writes a run folder of the example's default
// architecture with seeded weights.
func writeDefaultRun(b *testing.B, dir string) {
	classes := []string{"aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
		"diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train", "tvmonitor"}
	spec := models.Spec{Backbone: "efficientnetv2_t", Head: "mldecoder", Classes: classes, Metric: true,
		Size: 128, Scale: 17, Norm: "half", DecoderEmbed: 256, DecoderFFN: 512}
	net, err := models.Build(spec, models.Options{Seed: 1}, nil)
	if err != nil {
		b.Fatal(err)
	}
	js, _ := models.MarshalSpec(spec)
	sd := nn.NewStateDict()
	for _, nt := range nn.Tensors(net) {
		sd.Set(nt.Name, nt.Tensor.Detach())
	}
	if err := nn.SaveSafetensors(filepath.Join(dir, multilabel.WeightsFile), sd); err != nil {
		b.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, multilabel.SpecFile), js, 0o644)
}

// benchImages returns JPEG files' bytes: the VOC sample's when present.
func benchImages(b *testing.B) [][]byte {
	var out [][]byte
	files, _ := filepath.Glob("../../../shared/data/voc-sample/VOCdevkit/VOC2007/JPEGImages/*.jpg")
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, raw)
	}
	if len(out) > 0 {
		return out
	}
	for k := range 8 {
		img := image.NewRGBA(image.Rect(0, 0, 500, 375))
		for y := range 375 {
			for x := range 500 {
				img.Set(x, y, color.RGBA{uint8(x*(k+1) + y), uint8(y * (k + 2)), uint8((x ^ y) + 13*k), 255})
			}
		}
		var buf bytes.Buffer
		jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90})
		out = append(out, buf.Bytes())
	}
	return out
}
