package augment

import (
	"image"
	"image/color"
	"math/rand/v2"
)

// Transform maps an image to an augmented one, drawing any randomness from
// rng. It must not modify img; it may return img itself when it changes
// nothing.
type Transform func(img *image.RGBA, rng *rand.Rand) *image.RGBA

// Grey is the fill colour of the geometric ops (SubPolicy's fillcolor and
// the rotate composite): (128, 128, 128).
var Grey = color.RGBA{128, 128, 128, 255}

// pixels returns img's pixels as a tight row-major buffer, 4 bytes per pixel
// (R, G, B, A), stride 4*w: img.Pix itself when it is already tight (a
// sub-image or padded stride is copied). The caller must not write to it.
func pixels(img *image.RGBA) (pix []byte, w, h int) {
	w, h = img.Rect.Dx(), img.Rect.Dy()
	if w <= 0 || h <= 0 {
		return nil, 0, 0
	}
	if img.Stride == 4*w && len(img.Pix) >= 4*w*h {
		return img.Pix[:4*w*h], w, h
	}
	pix = make([]byte, 4*w*h)
	for y := 0; y < h; y++ {
		copy(pix[4*w*y:4*w*(y+1)], img.Pix[y*img.Stride:y*img.Stride+4*w])
	}
	return pix, w, h
}

// newLike allocates an output image with img's bounds and a tight stride.
func newLike(img *image.RGBA) *image.RGBA {
	r := img.Rect
	return &image.RGBA{Pix: make([]byte, 4*r.Dx()*r.Dy()), Stride: 4 * r.Dx(), Rect: r}
}

// fillRGB paints every pixel of dst (tight, 4 bytes per pixel) with c, alpha 255.
func fillRGB(dst []byte, c color.RGBA) {
	for i := 0; i+3 < len(dst); i += 4 {
		dst[i], dst[i+1], dst[i+2], dst[i+3] = c.R, c.G, c.B, 255
	}
}

// Clone returns a copy of img with a tight stride and alpha set to 255.
func Clone(img *image.RGBA) *image.RGBA {
	src, _, _ := pixels(img)
	out := newLike(img)
	copy(out.Pix, src)
	for i := 3; i < len(out.Pix); i += 4 {
		out.Pix[i] = 255
	}
	return out
}
