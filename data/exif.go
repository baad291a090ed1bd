package data

import (
	"encoding/binary"
	"image"
)

// EXIF orientation, which cv2.imread applies to JPEGs (unless
// IMREAD_IGNORE_ORIENTATION): a camera stores the sensor's pixels and a tag
// saying how to turn them upright. Values 1-8, as in the EXIF/TIFF spec:
//
//	1 upright            2 mirrored left-right   3 rotated 180°   4 mirrored top-bottom
//	5 transposed         6 needs 90° clockwise    7 transverse     8 needs 90° anticlockwise

// jpegOrientation returns the orientation tag (0x0112) of IFD0 in a JPEG's
// APP1 Exif segment, or 1 when there is none or the data is not a JPEG.
// Malformed EXIF is ignored (1), as decoders do.
func jpegOrientation(b []byte) int {
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return 1
	}
	i := 2
	for i+4 <= len(b) {
		if b[i] != 0xFF {
			return 1
		}
		marker := b[i+1]
		if marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01 || marker == 0xFF {
			i++ // no length (or fill byte)
			continue
		}
		if marker == 0xDA || marker == 0xD9 { // start of scan / end: no EXIF before it
			return 1
		}
		n := int(binary.BigEndian.Uint16(b[i+2:]))
		if n < 2 || i+2+n > len(b) {
			return 1
		}
		seg := b[i+4 : i+2+n]
		if marker == 0xE1 && len(seg) >= 14 && string(seg[:6]) == "Exif\x00\x00" {
			return tiffOrientation(seg[6:])
		}
		i += 2 + n
	}
	return 1
}

// tiffOrientation reads tag 0x0112 from IFD0 of a TIFF-structured block.
func tiffOrientation(t []byte) int {
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 1
	}
	if bo.Uint16(t[2:]) != 42 {
		return 1
	}
	off := int(bo.Uint32(t[4:]))
	if off < 8 || off+2 > len(t) {
		return 1
	}
	count := int(bo.Uint16(t[off:]))
	for k := 0; k < count; k++ {
		e := off + 2 + 12*k
		if e+12 > len(t) {
			return 1
		}
		if bo.Uint16(t[e:]) == 0x0112 && bo.Uint16(t[e+2:]) == 3 { // SHORT
			if o := int(bo.Uint16(t[e+8:])); o >= 1 && o <= 8 {
				return o
			}
			return 1
		}
	}
	return 1
}

// orient returns img turned upright for EXIF orientation o (img itself
// for 1). Output pixel (x', y') comes from source pixel (x, y):
//
//	2: (W-1-x', y')       3: (W-1-x', H-1-y')   4: (x', H-1-y')
//	5: (y', x')           6: (y', H-1-x')       7: (W-1-y', H-1-x')   8: (W-1-y', x')
//
// 5-8 swap width and height.
func orient(img *image.RGBA, o int) *image.RGBA {
	if o <= 1 || o > 8 {
		return img
	}
	w, h := img.Rect.Dx(), img.Rect.Dy()
	ow, oh := w, h
	if o >= 5 {
		ow, oh = h, w
	}
	out := image.NewRGBA(image.Rect(0, 0, ow, oh))
	for y := 0; y < oh; y++ {
		d := out.Pix[y*out.Stride:]
		for x := 0; x < ow; x++ {
			var sx, sy int
			switch o {
			case 2:
				sx, sy = w-1-x, y
			case 3:
				sx, sy = w-1-x, h-1-y
			case 4:
				sx, sy = x, h-1-y
			case 5:
				sx, sy = y, x
			case 6:
				sx, sy = y, h-1-x
			case 7:
				sx, sy = w-1-y, h-1-x
			case 8:
				sx, sy = w-1-y, x
			}
			copy(d[4*x:4*x+4], img.Pix[sy*img.Stride+4*sx:])
		}
	}
	return out
}
