package data

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// The batches are the same with a cache (holding every image, or only
// some) as without, epoch after epoch, and later epochs are answered from
// memory.
func TestLoaderCacheSameBatches(t *testing.T) {
	ds := synthDataset(t, 13, 4)
	cfg := LoaderConfig{Size: 6, BatchSize: 4, Shuffle: true, Seed: 9, Transform: noisyFlip, Workers: 3, SkipBad: true}
	mk := func(c *ImageCache) *Loader {
		cc := cfg
		cc.Cache = c
		l, err := NewLoader(ds, cc)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	plain := mk(nil)
	all := NewImageCache(1 << 20)
	some := NewImageCache(3 * 8 * 6 * 4) // room for about four of the small images
	for _, c := range []*ImageCache{all, some} {
		l := mk(c)
		for epoch := range 3 {
			if !equalEpochs(runEpoch(t, plain, epoch), runEpoch(t, l, epoch)) {
				t.Fatalf("epoch %d: batches differ with a cache (budget %d)", epoch, c.Stats().Budget)
			}
		}
	}
	st := all.Stats()
	if st.Images != 12 || st.Hits != 2*12 || st.Misses != 13+2 { // the bad file is never cached
		t.Fatalf("whole cache: %+v, want 12 images, 24 hits, 15 misses", st)
	}
	if st := some.Stats(); st.Bytes > st.Budget || st.Images == 0 || st.Images >= 12 {
		t.Fatalf("small cache: %+v", st)
	}
}

func TestImageCacheNilAndConcurrent(t *testing.T) {
	if NewImageCache(0) != nil {
		t.Fatal("a zero budget should give no cache")
	}
	var none *ImageCache
	if _, ok := none.get("x", nil); ok || none.Stats() != (CacheStats{}) {
		t.Fatal("a nil cache should hold nothing")
	}
	none.put("x", randomRGBAFor(3, 2), nil)

	// Workers racing to put the same image count it once.
	c := NewImageCache(1 << 20)
	img := randomRGBAFor(7, 5)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() { c.put("p", img, nil) })
	}
	wg.Wait()
	if st := c.Stats(); st.Images != 1 || st.Bytes != 3*7*5 {
		t.Fatalf("after racing puts: %+v", st)
	}
	got, ok := c.get("p", nil)
	if !ok || got.Rect != img.Rect {
		t.Fatal("get after put")
	}
	for i := range img.Pix {
		if got.Pix[i] != img.Pix[i] {
			t.Fatalf("pixel byte %d: %d, want %d", i, got.Pix[i], img.Pix[i])
		}
	}
}

// randomRGBAFor is an opaque w x h image with varied pixels (decoders
// return opaque images, and the cache keeps only their colours).
func randomRGBAFor(w, h int) *image.RGBA {
	img := randomRGBA(rand.New(rand.NewPCG(uint64(w), uint64(h))), w, h)
	for i := 3; i < len(img.Pix); i += 4 {
		img.Pix[i] = 255
	}
	return img
}

