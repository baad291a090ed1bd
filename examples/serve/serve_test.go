package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seed477ab429/multilabel"
	"github.com/seed477ab429/multilabel/models"
	"github.com/seed477ab429/multilabel/nn"
)

// writeRun writes a run folder: a small EfficientNetV2-T + ML-Decoder
// with seeded weights and tuned-looking thresholds.
func writeRun(t testing.TB, dir string) {
	t.Helper()
	spec := models.Spec{Backbone: "efficientnetv2_t", Head: "mldecoder", Classes: []string{"cat", "dog", "person", "car", "boat"},
		Metric: true, Size: 32, Scale: 17, Norm: "half", DecoderEmbed: 32, DecoderHeads: 2, DecoderFFN: 64}
	net, err := models.Build(spec, models.Options{Seed: 4}, nil)
	if err != nil {
		t.Fatal(err)
	}
	js, _ := models.MarshalSpec(spec)
	sd := nn.NewStateDict()
	for _, nt := range nn.Tensors(net) {
		sd.Set(nt.Name, nt.Tensor.Detach())
	}
	if err := nn.SaveSafetensors(filepath.Join(dir, multilabel.WeightsFile), sd); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, multilabel.SpecFile), js, 0o644)
	os.WriteFile(filepath.Join(dir, multilabel.ThresholdsFile), []byte(`{"cat": 0.2, "dog": 0.5, "person": 0.05, "car": 0.6, "boat": 0.01}`), 0o644)
}

// writeImages writes n JPEG and PNG files of different sizes, plus a JPEG
// whose EXIF orientation turns it, and returns their paths.
func writeImages(t testing.TB, dir string, n int) []string {
	t.Helper()
	var paths []string
	for k := 0; k < n; k++ {
		w, h := 50+13*k, 40+9*k
		img := image.NewRGBA(image.Rect(0, 0, w, h))
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				img.Set(x, y, color.RGBA{uint8(x * (k + 3)), uint8(y * (2*k + 1)), uint8((x ^ y) * k), 255})
			}
		}
		var buf bytes.Buffer
		name := fmt.Sprintf("img%02d.jpg", k)
		if k%2 == 1 {
			name = fmt.Sprintf("img%02d.png", k)
			png.Encode(&buf, img)
		} else {
			jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85})
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	exif, err := os.ReadFile("../../data/testdata/img/exif6.jpg")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "exif6.jpg")
	os.WriteFile(p, exif, 0o644)
	return append(paths, p)
}

// predict runs the command line, `multilabel predict -json`, built from
// this module, and returns each file's labels.
func predict(t *testing.T, runDir string, files []string) map[string][]multilabel.Label {
	t.Helper()
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build cmd/multilabel:", err)
	}
	bin := filepath.Join(t.TempDir(), "multilabel")
	if out, err := exec.Command(goCmd, "build", "-o", bin, "github.com/seed477ab429/multilabel/cmd/multilabel").CombinedOutput(); err != nil {
		t.Fatalf("building cmd/multilabel: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, append([]string{"predict", "-json", "-run", runDir}, files...)...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("multilabel predict: %v", err)
	}
	want := map[string][]multilabel.Label{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var line struct {
			Image  string
			Labels []multilabel.Label
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("predict printed %q: %v", sc.Text(), err)
		}
		want[line.Image] = line.Labels
	}
	if len(want) != len(files) {
		t.Fatalf("predict answered for %d of %d files", len(want), len(files))
	}
	return want
}

func upload(client *http.Client, url string, files []string, multi bool) (*http.Response, error) {
	var body bytes.Buffer
	ctype := "image/jpeg"
	if multi {
		mw := multipart.NewWriter(&body)
		mw.WriteField("note", "form fields are ignored")
		for _, f := range files {
			raw, err := os.ReadFile(f)
			if err != nil {
				return nil, err
			}
			w, _ := mw.CreateFormFile("image", filepath.Base(f))
			w.Write(raw)
		}
		mw.Close()
		ctype = mw.FormDataContentType()
	} else {
		raw, err := os.ReadFile(files[0])
		if err != nil {
			return nil, err
		}
		body.Write(raw)
	}
	return client.Post(url+"/classify", ctype, &body)
}

