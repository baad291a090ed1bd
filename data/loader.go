package data

import (
	"context"
	"fmt"
	"image"
	"iter"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
)

// Transform is a per-sample augmentation (package augment builds
// them). It gets the S x S image after the resize, may change it in place or
// return a new S x S image, and must draw its randomness from rng only, so
// that a sample's augmentation depends on (seed, epoch, item) and nothing
// else. The reference applies RandAugment, Cutout and the horizontal flip at
// this point (docs/method.md §5.7). An alias, so that augment's Transform
// values assign to LoaderConfig.Transform without a conversion.
type Transform = func(img *image.RGBA, rng *rand.Rand) *image.RGBA

// LoaderConfig configures a Loader. Size and BatchSize are required.
type LoaderConfig struct {
	Size      int  // S: every image is resized to S x S (448 in the reference)
	BatchSize int  // B: items per batch (84 for training, 128 for testing in the reference)
	Shuffle   bool // a new item order per epoch, drawn from (Seed, epoch)
	DropLast  bool // leave out the last, short batch (the reference's training loader does)
	Seed      uint64

	// SizeAt, when set, gives the size of epoch e instead of Size
	// (progressive resizing, as EfficientNetV2 trains: small images in
	// the early epochs, the full size at the end). Each epoch's batches
	// are then SizeAt(e) x SizeAt(e); Size stays the loader's nominal size.
	SizeAt func(epoch int) int

	Workers  int // decoding goroutines; 0: GOMAXPROCS, at most 8
	Prefetch int // batches prepared ahead of the one in use; 0: 2

	Norm      Norm      // zero value: NormHalf
	Transform Transform // after resize, before normalization; nil: none (evaluation)

	// SkipBad leaves an image that cannot be decoded out of its batch (the
	// batch gets shorter), reports it to Warn and counts it, instead of
	// ending the epoch with an error.
	SkipBad bool
	Warn    func(error) // called from the goroutine ranging over Epoch

	// Decode reads one image; nil: DecodeFile (reusing a buffer per worker).
	Decode func(path string) (*image.RGBA, error)

	// Cache, when not nil, keeps decoded images in memory for the next
	// epoch (and for other loaders sharing it); the batches are the same
	// with or without it. It applies to the built-in decoder only (not
	// with Decode set).
	Cache *ImageCache
}

// Batch is B images and their targets, as plain slices.
type Batch struct {
	Images  []float32 // [N, 3, Size, Size], normalized, CHW per image
	Targets []float32 // [N, Classes]: 1 positive, 0 negative, -1 ignored
	Indices []int     // [N]: the data set item of each row
	N       int       // rows (BatchSize, or fewer for the last batch or after skips)
	Size    int
	Classes int
	Index   int // batch number within the epoch
	Skipped int // images of this batch left out by SkipBad

	loader *Loader
}

// Release hands the batch's buffers back to the loader for reuse by a later
// batch. Optional (without it the garbage collector reclaims them); the
// batch must not be used afterwards.
func (b *Batch) Release() {
	l := b.loader
	if l == nil {
		return
	}
	// Clear the field before the hand-off: once on the free list the batch
	// belongs to whichever worker takes it (newBatch sets loader again), so
	// writing it after the send raced with that worker.
	b.loader = nil
	select {
	case l.free <- b:
	default:
	}
}

// Loader turns a Dataset into batches: decode, resize to S x S, Transform,
// normalize, in a bounded pool of worker goroutines. Memory is bounded by
// Prefetch+1 batches in flight. The batches of an epoch, and every value in
// them, depend only on (Seed, epoch) and the configuration, never on the
// number of workers or on timing.
type Loader struct {
	ds       *Dataset
	cfg      LoaderConfig
	lut      [3][256]float32
	workers  int
	prefetch int
	free     chan *Batch
	skipped  atomic.Int64
}

// NewLoader checks the configuration and returns a loader over ds.
func NewLoader(ds *Dataset, cfg LoaderConfig) (*Loader, error) {
	if cfg.Size <= 0 || cfg.BatchSize <= 0 {
		return nil, fmt.Errorf("data: loader needs Size > 0 and BatchSize > 0, got %d and %d", cfg.Size, cfg.BatchSize)
	}
	for i, it := range ds.Items {
		if len(it.Labels) != len(ds.Classes) {
			return nil, fmt.Errorf("data: item %d (%s) has %d labels for %d classes", i, it.Path, len(it.Labels), len(ds.Classes))
		}
	}
	if cfg.Norm == (Norm{}) {
		cfg.Norm = NormHalf
	}
	for c, s := range cfg.Norm.Std {
		if s == 0 {
			return nil, fmt.Errorf("data: Norm.Std[%d] is 0", c)
		}
	}
	l := &Loader{ds: ds, cfg: cfg, lut: cfg.Norm.lut(), workers: cfg.Workers, prefetch: cfg.Prefetch}
	if l.workers <= 0 {
		l.workers = min(runtime.GOMAXPROCS(0), 8)
	}
	if l.prefetch <= 0 {
		l.prefetch = 2
	}
	l.free = make(chan *Batch, l.prefetch+1)
	return l, nil
}

