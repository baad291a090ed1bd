// Package data reads multilabel image data sets and turns them into training
// batches.
//
// A Dataset is a class list and items (an image path and one target per
// class: 1 positive, 0 negative, -1 ignored). Loaders read
//
//   - the PASCAL VOC layout (LoadVOC): VOC itself, or any set with its own
//     classes in that layout (LabelImg, CVAT, Roboflow exports); classes
//     discovered from the annotations, ImageSets optional;
//   - the YOLO layout (LoadYOLO): Ultralytics' data.yaml (read by a small
//     parser of the YAML subset these files use) or a classes.txt folder; an
//     image's labels are the classes of its boxes;
//   - COCO instances JSON (LoadCOCO), the reference implementation's JSON
//     (LoadJSON) and a simple CSV (LoadCSV).
//
// Format tells them apart from the path, Splits lists a folder's named
// splits and Open reads one. Classes are sorted as the reference sorts
// them (sorted(classes) in Python) except YOLO's, which keep the file's
// index order; Options.Classes fixes the list, and with DropOthers picks a
// subset. Every error about the input names the file (and line); with
// Options.SkipBad a bad item is left out and reported instead.
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

//go:generate go run ../tools/genfixtures -out testdata
