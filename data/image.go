package data

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	_ "image/gif"  // register GIF
	_ "image/jpeg" // register JPEG (baseline and progressive)
	_ "image/png"  // register PNG
	"io"
	"os"

	_ "golang.org/x/image/bmp"  // register BMP
	_ "golang.org/x/image/tiff" // register TIFF
	_ "golang.org/x/image/webp" // register WebP (lossy and lossless)
)

// DecodeFile reads an image file (any registered format) as opaque RGB in
// an *image.RGBA (alpha 255), like cv2.imread(path, IMREAD_COLOR) then
// BGR->RGB. Errors name the file.
//
// A JPEG's EXIF orientation is applied, as cv2.imread does. Known
// differences from OpenCV's decoder (libjpeg-turbo): Go's JPEG decoder
// upsamples chroma by replication where libjpeg interpolates ("fancy
// upsampling"), and its IDCT and YCbCr->RGB rounding differ by a few levels.
// Baseline JPEGs take this package's decoder (jpeg.go), which gives Go's
// pixels bit for bit in about half the time.
func DecodeFile(path string) (*image.RGBA, error) {
	return DecodeFileInto(nil, path)
}

// DecodeFileInto is DecodeFile that reuses dst's pixel buffer when it is
// large enough (dst may be nil).
func DecodeFileInto(dst *image.RGBA, path string) (*image.RGBA, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("image: %w", err)
	}
	return decodeInto(dst, data, path)
}

// Decode reads an image (any registered format) from r, as DecodeFile
// reads a file: opaque RGB, a JPEG's EXIF orientation applied. An image
// uploaded over a network is thus preprocessed as the same file on disk.
func Decode(r io.Reader) (*image.RGBA, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("image: %w", err)
	}
	return decodeInto(nil, data, "")
}

// MaxPixels is the largest width × height the decoders accept: 1<<26
// (e.g. 8192 × 8192; a 50-megapixel photo fits). The header is read first,
// so a small file that claims a huge image (a decompression bomb, or just
// a corrupt header) is refused before its pixels are allocated.
var MaxPixels = 1 << 26

// decodeInto decodes the bytes of an image file; name (may be "") is
// shown in errors.
func decodeInto(dst *image.RGBA, data []byte, name string) (*image.RGBA, error) {
	img, _, err := decodePlanes(dst, data, name, false)
	return img, err
}

// decodeFilePlanes is DecodeFileInto that, with keep, also returns the
// decoded planes of a baseline JPEG without an EXIF rotation or mirror
// (see decodePlanes).
func decodeFilePlanes(dst *image.RGBA, path string, keep bool) (*image.RGBA, image.Image, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("image: %w", err)
	}
	return decodePlanes(dst, data, path, keep)
}

// decodePlanes is decodeInto that, with keep, also returns (else nil) a
// copy of the decoded planes when the file is a JPEG the fast decoder
// takes and its EXIF orientation is the identity: an image ToRGBAInto
// turns into exactly the returned RGBA, in half its bytes at 4:2:0.
func decodePlanes(dst *image.RGBA, data []byte, name string, keep bool) (*image.RGBA, image.Image, error) {
	prefix := "image: "
	if name != "" {
		prefix += name + ": "
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, nil, fmt.Errorf("%s%w", prefix, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, nil, fmt.Errorf("%sempty %s image (%dx%d)", prefix, format, cfg.Width, cfg.Height)
	}
	if cfg.Width > MaxPixels/cfg.Height {
		return nil, nil, fmt.Errorf("%s%s image of %dx%d pixels, more than data.MaxPixels (%d)", prefix, format, cfg.Width, cfg.Height, MaxPixels)
	}
	if format == "jpeg" {
		// Most JPEGs take the faster decoder, with the same pixels
		// (jpeg.go); the rest, image/jpeg.
		if rgba, planes, ok := decodeJPEGFastPlanes(dst, data, keep); ok {
			if o := jpegOrientation(data); o > 1 && o <= 8 {
				return orient(rgba, o), nil, nil
			}
			return rgba, planes, nil
		}
	}
	img, format, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, nil, fmt.Errorf("%s%w", prefix, err)
	}
	if img.Bounds().Empty() {
		return nil, nil, fmt.Errorf("%sempty %s image", prefix, format)
	}
	rgba := ToRGBAInto(dst, img)
	if format == "jpeg" {
		rgba = orient(rgba, jpegOrientation(data))
	}
	return rgba, nil, nil
}

// ToRGBA converts any image to an opaque *image.RGBA with origin (0,0).
func ToRGBA(img image.Image) *image.RGBA { return ToRGBAInto(nil, img) }

