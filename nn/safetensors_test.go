package nn

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/seed477ab429/multilabel/autograd"
)

// stBytes assembles a safetensors file from a header and a data region.
func stBytes(header string, data []byte) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	b = append(b, header...)
	return append(b, data...)
}

func TestSafetensorsRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	sd := NewStateDict()
	sd.Set("b.weight", autograd.RandN(rng, 3, 2, 1, 5))
	sd.Set("a.bias", autograd.RandN(rng, 7))
	sd.Set("scalar", autograd.Scalar(-3.5))
	sd.Set("empty", autograd.Zeros(0, 4))
	sd.Set("special", autograd.New([]float32{float32(math.Inf(-1)), float32(math.NaN()), -0.0, math.SmallestNonzeroFloat32}, 4))
	sd.Metadata["format"] = "pt"
	path := filepath.Join(t.TempDir(), "w.safetensors")
	// Write twice: the second write replaces the first atomically.
	for range 2 {
		if err := SaveSafetensors(path, sd); err != nil {
			t.Fatal(err)
		}
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("directory holds %d files after the write, want 1 (temp file left?)", len(entries))
	}
	raw, _ := os.ReadFile(path)
	if n := binary.LittleEndian.Uint64(raw); n%8 != 0 {
		t.Errorf("header length %d is not padded to 8", n)
	}
	back, err := LoadWeights(path)
	if err != nil {
		t.Fatal(err)
	}
	want := sd.Names()
	slices.Sort(want)
	if !slices.Equal(back.Names(), want) {
		t.Fatalf("names %v, want %v", back.Names(), want)
	}
	for _, name := range want {
		a, b := sd.Get(name), back.Get(name)
		if !slices.Equal(a.Shape, b.Shape) || len(a.Data) != len(b.Data) {
			t.Fatalf("%s: shape %v, want %v", name, b.Shape, a.Shape)
		}
		for i := range a.Data {
			if math.Float32bits(a.Data[i]) != math.Float32bits(b.Data[i]) {
				t.Fatalf("%s[%d] = %v, want %v", name, i, b.Data[i], a.Data[i])
			}
		}
		if back.DType(name) != F32 {
			t.Errorf("%s: dtype %s", name, back.DType(name))
		}
	}
	if back.Metadata["format"] != "pt" || len(back.Metadata) != 1 {
		t.Errorf("metadata %v", back.Metadata)
	}

	// The fixture written by Python survives our write/read unchanged.
	fix, err := LoadSafetensors("testdata/tiny.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	if err := SaveSafetensors(path, fix); err != nil {
		t.Fatal(err)
	}
	again, err := LoadSafetensors(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range fix.Names() {
		if !slices.Equal(fix.Get(name).Data, again.Get(name).Data) {
			t.Errorf("%s changed in the round trip", name)
		}
	}
}

func TestSaveSafetensorsErrors(t *testing.T) {
	sd := NewStateDict()
	sd.Set("__metadata__", autograd.Zeros(1))
	if err := SaveSafetensors(filepath.Join(t.TempDir(), "x.safetensors"), sd); err == nil ||
		!strings.Contains(err.Error(), "reserved") {
		t.Errorf("reserved name: %v", err)
	}
	if err := SaveSafetensors(filepath.Join(t.TempDir(), "no", "such", "dir.safetensors"), NewStateDict()); err == nil {
		t.Error("writing into a missing directory succeeded")
	}
}

