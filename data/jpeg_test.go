package data

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// A small baseline JPEG writer for the tests: any chroma layout the fast
// decoder takes, restart intervals, Huffman codes longer than its 9-bit
// look-up, and coefficients from the pixels' DCT or drawn at random (large
// ones included, to reach the IDCT's clamping). Go's own encoder writes
// only 4:2:0 and grayscale, without restarts, with the standard tables.

type testJPEG struct {
	w, h    int
	gray    bool
	yh, yv  int     // luma sampling factors
	quant   [64]int // one table for all components, zig-zag order
	restart int     // MCUs per restart interval (0: none)
	random  bool    // coefficients at random instead of the DCT of a picture
	seed    uint64
}

// testHuffman is a canonical code: symbols in code order with their lengths.
type testHuffman struct {
	counts [16]byte
	vals   []byte
	code   map[byte]uint32
	length map[byte]int
}

func newTestHuffman(syms []byte, lengths []int) *testHuffman {
	t := &testHuffman{vals: syms, code: map[byte]uint32{}, length: map[byte]int{}}
	code, i := uint32(0), 0
	for l := 1; l <= 16; l++ {
		for i < len(syms) && lengths[i] == l {
			t.code[syms[i]], t.length[syms[i]] = code, l
			t.counts[l-1]++
			code++
			i++
		}
		code <<= 1
	}
	return t
}

// testTables: the DC sizes 0-11 at 2-9 bits; the AC symbols (EOB, ZRL, run
// and size 1-10) at 2-14 bits, most of them past the decoder's look-up.
func testTables() (dc, ac *testHuffman) {
	dcSyms := []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}
	dc = newTestHuffman(dcSyms, []int{2, 2, 3, 3, 4, 4, 5, 5, 6, 7, 8, 9})
	acSyms := []byte{0x00}
	for sum := 1; sum <= 25; sum++ {
		for r := 0; r <= 15; r++ {
			if s := sum - r; s >= 1 && s <= 10 {
				acSyms = append(acSyms, byte(r<<4|s))
			}
		}
		if sum == 8 {
			acSyms = append(acSyms, 0xF0)
		}
	}
	var lengths []int
	for i := range acSyms {
		switch {
		case i < 2:
			lengths = append(lengths, 2)
		case i < 6:
			lengths = append(lengths, 4)
		case i < 14:
			lengths = append(lengths, 6)
		case i < 30:
			lengths = append(lengths, 8)
		case i < 62:
			lengths = append(lengths, 10)
		case i < 126:
			lengths = append(lengths, 12)
		default:
			lengths = append(lengths, 14)
		}
	}
	return dc, newTestHuffman(acSyms, lengths)
}

type bitWriter struct {
	out   []byte
	acc   uint64
	nbits uint
}

func (w *bitWriter) put(v uint32, n int) {
	w.acc = w.acc<<uint(n) | uint64(v&(1<<uint(n)-1))
	w.nbits += uint(n)
	for w.nbits >= 8 {
		b := byte(w.acc >> (w.nbits - 8))
		w.out = append(w.out, b)
		if b == 0xFF {
			w.out = append(w.out, 0)
		}
		w.nbits -= 8
	}
}

func (w *bitWriter) flush() { // pad with ones to a byte
	if w.nbits > 0 {
		w.put(1<<(8-w.nbits)-1, int(8-w.nbits))
	}
}

// magnitude returns the size category of v and its extra bits.
func magnitude(v int) (int, uint32) {
	a, s := v, 0
	if a < 0 {
		a = -a
	}
	for a > 0 {
		s++
		a >>= 1
	}
	if v < 0 {
		return s, uint32(v + 1<<s - 1)
	}
	return s, uint32(v)
}

