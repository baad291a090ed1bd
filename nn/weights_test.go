package nn

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// weightsExpected is testdata/tiny_expected.json, written by
// gen_weights.py from the state dict it saves: every tensor's name, dtype,
// shape and values (converted to float32 by torch) in state-dict order.
type weightsExpected []struct {
	Name   string    `json:"name"`
	DType  DType     `json:"dtype"`
	Shape  []int     `json:"shape"`
	Values []float32 `json:"values"`
}

func loadWeightsExpected(t *testing.T) weightsExpected {
	t.Helper()
	raw, err := os.ReadFile("testdata/tiny_expected.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Tensors weightsExpected `json:"tensors"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Tensors) < 10 {
		t.Fatalf("tiny_expected.json holds %d tensors", len(f.Tensors))
	}
	return f.Tensors
}

// checkAgainstExpected compares a loaded state dict with the expected
// tensors, bit for bit: every dtype widens to float32 exactly as torch's
// .float() does. sortedNames: safetensors order instead of file order.
func checkAgainstExpected(t *testing.T, sd *StateDict, want weightsExpected, sortedNames bool) {
	t.Helper()
	var names []string
	for _, w := range want {
		names = append(names, w.Name)
	}
	if sortedNames {
		slices.Sort(names)
	}
	if got := sd.Names(); !slices.Equal(got, names) {
		t.Fatalf("names\n got %v\nwant %v", got, names)
	}
	for _, w := range want {
		g := sd.Get(w.Name)
		if g == nil {
			t.Fatalf("%s: missing", w.Name)
		}
		if g.Name != w.Name {
			t.Errorf("%s: tensor Name %q", w.Name, g.Name)
		}
		if sd.DType(w.Name) != w.DType {
			t.Errorf("%s: dtype %s, want %s", w.Name, sd.DType(w.Name), w.DType)
		}
		if !slices.Equal(g.Shape, w.Shape) {
			t.Errorf("%s: shape %v, want %v", w.Name, g.Shape, w.Shape)
			continue
		}
		for i := range w.Values {
			if math.Float32bits(g.Data[i]) != math.Float32bits(w.Values[i]) {
				t.Errorf("%s[%d] = %v, want %v", w.Name, i, g.Data[i], w.Values[i])
				break
			}
		}
	}
}

func TestLoadWeightsFixtures(t *testing.T) {
	want := loadWeightsExpected(t)
	for _, tc := range []struct {
		file   string
		sorted bool
	}{
		{"tiny.pth", false},
		{"tiny_p4.pth", false},
		{"tiny_ckpt.pth", false}, // nested under "state_dict", found automatically
		{"tiny.safetensors", true},
	} {
		t.Run(tc.file, func(t *testing.T) {
			sd, err := LoadWeights(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			checkAgainstExpected(t, sd, want, tc.sorted)
		})
	}
	sd, err := LoadWeights("testdata/tiny.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	if sd.Metadata["format"] != "pt" || sd.Metadata["source"] != "gen_weights.py" {
		t.Errorf("metadata %v", sd.Metadata)
	}
}

// ReadWeights reads the same state dict from memory as LoadWeights from
// the file (an embedded model has no path).
func TestReadWeightsFromMemory(t *testing.T) {
	want := loadWeightsExpected(t)
	for _, tc := range []struct {
		file   string
		sorted bool
	}{{"tiny.pth", false}, {"tiny_ckpt.pth", false}, {"tiny.safetensors", true}} {
		raw, err := os.ReadFile(filepath.Join("testdata", tc.file))
		if err != nil {
			t.Fatal(err)
		}
		sd, err := ReadWeights(bytes.NewReader(raw), int64(len(raw)), "embedded/"+tc.file)
		if err != nil {
			t.Fatal(err)
		}
		checkAgainstExpected(t, sd, want, tc.sorted)
	}
	if _, err := ReadWeights(bytes.NewReader([]byte("junk")), 4, "mem.bin"); err == nil || !strings.Contains(err.Error(), "mem.bin") {
		t.Errorf("junk: error %v, want one naming mem.bin", err)
	}
}

func TestLoadWeightsRejects(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.bin")
	os.WriteFile(junk, []byte("hello, this is not a weight file"), 0o644)
	empty := filepath.Join(dir, "empty.bin")
	os.WriteFile(empty, nil, 0o644)
	for _, tc := range []struct{ path, want string }{
		{"testdata/legacy.pth", "legacy (pre-1.6, non-zip) torch.save format"},
		{"testdata/malicious.pth", "global posix.system is not allowed"},
		{junk, "unknown weight format"},
		{empty, "unknown weight format"},
		{filepath.Join(dir, "absent.pth"), "no such file"},
	} {
		_, err := LoadWeights(tc.path)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.path) {
			t.Errorf("%s: error %v, want one naming the file and containing %q", tc.path, err, tc.want)
		}
	}
}

