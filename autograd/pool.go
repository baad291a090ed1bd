package autograd

import (
	"fmt"

	"github.com/seed477ab429/multilabel/ops"
)

// Pooling over NCHW activations, PyTorch semantics. Every pool here picks,
// for each output pixel, a rectangle of the input plane (see ops/pool.go):
//
//	max:  out = max x[rect]              ∂L/∂x[argmax] += g   (first max on ties)
//	avg:  out = Σ x[rect] / div          ∂L/∂x[rect]   += g / div
//
// Planes (n, c) are independent and are spread over the worker pool.

// PoolOpts configures MaxPool2d and AvgPool2d like nn.MaxPool2d /
// nn.AvgPool2d: a zero stride means stride = kernel; padding is symmetric
// and at most half the kernel (max pooling pads with -Inf, average pooling
// with zeros). CeilMode rounds the output size up, except that the last
// window must start inside the input or the left padding.
// CountIncludePad makes the average's divisor count the padding; note that
// its zero value is false, while PyTorch's AvgPool2d defaults to true.
type PoolOpts struct {
	KernelH, KernelW, StrideH, StrideW, PadH, PadW int
	CeilMode, CountIncludePad                      bool
}

// slidingWindows validates the options for x and builds the windows.
func (o PoolOpts) slidingWindows(op string, x *Tensor) (rows, cols ops.PoolWindows) {
	check4D(op, x)
	if o.StrideH == 0 {
		o.StrideH = o.KernelH
	}
	if o.StrideW == 0 {
		o.StrideW = o.KernelW
	}
	H, W := x.Shape[2], x.Shape[3]
	if o.KernelH < 1 || o.KernelW < 1 || o.StrideH < 1 || o.StrideW < 1 || o.PadH < 0 || o.PadW < 0 ||
		2*o.PadH > o.KernelH || 2*o.PadW > o.KernelW {
		panic(fmt.Sprintf("autograd.%s: bad options %+v (kernel >= 1, stride >= 0, 0 <= pad <= kernel/2) for input %v", op, o, x.Shape))
	}
	if ops.PoolOutSize(H, o.KernelH, o.StrideH, o.PadH, o.CeilMode) < 1 || ops.PoolOutSize(W, o.KernelW, o.StrideW, o.PadW, o.CeilMode) < 1 {
		panic(fmt.Sprintf("autograd.%s: input %v is smaller than the kernel %dx%d with padding %d,%d", op, x.Shape, o.KernelH, o.KernelW, o.PadH, o.PadW))
	}
	rows = ops.SlidingWindows(H, o.KernelH, o.StrideH, o.PadH, o.CeilMode, o.CountIncludePad)
	cols = ops.SlidingWindows(W, o.KernelW, o.StrideW, o.PadW, o.CeilMode, o.CountIncludePad)
	return rows, cols
}

func check4D(op string, x *Tensor) {
	if len(x.Shape) != 4 {
		panic(fmt.Sprintf("autograd.%s: input %v must be 4-D (NCHW)", op, x.Shape))
	}
}

// MaxPool2d is F.max_pool2d: x [N,C,H,W] -> [N,C,OH,OW] with
// OH = ops.PoolOutSize(H, KernelH, StrideH, PadH, CeilMode) (OW alike).
//
//	out[n,c,oh,ow] = max over the window of x[n,c]
//	∂L/∂x[n,c,argmax] += ∂L/∂out[n,c,oh,ow]
//
// The forward keeps the arg-max of every window for the backward.
func MaxPool2d(x *Tensor, o PoolOpts) *Tensor {
	rows, cols := o.slidingWindows("MaxPool2d", x)
	return maxPool("MaxPool2d", x, rows, cols)
}

// AvgPool2d is F.avg_pool2d: x [N,C,H,W] -> [N,C,OH,OW] (sizes as
// MaxPool2d).
//
//	out = Σ window / div      ∂L/∂x[window] += ∂L/∂out / div
//
// div is the window's size cut at H+PadH (W+PadW), padding included when
// CountIncludePad, else only the part inside the input.
func AvgPool2d(x *Tensor, o PoolOpts) *Tensor {
	rows, cols := o.slidingWindows("AvgPool2d", x)
	return avgPool("AvgPool2d", x, rows, cols)
}

// AdaptiveAvgPool2d is F.adaptive_avg_pool2d: x [N,C,H,W] -> [N,C,oh,ow],
// output row i averaging input rows floor(i*H/oh) ... ceil((i+1)*H/oh)-1
// (columns alike); windows may overlap when sizes do not divide.
// Backward as AvgPool2d.
func AdaptiveAvgPool2d(x *Tensor, oh, ow int) *Tensor {
	check4D("AdaptiveAvgPool2d", x)
	if oh < 1 || ow < 1 {
		panic(fmt.Sprintf("autograd.AdaptiveAvgPool2d: output size %dx%d for input %v", oh, ow, x.Shape))
	}
	return avgPool("AdaptiveAvgPool2d", x, ops.AdaptiveWindows(x.Shape[2], oh), ops.AdaptiveWindows(x.Shape[3], ow))
}

// AdaptiveMaxPool2d is F.adaptive_max_pool2d with the windows of
// AdaptiveAvgPool2d. Backward as MaxPool2d.
func AdaptiveMaxPool2d(x *Tensor, oh, ow int) *Tensor {
	check4D("AdaptiveMaxPool2d", x)
	if oh < 1 || ow < 1 {
		panic(fmt.Sprintf("autograd.AdaptiveMaxPool2d: output size %dx%d for input %v", oh, ow, x.Shape))
	}
	return maxPool("AdaptiveMaxPool2d", x, ops.AdaptiveWindows(x.Shape[2], oh), ops.AdaptiveWindows(x.Shape[3], ow))
}