func (c testJPEG) encode() []byte {
	rng := rand.New(rand.NewPCG(c.seed, 7))
	nComp := 3
	if c.gray {
		nComp = 1
	}
	yh, yv := c.yh, c.yv
	if c.gray {
		yh, yv = 1, 1
	}
	mxx, myy := (c.w+8*yh-1)/(8*yh), (c.h+8*yv-1)/(8*yv)
	// A picture per component at its own resolution: gradients, a disc,
	// noise, and saturated corners.
	planes := make([][]float64, nComp)
	pw := make([]int, nComp)
	for ci := range planes {
		hh, vv := 1, 1
		if ci == 0 {
			hh, vv = yh, yv
		}
		w, h := 8*hh*mxx, 8*vv*myy
		pw[ci] = w
		p := make([]float64, w*h)
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				v := 128 + 100*math.Sin(float64(x*(ci+1))/7+float64(y)/5)
				if (x-w/2)*(x-w/2)+(y-h/2)*(y-h/2) < w*h/9 {
					v = 255 - v/2
				}
				if x < 4 && y < 4 {
					v = float64(255 * (ci % 2))
				}
				p[y*w+x] = math.Max(0, math.Min(255, v+rng.NormFloat64()*12))
			}
		}
		planes[ci] = p
	}
	dcT, acT := testTables()

	var out bytes.Buffer
	seg := func(m byte, payload []byte) {
		out.Write([]byte{0xFF, m, byte((len(payload) + 2) >> 8), byte(len(payload) + 2)})
		out.Write(payload)
	}
	out.Write([]byte{0xFF, 0xD8})
	seg(0xFE, []byte("multilabel test")) // COM
	q := []byte{0}
	for _, v := range c.quant {
		q = append(q, byte(v))
	}
	seg(0xDB, q)
	sof := []byte{8, byte(c.h >> 8), byte(c.h), byte(c.w >> 8), byte(c.w), byte(nComp)}
	for ci := 0; ci < nComp; ci++ {
		hv := byte(0x11)
		if ci == 0 {
			hv = byte(yh<<4 | yv)
		}
		sof = append(sof, byte(ci+1), hv, 0)
	}
	seg(0xC0, sof)
	dht := []byte{0x00}
	dht = append(append(dht, dcT.counts[:]...), dcT.vals...)
	dht = append(dht, 0x10)
	dht = append(append(dht, acT.counts[:]...), acT.vals...)
	seg(0xC4, dht)
	if c.restart > 0 {
		seg(0xDD, []byte{byte(c.restart >> 8), byte(c.restart)})
	}
	sos := []byte{byte(nComp)}
	for ci := 0; ci < nComp; ci++ {
		sos = append(sos, byte(ci+1), 0x00)
	}
	seg(0xDA, append(sos, 0, 63, 0))

	bw := &bitWriter{}
	preds := make([]int, nComp)
	encodeBlock := func(ci, bx, by int) {
		var coef [64]int // zig-zag order
		if c.random {
			coef[0] = rng.IntN(2001) - 1000 // DC differences within the table's 11 bits
			for k := 1; k < 64; k++ {
				if rng.IntN(4) == 0 {
					coef[k] = rng.IntN(2047) - 1023
				}
			}
		} else {
			p, w := planes[ci], pw[ci]
			for k := 0; k < 64; k++ {
				u, v := int(jpegUnzig[k])%8, int(jpegUnzig[k])/8
				s := 0.0
				for y := 0; y < 8; y++ {
					for x := 0; x < 8; x++ {
						s += (p[(8*by+y)*w+8*bx+x] - 128) *
							math.Cos(float64(2*x+1)*float64(u)*math.Pi/16) *
							math.Cos(float64(2*y+1)*float64(v)*math.Pi/16)
					}
				}
				cu, cv := 1.0, 1.0
				if u == 0 {
					cu = 1 / math.Sqrt2
				}
				if v == 0 {
					cv = 1 / math.Sqrt2
				}
				coef[k] = int(math.Round(s * cu * cv / 4 / float64(c.quant[k])))
			}
		}
		diff := coef[0] - preds[ci]
		preds[ci] = coef[0]
		s, bits := magnitude(diff)
		bw.put(dcT.code[byte(s)], dcT.length[byte(s)])
		bw.put(bits, s)
		run := 0
		for k := 1; k < 64; k++ {
			if coef[k] == 0 {
				run++
				continue
			}
			for run > 15 {
				bw.put(acT.code[0xF0], acT.length[0xF0])
				run -= 16
			}
			s, bits := magnitude(coef[k])
			sym := byte(run<<4 | s)
			bw.put(acT.code[sym], acT.length[sym])
			bw.put(bits, s)
			run = 0
		}
		if run > 0 {
			bw.put(acT.code[0], acT.length[0])
		}
	}
	rst := 0
	for m := 0; m < mxx*myy; m++ {
		if c.restart > 0 && m > 0 && m%c.restart == 0 {
			bw.flush()
			bw.out = append(bw.out, 0xFF, byte(0xD0+rst))
			rst = (rst + 1) % 8
			for i := range preds {
				preds[i] = 0
			}
		}
		mx, my := m%mxx, m/mxx
		for ci := 0; ci < nComp; ci++ {
			hh, vv := 1, 1
			if ci == 0 {
				hh, vv = yh, yv
			}
			for j := 0; j < hh*vv; j++ {
				encodeBlock(ci, hh*mx+j%hh, vv*my+j/hh)
			}
		}
	}
	bw.flush()
	out.Write(bw.out)
	out.Write([]byte{0xFF, 0xD9})
	return out.Bytes()
}

