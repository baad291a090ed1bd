package ops

import (
	"fmt"
	"math"
)

// Pooling over one channel plane x [H,W]. Every pooling flavour (max or
// average; sliding window with stride, padding and ceil mode; adaptive)
// reduces to the same picture: output pixel (oh, ow) pools the rectangle
//
//	rows [Start_h[oh], End_h[oh]) x cols [Start_w[ow], End_w[ow])
//
// of the input, already clipped to the input (padding holds nothing a max
// could pick and adds only to an average's divisor). The windows are
// separable, so they are described per axis by PoolWindows, computed once
// per call, and the plane kernels below are short loops over rectangles.
//
//	max:  out[oh,ow] = max x[rect]             ∂L/∂x[argmax] += g[oh,ow]
//	avg:  out[oh,ow] = Σ x[rect] / div         ∂L/∂x[rect]   += g[oh,ow] / div
//	      div = Count_h[oh] * Count_w[ow]

// PoolWindows lists, along one axis, the clipped input range [Start[o],
// End[o]) of each output index o and Count[o], its factor of the average
// pool's divisor (the window length, counting padding or not).
type PoolWindows struct {
	Start, End, Count []int
}

// Len is the output size along the axis.
func (p PoolWindows) Len() int { return len(p.Start) }

// PoolOutSize is PyTorch's pooling output size (dilation 1):
//
//	out = floor((in + 2*pad - k + (ceil ? stride-1 : 0)) / stride) + 1
//
// and in ceil mode the last window must start inside the input or the
// left padding: if (out-1)*stride >= in + pad, out is one less.
func PoolOutSize(in, k, stride, pad int, ceil bool) int {
	num := in + 2*pad - k
	if ceil {
		num += stride - 1
	}
	out := floorDiv(num, stride) + 1
	if ceil && (out-1)*stride >= in+pad {
		out--
	}
	return out
}

func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// SlidingWindows are the windows of a pool with kernel k, stride and
// symmetric padding pad along an axis of length in. Window o spans
// [o*stride - pad, o*stride - pad + k), cut at in + pad on the right (a
// ceil-mode window may run past the padding). With countPad its divisor
// factor is that length, padding included (PyTorch count_include_pad);
// otherwise only the part inside the input counts.
func SlidingWindows(in, k, stride, pad int, ceil, countPad bool) PoolWindows {
	if k < 1 || stride < 1 || pad < 0 {
		panic(fmt.Sprintf("ops.SlidingWindows: kernel %d, stride %d, pad %d", k, stride, pad))
	}
	n := PoolOutSize(in, k, stride, pad, ceil)
	if n < 1 {
		panic(fmt.Sprintf("ops.SlidingWindows: input %d too small for kernel %d, stride %d, pad %d", in, k, stride, pad))
	}
	p := PoolWindows{make([]int, n), make([]int, n), make([]int, n)}
	for o := range n {
		s := o*stride - pad
		e := min(s+k, in+pad)
		cnt := e - s
		s, e = max(s, 0), min(e, in)
		if !countPad {
			cnt = e - s
		}
		p.Start[o], p.End[o], p.Count[o] = s, e, cnt
	}
	return p
}

// AdaptiveWindows are the windows of PyTorch's adaptive pools, which
// split an axis of length in into out possibly overlapping windows:
//
//	start = floor(o*in/out)    end = ceil((o+1)*in/out)
func AdaptiveWindows(in, out int) PoolWindows {
	if in < 1 || out < 1 {
		panic(fmt.Sprintf("ops.AdaptiveWindows: input %d, output %d", in, out))
	}
	p := PoolWindows{make([]int, out), make([]int, out), make([]int, out)}
	for o := range out {
		s := o * in / out
		e := ((o+1)*in + out - 1) / out
		p.Start[o], p.End[o], p.Count[o] = s, e, e-s
	}
	return p
}

