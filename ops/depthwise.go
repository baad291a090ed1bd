package ops

import "fmt"

// Depthwise convolution filters every channel with its own kernel
// (groups == in channels == out channels, as in MobileNet/EfficientNet).
// Each output pixel reads only KH*KW inputs, so im2col + GEMM would spend
// more time copying than multiplying; a direct loop over one channel plane
// is faster and needs no scratch.
//
// For one plane x [H,W], kernel w [KH,KW] and bias b (ConvGeom.C is
// ignored; it is 1 by construction):
//
//	out[oh,ow] = b + Σ_{kh,kw} w[kh,kw] · x[oh*SH - PT + kh*DH, ow*SW - PL + kw*DW]
//
// and, with g = ∂L/∂out, the backward rules over the same index pairs:
//
//	∂L/∂x[ih,iw] += Σ w[kh,kw] · g[oh,ow]
//	∂L/∂w[kh,kw] += Σ x[ih,iw] · g[oh,ow]
//
// The loops run tap by tap (kh, kw) and, inside, along an output row over
// the range of ow whose input is not padding (validOut), so the inner loop
// has no bounds branches.
//
// These per-plane loops are the simple direct version; the convolution
// layers use DepthwiseForward / DepthwiseBackward (depthwise_plan.go),
// which run whole batches over zero-padded planes with vectorized kernels
// and are tested against the references below.

func (g ConvGeom) checkPlane(op string, x, w, out []float32) {
	if g.StrideH < 1 || g.StrideW < 1 || g.DilH < 1 || g.DilW < 1 {
		panic(fmt.Sprintf("ops.%s: stride and dilation must be >= 1 in %+v", op, g))
	}
	if len(x) < g.H*g.W || len(w) < g.KH*g.KW || len(out) < g.OH*g.OW {
		panic(fmt.Sprintf("ops.%s: x %d, w %d, out %d elements are too few for %+v", op, len(x), len(w), len(out), g))
	}
}

// DepthwiseConv2d computes one output plane out [OH,OW] (overwritten) from
// one input plane x [H,W], its kernel w [KH,KW] and bias b.
func DepthwiseConv2d(g ConvGeom, x, w []float32, b float32, out []float32) {
	g.checkPlane("DepthwiseConv2d", x, w, out)
	out = out[:g.OH*g.OW]
	for i := range out {
		out[i] = b
	}
	for kh := 0; kh < g.KH; kh++ {
		for kw := 0; kw < g.KW; kw++ {
			wv := w[kh*g.KW+kw]
			offW := kw*g.DilW - g.PadL
			lo, hi := validOut(g.W, g.OW, g.StrideW, offW)
			for oh := 0; oh < g.OH; oh++ {
				ih := oh*g.StrideH - g.PadT + kh*g.DilH
				if ih < 0 || ih >= g.H {
					continue
				}
				src := x[ih*g.W : (ih+1)*g.W]
				dst := out[oh*g.OW : (oh+1)*g.OW]
				if g.StrideW == 1 {
					s := src[lo+offW : hi+offW]
					d := dst[lo:hi]
					for i, v := range s {
						d[i] += wv * v
					}
				} else {
					for ow := lo; ow < hi; ow++ {
						dst[ow] += wv * src[ow*g.StrideW+offW]
					}
				}
			}
		}
	}
}

// DepthwiseConv2dBackward accumulates the gradients of one plane: given
// gout = ∂L/∂out [OH,OW], it adds ∂L/∂x into dx [H,W] and ∂L/∂w into dw
// [KH,KW]. Either may be nil to skip it.
func DepthwiseConv2dBackward(g ConvGeom, x, w, gout, dx, dw []float32) {
	g.checkPlane("DepthwiseConv2dBackward", x, w, gout)
	if dx != nil && len(dx) < g.H*g.W || dw != nil && len(dw) < g.KH*g.KW {
		panic(fmt.Sprintf("ops.DepthwiseConv2dBackward: dx %d or dw %d elements are too few for %+v", len(dx), len(dw), g))
	}
	for kh := 0; kh < g.KH; kh++ {
		for kw := 0; kw < g.KW; kw++ {
			wv := w[kh*g.KW+kw]
			offW := kw*g.DilW - g.PadL
			lo, hi := validOut(g.W, g.OW, g.StrideW, offW)
			var dwv float32
			for oh := 0; oh < g.OH; oh++ {
				ih := oh*g.StrideH - g.PadT + kh*g.DilH
				if ih < 0 || ih >= g.H {
					continue
				}
				gr := gout[oh*g.OW : (oh+1)*g.OW]
				xr := x[ih*g.W : (ih+1)*g.W]
				if dw != nil {
					for ow := lo; ow < hi; ow++ {
						dwv += gr[ow] * xr[ow*g.StrideW+offW]
					}
				}
				if dx != nil {
					dr := dx[ih*g.W : (ih+1)*g.W]
					for ow := lo; ow < hi; ow++ {
						dr[ow*g.StrideW+offW] += wv * gr[ow]
					}
				}
			}
			if dw != nil {
				dw[kh*g.KW+kw] += dwv
			}
		}
	}
}

// DepthwiseConv2dRef is the plain reference for DepthwiseConv2d: the
// formula with a bounds check per term.
func DepthwiseConv2dRef(g ConvGeom, x, w []float32, b float32, out []float32) {
	g.checkPlane("DepthwiseConv2dRef", x, w, out)
	for oh := 0; oh < g.OH; oh++ {
		for ow := 0; ow < g.OW; ow++ {
			s := b
			for kh := 0; kh < g.KH; kh++ {
				for kw := 0; kw < g.KW; kw++ {
					ih := oh*g.StrideH - g.PadT + kh*g.DilH
					iw := ow*g.StrideW - g.PadL + kw*g.DilW
					if ih >= 0 && ih < g.H && iw >= 0 && iw < g.W {
						s += w[kh*g.KW+kw] * x[ih*g.W+iw]
					}
				}
			}
			out[oh*g.OW+ow] = s
		}
	}
}

// DepthwiseConv2dBackwardRef is the plain reference for
// DepthwiseConv2dBackward.
func DepthwiseConv2dBackwardRef(g ConvGeom, x, w, gout, dx, dw []float32) {
	g.checkPlane("DepthwiseConv2dBackwardRef", x, w, gout)
	for oh := 0; oh < g.OH; oh++ {
		for ow := 0; ow < g.OW; ow++ {
			gv := gout[oh*g.OW+ow]
			for kh := 0; kh < g.KH; kh++ {
				for kw := 0; kw < g.KW; kw++ {
					ih := oh*g.StrideH - g.PadT + kh*g.DilH
					iw := ow*g.StrideW - g.PadL + kw*g.DilW
					if ih < 0 || ih >= g.H || iw < 0 || iw >= g.W {
						continue
					}
					if dx != nil {
						dx[ih*g.W+iw] += w[kh*g.KW+kw] * gv
					}
					if dw != nil {
						dw[kh*g.KW+kw] += x[ih*g.W+iw] * gv
					}
				}
			}
		}
	}
}
