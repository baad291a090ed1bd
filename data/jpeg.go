package data

import (
	"encoding/binary"
	"image"
	"sync"
)

// A baseline JPEG decoder for the common case, with image/jpeg's pixels.
//
// Decoding is the data loader's largest cost when images are not cached
// (Go's image/jpeg took 5.1 ms for a 500 x 375 VOC photo where
// libjpeg-turbo takes 2.1 ms), and a service pays it on every request.
// Most of it is the entropy decoding: image/jpeg reads the bit stream a
// byte at a time, checking for markers on each, and decodes a Huffman
// symbol and its extra bits in separate calls. Here the bits come eight
// bytes at a time when none of them is 0xFF (most of the stream), a
// symbol is one table look-up of the next 9 bits, and dequantization
// happens as each coefficient is stored; the inverse DCT is image/jpeg's
// arithmetic (jpeg_idct.go), so every pixel is the one image/jpeg gives.
//
// The subset: baseline and extended sequential Huffman (SOF0, SOF1), 8-bit
// samples, one interleaved scan holding every component, grayscale or
// YCbCr with chroma at 4:4:4, 4:4:0, 4:2:2, 4:2:0, 4:1:1 or 4:1:0,
// restart intervals. Anything else, and anything unexpected in the file
// (a progressive or arithmetic-coded image, an Adobe or RGB colour
// transform, a second scan, a table used before it is defined, a marker or
// the end of the data inside the entropy-coded bits, an EOB run, a code
// that is not in its table), makes decodeJPEGFast give up, and the caller
// decodes the file with image/jpeg: which then gives its own image or its
// own error. So for any input this decoder either returns exactly
// image/jpeg's pixels or nothing (TestJPEGFastMatchesStd, FuzzJPEGFast).

// decodeJPEGFast decodes a whole JPEG file into dst's buffer (reused when
// large enough; may be nil) as opaque RGBA, without the EXIF orientation.
// ok is false when the file is outside the subset above.
func decodeJPEGFast(dst *image.RGBA, data []byte) (img *image.RGBA, ok bool) {
	img, _, ok = decodeJPEGFastPlanes(dst, data, false)
	return img, ok
}

// decodeJPEGFastPlanes is decodeJPEGFast that, with keep, also returns a
// copy of the decoded planes cropped to the image: an *image.YCbCr, or an
// *image.Gray for a grayscale file, which ToRGBAInto turns into the same
// RGBA (the image cache keeps these: half the bytes of RGB at 4:2:0).
func decodeJPEGFastPlanes(dst *image.RGBA, data []byte, keep bool) (img *image.RGBA, planes image.Image, ok bool) {
	d := jpegDecoders.Get().(*jpegDecoder)
	defer jpegDecoders.Put(d)
	d.reset(data)
	if !d.parse() || !d.decodeScan() || !d.expectEOI() {
		return nil, nil, false
	}
	if keep {
		planes = d.planes()
	}
	return d.toRGBA(dst), planes, true
}

// toRGBA converts the decoded planes into dst's buffer.
func (d *jpegDecoder) toRGBA(dst *image.RGBA) *image.RGBA {
	w, h := d.width, d.height
	dst = reuseRGBA(dst, w, h)
	if d.nComp == 1 {
		c := &d.comp[0]
		for y := 0; y < h; y++ {
			s := c.plane[y*c.stride : y*c.stride+w]
			o := dst.Pix[y*dst.Stride : y*dst.Stride+4*w]
			for x, v := range s {
				o[4*x], o[4*x+1], o[4*x+2], o[4*x+3] = v, v, v, 255
			}
		}
		return dst
	}
	ycc := image.YCbCr{
		Y: d.comp[0].plane, Cb: d.comp[1].plane, Cr: d.comp[2].plane,
		YStride: d.comp[0].stride, CStride: d.comp[1].stride,
		SubsampleRatio: d.ratio, Rect: image.Rect(0, 0, w, h),
	}
	ycbcrToRGBA(dst, &ycc)
	return dst
}

