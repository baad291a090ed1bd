package ops

import (
	"fmt"
	"math"
)

// The per-step passes of training over every weight: the AdamW and SGD
// updates, SAM's perturbation, the EMA of the weights (Axpby) and the finiteness check of the
// gradients (AllFinite). Each is an element-wise loop over tens of millions
// of values per step; in Go they ran at several nanoseconds an element (a
// float64 square root and two divisions for AdamW), as long as a small
// convolution layer.
//
// The Go loops here are the reference twins, and they are the exact
// arithmetic the optimizers of package train always did: each float32
// operation rounded on its own (Go does not fuse a·b + c), in the order
// written. The assembly twins (optim_amd64.s, AVX2 and AVX-512) do the
// same operations in the same order, one lane per element (VMULPS,
// VADDPS, VSUBPS, VDIVPS, and VSQRTPS for float32(math.Sqrt(float64(v))),
// which is the correctly rounded float32 square root), with no fused
// multiply-add: they give the same bits, so training results do not
// depend on the CPU or on the purego tag. Only the NaN payload of an
// element whose operands are both NaN may differ.
//
// All slices of one call have one length (a length mismatch panics).

// optKernels is one implementation of the update kernels. Every function
// gets slices of one common length.
type optKernels struct {
	name       string
	adamW      func(data, grad, m, v []float32, decay, b1, c1, b2, c2, bc2, eps, step float32)
	sgd        func(data, grad []float32, lr, wd float32)
	sgdM       func(data, grad, buf []float32, lr, wd, mu float32, fresh, nesterov bool)
	axpby      func(y, x []float32, a, b float32)
	samPerturb func(data, grad []float32, scale float64, adaptive bool)
	// maxAbsBits is the largest math.Float32bits(x[i]) &^ sign, as an
	// integer: at least 0x7f800000 exactly when some element is ±Inf or NaN.
	maxAbsBits func(x []float32) uint32
}

var goOpt = optKernels{
	name:       "go",
	adamW:      adamWGo,
	sgd:        sgdGo,
	sgdM:       sgdMomentumGo,
	axpby:      axpbyGo,
	samPerturb: samPerturbGo,
	maxAbsBits: maxAbsBitsGo,
}

// activeOpt is the implementation the public kernels call, chosen once at
// start-up as activeVec is: the best assembly this CPU runs, or Go under
// the purego tag or MULTILABEL_NOASM=1.
var activeOpt = pickOpt()

func pickOpt() optKernels {
	if ks := asmOptKernels(); len(ks) > 0 && !noasm {
		return ks[0]
	}
	return goOpt
}

// OptKernel names the update kernels in use ("avx512", "avx2" or "go").
func OptKernel() string { return activeOpt.name }

// optLen panics unless every slice is as long as the first, and returns
// that length.
func optLen(op string, x []float32, others ...[]float32) int {
	for _, o := range others {
		if len(o) != len(x) {
			panic(fmt.Sprintf("ops.%s: lengths %d and %d differ", op, len(x), len(o)))
		}
	}
	return len(x)
}

// AdamWCoef holds an AdamW step's scalars, each rounded to float32 once
// by the caller (train.AdamW) from its float64 value.
type AdamWCoef struct {
	Decay  float32 // 1 − lr·wd
	Beta1  float32 // β₁
	C1     float32 // 1 − β₁ (rounded from float64, not 1 − float32(β₁))
	Beta2  float32 // β₂
	C2     float32 // 1 − β₂
	BC2    float32 // √(1 − β₂ᵗ)
	Eps    float32 // ε
	StepLR float32 // lr / (1 − β₁ᵗ)
}

// AdamW applies one AdamW update to data with gradient grad and moments m
// and v (all of one length), in place:
//
//	data ← data·Decay
//	m ← β₁·m + C1·g
//	v ← β₂·v + (C2·g)·g
//	data ← data − (StepLR·m) / (√v/BC2 + ε)
func AdamW(data, grad, m, v []float32, c AdamWCoef) {
	optLen("AdamW", data, grad, m, v)
	activeOpt.adamW(data, grad, m, v, c.Decay, c.Beta1, c.C1, c.Beta2, c.C2, c.BC2, c.Eps, c.StepLR)
}

