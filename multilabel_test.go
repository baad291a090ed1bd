package multilabel_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/seed477ab429/multilabel"
	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/models"
	"github.com/seed477ab429/multilabel/nn"
)

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := multilabel.Load(dir); err == nil || !strings.Contains(err.Error(), "not a run folder") || !strings.Contains(err.Error(), dir) {
		t.Fatalf("empty folder: %v", err)
	}
	makeRun(dir)
	os.WriteFile(filepath.Join(dir, multilabel.WeightsFile), []byte("garbage"), 0o644)
	if _, err := multilabel.Load(dir); err == nil || !strings.Contains(err.Error(), filepath.Join(dir, multilabel.WeightsFile)) {
		t.Fatalf("corrupt weights: %v", err)
	}
	makeRun(dir)
	os.WriteFile(filepath.Join(dir, multilabel.ThresholdsFile), []byte("{"), 0o644)
	if _, err := multilabel.Load(dir); err == nil || !strings.Contains(err.Error(), multilabel.ThresholdsFile) {
		t.Fatalf("corrupt thresholds: %v", err)
	}
	os.WriteFile(filepath.Join(dir, multilabel.ThresholdsFile), []byte(`{"dog": 1.5}`), 0o644)
	if _, err := multilabel.Load(dir); err == nil || !strings.Contains(err.Error(), `"dog"`) {
		t.Fatalf("threshold out of range: %v", err)
	}
	os.WriteFile(filepath.Join(dir, multilabel.ThresholdsFile), []byte(`{"dog": 0.7}`), 0o644)
	m, err := multilabel.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if thr := m.Thresholds(); thr[1] != 0.7 || thr[0] != 0.5 {
		t.Fatalf("thresholds %v", thr)
	}
	if _, err := m.ClassifyFile(filepath.Join(dir, "missing.jpg")); err == nil || !strings.Contains(err.Error(), "missing.jpg") {
		t.Fatalf("missing image: %v", err)
	}

	// A weight file for another model names the tensors that differ.
	other := t.TempDir()
	spec := smallSpec(32)
	writeRun(t, other, spec, 1)
	spec.Classes = spec.Classes[:3]
	js, _ := models.MarshalSpec(spec)
	os.WriteFile(filepath.Join(other, multilabel.SpecFile), js, 0o644)
	if _, err := multilabel.Load(other); err == nil || !strings.Contains(err.Error(), "head.") {
		t.Fatalf("weights of a 4-class model for a 3-class spec: %v", err)
	}
	// A spec the engine cannot build names model.json.
	os.WriteFile(filepath.Join(other, multilabel.SpecFile), []byte(`{"backbone": "nonet", "head": "pool", "classes": ["a"], "size": 32, "scale": 1}`), 0o644)
	if _, err := multilabel.Load(other); err == nil || !strings.Contains(err.Error(), multilabel.SpecFile) {
		t.Fatalf("unknown backbone: %v", err)
	}
}