func quantTable(scale int) [64]int {
	var q [64]int
	for k := range q {
		q[k] = min(255, max(1, scale*(1+k/4)))
	}
	return q
}

// stdRGBA is what DecodeFile gives without the fast path.
func stdRGBA(t *testing.T, data []byte) (*image.RGBA, error) {
	t.Helper()
	img, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	return ToRGBA(img), nil
}

// checkFast decodes data both ways: when the fast path takes the file,
// image/jpeg must decode it too, to the same pixels. It reports whether
// the fast path took it.
func checkFast(t *testing.T, name string, data []byte) bool {
	t.Helper()
	got, ok := decodeJPEGFast(nil, data)
	if !ok {
		return false
	}
	want, err := stdRGBA(t, data)
	if err != nil {
		t.Errorf("%s: the fast path decoded a file image/jpeg refuses (%v)", name, err)
		return true
	}
	if !got.Rect.Eq(want.Rect) {
		t.Errorf("%s: bounds %v, image/jpeg %v", name, got.Rect, want.Rect)
		return true
	}
	for i := range want.Pix {
		if got.Pix[i] != want.Pix[i] {
			p := i / 4
			t.Errorf("%s: pixel (%d, %d) channel %d is %d, image/jpeg gives %d", name, p%want.Rect.Dx(), p/want.Rect.Dx(), i%4, got.Pix[i], want.Pix[i])
			return true
		}
	}
	return true
}

// TestJPEGFastMatchesStd: every chroma layout, odd sizes, restart
// intervals, fine and coarse quantization, random large coefficients
// (outputs far outside 0-255), long codes: the fast decoder takes each file
// and gives image/jpeg's pixels exactly. Then Go's own encoder's files
// (standard tables), PIL's (optimized tables), and the VOC photos of the
// shared data when present.
func TestJPEGFastMatchesStd(t *testing.T) {
	layouts := []struct {
		gray   bool
		yh, yv int
	}{{true, 1, 1}, {false, 1, 1}, {false, 1, 2}, {false, 2, 1}, {false, 2, 2}, {false, 4, 1}, {false, 4, 2}}
	sizes := [][2]int{{1, 1}, {5, 3}, {8, 8}, {13, 21}, {16, 16}, {33, 17}, {64, 48}, {70, 35}}
	n := 0
	for li, l := range layouts {
		for si, sz := range sizes {
			for _, qs := range []int{1, 4, 40} {
				for _, rs := range []int{0, 1, 3} {
					for _, random := range []bool{false, true} {
						c := testJPEG{w: sz[0], h: sz[1], gray: l.gray, yh: l.yh, yv: l.yv, quant: quantTable(qs),
							restart: rs, random: random, seed: uint64(100*li + 10*si + qs)}
						name := fmt.Sprintf("gray=%v %dx%d %dx%d q%d rst%d random=%v", l.gray, l.yh, l.yv, sz[0], sz[1], qs, rs, random)
						if !checkFast(t, name, c.encode()) {
							t.Errorf("%s: the fast path gave up", name)
						}
						n++
					}
				}
			}
		}
	}

	// Go's encoder: 4:2:0 and grayscale with the standard's tables.
	rng := rand.New(rand.NewPCG(5, 5))
	for _, sz := range sizes {
		rgba := image.NewRGBA(image.Rect(0, 0, sz[0], sz[1]))
		gray := image.NewGray(rgba.Rect)
		for i := range rgba.Pix {
			rgba.Pix[i] = uint8(rng.IntN(256))
		}
		for i := range gray.Pix {
			gray.Pix[i] = uint8(i * 7)
		}
		for _, q := range []int{1, 75, 100} {
			for _, img := range []image.Image{rgba, gray} {
				var buf bytes.Buffer
				if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: q}); err != nil {
					t.Fatal(err)
				}
				name := fmt.Sprintf("image/jpeg %T %v q%d", img, sz, q)
				if !checkFast(t, name, buf.Bytes()) {
					t.Errorf("%s: the fast path gave up", name)
				}
				n++
			}
		}
	}

	// Another encoder's files (PIL/libjpeg-turbo, optimized Huffman
	// tables; testdata/gen_fixtures.py).
	pil, _ := filepath.Glob("testdata/img/pil_*.jpg")
	if len(pil) != 4 {
		t.Fatalf("%d PIL fixtures, want 4", len(pil))
	}
	for _, f := range pil {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !checkFast(t, f, data) {
			t.Errorf("%s: the fast path gave up", f)
		}
		n++
	}

	files, _ := filepath.Glob("../../shared/data/voc-sample/VOCdevkit/VOC2007/JPEGImages/*.jpg")
	took := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if checkFast(t, f, data) {
			took++
		}
	}
	t.Logf("%d files written here, by image/jpeg and by PIL; %d of %d VOC photos taken by the fast path (progressive ones are not)", n, took, len(files))
	if len(files) > 0 && took < len(files)/2 {
		t.Errorf("the fast path took only %d of %d VOC photos", took, len(files))
	}
}

