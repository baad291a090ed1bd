package autograd

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// Tensor is an n-dimensional float32 array: Data holds the elements in
// row-major order and len(Data) == product(Shape). A tensor that requires a
// gradient gets Grad (same length as Data) during Backward.
//
// Parameters (NewParam) are leaves that require gradients and keep them
// across steps until ZeroGrad; activations are outputs of ops and only hold
// a gradient while Backward passes through them.
type Tensor struct {
	Data  []float32
	Shape []int
	Grad  []float32 // nil until a gradient reaches the tensor

	Name string // optional, shown in errors and dumps (parameter names)

	requiresGrad bool
	isParam      bool
	retainGrad   bool
	view         bool   // Data is borrowed from another tensor (Reshape)
	released     bool   // Backward already ran through this node and freed it
	op           string // the op that made it; "" for leaves

	prev     []*Tensor // inputs that take a gradient from this node
	backward func()    // reads Grad, accumulates into prev's Grad
	arena    *Arena

	// Recomputation (recompute.go): what lets Arena.ReleaseSince drop
	// Data in training and Backward restore it.
	pins          int32               // holders of Data's slice besides t: ops that captured it, views
	recompute     func(dst []float32) // writes t's values from recomputeFrom's Data
	recomputeFrom []*Tensor
	dropped       bool // Data handed back to the arena; recompute restores it
	noInputData   bool // t's backward reads none of its inputs' Data
}

// New wraps data (not copied) as a tensor of the given shape. It panics if
// len(data) does not equal the product of shape. A scalar has no dims.
func New(data []float32, shape ...int) *Tensor {
	if n := numel(shape); n != len(data) {
		panic(fmt.Sprintf("autograd.New: %d values for shape %v (needs %d)", len(data), shape, n))
	}
	return &Tensor{Data: data, Shape: cloneShape(shape)}
}

// Zeros returns a new tensor of zeros.
func Zeros(shape ...int) *Tensor {
	checkShape("Zeros", shape)
	return &Tensor{Data: make([]float32, numel(shape)), Shape: cloneShape(shape)}
}

// Full returns a new tensor with every element equal to v.
func Full(v float32, shape ...int) *Tensor {
	t := Zeros(shape...)
	for i := range t.Data {
		t.Data[i] = v
	}
	return t
}

// Ones returns a new tensor of ones.
func Ones(shape ...int) *Tensor { return Full(1, shape...) }

// Scalar returns a 0-dimensional tensor holding v.
func Scalar(v float32) *Tensor { return &Tensor{Data: []float32{v}, Shape: []int{}} }

// RandN returns a tensor of standard normal samples drawn from rng.
func RandN(rng *rand.Rand, shape ...int) *Tensor {
	t := Zeros(shape...)
	for i := range t.Data {
		t.Data[i] = float32(rng.NormFloat64())
	}
	return t
}

// RandU returns a tensor of samples uniform in [lo, hi) drawn from rng.
func RandU(rng *rand.Rand, lo, hi float32, shape ...int) *Tensor {
	t := Zeros(shape...)
	for i := range t.Data {
		t.Data[i] = lo + (hi-lo)*rng.Float32()
	}
	return t
}

// NewParam wraps data as a trainable parameter: a leaf that requires a
// gradient and keeps it until ZeroGrad.
func NewParam(data []float32, shape ...int) *Tensor {
	t := New(data, shape...)
	t.requiresGrad = true
	t.isParam = true
	return t
}

// AsParam marks t as a trainable parameter (a leaf that requires a
// gradient) and returns it.
func (t *Tensor) AsParam() *Tensor {
	if t.backward != nil || t.op != "" {
		panic(fmt.Sprintf("autograd: AsParam on the output of %s; parameters must be leaves", t.op))
	}
	t.requiresGrad = true
	t.isParam = true
	return t
}

// Numel is the number of elements.
func (t *Tensor) Numel() int { return numel(t.Shape) }

// Dims is the number of dimensions (0 for a scalar).
func (t *Tensor) Dims() int { return len(t.Shape) }