// The service under load from many goroutines answers every request as
// `multilabel predict` answers for the same file. Run with -race.
func TestServeUnderLoad(t *testing.T) {
	dir := t.TempDir()
	runDir := filepath.Join(dir, "run")
	os.Mkdir(runDir, 0o755)
	writeRun(t, runDir)
	files := writeImages(t, dir, 7)
	want := predict(t, runDir, files)
	some := 0
	for _, l := range want {
		some += len(l)
	}
	if some == 0 {
		t.Fatal("predict gave no label at all: the comparison would be weak")
	}

	m, err := multilabel.Load(runDir)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(newServer(m, config{Timeout: time.Minute, MaxBytes: 1 << 20, MaxImages: 4, Slots: 2}).handler())
	defer ts.Close()

	const clients = 16
	total := 0 // images sent
	for c := 0; c < clients; c++ {
		for r := 0; r < 3; r++ {
			total += 1 + 2*((c+r)%2)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := 0; r < 3; r++ {
				k := (c*3 + r) % len(files)
				batch := []string{files[k]}
				multi := (c+r)%2 == 1
				if multi {
					batch = append(batch, files[(k+1)%len(files)], files[(k+3)%len(files)])
				}
				resp, err := upload(ts.Client(), ts.URL, batch, multi)
				if err != nil {
					errs <- err
					return
				}
				var got response
				err = json.NewDecoder(resp.Body).Decode(&got)
				resp.Body.Close()
				if err != nil || resp.StatusCode != http.StatusOK || len(got.Results) != len(batch) {
					errs <- fmt.Errorf("client %d: status %d, %d results for %d images, %v", c, resp.StatusCode, len(got.Results), len(batch), err)
					return
				}
				for i, f := range batch {
					if multi && got.Results[i].Image != filepath.Base(f) {
						errs <- fmt.Errorf("result %d names %q, want %q", i, got.Results[i].Image, filepath.Base(f))
						return
					}
					if !slices.Equal(got.Results[i].Labels, want[f]) || got.Results[i].Labels == nil {
						errs <- fmt.Errorf("%s: served %v, predict %v", filepath.Base(f), got.Results[i].Labels, want[f])
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	resp, err := ts.Client().Get(ts.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	var h struct {
		Status  string
		Classes []string
		Served  int64 `json:"images_served"`
	}
	json.NewDecoder(resp.Body).Decode(&h)
	resp.Body.Close()
	if resp.StatusCode != 200 || h.Status != "ok" || len(h.Classes) != 5 || h.Served != int64(total) {
		t.Errorf("healthz: %d %+v", resp.StatusCode, h)
	}
}

func TestServeErrors(t *testing.T) {
	dir := t.TempDir()
	writeRun(t, dir)
	files := writeImages(t, dir, 2)
	m, err := multilabel.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg := config{Timeout: time.Minute, MaxBytes: 1 << 20, MaxImages: 2, Slots: 1}
	ts := httptest.NewServer(newServer(m, cfg).handler())
	defer ts.Close()
	expired := httptest.NewServer(newServer(m, config{Timeout: time.Nanosecond, MaxBytes: 1 << 20, MaxImages: 2, Slots: 1}).handler())
	defer expired.Close()
	small := httptest.NewServer(newServer(m, config{Timeout: time.Minute, MaxBytes: 100, MaxImages: 2, Slots: 1}).handler())
	defer small.Close()

	check := func(name string, resp *http.Response, err error, code int, msg string) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var e errorResponse
		json.Unmarshal(b, &e)
		if resp.StatusCode != code || !strings.Contains(e.Error, msg) {
			t.Errorf("%s: %d %s, want %d and an error containing %q", name, resp.StatusCode, b, code, msg)
		}
	}
	resp, err := ts.Client().Post(ts.URL+"/classify", "image/png", strings.NewReader("not an image"))
	check("garbage", resp, err, 400, "the request body: multilabel: image:")
	resp, err = ts.Client().Post(ts.URL+"/classify", "image/png", strings.NewReader(""))
	check("empty", resp, err, 400, "empty")
	resp, err = upload(ts.Client(), ts.URL, files, true)
	check("too many images", resp, err, 413, "more than 2 images")
	resp, err = upload(small.Client(), small.URL, files[:1], false)
	check("too large", resp, err, 413, "over 100 bytes")
	resp, err = upload(expired.Client(), expired.URL, files[:1], false)
	check("deadline", resp, err, 503, "deadline exceeded")
	if resp.Header.Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("note", "no file")
	mw.Close()
	resp, err = ts.Client().Post(ts.URL+"/classify", mw.FormDataContentType(), &body)
	check("no files", resp, err, 400, "no image files")
	resp, err = ts.Client().Get(ts.URL + "/classify")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /classify: %d", resp.StatusCode)
	}
}
