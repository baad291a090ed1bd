package autograd

import (
	"fmt"

	"github.com/seed477ab429/multilabel/ops"
)

// SpaceToDepth is TResNet's SpaceToDepthModule: it folds each b x b block
// of pixels into channels, x [N,C,H,W] -> [N, C*b*b, H/b, W/b], with the
// channel order of
//
//	x.view(N, C, H/b, b, W/b, b).permute(0, 3, 5, 1, 2, 4).reshape(N, C*b*b, H/b, W/b)
//
// that is
//
//	out[n, (i*b + j)*C + c, h, w] = x[n, c, h*b + i, w*b + j]
//
// It is a permutation of the elements, so the backward is the inverse
// permutation: ∂L/∂x[n,c,h*b+i,w*b+j] += ∂L/∂out[n,(i*b+j)*C+c,h,w].
// H and W must be multiples of b.
func SpaceToDepth(x *Tensor, b int) *Tensor {
	check4D("SpaceToDepth", x)
	N, C, H, W := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	if b < 1 || H%b != 0 || W%b != 0 {
		panic(fmt.Sprintf("autograd.SpaceToDepth: block %d must divide the height and width of input %v", b, x.Shape))
	}
	OH, OW := H/b, W/b
	out := result("SpaceToDepth", []int{N, C * b * b, OH, OW}, x)
	// One output plane (n, oc) per work item; oc = (i*b+j)*C + c.
	planes := N * C * b * b
	grain := convGrain(OH * OW)
	// s2d copies output plane p from x (or, toX, adds it back into x's
	// gradient: each x pixel belongs to exactly one output pixel, so planes
	// never write the same element and can run in parallel either way).
	s2d := func(dst, src []float32, p int, toX bool) {
		n, oc := p/(C*b*b), p%(C*b*b)
		ij, c := oc/C, oc%C
		i, j := ij/b, ij%b
		o := dst[p*OH*OW : (p+1)*OH*OW]
		xp := src[(n*C+c)*H*W : (n*C+c+1)*H*W]
		for h := 0; h < OH; h++ {
			xr := xp[(h*b+i)*W : (h*b+i+1)*W]
			or := o[h*OW : (h+1)*OW]
			if toX { // backward: scatter-add into x's row
				for w := range or {
					xr[w*b+j] += or[w]
				}
			} else {
				for w := range or {
					or[w] = xr[w*b+j]
				}
			}
		}
	}
	ops.Parallel(planes, grain, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			s2d(out.Data, x.Data, p, false)
		}
	})
	if out.requiresGrad {
		out.backward = func() {
			gx := x.grad()
			ops.Parallel(planes, grain, func(lo, hi int) {
				for p := lo; p < hi; p++ {
					s2d(out.Grad, gx, p, true)
				}
			})
		}
	}
	return out
}