func TestImageCacheFill(t *testing.T) {
	ds := synthDataset(t, 13, 4)
	paths := make([]string, len(ds.Items))
	for i, it := range ds.Items {
		paths[i] = it.Path
	}
	c := NewImageCache(1 << 20)
	calls := 0
	if err := c.Fill(context.Background(), paths, 3, func(done int) { calls++ }); err != nil {
		t.Fatal(err)
	}
	if st := c.Stats(); st.Images != 12 || calls != 13 {
		t.Fatalf("after Fill: %+v, %d progress calls; want 12 images (one file is bad), 13 calls", st, calls)
	}
	l, err := NewLoader(ds, LoaderConfig{Size: 6, BatchSize: 4, Workers: 2, SkipBad: true, Cache: c})
	if err != nil {
		t.Fatal(err)
	}
	runEpoch(t, l, 0)
	if st := c.Stats(); st.Hits != 12 || st.Misses != 1 {
		t.Fatalf("an epoch after Fill: %+v, want 12 hits and 1 miss (the bad file)", st)
	}

	// A small budget: Fill stops at the first image that does not fit,
	// having cached only images of the list's beginning.
	small := NewImageCache(3 * 8 * 6 * 3)
	if err := small.Fill(context.Background(), paths, 1, nil); err != nil {
		t.Fatal(err)
	}
	st := small.Stats()
	if st.Images == 0 || st.Images >= 12 || st.Bytes > st.Budget {
		t.Fatalf("small cache after Fill: %+v", st)
	}
	for _, p := range paths[st.Images+1:] {
		if _, ok := small.get(p, nil); ok {
			t.Fatalf("%s cached after the first image that did not fit", p)
		}
	}
	// Closed after Fill: a loader's decoding adds nothing, even where
	// the budget has room.
	before := small.Stats().Images
	if small.put("elsewhere.png", randomRGBAFor(1, 1), nil) || small.Stats().Images != before {
		t.Fatal("the cache took an image after Fill")
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := NewImageCache(1<<20).Fill(ctx, paths, 2, nil); err == nil {
		t.Fatal("Fill with a cancelled context returned no error")
	}
}

// JPEGs the fast decoder takes are kept as their planes (1.5 bytes a pixel
// at 4:2:0, 1 for grayscale), other images as RGB (3), EXIF-rotated JPEGs
// too; every read gives DecodeFile's pixels.
func TestImageCacheJPEGPlanes(t *testing.T) {
	dir := t.TempDir()
	type file struct {
		path  string
		bytes int64 // what the cache should hold for it
	}
	var files []file
	write := func(name string, data []byte, bytes int64) {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, file{p, bytes})
	}
	for _, l := range []struct {
		gray   bool
		yh, yv int
		bytes  int64 // of a 13x9 image
	}{
		{false, 2, 2, 13*9 + 2*7*5}, {false, 2, 1, 13*9 + 2*7*9}, {false, 1, 1, 3 * 13 * 9},
		{false, 1, 2, 13*9 + 2*13*5}, {false, 4, 1, 13*9 + 2*4*9}, {true, 1, 1, 13 * 9},
	} {
		c := testJPEG{w: 13, h: 9, gray: l.gray, yh: l.yh, yv: l.yv, quant: quantTable(2), seed: 4}
		write(fmt.Sprintf("%v%d%d.jpg", l.gray, l.yh, l.yv), c.encode(), l.bytes)
	}
	exif, err := os.ReadFile("testdata/img/exif6.jpg") // 16x8, rotated to 8x16
	if err != nil {
		t.Fatal(err)
	}
	write("exif6.jpg", exif, 3*8*16)
	png, err := os.ReadFile("testdata/img/rgb8x6.png")
	if err != nil {
		t.Fatal(err)
	}
	write("rgb.png", png, 3*8*6)

	paths := make([]string, len(files))
	var want int64
	for i, f := range files {
		paths[i] = f.path
		want += f.bytes
	}
	c := NewImageCache(1 << 20)
	if err := c.Fill(context.Background(), paths, 2, nil); err != nil {
		t.Fatal(err)
	}
	if st := c.Stats(); st.Images != len(files) || st.Bytes != want {
		t.Fatalf("after Fill: %+v, want %d images in %d bytes", st, len(files), want)
	}
	for _, f := range files {
		fresh, err := DecodeFile(f.path)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := c.get(f.path, nil)
		if !ok {
			t.Fatalf("%s: not cached", f.path)
		}
		if got.Rect != fresh.Rect || !bytes.Equal(got.Pix, fresh.Pix) {
			t.Errorf("%s: the cached image differs from a fresh decode", filepath.Base(f.path))
		}
	}

	// Filled by a loader as it decodes (no Fill): the same batches.
	ds := &Dataset{Classes: []string{"a"}}
	for i, p := range paths {
		ds.Items = append(ds.Items, Item{Path: p, Labels: []int8{int8(i % 2)}})
	}
	cfg := LoaderConfig{Size: 7, BatchSize: 3, Shuffle: true, Seed: 2, Transform: noisyFlip, Workers: 2}
	plain, err := NewLoader(ds, cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Cache = NewImageCache(1 << 20)
	cached, err := NewLoader(ds, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for epoch := range 2 {
		if !equalEpochs(runEpoch(t, plain, epoch), runEpoch(t, cached, epoch)) {
			t.Fatalf("epoch %d: batches differ with the cache", epoch)
		}
	}
	if st := cfg.Cache.Stats(); st.Bytes != want || st.Hits != int64(len(files)) {
		t.Fatalf("loader-filled cache: %+v, want %d bytes and %d hits", st, want, len(files))
	}
}
