package autograd

import "fmt"

// Reshape returns a view of x with a new shape and the same elements in the
// same order; one dimension may be -1 and is then inferred. The view shares
// x's Data (no copy).
//
// Backward: the gradient is the output gradient read with x's shape, added
// into x.Grad (handed to x as its buffer when x has none yet; shared with
// x when x is a parameter with a gradient: tape.go, "Gradient buffers").
func Reshape(x *Tensor, shape ...int) *Tensor {
	x.materialize()
	return view("Reshape", x, inferShape(x, shape), 0, len(x.Data))
}

// Flatten reshapes x to [x.Shape[0], rest] (torch.flatten(x, 1)).
func Flatten(x *Tensor) *Tensor {
	if len(x.Shape) == 0 {
		panic("autograd.Flatten: scalar input")
	}
	return Reshape(x, x.Shape[0], -1)
}

func inferShape(x *Tensor, shape []int) []int {
	shape = cloneShape(shape)
	infer, known := -1, 1
	for i, d := range shape {
		switch {
		case d == -1 && infer < 0:
			infer = i
		case d < 0:
			panic(fmt.Sprintf("autograd.Reshape: bad shape %v for input %v", shape, x.Shape))
		default:
			known *= d
		}
	}
	if infer >= 0 {
		if known == 0 || len(x.Data)%known != 0 {
			panic(fmt.Sprintf("autograd.Reshape: cannot reshape %v to %v", x.Shape, shape))
		}
		shape[infer] = len(x.Data) / known
	}
	if numel(shape) != len(x.Data) {
		panic(fmt.Sprintf("autograd.Reshape: cannot reshape %v (%d elements) to %v", x.Shape, len(x.Data), shape))
	}
	return shape
}
