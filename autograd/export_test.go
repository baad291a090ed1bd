package autograd

// ScaleGradForTest is the identity in the forward and scales the gradient
// by s in the backward: a deliberately wrong rule that tests use to prove
// the gradient checker rejects wrong rules.
func ScaleGradForTest(x *Tensor, s float32) *Tensor {
	out := result("ScaleGradForTest", cloneShape(x.Shape), x)
	copy(out.Data, x.Data)
	if out.requiresGrad {
		out.backward = func() {
			gx := x.grad()
			for i, g := range out.Grad {
				gx[i] += s * g
			}
		}
	}
	return out
}

// The package's tests run with new write-first gradient buffers filled
// with NaN (tape.go, "Gradient buffers"): an op that writes first and
// misses an element fails its gradient check instead of reading zeros.
func init() { poisonFreshGrads = true }