// planes copies the decoded planes, cropped to the image (the chroma to
// the samples the image's pixels use), into a new image.
func (d *jpegDecoder) planes() image.Image {
	r := image.Rect(0, 0, d.width, d.height)
	if d.nComp == 1 {
		g, c := image.NewGray(r), &d.comp[0]
		for y := 0; y < d.height; y++ {
			copy(g.Pix[y*g.Stride:y*g.Stride+d.width], c.plane[y*c.stride:])
		}
		return g
	}
	m := image.NewYCbCr(r, d.ratio)
	yc, cb, cr := &d.comp[0], &d.comp[1], &d.comp[2]
	for y := 0; y < d.height; y++ {
		copy(m.Y[y*m.YStride:y*m.YStride+d.width], yc.plane[y*yc.stride:])
	}
	for y := 0; y < len(m.Cb)/m.CStride; y++ {
		copy(m.Cb[y*m.CStride:(y+1)*m.CStride], cb.plane[y*cb.stride:])
		copy(m.Cr[y*m.CStride:(y+1)*m.CStride], cr.plane[y*cr.stride:])
	}
	return m
}

var jpegDecoders = sync.Pool{New: func() any { return new(jpegDecoder) }}

// jpegUnzig maps a coefficient's zig-zag index to its natural (row-major)
// index in the 8 x 8 block (the standard's figure A.6).
var jpegUnzig = [64]uint8{
	0, 1, 8, 16, 9, 2, 3, 10,
	17, 24, 32, 25, 18, 11, 4, 5,
	12, 19, 26, 33, 40, 48, 41, 34,
	27, 20, 13, 6, 7, 14, 21, 28,
	35, 42, 49, 56, 57, 50, 43, 36,
	29, 22, 15, 23, 30, 37, 44, 51,
	58, 59, 52, 45, 38, 31, 39, 46,
	53, 60, 61, 54, 47, 55, 62, 63,
}

const jpegLUTBits = 9

// jpegHuffman is one Huffman table: a look-up of the next jpegLUTBits bits
// for the codes that short (nearly all of them in practice), and the
// canonical code ranges for the longer ones (the standard's F.2.2.3).
type jpegHuffman struct {
	defined bool
	lut     [1 << jpegLUTBits]uint16 // code length << 8 | value; 0: a longer code
	// fast (AC tables): for the next jpegLUTBits bits, when they hold a
	// whole code with a nonzero size and its extra bits, the coefficient
	// at once: value<<16 | run<<4 | code length + size;
	// 0 otherwise.
	fast    [1 << jpegLUTBits]int32
	maxCode [17]int32 // largest code of each length, −1 if none
	valOff  [17]int32 // index in vals of a code of each length, minus the code
	vals    [256]uint8
}

// build sets the table from a DHT segment's 16 counts and values (ac: an
// AC table, which also gets the fast coefficient look-up); false
// when the counts do not make a prefix code (more codes of a length than
// the code space left), which image/jpeg would decode its own way.
func (t *jpegHuffman) build(counts, vals []byte, ac bool) bool {
	*t = jpegHuffman{defined: true}
	copy(t.vals[:], vals)
	code, k := int32(0), int32(0)
	for l := 1; l <= 16; l++ {
		n := int32(counts[l-1])
		t.maxCode[l] = -1
		if n > 0 {
			if code+n > 1<<l {
				return false
			}
			t.valOff[l] = k - code
			t.maxCode[l] = code + n - 1
			if l <= jpegLUTBits {
				for c := code; c < code+n; c++ {
					sym := t.vals[k+c-code]
					e := uint16(l)<<8 | uint16(sym)
					lo := int(c) << (jpegLUTBits - l)
					r, sz := int(sym>>4), int(sym&15)
					for i := 0; i < 1<<(jpegLUTBits-l); i++ {
						t.lut[lo+i] = e
						if ac && sz > 0 && l+sz <= jpegLUTBits {
							v := int32(i>>(jpegLUTBits-l-sz)) & (1<<sz - 1)
							if v < 1<<(sz-1) {
								v += -1<<sz + 1
							}
							t.fast[lo+i] = v<<16 | int32(r)<<4 | int32(l+sz)
						}
					}
				}
			}
			code += n
			k += n
		}
		code <<= 1
	}
	return true
}

