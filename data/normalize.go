package data

import (
	"fmt"
	"image"
)

// Norm is a per-channel (R, G, B) mean and standard deviation on pixels
// scaled to [0, 1], as torchvision's Normalize takes them.
type Norm struct {
	Mean, Std [3]float32
}

var (
	// NormHalf maps [0, 1] to [-1, 1]: the reference's Normalize(0.5, 0.5)
	// (docs/method.md §5.7) and the default.
	NormHalf = Norm{Mean: [3]float32{0.5, 0.5, 0.5}, Std: [3]float32{0.5, 0.5, 0.5}}

	// NormImageNet is the ImageNet statistics that torchvision and most timm
	// weights expect.
	NormImageNet = Norm{Mean: [3]float32{0.485, 0.456, 0.406}, Std: [3]float32{0.229, 0.224, 0.225}}
)

// lut returns, per channel, the normalized value of each byte:
//
//	x = (float32(p) / 255 - mean) / std
//
// in float32, the operations of torchvision's ToTensor then Normalize, so
// the values are bit-identical to theirs.
func (n Norm) lut() (t [3][256]float32) {
	for c := 0; c < 3; c++ {
		for p := 0; p < 256; p++ {
			t[c][p] = (float32(p)/255 - n.Mean[c]) / n.Std[c]
		}
	}
	return t
}

// Normalize returns img as float32 CHW, [3, H, W], normalized by n.
func Normalize(img *image.RGBA, n Norm) []float32 {
	b := img.Rect
	dst := make([]float32, 3*b.Dx()*b.Dy())
	NormalizeInto(dst, img, n)
	return dst
}

// NormalizeInto writes img as CHW float32 into dst (len 3*H*W). Channel c of
// pixel (y, x) goes to dst[c*H*W + y*W + x].
func NormalizeInto(dst []float32, img *image.RGBA, n Norm) {
	t := n.lut()
	normalizeLUT(dst, img, &t)
}

func normalizeLUT(dst []float32, img *image.RGBA, t *[3][256]float32) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	plane := w * h
	if len(dst) != 3*plane {
		panic(fmt.Sprintf("data.Normalize: dst has %d floats, image %dx%d needs %d", len(dst), w, h, 3*plane))
	}
	r, g, bl := dst[:plane], dst[plane:2*plane], dst[2*plane:]
	for y := 0; y < h; y++ {
		row := img.Pix[y*img.Stride : y*img.Stride+4*w]
		o := y * w
		for x := 0; x < w; x++ {
			r[o+x] = t[0][row[4*x]]
			g[o+x] = t[1][row[4*x+1]]
			bl[o+x] = t[2][row[4*x+2]]
		}
	}
}