// TestJPEGFastGivesUp: files outside the subset are left to image/jpeg,
// which decodes them as before (progressive, RGB, Adobe, 16-bit tables), or
// refuses them; and any cut or corrupted file either decodes to image/jpeg's
// pixels or is left to it.
func TestJPEGFastGivesUp(t *testing.T) {
	base := testJPEG{w: 40, h: 24, yh: 2, yv: 2, quant: quantTable(2), restart: 2, seed: 1}.encode()
	if _, ok := decodeJPEGFast(nil, base); !ok {
		t.Fatal("the base file is not taken")
	}
	prog, err := os.ReadFile("testdata/img/q444_progressive.jpg")
	if err != nil {
		t.Fatal(err)
	}
	edits := map[string][]byte{"progressive": prog}
	sof := bytes.Index(base, []byte{0xFF, 0xC0})
	rgb := append([]byte(nil), base...)
	rgb[sof+10], rgb[sof+13], rgb[sof+16] = 'R', 'G', 'B'
	sos := bytes.Index(rgb, []byte{0xFF, 0xDA})
	rgb[sos+5], rgb[sos+7], rgb[sos+9] = 'R', 'G', 'B'
	if _, err := jpeg.Decode(bytes.NewReader(rgb)); err != nil {
		t.Fatalf("the RGB file: %v", err)
	}
	edits["RGB component ids"] = rgb
	adobe := append([]byte{0xFF, 0xD8, 0xFF, 0xEE, 0, 14, 'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, 1}, base[2:]...)
	edits["Adobe marker"] = adobe
	eoi := append([]byte(nil), base[:len(base)-2]...)
	eoi = append(eoi, 0xFF, 0xFE, 0, 3, 'x', 0xFF, 0xD9) // a segment after the scan
	edits["segment after the scan"] = eoi
	// A table numbered 2 after SOF0 (baseline allows 0 and 1): image/jpeg
	// refuses the file.
	dcT, _ := testTables()
	th2 := append([]byte{0x02}, append(dcT.counts[:], dcT.vals...)...)
	at := bytes.Index(base, []byte{0xFF, 0xDA})
	bad := append(append(append([]byte(nil), base[:at]...), 0xFF, 0xC4, 0, byte(len(th2)+2)), th2...)
	bad = append(bad, base[at:]...)
	if _, err := jpeg.Decode(bytes.NewReader(bad)); err == nil {
		t.Fatal("image/jpeg takes a baseline file with Huffman table 2")
	}
	edits["baseline Huffman table 2"] = bad
	for name, data := range edits {
		if _, ok := decodeJPEGFast(nil, data); ok {
			t.Errorf("%s: the fast path took it", name)
		}
	}

	// Every cut, and bytes overwritten at every place: never a panic, and
	// a decoded image is image/jpeg's.
	taken := 0
	for cut := 0; cut < len(base); cut++ {
		if checkFast(t, fmt.Sprintf("cut at %d", cut), base[:cut]) {
			taken++
		}
	}
	if taken != 0 {
		t.Errorf("%d cut files decoded", taken)
	}
	rng := rand.New(rand.NewPCG(9, 9))
	for i := 0; i < 3000; i++ {
		data := append([]byte(nil), base...)
		for j := 0; j <= i%3; j++ {
			data[rng.IntN(len(data))] = byte(rng.IntN(256))
		}
		checkFast(t, fmt.Sprintf("edit %d", i), data)
	}
}

// FuzzJPEGFast: whatever the bytes, the fast path never panics, and what it
// decodes is image/jpeg's image.
func FuzzJPEGFast(f *testing.F) {
	f.Add(testJPEG{w: 17, h: 9, yh: 2, yv: 1, quant: quantTable(3), restart: 1, seed: 2}.encode())
	f.Add(testJPEG{w: 9, h: 9, gray: true, quant: quantTable(1), random: true, seed: 3}.encode())
	var buf bytes.Buffer
	img := image.NewRGBA(image.Rect(0, 0, 12, 10))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 13)
	}
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		if cfg, err := jpeg.DecodeConfig(bytes.NewReader(data)); err != nil || cfg.Width*cfg.Height > 1<<16 {
			return
		}
		checkFast(t, "fuzz", data)
	})
}