type jpegComponent struct {
	id     uint8
	h, v   int   // sampling factors (1, 1 for chroma and grayscale here)
	tq     uint8 // quantization table
	td, ta uint8 // DC and AC Huffman tables, from the scan
	plane  []byte
	stride int
	dc     int32 // DC predictor
}

type jpegDecoder struct {
	data []byte
	pos  int // next segment's byte (while parsing the header)

	width, height int
	nComp         int
	comp          [3]jpegComponent
	scan          [3]int // component indices in scan order
	ratio         image.YCbCrSubsampleRatio
	baseline      bool
	ri            int // restart interval in MCUs (0: none)
	mxx, myy      int // MCUs across and down
	quant         [4][64]int32
	quantSet      [4]bool
	huff          [2][4]jpegHuffman // [DC, AC][table]

	// The bit reader over the entropy-coded data: acc holds nbits bits,
	// the next one at bit 63; p is the next byte to load. At a marker (or
	// the end of the data) loading stops and zero bytes are fed instead,
	// pad bits of them; a well-formed scan never reads them, and
	// decodeScan gives up when it has.
	acc    uint64
	nbits  uint
	p      int
	marker bool
	pad    uint

	blk   [64]int32
	plane []byte // backing store of the component planes, reused
}

func (d *jpegDecoder) reset(data []byte) {
	planes := d.plane
	*d = jpegDecoder{data: data, plane: planes}
}

// segment reads the marker at d.pos and, for markers with a length, the
// segment's payload. ok is false when the bytes there are not a marker.
func (d *jpegDecoder) segment() (marker byte, payload []byte, ok bool) {
	p := d.pos
	if p+1 >= len(d.data) || d.data[p] != 0xFF {
		return 0, nil, false
	}
	for p+1 < len(d.data) && d.data[p+1] == 0xFF { // fill bytes
		p++
	}
	if p+1 >= len(d.data) {
		return 0, nil, false
	}
	marker = d.data[p+1]
	p += 2
	if marker == 0xD8 || marker == 0xD9 || marker >= 0xD0 && marker <= 0xD7 || marker == 0 {
		d.pos = p
		return marker, nil, true
	}
	if p+2 > len(d.data) {
		return 0, nil, false
	}
	n := int(d.data[p])<<8 | int(d.data[p+1])
	if n < 2 || p+n > len(d.data) {
		return 0, nil, false
	}
	d.pos = p + n
	return marker, d.data[p+2 : p+n], true
}

// parse reads the segments from SOI through SOS, leaving d.pos at the
// entropy-coded data.
func (d *jpegDecoder) parse() bool {
	if len(d.data) < 2 || d.data[0] != 0xFF || d.data[1] != 0xD8 { // SOI, first
		return false
	}
	d.pos = 2
	for {
		m, seg, ok := d.segment()
		if !ok {
			return false
		}
		switch {
		case m == 0xC0 || m == 0xC1:
			if d.nComp != 0 || !d.parseSOF(seg) {
				return false
			}
			d.baseline = m == 0xC0
		case m == 0xC4:
			if !d.parseDHT(seg) {
				return false
			}
		case m == 0xDB:
			if !d.parseDQT(seg) {
				return false
			}
		case m == 0xDD:
			if len(seg) != 2 {
				return false
			}
			d.ri = int(seg[0])<<8 | int(seg[1])
		case m == 0xEE: // APP14: Adobe's colour transform
			return false
		case m >= 0xE0 && m <= 0xEF || m == 0xFE: // other APPn, COM
		case m == 0xDA:
			return d.parseSOS(seg)
		default: // progressive, lossless, arithmetic, DNL, RSTn, EOI, ...
			return false
		}
	}
}