// ToRGBAInto converts img to an opaque RGBA image with origin (0,0), reusing
// dst's buffer when its capacity suffices. Alpha is dropped, not composited:
// cv2.imread(IMREAD_COLOR) keeps the stored colour of a transparent pixel
// (straight, non-premultiplied RGB). The common decoder outputs (YCbCr, Gray,
// RGBA, NRGBA, Paletted) take direct loops over the pixel slices; others go
// through image/draw.
func ToRGBAInto(dst *image.RGBA, img image.Image) *image.RGBA {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	dst = reuseRGBA(dst, w, h)
	switch src := img.(type) {
	case *image.YCbCr:
		ycbcrToRGBA(dst, src)
	case *image.Gray:
		for y := 0; y < h; y++ {
			s := src.Pix[y*src.Stride : y*src.Stride+w]
			d := dst.Pix[y*dst.Stride : y*dst.Stride+4*w]
			for x, v := range s {
				d[4*x], d[4*x+1], d[4*x+2], d[4*x+3] = v, v, v, 255
			}
		}
	case *image.RGBA:
		// Premultiplied: un-premultiply to the stored straight colour is not
		// possible exactly; decoders only produce opaque RGBA, so copy.
		copyRGB(dst, src.Pix, src.Stride, w, h)
	case *image.NRGBA:
		copyRGB(dst, src.Pix, src.Stride, w, h)
	case *image.Paletted:
		var pal [256][4]uint8
		for i, c := range src.Palette {
			n := color.NRGBAModel.Convert(c).(color.NRGBA)
			pal[i] = [4]uint8{n.R, n.G, n.B, 255}
		}
		for y := 0; y < h; y++ {
			s := src.Pix[y*src.Stride : y*src.Stride+w]
			d := dst.Pix[y*dst.Stride : y*dst.Stride+4*w]
			for x, v := range s {
				copy(d[4*x:4*x+4], pal[v][:])
			}
		}
	default:
		// Rare formats (CMYK JPEG, 16-bit PNG, ...): the generic path.
		draw.Draw(dst, dst.Bounds(), img, b.Min, draw.Src)
		for i := 3; i < len(dst.Pix); i += 4 {
			dst.Pix[i] = 255
		}
	}
	return dst
}

func reuseRGBA(dst *image.RGBA, w, h int) *image.RGBA {
	n := 4 * w * h
	if dst != nil && cap(dst.Pix) >= n {
		return &image.RGBA{Pix: dst.Pix[:n], Stride: 4 * w, Rect: image.Rect(0, 0, w, h)}
	}
	return image.NewRGBA(image.Rect(0, 0, w, h))
}

// copyRGB copies 4-byte pixels and sets alpha to 255.
func copyRGB(dst *image.RGBA, pix []uint8, stride, w, h int) {
	for y := 0; y < h; y++ {
		d := dst.Pix[y*dst.Stride : y*dst.Stride+4*w]
		copy(d, pix[y*stride:y*stride+4*w])
		for x := 3; x < len(d); x += 4 {
			d[x] = 255
		}
	}
}

// ycbcrToRGBA converts JFIF YCbCr (any subsampling) to RGB with the
// integer arithmetic of color.YCbCrToRGB, without a call per pixel:
//
//	R = Y + 1.40200 (Cr-128)
//	G = Y - 0.34414 (Cb-128) - 0.71414 (Cr-128)
//	B = Y + 1.77200 (Cb-128)
//
// in 16.16 fixed point (Y scaled by 0x10101 so that grey stays exact),
// results clamped to [0, 255]. The chroma sample of pixel x is at
// x/hs - x0/hs from the row's first one (hs = horizontal subsampling).
// Where the row starts on a chroma sample's first pixel (always for a
// decoded image), the chroma terms are computed once per sample and each
// pixel is one 4-byte store.
func ycbcrToRGBA(dst *image.RGBA, src *image.YCbCr) {
	b := src.Rect
	w, h := b.Dx(), b.Dy()
	hs := 1
	switch src.SubsampleRatio {
	case image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio420:
		hs = 2
	case image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410:
		hs = 4
	}
	x0 := b.Min.X
	for y := 0; y < h; y++ {
		d := dst.Pix[y*dst.Stride : y*dst.Stride+4*w]
		yrow := src.Y[src.YOffset(x0, b.Min.Y+y):]
		yrow = yrow[:w]
		crow := src.COffset(x0, b.Min.Y+y) - x0/hs
		if x0 >= 0 && x0%hs == 0 { // (negative x: Go's COffset truncates, not floors)
			nc := (w + hs - 1) / hs
			cbs, crs := src.Cb[crow+x0/hs:][:nc], src.Cr[crow+x0/hs:][:nc]
			for j := range cbs {
				cb1 := int32(cbs[j]) - 128
				cr1 := int32(crs[j]) - 128
				rc, gc, bc := 91881*cr1, -22554*cb1-46802*cr1, 116130*cb1
				x := j * hs
				if hs == 2 && x+1 < w {
					yy0, yy1 := int32(yrow[x])*0x10101, int32(yrow[x+1])*0x10101
					p := d[4*x : 4*x+8]
					binary.LittleEndian.PutUint32(p, rgbaWord(yy0, rc, gc, bc))
					binary.LittleEndian.PutUint32(p[4:], rgbaWord(yy1, rc, gc, bc))
					continue
				}
				for ; x < min(j*hs+hs, w); x++ {
					binary.LittleEndian.PutUint32(d[4*x:], rgbaWord(int32(yrow[x])*0x10101, rc, gc, bc))
				}
			}
			continue
		}
		for x := 0; x < w; x++ {
			ci := crow + (x0+x)/hs
			yy1 := int32(yrow[x]) * 0x10101
			cb1 := int32(src.Cb[ci]) - 128
			cr1 := int32(src.Cr[ci]) - 128
			d[4*x] = clampFix(yy1 + 91881*cr1)
			d[4*x+1] = clampFix(yy1 - 22554*cb1 - 46802*cr1)
			d[4*x+2] = clampFix(yy1 + 116130*cb1)
			d[4*x+3] = 255
		}
	}
}

// rgbaWord is one opaque pixel, R in the low byte, from the scaled Y and
// the three chroma terms.
func rgbaWord(yy, rc, gc, bc int32) uint32 {
	return uint32(clampFix(yy+rc)) | uint32(clampFix(yy+gc))<<8 | uint32(clampFix(yy+bc))<<16 | 0xFF<<24
}

// clampFix maps a 16.16 fixed-point value to a byte, clamping, as
// color.YCbCrToRGB does.
func clampFix(v int32) uint8 {
	if uint32(v)&0xff000000 == 0 {
		return uint8(v >> 16)
	}
	return uint8(^(v >> 31))
}
