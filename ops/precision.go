package ops

import (
	"errors"
	"sync/atomic"
)

// Precision of Sgemm's products (mixed precision: see SetMatmulPrecision).
type Precision int32

const (
	Float32 Precision = iota // float32 inputs, float32 accumulation
	BF16                     // inputs rounded to bfloat16, float32 accumulation (bf16.go)
)

func (p Precision) String() string {
	if p == BF16 {
		return "bf16"
	}
	return "float32"
}

// ErrNoBF16 is returned by SetMatmulPrecision(BF16) on a CPU without
// AVX512_BF16 (or with assembly disabled): products stay float32.
var ErrNoBF16 = errors.New("ops: this CPU has no AVX512_BF16: matrix products stay float32")

var matmulPrecision atomic.Int32

// bf16Plan is the bf16 kernel with its blocking: the same K blocking rule
// as every float32 kernel (gemmKC), so the summation order of an element
// does not depend on the machine either.
var bf16Plan = func() *gemmPlan {
	ks := asmBF16Kernels()
	if len(ks) == 0 {
		return nil
	}
	pl := newGemmPlan(ks[0])
	return &pl
}()

// BF16Available reports whether Sgemm can run in bf16 on this CPU.
func BF16Available() bool { return bf16Plan != nil }

// SetMatmulPrecision sets the precision of every following Sgemm in the
// process, and returns the previous one. In BF16, Sgemm rounds op(A) and
// op(B) to bfloat16 (nearest even) as it packs them and accumulates in
// float32 (VDPBF16PS); C, alpha and beta stay float32, and so does every
// other kernel. Products with one row or one column (matrix-vector) stay
// float32. This is mixed precision as autocast does it: a trainer sets it
// around its steps, and its weights, optimizer state, BatchNorm statistics
// and losses remain float32.
//
// BF16 on a CPU without AVX512_BF16 returns ErrNoBF16 and leaves the
// precision float32.
func SetMatmulPrecision(p Precision) (Precision, error) {
	if p == BF16 && bf16Plan == nil {
		return MatmulPrecision(), ErrNoBF16
	}
	return Precision(matmulPrecision.Swap(int32(p))), nil
}

// MatmulPrecision is the precision Sgemm runs in.
func MatmulPrecision() Precision { return Precision(matmulPrecision.Load()) }

// gemmPlanFor returns the plan of a product with n columns in the current
// precision.
func gemmPlanFor(n int) *gemmPlan {
	if matmulPrecision.Load() == int32(BF16) {
		return bf16Plan
	}
	return activeGemm.forN(n)
}