func (d *jpegDecoder) parseSOF(s []byte) bool {
	if len(s) < 6 || s[0] != 8 {
		return false
	}
	d.height = int(s[1])<<8 | int(s[2])
	d.width = int(s[3])<<8 | int(s[4])
	d.nComp = int(s[5])
	if d.width == 0 || d.height == 0 || (d.nComp != 1 && d.nComp != 3) || len(s) != 6+3*d.nComp {
		return false
	}
	if d.width > MaxPixels/d.height {
		return false
	}
	for i := 0; i < d.nComp; i++ {
		c := &d.comp[i]
		c.id, c.h, c.v, c.tq = s[6+3*i], int(s[7+3*i]>>4), int(s[7+3*i]&15), s[8+3*i]
		if c.tq > 3 || c.h < 1 || c.h > 4 || c.v < 1 || c.v > 4 || c.h == 3 || c.v == 3 {
			return false
		}
		for j := 0; j < i; j++ {
			if d.comp[j].id == c.id {
				return false
			}
		}
	}
	if d.nComp == 1 {
		// One component is one block an MCU whatever its factors say.
		d.comp[0].h, d.comp[0].v = 1, 1
	} else {
		y, cb, cr := &d.comp[0], &d.comp[1], &d.comp[2]
		if cb.h != 1 || cb.v != 1 || cr.h != 1 || cr.v != 1 || y.v == 4 {
			return false
		}
		if y.id == 'R' && cb.id == 'G' && cr.id == 'B' { // an RGB image
			return false
		}
		switch y.h<<4 | y.v {
		case 0x11:
			d.ratio = image.YCbCrSubsampleRatio444
		case 0x12:
			d.ratio = image.YCbCrSubsampleRatio440
		case 0x21:
			d.ratio = image.YCbCrSubsampleRatio422
		case 0x22:
			d.ratio = image.YCbCrSubsampleRatio420
		case 0x41:
			d.ratio = image.YCbCrSubsampleRatio411
		case 0x42:
			d.ratio = image.YCbCrSubsampleRatio410
		default:
			return false
		}
	}
	h0, v0 := d.comp[0].h, d.comp[0].v
	d.mxx = (d.width + 8*h0 - 1) / (8 * h0)
	d.myy = (d.height + 8*v0 - 1) / (8 * v0)
	total := 0
	for i := 0; i < d.nComp; i++ {
		c := &d.comp[i]
		c.stride = 8 * c.h * d.mxx
		total += c.stride * 8 * c.v * d.myy
	}
	if cap(d.plane) < total {
		d.plane = make([]byte, total)
	}
	buf := d.plane[:total]
	for i := 0; i < d.nComp; i++ {
		c := &d.comp[i]
		n := c.stride * 8 * c.v * d.myy
		c.plane, buf = buf[:n:n], buf[n:]
	}
	return true
}

func (d *jpegDecoder) parseDQT(s []byte) bool {
	for len(s) > 0 {
		pq, tq := s[0]>>4, s[0]&15
		if pq != 0 || tq > 3 || len(s) < 65 {
			return false
		}
		for i := range 64 {
			d.quant[tq][i] = int32(s[1+i])
		}
		d.quantSet[tq] = true
		s = s[65:]
	}
	return true
}

func (d *jpegDecoder) parseDHT(s []byte) bool {
	for len(s) > 0 {
		if len(s) < 17 {
			return false
		}
		tc, th := s[0]>>4, s[0]&15
		if tc > 1 || th > 3 || d.baseline && th > 1 { // (as image/jpeg: baseline once SOF0 is seen)
			return false
		}
		n := 0
		for _, c := range s[1:17] {
			n += int(c)
		}
		if n == 0 || n > 256 || len(s) < 17+n {
			return false
		}
		if !d.huff[tc][th].build(s[1:17], s[17:17+n], tc == 1) {
			return false
		}
		s = s[17+n:]
	}
	return true
}

func (d *jpegDecoder) parseSOS(s []byte) bool {
	if d.nComp == 0 || len(s) < 4 || int(s[0]) != d.nComp || len(s) != 4+2*d.nComp {
		return false
	}
	maxT := uint8(3)
	if d.baseline {
		maxT = 1
	}
	totalHV := 0
	for i := 0; i < d.nComp; i++ {
		ci := -1
		for j := 0; j < d.nComp; j++ {
			if d.comp[j].id == s[1+2*i] {
				ci = j
			}
		}
		if ci < 0 {
			return false
		}
		for j := 0; j < i; j++ {
			if d.scan[j] == ci {
				return false
			}
		}
		c := &d.comp[ci]
		c.td, c.ta = s[2+2*i]>>4, s[2+2*i]&15
		if c.td > maxT || c.ta > maxT || !d.huff[0][c.td].defined || !d.huff[1][c.ta].defined || !d.quantSet[c.tq] {
			return false
		}
		d.scan[i] = ci
		totalHV += c.h * c.v
	}
	// (The spectral selection and approximation bytes are not read: a
	// sequential scan is 0-63, 0, 0 whatever they say, as in image/jpeg.)
	return d.nComp == 1 || totalHV <= 10
}

