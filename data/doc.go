// Package data reads multilabel image data sets and turns them into training
// batches.
//
// A Dataset is a class list and items (an image path and one target per
// class: 1 positive, 0 negative, -1 ignored). Loaders read PASCAL VOC
// (LoadVOC), COCO instances JSON (LoadCOCO), the reference implementation's
// JSON annotation format (LoadJSON) and a simple CSV (LoadCSV); Open picks
// one from the path. Classes are sorted as the reference sorts them
// (sorted(classes) in Python), unless Options.Classes fixes the list.
//
// Images are decoded (JPEG including progressive, PNG, GIF, BMP, TIFF, WebP)
// to *image.RGBA, resized to S x S with OpenCV's cv2.resize INTER_LINEAR
// arithmetic (Resize) and normalized to float32 CHW (Normalize). A Loader
// runs that pipeline in a bounded set of worker goroutines and delivers
// batches in order, deterministic per (seed, epoch) whatever the number of
// workers. The reference's per-sample order is: resize, augment (RandAugment,
// Cutout, flip: the Transform hook, from package augment), normalize
// (docs/method.md §5.7).
//
// Nothing here depends on autograd: batches are plain []float32 slices, so
// the package stays low in the import graph.
package data
