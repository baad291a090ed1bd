package data

import (
	"fmt"
	"image"
	"strconv"
	"strings"
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

	// NormUnit leaves pixels in [0, 1] (mean 0, std 1): what Alibaba-MIIL's
	// TResNet weights (TResNet, ASL, ML-Decoder) and timm's tresnet_* expect.
	NormUnit = Norm{Mean: [3]float32{0, 0, 0}, Std: [3]float32{1, 1, 1}}
)

// NormNames are the named normalizations ParseNorm knows, as written in a
// run's model.json and taken by -norm.
var NormNames = []string{"half", "imagenet", "unit"}

// ParseNorm reads a normalization: a name ("half": mean = std = 0.5,
// "imagenet": torchvision's ImageNet statistics, "unit": mean 0, std 1),
// or explicit statistics "m1,m2,m3/s1,s2,s3" (per channel R, G, B, on
// pixels in [0, 1]). "" is "half", what runs written before the field
// existed used.
func ParseNorm(s string) (Norm, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "half":
		return NormHalf, nil
	case "imagenet":
		return NormImageNet, nil
	case "unit":
		return NormUnit, nil
	}
	mean, std, ok := strings.Cut(s, "/")
	if !ok {
		return Norm{}, fmt.Errorf("normalization %q: want %s, or mean/std as m1,m2,m3/s1,s2,s3", s, strings.Join(NormNames, ", "))
	}
	var n Norm
	for k, part := range []string{mean, std} {
		f := strings.Split(part, ",")
		if len(f) != 3 {
			return Norm{}, fmt.Errorf("normalization %q: want three comma-separated values on each side of /", s)
		}
		dst := &n.Mean
		if k == 1 {
			dst = &n.Std
		}
		for c, v := range f {
			x, err := strconv.ParseFloat(strings.TrimSpace(v), 32)
			if err != nil {
				return Norm{}, fmt.Errorf("normalization %q: %q is not a number", s, v)
			}
			if k == 1 && !(x > 0) {
				return Norm{}, fmt.Errorf("normalization %q: std %q must be positive", s, v)
			}
			dst[c] = float32(x)
		}
	}
	return n, nil
}

// String is the name of a named normalization, else "m1,m2,m3/s1,s2,s3":
// ParseNorm(n.String()) == n.
func (n Norm) String() string {
	switch n {
	case NormHalf:
		return "half"
	case NormImageNet:
		return "imagenet"
	case NormUnit:
		return "unit"
	}
	f := func(v [3]float32) string {
		return strconv.FormatFloat(float64(v[0]), 'g', -1, 32) + "," + strconv.FormatFloat(float64(v[1]), 'g', -1, 32) + "," + strconv.FormatFloat(float64(v[2]), 'g', -1, 32)
	}
	return f(n.Mean) + "/" + f(n.Std)
}

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