// Many goroutines classify at once, while another goroutine trains a
// network in the same process: every answer equals the one computed
// alone, and the trainer's gradients are those of a run alone (inference
// must not switch gradient recording off for it). Run with -race.
func TestConcurrentCallers(t *testing.T) {
	m, _ := loadSmall(t, 32)
	imgs := testImages(4)
	want := make([][]float64, len(imgs))
	wantLabels := make([][]multilabel.Label, len(imgs))
	for i, img := range imgs {
		s, err := m.Scores([]image.Image{img})
		if err != nil {
			t.Fatal(err)
		}
		want[i] = s[0]
		if wantLabels[i], err = m.Classify(img); err != nil {
			t.Fatal(err)
		}
	}
	wantBatch, err := m.Scores(imgs)
	if err != nil {
		t.Fatal(err)
	}

	// The trainer: a small pooled-head network, forward and backward.
	tspec := models.Spec{Backbone: "efficientnetv2_t", Head: "pool", Classes: []string{"a", "b"}, Size: 32, Scale: 1}
	trainNet, err := models.Build(tspec, models.Options{Seed: 3}, nil)
	if err != nil {
		t.Fatal(err)
	}
	x := ag.New(make([]float32, 2*3*32*32), 2, 3, 32, 32)
	for i := range x.Data {
		x.Data[i] = float32(i%97)/50 - 1
	}
	params := nn.Tensors(trainNet)
	step := func() []float32 {
		for _, p := range params {
			p.Tensor.ZeroGrad()
		}
		out := trainNet.Forward(nn.Train(7), x)
		ag.SumAll(ag.Mul(out, out)).Backward()
		var g []float32
		for _, p := range params {
			g = append(g, p.Tensor.Grad...)
		}
		return g
	}
	wantGrad := step()

	const callers = 6
	var wg sync.WaitGroup
	errs := make(chan error, callers+1)
	for c := 0; c < callers; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range imgs {
				i := (k + c) % len(imgs)
				var got [][]float64
				var err error
				if c%2 == 0 {
					got, err = m.ScoresContext(context.Background(), imgs[i:i+1])
				} else {
					got, err = m.Scores(imgs[i : i+1])
				}
				if err != nil {
					errs <- err
					return
				}
				if !slices.Equal(got[0], want[i]) {
					errs <- errors.New("scores differ from a call alone")
					return
				}
				labels, err := m.ClassifyContext(context.Background(), imgs[i])
				if err != nil {
					errs <- err
					return
				}
				if !slices.Equal(labels, wantLabels[i]) {
					errs <- errors.New("labels differ from a call alone")
					return
				}
			}
			got, err := m.Scores(imgs)
			if err != nil {
				errs <- err
				return
			}
			for i := range got {
				if !slices.Equal(got[i], wantBatch[i]) {
					errs <- errors.New("batch scores differ from a call alone")
					return
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer func() {
			if r := recover(); r != nil {
				errs <- fmt.Errorf("a training step beside inference failed: %v", r)
			}
		}()
		for r := 0; r < 2; r++ {
			if g := step(); !slices.Equal(g, wantGrad) {
				errs <- errors.New("a training step beside inference got other gradients")
				return
			}
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// A batch gives each image the scores it gets alone, up to float32
// rounding (some kernels pick their blocking by the batch size), across
// the BatchSize boundary, and ClassifyBatch the labels above threshold.
func TestBatchMatchesSingle(t *testing.T) {
	m, _ := loadSmall(t, 32)
	imgs := testImages(multilabel.BatchSize + 3)
	batch, err := m.Scores(imgs)
	if err != nil {
		t.Fatal(err)
	}
	labels, err := m.ClassifyBatch(context.Background(), imgs)
	if err != nil {
		t.Fatal(err)
	}
	if len(batch) != len(imgs) || len(labels) != len(imgs) {
		t.Fatalf("%d score rows, %d label lists for %d images", len(batch), len(labels), len(imgs))
	}
	for i, img := range imgs {
		one, err := m.Scores([]image.Image{img})
		if err != nil {
			t.Fatal(err)
		}
		for j := range one[0] {
			if d := one[0][j] - batch[i][j]; d > 1e-6 || d < -1e-6 {
				t.Errorf("image %d class %d: %v alone, %v in a batch", i, j, one[0][j], batch[i][j])
			}
		}
		if labels[i] == nil {
			t.Errorf("image %d: nil labels", i)
		}
		for _, l := range labels[i] {
			if l.Score <= l.Threshold {
				t.Errorf("image %d: %v below its threshold", i, l)
			}
		}
	}
	if s, err := m.Scores(nil); err != nil || s == nil || len(s) != 0 {
		t.Errorf("Scores(nil) = %v, %v; want an empty slice", s, err)
	}
}

// cancelOnRead cancels a context when its pixels are first read.
type cancelOnRead struct {
	image.Image
	cancel context.CancelFunc
}

func (c cancelOnRead) Bounds() image.Rectangle { c.cancel(); return c.Image.Bounds() }

func TestContextCancellation(t *testing.T) {
	m, _ := loadSmall(t, 32)
	imgs := testImages(3)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := m.ScoresContext(ctx, imgs); !errors.Is(err, context.Canceled) {
		t.Errorf("ScoresContext on a cancelled context: %v", err)
	}
	if _, err := m.ClassifyContext(ctx, imgs[0]); !errors.Is(err, context.Canceled) {
		t.Errorf("ClassifyContext on a cancelled context: %v", err)
	}
	// Cancelled while the images of a later batch are being prepared.
	many := testImages(2 * multilabel.BatchSize)
	ctx, cancel = context.WithCancel(context.Background())
	many[multilabel.BatchSize+1] = cancelOnRead{many[multilabel.BatchSize+1], cancel}
	if _, err := m.ClassifyBatch(ctx, many); !errors.Is(err, context.Canceled) {
		t.Errorf("ClassifyBatch cancelled in its second batch: %v", err)
	}
	dctx, stop := context.WithTimeout(context.Background(), 0)
	defer stop()
	<-dctx.Done()
	if _, err := m.ClassifyBatch(dctx, many); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("ClassifyBatch past its deadline: %v", err)
	}
}

// panicky is an image whose pixels cannot be read.
type panicky struct{ r image.Rectangle }

func (p panicky) ColorModel() color.Model { return color.RGBAModel }
func (p panicky) Bounds() image.Rectangle { return p.r }
func (p panicky) At(x, y int) color.Color { panic("no pixels here") }

func TestBadImages(t *testing.T) {
	m, _ := loadSmall(t, 32)
	good := testImages(1)[0]
	for _, tc := range []struct {
		name string
		img  image.Image
		want string
	}{
		{"nil", nil, "image is nil"},
		{"nil *RGBA", (*image.RGBA)(nil), "image is nil"},
		{"0x5", image.NewRGBA(image.Rect(0, 0, 0, 5)), "image is empty (0x5)"},
		{"5x0 gray", image.NewGray(image.Rect(3, 3, 8, 3)), "image is empty (5x0)"},
		{"RGBA without pixels", &image.RGBA{Rect: image.Rect(0, 0, 10, 10), Stride: 40}, "cannot be read"},
		{"At panics", panicky{image.Rect(0, 0, 4, 4)}, "no pixels here"},
	} {
		labels, err := m.Classify(tc.img)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, %v; want an error containing %q", tc.name, labels, err, tc.want)
		}
	}
	_, err := m.ClassifyBatch(context.Background(), []image.Image{good, good, nil})
	if err == nil || !strings.Contains(err.Error(), "image 2 is nil") {
		t.Errorf("a nil image in a batch: %v", err)
	}
	if _, err := multilabel.Decode(strings.NewReader("")); err == nil {
		t.Error("Decode of nothing: no error")
	}
	if _, err := multilabel.Decode(nil); err == nil {
		t.Error("Decode(nil): no error")
	}
}

// No label above its threshold is an empty list, JSON [], not null.
func TestEmptyLabels(t *testing.T) {
	m, _ := loadSmall(t, 32)
	strict, err := m.WithThresholds([]float64{1, 1, 1, 1})
	if err != nil {
		t.Fatal(err)
	}
	labels, err := strict.Classify(testImages(1)[0])
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := json.Marshal(labels); string(b) != "[]" {
		t.Errorf("no label: %s, want []", b)
	}
	if thr := m.Thresholds(); thr[0] != 0.5 {
		t.Errorf("WithThresholds changed the original: %v", thr)
	}
	if _, err := m.WithThresholds([]float64{1}); err == nil {
		t.Error("WithThresholds with one threshold for four classes: no error")
	}
}

// The accessors return copies: changing them changes nothing.
func TestAccessorsCopy(t *testing.T) {
	m, _ := loadSmall(t, 32)
	s := m.Spec()
	s.Classes[0] = "changed"
	m.Classes()[1] = "changed"
	m.Thresholds()[0] = 0.9
	if c := m.Classes(); c[0] != "cat" || c[1] != "dog" || m.Thresholds()[0] != 0.5 {
		t.Errorf("model changed through its accessors: %v %v", c, m.Thresholds())
	}
	if m.Size() != 32 || m.Net() == nil {
		t.Errorf("Size %d, Net %v", m.Size(), m.Net())
	}
}

// noReaderAt hides an fs.File's ReadAt, like an fs.FS over a stream.
type noReaderAt struct{ fs.FS }

type plainFile struct{ f fs.File }

func (p plainFile) Stat() (fs.FileInfo, error) { return p.f.Stat() }
func (p plainFile) Read(b []byte) (int, error) { return p.f.Read(b) }
func (p plainFile) Close() error               { return p.f.Close() }

func (n noReaderAt) Open(name string) (fs.File, error) {
	f, err := n.FS.Open(name)
	if err != nil {
		return nil, err
	}
	return plainFile{f}, nil
}

// LoadFS, Read and New build the model Load builds.
func TestLoadFSReadNew(t *testing.T) {
	dir := t.TempDir()
	sd := writeRun(t, dir, smallSpec(32), 2)
	os.WriteFile(filepath.Join(dir, multilabel.ThresholdsFile), []byte(`{"cat": 0.3, "car": 0.6}`), 0o644)
	ref, err := multilabel.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	imgs := testImages(3)
	want, err := ref.Scores(imgs)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, f := range []string{multilabel.SpecFile, multilabel.WeightsFile, multilabel.ThresholdsFile} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		files[f] = b
	}
	mapFS := fstest.MapFS{}
	for f, b := range files {
		mapFS["models/voc/"+f] = &fstest.MapFile{Data: b}
	}
	check := func(name string, m *multilabel.Model, err error, thr []float64) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, err := m.Scores(imgs)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.EqualFunc(got, want, slices.Equal) {
			t.Errorf("%s: scores differ from Load's", name)
		}
		if !slices.Equal(m.Thresholds(), thr) {
			t.Errorf("%s: thresholds %v, want %v", name, m.Thresholds(), thr)
		}
	}
	tuned := []float64{0.3, 0.5, 0.5, 0.6}
	m, err := multilabel.LoadFS(mapFS, "models/voc")
	check("LoadFS", m, err, tuned)
	m, err = multilabel.LoadFS(noReaderAt{mapFS}, "models/voc")
	check("LoadFS without ReadAt", m, err, tuned)
	m, err = multilabel.LoadFS(os.DirFS(dir), ".")
	check("LoadFS(os.DirFS)", m, err, tuned)
	m, err = multilabel.Read(bytes.NewReader(files[multilabel.SpecFile]), bytes.NewReader(files[multilabel.WeightsFile]),
		bytes.NewReader(files[multilabel.ThresholdsFile]))
	check("Read", m, err, tuned)
	m, err = multilabel.Read(bytes.NewReader(files[multilabel.SpecFile]), bytes.NewReader(files[multilabel.WeightsFile]), nil)
	check("Read without thresholds", m, err, []float64{0.5, 0.5, 0.5, 0.5})
	// Weights read at offsets start at the reader's position, as io.ReadAll
	// would, and leave it at the end; a plain io.Reader is read whole.
	padded := bytes.NewReader(append([]byte("padding"), files[multilabel.WeightsFile]...))
	padded.Seek(7, io.SeekStart)
	m, err = multilabel.Read(bytes.NewReader(files[multilabel.SpecFile]), padded, nil)
	check("Read at an offset", m, err, []float64{0.5, 0.5, 0.5, 0.5})
	if padded.Len() != 0 {
		t.Errorf("Read left %d bytes of the weights unread", padded.Len())
	}
	m, err = multilabel.Read(bytes.NewReader(files[multilabel.SpecFile]), io.MultiReader(bytes.NewReader(files[multilabel.WeightsFile])), nil)
	check("Read of a plain io.Reader", m, err, []float64{0.5, 0.5, 0.5, 0.5})
	m, err = multilabel.New(smallSpec(32), sd, tuned)
	check("New", m, err, tuned)

	if _, err := multilabel.LoadFS(mapFS, "models/none"); err == nil || !strings.Contains(err.Error(), "models/none is not a run folder") {
		t.Errorf("LoadFS of a missing folder: %v", err)
	}
	delete(mapFS, "models/voc/"+multilabel.WeightsFile)
	if _, err := multilabel.LoadFS(mapFS, "models/voc"); err == nil || !strings.Contains(err.Error(), "models/voc/"+multilabel.WeightsFile) {
		t.Errorf("LoadFS without weights: %v", err)
	}
	if _, err := multilabel.Read(strings.NewReader("{"), bytes.NewReader(files[multilabel.WeightsFile]), nil); err == nil || !strings.Contains(err.Error(), "spec") {
		t.Errorf("Read of a broken spec: %v", err)
	}
	if _, err := multilabel.Read(bytes.NewReader(files[multilabel.SpecFile]), io.LimitReader(bytes.NewReader(files[multilabel.WeightsFile]), 100), nil); err == nil {
		t.Error("Read of truncated weights: no error")
	}
	cut := files[multilabel.WeightsFile][:len(files[multilabel.WeightsFile])-10]
	if _, err := multilabel.Read(bytes.NewReader(files[multilabel.SpecFile]), bytes.NewReader(cut), nil); err == nil || !strings.Contains(err.Error(), "weights") {
		t.Errorf("Read of truncated weights at offsets: %v", err)
	}
	other := smallSpec(32)
	other.Classes = other.Classes[:3]
	js, _ := models.MarshalSpec(other)
	if _, err := multilabel.Read(bytes.NewReader(js), bytes.NewReader(files[multilabel.WeightsFile]), nil); err == nil ||
		!strings.Contains(err.Error(), "multilabel: weights: nn: loading state dict: shape mismatch") {
		t.Errorf("Read of weights for another number of classes: %v", err)
	}
	if _, err := multilabel.New(smallSpec(32), sd, []float64{0.5}); err == nil {
		t.Error("New with one threshold for four classes: no error")
	}
}

// An uploaded image (Decode) is classified as the same file
// (ClassifyFile): EXIF orientation applied both ways.
func TestDecodeMatchesClassifyFile(t *testing.T) {
	m, _ := loadSmall(t, 32)
	for _, path := range []string{"data/testdata/img/exif6.jpg", "data/testdata/img/q444.jpg", "data/testdata/img/rgb8x6.png"} {
		want, err := m.WithThresholds([]float64{0, 0, 0, 0})
		if err != nil {
			t.Fatal(err)
		}
		fromFile, err := want.ClassifyFile(path)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		img, err := multilabel.Decode(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		if path == "data/testdata/img/exif6.jpg" && img.Bounds().Dx() != 8 {
			t.Errorf("%s: decoded %v, want the upright 8x16", path, img.Bounds())
		}
		fromReader, err := want.Classify(img)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(fromFile, fromReader) || len(fromFile) != 4 {
			t.Errorf("%s: file %v, reader %v", path, fromFile, fromReader)
		}
	}
}