// fill loads bytes until the reader holds at least 56 bits.
func (d *jpegDecoder) fill() {
	// Eight bytes at once when none of them is 0xFF (no stuffing, no
	// marker): the whole bytes that fit go in, and the partial last one
	// is loaded again in full next time.
	if !d.marker && d.p+8 <= len(d.data) {
		w := binary.BigEndian.Uint64(d.data[d.p:])
		if x := ^w; (x-0x0101010101010101)&^x&0x8080808080808080 == 0 {
			d.acc |= w >> d.nbits
			d.p += int(63-d.nbits) >> 3
			d.nbits |= 56
			return
		}
	}
	for d.nbits <= 56 {
		var b byte
		if !d.marker && d.p < len(d.data) {
			b = d.data[d.p]
			if b != 0xFF {
				d.p++
			} else if d.p+1 < len(d.data) && d.data[d.p+1] == 0 {
				d.p += 2
			} else {
				d.marker = true
			}
		} else {
			d.marker = true
		}
		if d.marker {
			b = 0
			d.pad += 8
		}
		d.acc |= uint64(b) << (56 - d.nbits)
		d.nbits += 8
	}
}

// decode decodes the Huffman code at the top of acc (at least 16 valid
// bits): code length << 8 | symbol, or 0 for bits that are no code.
func (t *jpegHuffman) decode(acc uint64) uint16 {
	if e := t.lut[acc>>(64-jpegLUTBits)]; e != 0 {
		return e
	}
	return t.long(acc)
}

// long is decode for the codes longer than jpegLUTBits. (Not inlined, so
// that decode is.)
//
//go:noinline
func (t *jpegHuffman) long(acc uint64) uint16 {
	for l := uint(jpegLUTBits + 1); l <= 16; l++ {
		if code := int32(acc >> (64 - l)); code <= t.maxCode[l] {
			return uint16(l)<<8 | uint16(t.vals[t.valOff[l]+code])
		}
	}
	return 0
}

// decodeBlock decodes, dequantizes and inverse-transforms one block of
// component c and writes its samples at (bx, by) in blocks. The bit
// reader's state lives in locals here (written back around fill), and a
// coefficient whose code and extra bits fit in the next 9 bits is one
// look-up (jpegHuffman.fast).
func (d *jpegDecoder) decodeBlock(c *jpegComponent, bx, by int) bool {
	b := &d.blk
	*b = [64]int32{}
	q := &d.quant[c.tq]
	acc, nbits := d.acc, d.nbits
	if nbits < 32 {
		d.acc, d.nbits = acc, nbits
		d.fill()
		acc, nbits = d.acc, d.nbits
	}
	// DC.
	dcT := &d.huff[0][c.td]
	e := dcT.decode(acc)
	acc <<= e >> 8
	nbits -= uint(e >> 8)
	s := uint(e & 0xFF)
	if e == 0 || s > 16 {
		return false
	}
	if s > 0 {
		v := int32(acc >> (64 - s))
		acc <<= s
		nbits -= s
		if v < 1<<(s-1) {
			v += -1<<s + 1
		}
		c.dc += v
	}
	b[0] = c.dc * q[0]
	rows := uint8(1)
	// AC.
	acT := &d.huff[1][c.ta]
	for k := 1; k < 64; {
		if nbits < 32 {
			d.acc, d.nbits = acc, nbits
			d.fill()
			acc, nbits = d.acc, d.nbits
		}
		if e := acT.fast[acc>>(64-jpegLUTBits)]; e != 0 && k+int(e>>4&15) <= 63 {
			k += int(e >> 4 & 15)
			n := uint(e & 15)
			acc <<= n
			nbits -= n
			z := jpegUnzig[k]
			b[z] = (e >> 16) * q[k]
			rows |= 1 << (z >> 3)
			k++
			continue
		}
		e := acT.decode(acc)
		if e == 0 {
			return false
		}
		acc <<= e >> 8
		nbits -= uint(e >> 8)
		r, s := int(e>>4&15), uint(e&15)
		if s == 0 {
			if r == 15 { // sixteen zeros
				k += 16
				continue
			}
			if r != 0 { // an EOB run: progressive only
				return false
			}
			break // end of block
		}
		k += r
		if k > 63 {
			// A run past the block's end: image/jpeg stops the block
			// there, the extra bits unread; so do we.
			break
		}
		v := int32(acc >> (64 - s))
		acc <<= s
		nbits -= s
		if v < 1<<(s-1) {
			v += -1<<s + 1
		}
		z := jpegUnzig[k]
		b[z] = v * q[k]
		rows |= 1 << (z >> 3)
		k++
	}
	d.acc, d.nbits = acc, nbits
	jpegIDCT(b, rows)
	dst := c.plane[8*(by*c.stride+bx):]
	for y := 0; y < 8; y++ {
		o := dst[y*c.stride : y*c.stride+8 : y*c.stride+8]
		r := b[8*y : 8*y+8 : 8*y+8]
		for x := range o {
			v := r[x]
			if u := uint32(v + 128); u <= 255 {
				o[x] = uint8(u)
			} else if v < 0 {
				o[x] = 0
			} else {
				o[x] = 255
			}
		}
	}
	return true
}