func TestDetectFormat(t *testing.T) {
	for _, tc := range []struct {
		head []byte
		want weightFormat
	}{
		{[]byte("PK\x03\x04rest"), formatZip},
		{[]byte("\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8"), formatLegacyPth},
		{[]byte("\x10\x00\x00\x00\x00\x00\x00\x00{\"a\":"), formatSafetensors},
		// A safetensors header length whose first byte is 0x80 is not a pickle.
		{[]byte("\x80\x01\x00\x00\x00\x00\x00\x00{\"a\":"), formatSafetensors},
		{[]byte("{}"), formatUnknown},
		{nil, formatUnknown},
	} {
		if got := detectFormat(tc.head); got != tc.want {
			t.Errorf("detectFormat(%q) = %d, want %d", tc.head, got, tc.want)
		}
	}
}

// halfRef is an independent binary16 decoder: (-1)^s * 2^(e-15) * (1 + m/1024)
// for normal numbers, (-1)^s * 2^-14 * m/1024 for subnormals.
func halfRef(h uint16) float64 {
	s, e, m := h>>15, int(h>>10)&0x1f, float64(h&0x3ff)
	var v float64
	switch e {
	case 0:
		v = math.Ldexp(m/1024, -14)
	case 31:
		if m != 0 {
			return math.NaN()
		}
		v = math.Inf(1)
	default:
		v = math.Ldexp(1+m/1024, e-15)
	}
	if s != 0 {
		v = -v
	}
	return v
}

func TestHalfToFloat32AllValues(t *testing.T) {
	for h := 0; h < 1<<16; h++ {
		got, want := float64(halfToFloat32(uint16(h))), halfRef(uint16(h))
		if math.IsNaN(want) != math.IsNaN(got) || (!math.IsNaN(want) && got != want) {
			t.Fatalf("half 0x%04x: got %v, want %v", h, got, want)
		}
		if h == 0x8000 && !math.Signbit(got) {
			t.Fatalf("half 0x8000 lost the sign of -0")
		}
	}
}

func TestDecodeElements(t *testing.T) {
	// Each dtype's bytes for the values 1 and -2 (or 1 and 0 for
	// unsigned/bool), little- and big-endian.
	for _, tc := range []struct {
		d      DType
		le, be []byte
		want   []float32
	}{
		{F32, []byte{0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0}, []byte{0x3f, 0x80, 0, 0, 0xc0, 0, 0, 0}, []float32{1, -2}},
		{F16, []byte{0, 0x3c, 0, 0xc0}, []byte{0x3c, 0, 0xc0, 0}, []float32{1, -2}},
		{BF16, []byte{0x80, 0x3f, 0, 0xc0}, []byte{0x3f, 0x80, 0xc0, 0}, []float32{1, -2}},
		{F64, []byte{0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0, 0, 0, 0, 0, 0, 0, 0xc0},
			[]byte{0x3f, 0xf0, 0, 0, 0, 0, 0, 0, 0xc0, 0, 0, 0, 0, 0, 0, 0}, []float32{1, -2}},
		{I64, []byte{1, 0, 0, 0, 0, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
			[]byte{0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe}, []float32{1, -2}},
		{I32, []byte{1, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff}, []byte{0, 0, 0, 1, 0xff, 0xff, 0xff, 0xfe}, []float32{1, -2}},
		{I16, []byte{1, 0, 0xfe, 0xff}, []byte{0, 1, 0xff, 0xfe}, []float32{1, -2}},
		{I8, []byte{1, 0xfe}, []byte{1, 0xfe}, []float32{1, -2}},
		{U8, []byte{1, 0xfe}, []byte{1, 0xfe}, []float32{1, 254}},
		{BOOL, []byte{1, 0}, []byte{1, 0}, []float32{1, 0}},
	} {
		for _, be := range []bool{false, true} {
			src := tc.le
			if be {
				src = tc.be
			}
			got := make([]float32, 2)
			decodeElements(got, src, tc.d, be)
			if !slices.Equal(got, tc.want) {
				t.Errorf("%s bigEndian=%v: got %v, want %v", tc.d, be, got, tc.want)
			}
		}
	}
}