// maxPool runs the max-pool plane kernel over every (n, c) plane.
func maxPool(op string, x *Tensor, rows, cols ops.PoolWindows) *Tensor {
	N, C, H, W := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	OH, OW := rows.Len(), cols.Len()
	hw, ohw := H*W, OH*OW
	out := result(op, []int{N, C, OH, OW}, x)
	var arg []int32 // flat index in its plane of each output's maximum
	if out.requiresGrad {
		arg = make([]int32, N*C*ohw)
	}
	grain := convGrain(hw)
	ops.Parallel(N*C, grain, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			var a []int32
			if arg != nil {
				a = arg[p*ohw : (p+1)*ohw]
			}
			ops.MaxPoolPlane(x.Data[p*hw:(p+1)*hw], W, rows, cols, out.Data[p*ohw:(p+1)*ohw], a)
		}
	})
	if out.requiresGrad {
		lazyRead(x)
		out.noInputData = true // the backward reads arg, not x (recompute.go)
		out.backward = func() {
			gx, g := x.grad(), out.Grad
			ops.Parallel(N*C, grain, func(lo, hi int) {
				for p := lo; p < hi; p++ {
					ops.MaxPoolPlaneBackward(g[p*ohw:(p+1)*ohw], arg[p*ohw:(p+1)*ohw], gx[p*hw:(p+1)*hw])
				}
			})
		}
	}
	return out
}

// avgPool runs the average-pool plane kernel over every (n, c) plane.
func avgPool(op string, x *Tensor, rows, cols ops.PoolWindows) *Tensor {
	N, C, H, W := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	OH, OW := rows.Len(), cols.Len()
	hw, ohw := H*W, OH*OW
	out := result(op, []int{N, C, OH, OW}, x)
	grain := convGrain(hw)
	ops.Parallel(N*C, grain, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			ops.AvgPoolPlane(x.Data[p*hw:(p+1)*hw], W, rows, cols, out.Data[p*ohw:(p+1)*ohw])
		}
	})
	if out.requiresGrad {
		lazyRead(x)
		out.noInputData = true // the backward needs only shapes (recompute.go)
		out.backward = func() {
			gx, g := x.grad(), out.Grad
			ops.Parallel(N*C, grain, func(lo, hi int) {
				for p := lo; p < hi; p++ {
					ops.AvgPoolPlaneBackward(g[p*ohw:(p+1)*ohw], W, rows, cols, gx[p*hw:(p+1)*hw])
				}
			})
		}
	}
	return out
}

// GlobalAvgPool2d averages each channel plane: x [N,C,H,W] -> [N,C].
//
//	out[n,c] = Σ_{h,w} x[n,c,h,w] / (H*W)      ∂L/∂x[n,c,h,w] += ∂L/∂out[n,c] / (H*W)
func GlobalAvgPool2d(x *Tensor) *Tensor {
	check4D("GlobalAvgPool2d", x)
	N, C, hw := x.Shape[0], x.Shape[1], x.Shape[2]*x.Shape[3]
	if hw == 0 {
		panic(fmt.Sprintf("autograd.GlobalAvgPool2d: empty planes in input %v", x.Shape))
	}
	out := result("GlobalAvgPool2d", []int{N, C}, x)
	inv := 1 / float32(hw)
	grain := convGrain(hw)
	ops.Parallel(N*C, grain, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			out.Data[p] = ops.Sum(x.Data[p*hw:(p+1)*hw]) * inv
		}
	})
	if out.requiresGrad {
		lazyRead(x)
		out.noInputData = true // the backward needs only shapes (recompute.go)
		out.backward = func() {
			gx, g := x.grad(), out.Grad
			ops.Parallel(N*C, grain, func(lo, hi int) {
				for p := lo; p < hi; p++ {
					gv := g[p] * inv
					row := gx[p*hw : (p+1)*hw]
					for i := range row {
						row[i] += gv
					}
				}
			})
		}
	}
	return out
}

// GlobalMaxPool2d takes the maximum of each channel plane: x [N,C,H,W] ->
// [N,C].
//
//	out[n,c] = max_{h,w} x[n,c,h,w]      ∂L/∂x[n,c,argmax] += ∂L/∂out[n,c]
func GlobalMaxPool2d(x *Tensor) *Tensor {
	check4D("GlobalMaxPool2d", x)
	N, C, hw := x.Shape[0], x.Shape[1], x.Shape[2]*x.Shape[3]
	if hw == 0 {
		panic(fmt.Sprintf("autograd.GlobalMaxPool2d: empty planes in input %v", x.Shape))
	}
	out := result("GlobalMaxPool2d", []int{N, C}, x)
	arg := make([]int32, N*C)
	grain := convGrain(hw)
	ops.Parallel(N*C, grain, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			i, v := ops.MaxIndex(x.Data[p*hw : (p+1)*hw])
			out.Data[p], arg[p] = v, int32(i)
		}
	})
	if out.requiresGrad {
		out.backward = func() {
			gx := x.grad()
			for p, g := range out.Grad {
				gx[p*hw+int(arg[p])] += g
			}
		}
	}
	return out
}