// MaxPoolPlane writes out [rows.Len(), cols.Len()] = the max of each
// window of x [H, w] (w is the row length), and, when arg is not nil, the
// flat index ih*w+iw of the maximum (the first one on ties; NaN wins, as
// in PyTorch). An empty window gives -Inf and index -1.
func MaxPoolPlane(x []float32, w int, rows, cols PoolWindows, out []float32, arg []int32) {
	ow := cols.Len()
	a, b := 0, 0 // outputs [a, b) have whole 3-wide windows two columns apart
	if maxPool3x3s2 != nil {
		a, b = stride2Run(cols)
	}
	for oh := range rows.Len() {
		hs, he := rows.Start[oh], rows.End[oh]
		for oc := 0; oc < ow; oc++ {
			if oc == a && he-hs == 3 && b-a >= 16 {
				// ResNet's stem pool: 16 windows at a time without
				// branches, the last 16 again if the run is not a multiple
				// of 16 (they overlap the ones before: the same values).
				n := (b - a) &^ 15
				maxPoolRun(x, w, hs, cols, a, n, out[oh*ow:], arg, oh*ow)
				if n < b-a {
					maxPoolRun(x, w, hs, cols, b-16, 16, out[oh*ow:], arg, oh*ow)
				}
				oc = b - 1
				continue
			}
			ws, we := cols.Start[oc], cols.End[oc]
			var best float32
			var bi int
			if he-hs == 3 && we-ws == 3 {
				best, bi = max3x3(x, w, hs, ws)
			} else {
				best, bi = maxWindow(x, w, hs, he, ws, we)
			}
			out[oh*ow+oc] = best
			if arg != nil {
				arg[oh*ow+oc] = int32(bi)
			}
		}
	}
}

// maxWindow is the maximum of x's window rows [hs, he), columns [ws, we)
// and its flat index: the first maximum in row-major order, or the last
// NaN (PyTorch's rule); -Inf at the window's first element if it is
// empty or all -Inf (index -1 if empty).
func maxWindow(x []float32, w, hs, he, ws, we int) (float32, int) {
	best, bi := float32(math.Inf(-1)), -1
	if hs < he && ws < we {
		bi = hs*w + ws
	}
	for ih := hs; ih < he; ih++ {
		r := x[ih*w : ih*w+we]
		for iw := ws; iw < we; iw++ {
			if v := r[iw]; v > best || v != v {
				best, bi = v, ih*w+iw
			}
		}
	}
	return best, bi
}

// max3x3 is maxWindow for a 3x3 window at (hs, ws), unrolled in the same
// order with the same comparisons (the same value and index): ResNet's
// 3x3 stride-2 max pool, where the general loop took 8% of ResNet-50's
// inference. One 112x112 plane, 3,025 full windows: 57 µs in the general
// loop, 15 µs unrolled (a branch-free select was slower still, 92 µs: it
// chains the nine steps through one dependency).
func max3x3(x []float32, w, hs, ws int) (float32, int) {
	o := hs*w + ws
	r0 := x[o : o+3 : o+3]
	r1 := x[o+w : o+w+3 : o+w+3]
	r2 := x[o+2*w : o+2*w+3 : o+2*w+3]
	best, bi := r0[0], o // > -Inf, or NaN: the general loop takes it too
	if v := r0[1]; v > best || v != v {
		best, bi = v, o+1
	}
	if v := r0[2]; v > best || v != v {
		best, bi = v, o+2
	}
	if v := r1[0]; v > best || v != v {
		best, bi = v, o+w
	}
	if v := r1[1]; v > best || v != v {
		best, bi = v, o+w+1
	}
	if v := r1[2]; v > best || v != v {
		best, bi = v, o+w+2
	}
	if v := r2[0]; v > best || v != v {
		best, bi = v, o+2*w
	}
	if v := r2[1]; v > best || v != v {
		best, bi = v, o+2*w+1
	}
	if v := r2[2]; v > best || v != v {
		best, bi = v, o+2*w+2
	}
	return best, bi
}

