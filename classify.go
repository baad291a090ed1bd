package multilabel

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"reflect"
	"slices"
	"sync"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/data"
	"github.com/seed477ab429/multilabel/metrics"
	"github.com/seed477ab429/multilabel/nn"
)

// Decode reads an image (JPEG, PNG, BMP, TIFF, WebP, GIF) from r exactly as
// ClassifyFile reads a file: a JPEG's EXIF orientation is applied, alpha is
// dropped. Use it for uploaded images, so that they are classified as the
// same file on disk would be.
func Decode(r io.Reader) (image.Image, error) {
	if r == nil {
		return nil, errors.New("multilabel: Decode of a nil reader")
	}
	img, err := data.Decode(r)
	if err != nil {
		return nil, fmt.Errorf("multilabel: %w", err)
	}
	return img, nil
}

// Scores returns σ(scale·output) for every class of each image, resized to
// the model's input size as in training (bilinear, no crop): one row per
// image, one column per class.
func (m *Model) Scores(imgs []image.Image) ([][]float64, error) {
	return m.ScoresContext(context.Background(), imgs)
}

// ScoresContext is Scores that stops when ctx is done, returning
// ctx.Err(): it checks before preparing each image and before each forward
// pass over at most BatchSize images.
func (m *Model) ScoresContext(ctx context.Context, imgs []image.Image) ([][]float64, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	n := len(m.spec.Classes)
	res := make([][]float64, len(imgs))
	for start := 0; start < len(imgs); start += BatchSize {
		batch := imgs[start:min(start+BatchSize, len(imgs))]
		p, err := m.forward(ctx, batch, start, len(imgs) > 1)
		if err != nil {
			return nil, err
		}
		for i := range batch {
			row := make([]float64, n)
			for j := range row {
				row[j] = float64(p[i*n+j])
			}
			res[start+i] = row
		}
	}
	return res, nil
}

// forward prepares batch (images first..first+len(batch)-1 of the call)
// and returns the scores, [len(batch)·classes].
func (m *Model) forward(ctx context.Context, batch []image.Image, first int, numbered bool) ([]float32, error) {
	s := m.spec.Size
	plane := 3 * s * s
	x := make([]float32, len(batch)*plane)
	for i, img := range batch {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		what := "image"
		if numbered {
			what = fmt.Sprintf("image %d", first+i)
		}
		if err := m.prepare(x[i*plane:(i+1)*plane], img, what); err != nil {
			return nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// The parameters require no gradient, so the forward records no graph
	// without ag.NoGrad (see the package doc on concurrency). The
	// activations come from an arena of this call's own, reused from call
	// to call, instead of a new Go allocation per layer for the collector
	// to clear and reclaim; with the folding and the release between blocks
	// that the arena allows without NoGrad, Scores runs 1.45x faster at one
	// image and 1.8x at BatchSize (docs/PERFORMANCE.md, "Inference through
	// the Go API"). The arithmetic is the same either way.
	ar := m.arenas.Get().(*ag.Arena)
	defer m.arenas.Put(ar)
	ar.Reset()
	out := m.network().Forward(nn.Eval, ar.New(x, len(batch), 3, s, s))
	// The same float32 sigmoid as the metrics and the threshold tuning,
	// so a score lands on the same side of its threshold here as there.
	p := make([]float32, out.Numel())
	metrics.Sigmoid(p, out.Data, m.spec.Scale)
	ar.Reset() // nothing of this call's stays referenced from the pool
	return p, nil
}

// newArenaPool returns the pool of arenas a Model's forward passes take
// their activations from, one arena per pass in flight. sync.Pool drops
// idle arenas at garbage collections, so a model that is not used holds
// no activation memory for long.
func newArenaPool() *sync.Pool {
	return &sync.Pool{New: func() any { return ag.NewArena() }}
}

// prepare writes img resized to the model's input size and normalized,
// CHW, into dst. A nil or empty image, or one whose methods panic (a
// malformed *image.RGBA, say), is an error naming what.
func (m *Model) prepare(dst []float32, img image.Image, what string) (err error) {
	if isNil(img) {
		return fmt.Errorf("multilabel: %s is nil", what)
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("multilabel: %s (%T) cannot be read: %v", what, img, r)
		}
	}()
	if b := img.Bounds(); b.Empty() {
		return fmt.Errorf("multilabel: %s is empty (%dx%d)", what, b.Dx(), b.Dy())
	}
	s := m.spec.Size
	data.NormalizeInto(dst, data.Resize(data.ToRGBA(img), s, s), m.norm)
	return nil
}

// isNil reports whether img is nil or a nil pointer in an interface.
func isNil(img image.Image) bool {
	if img == nil {
		return true
	}
	v := reflect.ValueOf(img)
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface, reflect.Map, reflect.Slice, reflect.Func:
		return v.IsNil()
	}
	return false
}

// Classify returns the classes whose score is above their threshold,
// highest score first; an empty slice (never nil) when none is.
func (m *Model) Classify(img image.Image) ([]Label, error) {
	return m.ClassifyContext(context.Background(), img)
}

// ClassifyContext is Classify that returns ctx.Err() if ctx is done before
// the forward pass starts.
func (m *Model) ClassifyContext(ctx context.Context, img image.Image) ([]Label, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	p, err := m.forward(ctx, []image.Image{img}, 0, false)
	if err != nil {
		return nil, err
	}
	return m.labels(p), nil
}

// ClassifyBatch classifies several images, in forward passes of at most
// BatchSize images: out[i] holds the labels of imgs[i], as Classify gives
// them. It stops when ctx is done (see ScoresContext).
func (m *Model) ClassifyBatch(ctx context.Context, imgs []image.Image) ([][]Label, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	n := len(m.spec.Classes)
	out := make([][]Label, len(imgs))
	for start := 0; start < len(imgs); start += BatchSize {
		batch := imgs[start:min(start+BatchSize, len(imgs))]
		p, err := m.forward(ctx, batch, start, len(imgs) > 1)
		if err != nil {
			return nil, err
		}
		for i := range batch {
			out[start+i] = m.labels(p[i*n : (i+1)*n])
		}
	}
	return out, nil
}

// labels picks the classes of one image's scores p above their
// thresholds, highest score first (ties in class order).
func (m *Model) labels(p []float32) []Label {
	out := []Label{}
	for j, v := range p {
		if s := float64(v); s > m.thresholds[j] {
			out = append(out, Label{m.spec.Classes[j], s, m.thresholds[j]})
		}
	}
	slices.SortStableFunc(out, func(a, b Label) int { return cmp.Compare(b.Score, a.Score) })
	return out
}

// ClassifyFile decodes an image file (JPEG, PNG, BMP, TIFF, WebP, GIF),
// applying a JPEG's EXIF orientation, and classifies it.
func (m *Model) ClassifyFile(path string) ([]Label, error) {
	img, err := data.DecodeFile(path)
	if err != nil {
		return nil, fmt.Errorf("multilabel: %w", err)
	}
	return m.Classify(img)
}
