// Package autograd computes gradients: float32 tensors, the tape that
// records what was computed, and every differentiable op of the engine with
// its backward rule (reverse-mode automatic differentiation).
//
// A Tensor is a shape plus a contiguous row-major []float32. Ops (Add,
// MatMul, Conv2d, ...) compute their output at once and, when any input
// requires a gradient and gradients are enabled, capture the backward rule
// as a closure on the output, next to the forward code. Backward walks the
// graph in reverse topological order, runs each closure once, accumulates
// (+=) into the inputs' Grad and frees what it no longer needs. That is the
// whole tape; docs/autograd.md walks through an example.
//
// Activations NCHW, convolution weights OIHW, semantics as PyTorch. Shape
// errors are programming errors and panic with a message that names the op
// and the shapes involved.
//
// An Arena recycles activation and gradient buffers from one training step
// to the next, so a step does not allocate its working set afresh; with
// Arena.Recompute it also drops the activations that are one pass from
// another and computes them again in the backward (recompute.go), for the
// same gradients in less memory.
package autograd