// maxPoolRun pools the m outputs from o of the row whose windows start at
// input row hs (outRow is that output row, its arg-max indices at
// arg[argOff:] when arg is not nil) with maxPool3x3s2, after checking the
// last element it reads.
func maxPoolRun(x []float32, w, hs int, cols PoolWindows, o, m int, outRow []float32, arg []int32, argOff int) {
	var ar []int32
	if arg != nil {
		ar = arg[argOff+o : argOff+o+m]
	}
	s0 := hs*w + cols.Start[o]
	_ = x[s0+2*w+2*m] // the last element the kernel reads
	maxPool3x3s2(x, s0, w, m, outRow[o:o+m], ar)
}

// maxPool3x3s2, if set (AVX-512 or AVX2, unless MULTILABEL_NOASM=1), is
// maxPool3x3s2Go for n a multiple of 16.
var maxPool3x3s2 func(x []float32, s0, w, n int, out []float32, arg []int32)

// maxPool3x3s2Go is the plain loop maxPool3x3s2's kernel computes: n
// outputs of a 3x3, stride-2 max pool whose windows lie inside the plane,
// the window of output j at flat index s0+2j, with max3x3's value and
// index (arg not written when empty).
func maxPool3x3s2Go(x []float32, s0, w, n int, out []float32, arg []int32) {
	for j := range n {
		o := s0 + 2*j
		v, i := max3x3(x, w, o/w, o%w)
		out[j] = v
		if len(arg) > 0 {
			arg[j] = int32(i)
		}
	}
}

// stride2Run returns the outputs [a, b) along an axis whose windows are
// all 3 long and start 2 apart (an empty range if there are none).
func stride2Run(cols PoolWindows) (a, b int) {
	n := cols.Len()
	for a < n && cols.End[a]-cols.Start[a] != 3 {
		a++
	}
	b = a
	for b < n && cols.End[b]-cols.Start[b] == 3 && (b == a || cols.Start[b] == cols.Start[b-1]+2) {
		b++
	}
	return a, b
}

// MaxPoolPlaneBackward routes each output gradient to the input element
// that was the maximum: dx[arg[i]] += gout[i] (skipping arg -1).
func MaxPoolPlaneBackward(gout []float32, arg []int32, dx []float32) {
	for i, a := range arg {
		if a >= 0 {
			dx[a] += gout[i]
		}
	}
}

// AvgPoolPlane writes out [rows.Len(), cols.Len()] = the sum of each window
// of x [H, w] divided by rows.Count[oh]*cols.Count[ow].
func AvgPoolPlane(x []float32, w int, rows, cols PoolWindows, out []float32) {
	ow := cols.Len()
	for oh := range rows.Len() {
		hs, he := rows.Start[oh], rows.End[oh]
		for oc := range ow {
			ws, we := cols.Start[oc], cols.End[oc]
			var s float32
			for ih := hs; ih < he; ih++ {
				for _, v := range x[ih*w+ws : ih*w+we] {
					s += v
				}
			}
			out[oh*ow+oc] = s / float32(rows.Count[oh]*cols.Count[oc])
		}
	}
}

// AvgPoolPlaneBackward spreads each output gradient evenly over its
// window: dx[rect] += gout[oh,ow] / div.
func AvgPoolPlaneBackward(gout []float32, w int, rows, cols PoolWindows, dx []float32) {
	ow := cols.Len()
	for oh := range rows.Len() {
		hs, he := rows.Start[oh], rows.End[oh]
		for oc := range ow {
			ws, we := cols.Start[oc], cols.End[oc]
			g := gout[oh*ow+oc] / float32(rows.Count[oh]*cols.Count[oc])
			for ih := hs; ih < he; ih++ {
				r := dx[ih*w+ws : ih*w+we]
				for i := range r {
					r[i] += g
				}
			}
		}
	}
}

