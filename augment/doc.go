// Package augment holds the training-time image augmentations of the
// reference recipe (docs/method.md §5.7), on *image.RGBA. In order:
//
//	RandAugment -> Cutout (p 0.5, side 0.4 x size, random colour) -> horizontal flip (p 0.5)
//
// RandAugment is the PyPI package `randaugment` 1.0.2 (jizongFox), which the
// reference, ASL and ML-Decoder call as `RandAugment()`. Per image it draws
// one ordered pair of (op, level) items uniformly from 15 ops x levels 1..9,
// and applies each item with probability 0.5. Its ops are PIL calls
// (ImageOps, ImageEnhance, Image.transform, Image.rotate); each Go op here
// reproduces Pillow's arithmetic byte for byte (integer look-up tables,
// float32 blends, 16.16 fixed-point nearest rotation, Pillow's bicubic with
// a = -1), and the tests compare every op at every level and sign with
// fixtures written by Pillow 9.4 (testdata/gen_augment.py).
//
// Exactness needs Pillow's rounding: products that C rounds on their own are
// wrapped in explicit float64(...)/float32(...) conversions, which forbid the
// fused multiply-adds Go may otherwise emit (arm64, GOAMD64=v3); the PIL
// fixture tests pass with GOAMD64=v3 too.
//
// A Transform is func(img, rng) -> img. Every op and transform leaves its
// input untouched and returns a new image (or the input itself when nothing
// fires); randomness comes only from the *rand.Rand passed in, so a loader
// that seeds one generator per (seed, epoch, sample) gets the same images
// whatever its worker count. Ops run single-threaded: the loader already
// runs one image per worker. Images are treated as RGB: alpha is ignored
// on input and written as 255 (opaque).
//
// The test-time transform of the reference (also used on the training set
// when per-class thresholds are tuned) has no augmentation at all: resize
// and normalize only, both in package data.
package augment
