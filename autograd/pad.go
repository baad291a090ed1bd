package autograd

import (
	"fmt"

	"github.com/seed477ab429/multilabel/ops"
)

// Spatial padding of NCHW activations: x [N,C,H,W] ->
// [N, C, H+top+bottom, W+left+right]. Every output pixel either copies one
// input pixel or is a constant, so both pads are a gather through a row map
// and a column map (src index, or -1 for "constant"), and the backward is
// the matching scatter:
//
//	out[n,c,i,j] = x[n,c,rows[i],cols[j]]      ∂L/∂x[n,c,rows[i],cols[j]] += ∂L/∂out[n,c,i,j]
//
// Columns between left and left+W map to themselves minus left, so each
// output row is one contiguous copy plus its few border pixels.

// ReflectPad2d is nn.ReflectionPad2d((left, right, top, bottom)): the
// border is mirrored without repeating the edge pixel,
//
//	i -> -i for i < 0,   i -> 2(W-1) - i for i >= W      (i = j - left)
//
// Each padding must be in [0, size) of its axis. Backward: an input pixel
// collects the gradients of itself and of all its mirror images.
func ReflectPad2d(x *Tensor, left, right, top, bottom int) *Tensor {
	check4D("ReflectPad2d", x)
	H, W := x.Shape[2], x.Shape[3]
	if left < 0 || right < 0 || top < 0 || bottom < 0 || left >= W || right >= W || top >= H || bottom >= H {
		panic(fmt.Sprintf("autograd.ReflectPad2d: padding %d,%d,%d,%d (left,right,top,bottom) must be >= 0 and smaller than the input %v", left, right, top, bottom, x.Shape))
	}
	reflect := func(n, before, after int) []int {
		m := make([]int, n+before+after)
		for j := range m {
			i := j - before
			if i < 0 {
				i = -i
			} else if i >= n {
				i = 2*(n-1) - i
			}
			m[j] = i
		}
		return m
	}
	return padGather("ReflectPad2d", x, reflect(H, top, bottom), reflect(W, left, right), left, 0)
}

// ConstantPad2d is F.pad(x, (left, right, top, bottom), value=value).
// Negative paddings crop, as in PyTorch. Backward: the gradient of the
// copied pixels flows back; the constant border takes none.
func ConstantPad2d(x *Tensor, left, right, top, bottom int, value float32) *Tensor {
	check4D("ConstantPad2d", x)
	H, W := x.Shape[2], x.Shape[3]
	if H+top+bottom < 1 || W+left+right < 1 {
		panic(fmt.Sprintf("autograd.ConstantPad2d: padding %d,%d,%d,%d (left,right,top,bottom) leaves nothing of input %v", left, right, top, bottom, x.Shape))
	}
	shift := func(n, before, after int) []int {
		m := make([]int, n+before+after)
		for j := range m {
			if i := j - before; i >= 0 && i < n {
				m[j] = i
			} else {
				m[j] = -1
			}
		}
		return m
	}
	return padGather("ConstantPad2d", x, shift(H, top, bottom), shift(W, left, right), left, value)
}

// padGather builds out[n,c,i,j] = x[n,c,rows[i],cols[j]] (value where a
// map says -1). Output columns [left, left+W) inside the output map to
// j-left, which both pads share.
func padGather(op string, x *Tensor, rows, cols []int, left int, value float32) *Tensor {
	N, C, H, W := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	OH, OW := len(rows), len(cols)
	hw, ohw := H*W, OH*OW
	j0, j1 := max(left, 0), min(left+W, OW) // contiguous middle of a row
	out := result(op, []int{N, C, OH, OW}, x)
	grain := convGrain(ohw)
	fill := func(y []float32) {
		ops.Parallel(N*C, grain, func(lo, hi int) {
			for p := lo; p < hi; p++ {
				src, dst := x.Data[p*hw:(p+1)*hw], y[p*ohw:(p+1)*ohw]
				for i, r := range rows {
					d := dst[i*OW : (i+1)*OW]
					if r < 0 {
						for j := range d {
							d[j] = value
						}
						continue
					}
					s := src[r*W : (r+1)*W]
					for j := 0; j < j0; j++ {
						d[j] = padPick(s, cols[j], value)
					}
					if j0 < j1 {
						copy(d[j0:j1], s[j0-left:j1-left])
					}
					for j := max(j1, j0); j < OW; j++ {
						d[j] = padPick(s, cols[j], value)
					}
				}
			}
		})
	}
	fill(out.Data)
	if out.requiresGrad {
		// The backward needs only the maps; out is one pass from x
		// (recompute.go).
		lazyRead(x)
		out.noInputData = true
		out.setRecompute(fill, x)
		out.backward = func() {
			gx, g := x.grad(), out.Grad
			ops.Parallel(N*C, grain, func(lo, hi int) {
				for p := lo; p < hi; p++ {
					dx, gp := gx[p*hw:(p+1)*hw], g[p*ohw:(p+1)*ohw]
					for i, r := range rows {
						if r < 0 {
							continue
						}
						d, s := dx[r*W:(r+1)*W], gp[i*OW:(i+1)*OW]
						for j, c := range cols {
							if c >= 0 {
								d[c] += s[j]
							}
						}
					}
				}
			})
		}
	}
	return out
}

func padPick(row []float32, c int, value float32) float32 {
	if c < 0 {
		return value
	}
	return row[c]
}