func TestSafetensorsValidation(t *testing.T) {
	f32 := func(n int) []byte { return make([]byte, 4*n) }
	fixture, err := os.ReadFile("testdata/tiny.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	hugeLen := binary.LittleEndian.AppendUint64(nil, 1<<40)
	for _, tc := range []struct {
		name string
		file []byte
		want []string // substrings of the error, besides the file name
	}{
		{"short", []byte{1, 2, 3}, []string{"too short"}},
		{"header past end", append(hugeLen, "{}"...), []string{"exceeds the file size"}},
		{"zero header", stBytes("", nil), []string{"header length is 0"}},
		{"truncated", fixture[:len(fixture)-3], []string{"data region"}},
		{"bad JSON", stBytes(`{"a": {"dtype": "F32",`, nil), []string{"not valid JSON"}},
		{"not an object", stBytes(`[1, 2]`, nil), []string{"not valid JSON"}},
		{"null", stBytes(`null    `, nil), []string{"not a JSON object"}},
		{"unknown dtype", stBytes(`{"w": {"dtype": "F8_E4M3", "shape": [2], "data_offsets": [0, 2]}}`, make([]byte, 2)),
			[]string{`tensor "w"`, "unsupported dtype"}},
		{"no dtype", stBytes(`{"w": {"shape": [1], "data_offsets": [0, 4]}}`, f32(1)), []string{`tensor "w"`, "no dtype"}},
		{"no shape", stBytes(`{"w": {"dtype": "F32", "data_offsets": [0, 4]}}`, f32(1)), []string{`tensor "w"`, "no shape"}},
		{"unknown field", stBytes(`{"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4], "x": 1}}`, f32(1)),
			[]string{`tensor "w"`, "unknown field"}},
		{"negative dim", stBytes(`{"w": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}`, f32(1)),
			[]string{`tensor "w"`, "out of range"}},
		{"fractional dim", stBytes(`{"w": {"dtype": "F32", "shape": [1.5], "data_offsets": [0, 4]}}`, f32(1)),
			[]string{`tensor "w"`}},
		{"huge shape", stBytes(`{"w": {"dtype": "F32", "shape": [2000000000, 2000000000, 2000000000], "data_offsets": [0, 4]}}`, f32(1)),
			[]string{`tensor "w"`, "more bytes than the file holds"}},
		{"shape vs size", stBytes(`{"w": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 12]}}`, f32(3)),
			[]string{`tensor "w"`, "needs 16 bytes", "hold 12"}},
		{"offsets out of range", stBytes(`{"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}`, f32(1)),
			[]string{`tensor "w"`, "out of range"}},
		{"offsets reversed", stBytes(`{"w": {"dtype": "F32", "shape": [1], "data_offsets": [4, 0]}}`, f32(1)),
			[]string{`tensor "w"`, "out of range"}},
		{"negative offset", stBytes(`{"w": {"dtype": "F32", "shape": [1], "data_offsets": [-4, 0]}}`, f32(1)),
			[]string{`tensor "w"`}},
		{"three offsets", stBytes(`{"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4, 8]}}`, f32(2)),
			[]string{`tensor "w"`, "[begin, end]"}},
		{"overlap", stBytes(`{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
			"b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}`, f32(3)),
			[]string{`tensor "b"`, `overlap tensor "a"`}},
		{"gap", stBytes(`{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
			"b": {"dtype": "F32", "shape": [1], "data_offsets": [8, 12]}}`, f32(3)),
			[]string{`tensor "b"`, "unused"}},
		{"uncovered tail", stBytes(`{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}`, f32(2)),
			[]string{"cover 4 bytes", "holds 8"}},
		{"bad metadata", stBytes(`{"__metadata__": {"a": 1}}`, nil), []string{"__metadata__"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := readSafetensors(bytes.NewReader(tc.file), int64(len(tc.file)), "bad.safetensors")
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range append(tc.want, "bad.safetensors") {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// Every truncation of a valid file is an error, never a panic or a bogus
// state dict.
func TestSafetensorsTruncations(t *testing.T) {
	fixture, err := os.ReadFile("testdata/tiny.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	for n := range len(fixture) {
		if _, err := readSafetensors(bytes.NewReader(fixture[:n]), int64(n), "cut.safetensors"); err == nil {
			t.Fatalf("truncated to %d of %d bytes: no error", n, len(fixture))
		}
	}
	if _, err := readSafetensors(bytes.NewReader(fixture), int64(len(fixture)), "whole"); err != nil {
		t.Fatal(err)
	}
}

func TestSafetensorsAllDTypes(t *testing.T) {
	// One tensor of each readable dtype holding (1, -2) or (1, 0).
	data := []byte{
		0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0, // F32
		0, 0x3c, 0, 0xc0, // F16
		0x80, 0x3f, 0, 0xc0, // BF16
		1, 0, 0xfe, 0xff, // I16
		1, 0xfe, // I8
		1, 0, // BOOL
	}
	hdr := `{"f32": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
		"f16": {"dtype": "F16", "shape": [2], "data_offsets": [8, 12]},
		"bf16": {"dtype": "BF16", "shape": [1, 2], "data_offsets": [12, 16]},
		"i16": {"dtype": "I16", "shape": [2], "data_offsets": [16, 20]},
		"i8": {"dtype": "I8", "shape": [2], "data_offsets": [20, 22]},
		"bool": {"dtype": "BOOL", "shape": [2, 1], "data_offsets": [22, 24]}}`
	file := stBytes(hdr, data)
	sd, err := readSafetensors(bytes.NewReader(file), int64(len(file)), "all.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string][]float32{
		"f32": {1, -2}, "f16": {1, -2}, "bf16": {1, -2}, "i16": {1, -2}, "i8": {1, -2}, "bool": {1, 0},
	} {
		if got := sd.Get(name).Data; !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", name, got, want)
		}
		if string(sd.DType(name)) != strings.ToUpper(name) {
			t.Errorf("%s: dtype %s", name, sd.DType(name))
		}
	}
}