func adamWGo(data, grad, m, v []float32, decay, b1, c1, b2, c2, bc2, eps, step float32) {
	grad, m, v = grad[:len(data)], m[:len(data)], v[:len(data)]
	for i, gr := range grad {
		data[i] *= decay
		m[i] = b1*m[i] + c1*gr
		v[i] = b2*v[i] + c2*gr*gr
		den := float32(math.Sqrt(float64(v[i])))/bc2 + eps
		data[i] -= step * m[i] / den
	}
}

// SGD applies plain SGD with coupled L2 weight decay, in place:
// data ← data − lr·(g + wd·data).
func SGD(data, grad []float32, lr, wd float32) {
	optLen("SGD", data, grad)
	activeOpt.sgd(data, grad, lr, wd)
}

func sgdGo(data, grad []float32, lr, wd float32) {
	grad = grad[:len(data)]
	for i, gr := range grad {
		data[i] -= lr * (gr + wd*data[i])
	}
}

// SGDMomentum applies SGD with momentum buffer buf (torch.optim.SGD,
// dampening 0), in place:
//
//	d ← g + wd·data
//	buf ← d (fresh: the buffer's first step), else μ·buf + d
//	d ← d + μ·buf (nesterov), else buf
//	data ← data − lr·d
func SGDMomentum(data, grad, buf []float32, lr, wd, mu float32, fresh, nesterov bool) {
	optLen("SGDMomentum", data, grad, buf)
	activeOpt.sgdM(data, grad, buf, lr, wd, mu, fresh, nesterov)
}

func sgdMomentumGo(data, grad, buf []float32, lr, wd, mu float32, fresh, nesterov bool) {
	grad, buf = grad[:len(data)], buf[:len(data)]
	for i, gr := range grad {
		d := gr + wd*data[i]
		if fresh {
			buf[i] = d
		} else {
			buf[i] = mu*buf[i] + d
		}
		if nesterov {
			d += mu * buf[i]
		} else {
			d = buf[i]
		}
		data[i] -= lr * d
	}
}

// Axpby sets y[i] = a·y[i] + b·x[i] (the EMA of the weights: a = d,
// b = 1 − d), the two products and the sum each rounded.
func Axpby(y, x []float32, a, b float32) {
	optLen("Axpby", y, x)
	activeOpt.axpby(y, x, a, b)
}

func axpbyGo(y, x []float32, a, b float32) {
	x = x[:len(y)]
	for i, w := range x {
		y[i] = a*y[i] + b*w
	}
}

// SAMPerturb moves data along grad by SAM's ascent step, in float64 and
// rounded to float32 once (scale = ρ/‖g‖; adaptive SAM also scales by
// data²), in place:
//
//	e = scale·g (·(data·data) if adaptive, in float64)
//	data ← data + float32(e)
func SAMPerturb(data, grad []float32, scale float64, adaptive bool) {
	optLen("SAMPerturb", data, grad)
	activeOpt.samPerturb(data, grad, scale, adaptive)
}

func samPerturbGo(data, grad []float32, scale float64, adaptive bool) {
	grad = grad[:len(data)]
	for i, gr := range grad {
		e := scale * float64(gr)
		if adaptive {
			e *= float64(data[i]) * float64(data[i])
		}
		data[i] += float32(e)
	}
}

// AllFinite reports whether no element of x is NaN or ±Inf.
func AllFinite(x []float32) bool { return activeOpt.maxAbsBits(x) < 0x7f800000 }

func maxAbsBitsGo(x []float32) uint32 {
	var mx uint32
	for _, v := range x {
		mx = max(mx, math.Float32bits(v)&0x7fffffff)
	}
	return mx
}
