package recipe

import (
	"errors"
	"fmt"
	"io"

	"github.com/seed477ab429/multilabel/ops"
)

// Precisions are the values of -precision for training: float32, or bf16
// mixed precision (ops.SetMatmulPrecision): every matrix product (the
// linear layers, the attention products, the im2col convolutions, forward
// and backward) takes bfloat16 inputs with float32 accumulation, while the
// master weights, gradients, optimizer state, BatchNorm statistics, the
// depthwise convolutions and the losses stay float32, as PyTorch's CPU
// autocast does it.
var Precisions = []string{"float32", "bf16"}

// setMatmulPrecision is ops.SetMatmulPrecision; tests swap in one that
// fails as a CPU without AVX512_BF16 does.
var setMatmulPrecision = ops.SetMatmulPrecision

// usePrecision switches the process's matrix products to o.Precision for
// training and returns the function that switches them back. A CPU
// without AVX512_BF16 trains in float32, after a one-line notice on out:
// bf16 is a speed option, never a reason to stop.
func usePrecision(o *Options, out io.Writer) func() {
	if o.Precision != "bf16" {
		return func() {}
	}
	prev, err := setMatmulPrecision(ops.BF16)
	if errors.Is(err, ops.ErrNoBF16) {
		fmt.Fprintln(out, "-precision bf16: this CPU has no AVX512_BF16 (or assembly is off), so training runs in float32")
		return func() {}
	}
	return func() { setMatmulPrecision(prev) }
}
