package data

import (
	"context"
	"image"
	"runtime"
	"sync"
	"sync/atomic"
)

// ImageCache keeps decoded images in memory, up to a byte budget, so that
// an image read again (every epoch of training, every evaluation of the
// validation split) is not read from disk and decoded again. Decoding is
// the loader's main cost (on a 2-core Zen 3: the example's 2,700 JPEGs of
// 160 px fill the cache in 0.9 s, a 500 x 375 VOC photo takes 3-4 ms),
// paid by every image of every epoch without a cache.
//
// An entry is the decoded image (after the EXIF orientation), before any
// resize or augmentation. A JPEG that the package's decoder takes (jpeg.go:
// nearly all) is kept as its decoded planes, luma and chroma at their own
// resolutions, and converted to RGB on each read as a fresh decode
// converts them: 1.5 bytes a pixel at 4:2:0 (2 at 4:2:2, 3 at 4:4:4, 1
// for grayscale). Other images are kept as 3 bytes a pixel: decoded images
// are opaque, so dropping the alpha byte loses nothing. Either way a
// cached image gives exactly the pixels a fresh decode would.
//
// Without Fill, images are cached as loaders first decode them until the
// budget is used up (which ones depends on timing, never what a batch
// holds); Fill caches a list in order and then closes the cache to new
// images, so that its size is fixed before training starts.
//
// One cache may be shared by several loaders (the recipe shares one
// between the training, validation and test loaders); entries are keyed
// by file path. It is safe for concurrent use. A cache assumes the files
// do not change while it lives.
type ImageCache struct {
	max          int64
	mu           sync.RWMutex
	used         int64
	m            map[string]cachedImage
	hits, misses atomic.Int64
	full         atomic.Bool // no new images: the budget is used up, or Fill has run
}

type cachedImage struct {
	w, h   int
	rgb    []uint8     // w*h*3, row-major; nil when planes holds the image
	planes image.Image // a JPEG's decoded planes (*image.YCbCr or *image.Gray), or nil
}

// planeBytes is the memory of a JPEG's decoded planes.
func planeBytes(p image.Image) int64 {
	switch m := p.(type) {
	case *image.YCbCr:
		return int64(len(m.Y) + len(m.Cb) + len(m.Cr))
	case *image.Gray:
		return int64(len(m.Pix))
	}
	return 0
}

// NewImageCache returns a cache that holds at most maxBytes of pixels
// (planes or RGB, as above); maxBytes <= 0 gives nil, which caches
// nothing (every method of a nil *ImageCache works and does nothing).
func NewImageCache(maxBytes int64) *ImageCache {
	if maxBytes <= 0 {
		return nil
	}
	return &ImageCache{max: maxBytes, m: map[string]cachedImage{}}
}

// CacheStats is a snapshot of an ImageCache's use.
type CacheStats struct {
	Images       int   // images held
	Bytes        int64 // their pixel bytes
	Budget       int64 // the most it may hold
	Hits, Misses int64 // lookups answered from memory, and not
}