// Dim returns the size of dimension i; negative i counts from the end.
func (t *Tensor) Dim(i int) int { return t.Shape[normAxis("Dim", i, len(t.Shape))] }

// Item returns the single value of a one-element tensor.
func (t *Tensor) Item() float32 {
	if len(t.Data) != 1 {
		panic(fmt.Sprintf("autograd: Item on a tensor of shape %v", t.Shape))
	}
	return t.Data[0]
}

// RequiresGrad reports whether gradients flow to t.
func (t *Tensor) RequiresGrad() bool { return t.requiresGrad }

// SetRequiresGrad turns gradient tracking on or off for a leaf. Frozen
// parameters (ML-Decoder's queries, a frozen backbone) use it.
func (t *Tensor) SetRequiresGrad(b bool) *Tensor {
	if t.backward != nil {
		panic(fmt.Sprintf("autograd: SetRequiresGrad on the output of %s; only leaves can change it", t.op))
	}
	t.requiresGrad = b
	return t
}

// IsParam reports whether t was made by NewParam or AsParam.
func (t *Tensor) IsParam() bool { return t.isParam }

// Op names the op that produced t ("" for leaves).
func (t *Tensor) Op() string { return t.op }

// RetainGrad keeps t's gradient after Backward even though t is not a leaf
// (by default Backward frees intermediate gradients as soon as they are
// used).
func (t *Tensor) RetainGrad() *Tensor { t.retainGrad = true; return t }

// ZeroGrad sets t's gradient to zero, keeping its buffer.
func (t *Tensor) ZeroGrad() { clear(t.Grad) }

// Detach returns a tensor that shares t's data but has no history and does
// not require a gradient.
func (t *Tensor) Detach() *Tensor {
	t.materialize()
	t.pin()
	return &Tensor{Data: t.Data, Shape: t.Shape, view: true, arena: t.arena, Name: t.Name}
}

// Clone returns a deep copy of t's data and shape, without history.
func (t *Tensor) Clone() *Tensor {
	return &Tensor{Data: append([]float32(nil), t.Data...), Shape: cloneShape(t.Shape), Name: t.Name}
}

// CopyFrom copies src's data into t; shapes must have the same number of
// elements. It records nothing on the tape (for weight loading and EMA).
func (t *Tensor) CopyFrom(src *Tensor) {
	if len(src.Data) != len(t.Data) {
		panic(fmt.Sprintf("autograd: CopyFrom %v into %v", src.Shape, t.Shape))
	}
	copy(t.Data, src.Data)
}

// String prints the shape and, for small tensors, the values.
func (t *Tensor) String() string {
	var b strings.Builder
	b.WriteString("Tensor")
	if t.Name != "" {
		fmt.Fprintf(&b, " %q", t.Name)
	}
	fmt.Fprintf(&b, "%v", t.Shape)
	if t.op != "" {
		fmt.Fprintf(&b, " op=%s", t.op)
	}
	if len(t.Data) <= 16 {
		fmt.Fprintf(&b, " %v", t.Data)
	}
	return b.String()
}

// grad returns t's gradient buffer, allocating it zeroed on first use.
// Backward closures accumulate into it.
func (t *Tensor) grad() []float32 {
	if t.Grad == nil {
		t.Grad = t.arena.zeros(numel(t.Shape)) // Data may be dropped (recompute.go)
	}
	return t.Grad
}

// numel is the product of shape (1 for a scalar).
func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

func cloneShape(s []int) []int { return append(make([]int, 0, len(s)), s...) }

func checkShape(op string, shape []int) {
	for _, d := range shape {
		if d < 0 {
			panic(fmt.Sprintf("autograd.%s: negative dimension in shape %v", op, shape))
		}
	}
}

// normAxis maps a possibly negative axis into [0, dims).
func normAxis(op string, axis, dims int) int {
	if axis < 0 {
		axis += dims
	}
	if axis < 0 || axis >= dims {
		panic(fmt.Sprintf("autograd.%s: axis %d out of range for %d dims", op, axis, dims))
	}
	return axis
}

// SameShape reports whether two shapes are equal.
func SameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