// MaxPool2dRef is the plain reference max pool of one plane x [H,W],
// written from PyTorch's definition with padding as -Inf; it returns the
// output, the arg-max indices and the output size.
func MaxPool2dRef(x []float32, H, W, kH, kW, sH, sW, pH, pW int, ceil bool) (out []float32, arg []int32, OH, OW int) {
	OH, OW = refPoolSize(H, kH, sH, pH, ceil), refPoolSize(W, kW, sW, pW, ceil)
	out, arg = make([]float32, OH*OW), make([]int32, OH*OW)
	for oh := 0; oh < OH; oh++ {
		for ow := 0; ow < OW; ow++ {
			best, bi := float32(math.Inf(-1)), int32(-1)
			for kh := 0; kh < kH; kh++ {
				for kw := 0; kw < kW; kw++ {
					ih, iw := oh*sH-pH+kh, ow*sW-pW+kw
					if ih < 0 || ih >= H || iw < 0 || iw >= W {
						continue
					}
					if v := x[ih*W+iw]; bi < 0 || v > best {
						best, bi = v, int32(ih*W+iw)
					}
				}
			}
			out[oh*OW+ow], arg[oh*OW+ow] = best, bi
		}
	}
	return out, arg, OH, OW
}

// AvgPool2dRef is the plain reference average pool of one plane, with
// PyTorch's divisor: the window cut at H+pad (W+pad), counted with the
// padding when countPad, else only its part inside the input.
func AvgPool2dRef(x []float32, H, W, kH, kW, sH, sW, pH, pW int, ceil, countPad bool) (out []float32, OH, OW int) {
	OH, OW = refPoolSize(H, kH, sH, pH, ceil), refPoolSize(W, kW, sW, pW, ceil)
	out = make([]float32, OH*OW)
	for oh := 0; oh < OH; oh++ {
		for ow := 0; ow < OW; ow++ {
			var s float32
			inside, padded := 0, 0
			for kh := 0; kh < kH; kh++ {
				for kw := 0; kw < kW; kw++ {
					ih, iw := oh*sH-pH+kh, ow*sW-pW+kw
					if ih < H+pH && iw < W+pW {
						padded++
					}
					if ih >= 0 && ih < H && iw >= 0 && iw < W {
						s += x[ih*W+iw]
						inside++
					}
				}
			}
			div := inside
			if countPad {
				div = padded
			}
			out[oh*OW+ow] = s / float32(div)
		}
	}
	return out, OH, OW
}

// refPoolSize is PoolOutSize written the long way, for the references.
func refPoolSize(in, k, s, p int, ceil bool) int {
	f := float64(in+2*p-k) / float64(s)
	if ceil {
		f = math.Ceil(f)
	} else {
		f = math.Floor(f)
	}
	out := int(f) + 1
	if ceil && (out-1)*s >= in+p {
		out--
	}
	return out
}

// AdaptivePool2dRef is the plain reference adaptive pool of one plane
// (max when isMax, else average), from PyTorch's index formulas in
// floating point.
func AdaptivePool2dRef(x []float32, H, W, OH, OW int, isMax bool) []float32 {
	out := make([]float32, OH*OW)
	for oh := 0; oh < OH; oh++ {
		hs := int(math.Floor(float64(oh*H) / float64(OH)))
		he := int(math.Ceil(float64((oh+1)*H) / float64(OH)))
		for ow := 0; ow < OW; ow++ {
			ws := int(math.Floor(float64(ow*W) / float64(OW)))
			we := int(math.Ceil(float64((ow+1)*W) / float64(OW)))
			s, m := float32(0), float32(math.Inf(-1))
			for ih := hs; ih < he; ih++ {
				for iw := ws; iw < we; iw++ {
					s += x[ih*W+iw]
					m = max(m, x[ih*W+iw])
				}
			}
			if isMax {
				out[oh*OW+ow] = m
			} else {
				out[oh*OW+ow] = s / float32((he-hs)*(we-ws))
			}
		}
	}
	return out
}