// Stats reports the cache's use so far (zero for a nil cache).
func (c *ImageCache) Stats() CacheStats {
	if c == nil {
		return CacheStats{}
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	return CacheStats{Images: len(c.m), Bytes: c.used, Budget: c.max, Hits: c.hits.Load(), Misses: c.misses.Load()}
}

// get writes the cached image of path into dst (reusing its buffer when
// large enough) and returns it, or returns false when path is not cached.
func (c *ImageCache) get(path string, dst *image.RGBA) (*image.RGBA, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.RLock()
	e, ok := c.m[path]
	c.mu.RUnlock()
	if !ok {
		c.misses.Add(1)
		return nil, false
	}
	c.hits.Add(1)
	if e.planes != nil {
		return ToRGBAInto(dst, e.planes), true
	}
	dst = reuseRGBA(dst, e.w, e.h)
	rgbToRGBA(dst.Pix, e.rgb)
	return dst, true
}

// wants reports whether put may still take images.
func (c *ImageCache) wants() bool { return c != nil && !c.full.Load() }

// put stores img (opaque, origin (0,0), as the decoders return it) under
// path if the budget allows, and returns false when it does not: planes
// itself when not nil (a JPEG's decoded planes from decodeFilePlanes,
// which ToRGBAInto turns into img), else an RGB copy of img.
func (c *ImageCache) put(path string, img *image.RGBA, planes image.Image) bool {
	if c == nil || c.full.Load() {
		return false
	}
	w, h := img.Rect.Dx(), img.Rect.Dy()
	n := int64(3 * w * h)
	if planes != nil {
		n = planeBytes(planes)
	}
	c.mu.Lock()
	_, dup := c.m[path]
	if dup || c.used+n > c.max {
		if !dup && c.max-c.used < 3*64*64 { // not even a small image fits any more: stop trying
			c.full.Store(true)
		}
		c.mu.Unlock()
		return dup
	}
	c.used += n // reserve, then copy outside the lock
	c.mu.Unlock()
	e := cachedImage{w: w, h: h, planes: planes}
	if planes == nil {
		e.rgb = make([]uint8, n)
		for y := range h {
			rgbaToRGB(e.rgb[3*w*y:3*w*(y+1)], img.Pix[y*img.Stride:y*img.Stride+4*w])
		}
	}
	c.mu.Lock()
	if _, dup := c.m[path]; dup { // another worker decoded it meanwhile
		c.used -= n
	} else {
		c.m[path] = e
	}
	c.mu.Unlock()
	return true
}

// rgbaToRGB drops the alpha byte of each pixel: dst has 3 bytes per pixel
// of src's 4.
func rgbaToRGB(dst, src []uint8) {
	for i, j := 0, 0; j+3 < len(src); i, j = i+3, j+4 {
		dst[i], dst[i+1], dst[i+2] = src[j], src[j+1], src[j+2]
	}
}

// rgbToRGBA expands 3-byte pixels to 4 with alpha 255 (dst is a whole
// image with no row padding, as reuseRGBA makes it).
func rgbToRGBA(dst, src []uint8) {
	for i, j := 0, 0; i+2 < len(src); i, j = i+3, j+4 {
		dst[j], dst[j+1], dst[j+2], dst[j+3] = src[i], src[i+1], src[i+2], 255
	}
}

// Fill decodes the images at paths into the cache, in order, until one
// does not fit in its budget, on workers goroutines (0: GOMAXPROCS), calling
// progress (when not nil) with the number of paths done so far. Then the
// cache takes no more images: loaders only read it.
//
// Filling the cache before training, rather than during the first epoch,
// matters beyond the first epoch's decoding: the trainer fits the Go
// runtime's soft memory limit to the memory in use after its first step,
// and a cache still growing after that would push the heap over the
// limit and keep the collector running. Hence also the closing: images
// left out by Fill (after the first that did not fit) would otherwise be
// added by the loaders during training, into what budget is left. Files that cannot be decoded are
// left for the loaders to report (or skip) as they would without a cache.
// It returns ctx's error if ctx ends first.
func (c *ImageCache) Fill(ctx context.Context, paths []string, workers int, progress func(done int)) error {
	if c == nil {
		return nil
	}
	if workers <= 0 {
		workers = min(runtime.GOMAXPROCS(0), 8)
	}
	var next, done atomic.Int64
	var over atomic.Bool // an image did not fit: the rest are left to the loaders
	var mu sync.Mutex    // serializes progress calls
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			var buf *image.RGBA
			for {
				i := int(next.Add(1) - 1)
				if i >= len(paths) || ctx.Err() != nil || over.Load() {
					return
				}
				if img, planes, err := decodeFilePlanes(buf, paths[i], true); err == nil {
					buf = img
					if !c.put(paths[i], img, planes) {
						over.Store(true)
					}
				}
				d := int(done.Add(1))
				if progress != nil {
					mu.Lock()
					progress(d)
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	c.full.Store(true)
	return ctx.Err()
}