// Len is the number of batches per epoch.
func (l *Loader) Len() int {
	n, b := len(l.ds.Items), l.cfg.BatchSize
	if l.cfg.DropLast {
		return n / b
	}
	return (n + b - 1) / b
}

// Skipped is the number of images left out by SkipBad so far, all epochs.
func (l *Loader) Skipped() int { return int(l.skipped.Load()) }

// Order returns the item order of an epoch: 0..n-1, or with Shuffle a
// permutation drawn from (Seed, epoch).
func (l *Loader) Order(epoch int) []int {
	n := len(l.ds.Items)
	if !l.cfg.Shuffle {
		order := make([]int, n)
		for i := range order {
			order[i] = i
		}
		return order
	}
	r := rand.New(rand.NewPCG(splitmix(l.cfg.Seed), splitmix(uint64(epoch)^0x5EED)))
	return r.Perm(n)
}

// SampleRNG is the random source a Transform gets for item index in epoch:
// a PCG seeded from (seed, epoch, index) only.
func SampleRNG(seed uint64, epoch, index int) *rand.Rand {
	return rand.New(rand.NewPCG(splitmix(seed^splitmix(uint64(epoch))), splitmix(uint64(index)+0x9E3779B97F4A7C15)))
}

// splitmix is the SplitMix64 finalizer: turns nearby seeds into unrelated ones.
func splitmix(x uint64) uint64 {
	x += 0x9E3779B97F4A7C15
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9
	x = (x ^ (x >> 27)) * 0x94D049BB133111EB
	return x ^ (x >> 31)
}

// pending is a batch being filled: workers write disjoint rows, the last one
// to finish closes done.
type pending struct {
	b    *Batch
	errs []error // per row; nil when the row is good
	left atomic.Int32
	done chan struct{}
}

type job struct {
	p   *pending
	row int
}

// Epoch returns the batches of one epoch, in order, for a range loop:
//
//	for b, err := range loader.Epoch(ctx, epoch) {
//		if err != nil { ... } // a bad image (without SkipBad) or ctx's error; the loop ends
//		...
//		b.Release() // optional
//	}
//
// Breaking out of the loop or cancelling ctx stops the workers; every
// goroutine has exited when the loop is over.
func (l *Loader) Epoch(ctx context.Context, epoch int) iter.Seq2[*Batch, error] {
	return func(yield func(*Batch, error) bool) {
		ctx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		defer func() {
			cancel()
			wg.Wait()
		}()

		order := l.Order(epoch)
		size := l.SizeOf(epoch)
		if size <= 0 {
			yield(nil, fmt.Errorf("data: LoaderConfig.SizeAt(%d) = %d: want a size > 0", epoch, size))
			return
		}
		nb := l.Len()
		bs := l.cfg.BatchSize
		slots := make(chan struct{}, l.prefetch+1) // one token per batch in flight
		queue := make(chan *pending, l.prefetch+1) // batches in order, to the consumer
		jobs := make(chan job, 2*l.workers)

		for w := 0; w < l.workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var ws workerState
				for j := range jobs {
					if ctx.Err() == nil {
						j.p.errs[j.row] = l.loadRow(&ws, j.p.b, j.row, epoch)
					}
					if j.p.left.Add(-1) == 0 {
						close(j.p.done)
					}
				}
			}()
		}
		wg.Add(1)
		go func() { // producer: allocates batches within the window, queues rows
			defer wg.Done()
			defer close(jobs)
			defer close(queue)
			for bi := 0; bi < nb; bi++ {
				select {
				case slots <- struct{}{}:
				case <-ctx.Done():
					return
				}
				idx := order[bi*bs : min((bi+1)*bs, len(order))]
				p := &pending{b: l.newBatch(bi, idx, size), errs: make([]error, len(idx)), done: make(chan struct{})}
				p.left.Store(int32(len(idx)))
				queue <- p // never blocks: as many slots as queue places
				for row := range idx {
					select {
					case jobs <- job{p, row}:
					case <-ctx.Done():
						return
					}
				}
			}
		}()

		for p := range queue {
			if err := ctx.Err(); err != nil { // prefer stopping over ready batches
				yield(nil, err)
				return
			}
			select {
			case <-p.done:
			case <-ctx.Done():
				yield(nil, ctx.Err())
				return
			}
			b, err := l.finish(p, epoch)
			if err != nil {
				yield(nil, err)
				return
			}
			if b.N == 0 { // every image of the batch was skipped
				b.Release()
			} else if !yield(b, nil) {
				return
			}
			<-slots
		}
		if err := ctx.Err(); err != nil {
			yield(nil, err)
		}
	}
}