// decodeScan decodes the entropy-coded data from d.pos, MCU by MCU, with
// the restart markers every d.ri MCUs.
func (d *jpegDecoder) decodeScan() bool {
	d.p = d.pos
	mcus := d.mxx * d.myy
	expectRST := byte(0xD0)
	for m := 0; m < mcus; {
		mx, my := m%d.mxx, m/d.mxx
		for _, ci := range d.scan[:d.nComp] {
			c := &d.comp[ci]
			for j := 0; j < c.h*c.v; j++ {
				if !d.decodeBlock(c, c.h*mx+j%c.h, c.v*my+j/c.h) {
					return false
				}
			}
		}
		if d.nbits < d.pad { // read past the data
			return false
		}
		m++
		if d.ri > 0 && m%d.ri == 0 && m < mcus {
			if !d.restart(expectRST) {
				return false
			}
			expectRST = 0xD0 + (expectRST+1)&7
		}
	}
	return true
}

// nextMarker finds the first marker at or after p, as image/jpeg looks for
// one between segments and after a scan: bytes other than 0xFF are
// skipped, and so are fill bytes (0xFF before 0xFF). It returns the
// marker's 0xFF and the byte after it (0 for a stuffed 0xFF 0x00, which
// the caller skips); ok is false at the end of the data.
func (d *jpegDecoder) nextMarker(p int) (at int, m byte, ok bool) {
	for p < len(d.data) && d.data[p] != 0xFF {
		p++
	}
	for p+1 < len(d.data) && d.data[p+1] == 0xFF {
		p++
	}
	if p+1 >= len(d.data) {
		return 0, 0, false
	}
	return p, d.data[p+1], true
}

// restart moves the reader past the next marker, which must be RSTn:
// image/jpeg skips whatever bytes come before it the same way (findRST).
func (d *jpegDecoder) restart(rst byte) bool {
	p := d.p
	for {
		at, m, ok := d.nextMarker(p)
		if !ok || m != 0 && m != rst {
			return false
		}
		p = at + 2
		if m == rst {
			break
		}
	}
	d.p, d.acc, d.nbits, d.marker, d.pad = p, 0, 0, false, 0
	for i := range d.comp {
		d.comp[i].dc = 0
	}
	return true
}

// expectEOI checks that the scan is followed by the end of the image,
// after nothing but the bytes image/jpeg skips: entropy-coded padding and
// restart markers.
func (d *jpegDecoder) expectEOI() bool {
	p := d.p
	for {
		at, m, ok := d.nextMarker(p)
		switch {
		case !ok:
			return false
		case m == 0xD9:
			return true
		case m == 0 || m >= 0xD0 && m <= 0xD7:
			p = at + 2
		default:
			return false
		}
	}
}
