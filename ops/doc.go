// Package ops holds the raw numeric kernels of the engine: they work on flat
// []float32 buffers with explicit sizes and strides, know nothing of tensors
// or gradients, and are the only place where speed is bought with complexity.
//
// The central kernel is Sgemm, a BLAS-like single-precision matrix product
// (row-major, optional transposes, alpha/beta so gradients can accumulate
// into C). Convolution helpers (im2col/col2im, depthwise) and vector math are
// built on it. Work is spread over a fixed pool of worker goroutines sized by
// GOMAXPROCS (see Parallel), never a goroutine per element or per call site.
//
// Every optimized kernel has a plain reference twin in this package, and the
// tests run both. Build with the purego tag, or set MULTILABEL_NOASM=1, to
// force the pure-Go paths.
package ops
