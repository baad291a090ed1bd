package autograd_test

import (
	"fmt"

	"github.com/seed477ab429/multilabel/autograd"
)

// The worked example of docs/autograd.md: L = (x·w)², ∂L/∂w = 2(x·w)·xᵀ.
func Example() {
	x := autograd.New([]float32{1, 2}, 1, 2)
	w := autograd.NewParam([]float32{0.5, -1}, 2, 1)
	h := autograd.MatMul(x, w)
	L := autograd.MatMul(h, h)
	L.Backward()
	fmt.Println(L.Data, w.Grad)
	// Output: [2.25] [-3 -6]
}