// SizeOf is the image size of the batches of an epoch: LoaderConfig.SizeAt
// (epoch) when set, else Size.
func (l *Loader) SizeOf(epoch int) int {
	if l.cfg.SizeAt != nil {
		return l.cfg.SizeAt(epoch)
	}
	return l.cfg.Size
}

// newBatch returns a batch of s x s images for the given items, reusing
// released buffers.
func (l *Loader) newBatch(index int, idx []int, s int) *Batch {
	c := len(l.ds.Classes)
	var b *Batch
	select {
	case b = <-l.free:
	default:
		b = &Batch{}
	}
	n := len(idx)
	b.Images = grow(b.Images, n*3*s*s)
	b.Targets = grow(b.Targets, n*c)
	b.Indices = append(b.Indices[:0], idx...)
	b.N, b.Size, b.Classes, b.Index, b.Skipped, b.loader = n, s, c, index, 0, l
	for r, i := range idx {
		t := b.Targets[r*c : (r+1)*c]
		for k, v := range l.ds.Items[i].Labels {
			t[k] = float32(v)
		}
	}
	return b
}

func grow(s []float32, n int) []float32 {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]float32, n)
}

// workerState holds one worker's reusable image buffers.
type workerState struct {
	decoded, resized *image.RGBA
}

// loadRow decodes, resizes, transforms and normalizes one image into row
// r of b. Only row r of b is written, so workers never share memory.
func (l *Loader) loadRow(ws *workerState, b *Batch, r, epoch int) error {
	item := l.ds.Items[b.Indices[r]]
	img, err := l.decode(ws, item.Path)
	if err != nil {
		return err
	}
	s := b.Size
	img = ResizeInto(ws.resized, img, s, s)
	ws.resized = img
	if l.cfg.Transform != nil {
		img = l.cfg.Transform(img, SampleRNG(l.cfg.Seed, epoch, b.Indices[r]))
		if img == nil || img.Rect.Dx() != s || img.Rect.Dy() != s {
			return fmt.Errorf("data: %s: transform returned a non-%dx%d image", item.Path, s, s)
		}
	}
	normalizeLUT(b.Images[r*3*s*s:(r+1)*3*s*s], img, &l.lut)
	return nil
}

// decode returns the decoded image of path: from the cache when it is
// there, else from the file (then offered to the cache).
func (l *Loader) decode(ws *workerState, path string) (*image.RGBA, error) {
	if l.cfg.Decode != nil {
		return l.cfg.Decode(path)
	}
	if img, ok := l.cfg.Cache.get(path, ws.decoded); ok {
		ws.decoded = img
		return img, nil
	}
	img, planes, err := decodeFilePlanes(ws.decoded, path, l.cfg.Cache.wants())
	if err != nil {
		return nil, err
	}
	ws.decoded = img
	l.cfg.Cache.put(path, img, planes)
	return img, nil
}

// finish turns a filled batch into the result: the first error (by row, so
// the same one whatever the timing), or with SkipBad the batch without its
// bad rows.
func (l *Loader) finish(p *pending, epoch int) (*Batch, error) {
	b := p.b
	bad := 0
	for _, err := range p.errs {
		if err != nil {
			bad++
		}
	}
	if bad == 0 {
		return b, nil
	}
	if !l.cfg.SkipBad {
		for _, err := range p.errs {
			if err != nil {
				return nil, fmt.Errorf("data: epoch %d batch %d: %w", epoch, b.Index, err)
			}
		}
	}
	img, c := 3*b.Size*b.Size, b.Classes
	keep := 0
	for r, err := range p.errs {
		if err != nil {
			if l.cfg.Warn != nil {
				l.cfg.Warn(fmt.Errorf("data: skipped: %w", err))
			}
			continue
		}
		if keep != r {
			copy(b.Images[keep*img:(keep+1)*img], b.Images[r*img:(r+1)*img])
			copy(b.Targets[keep*c:(keep+1)*c], b.Targets[r*c:(r+1)*c])
			b.Indices[keep] = b.Indices[r]
		}
		keep++
	}
	b.N, b.Skipped = keep, bad
	b.Images, b.Targets, b.Indices = b.Images[:keep*img], b.Targets[:keep*c], b.Indices[:keep]
	l.skipped.Add(int64(bad))
	return b, nil
}
