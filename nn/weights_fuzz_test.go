package nn

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/seed477ab429/multilabel/autograd"
)

// Fuzz targets for the parsers that read untrusted bytes. `go test` runs
// only the seeds; explore with, e.g.,
//
//	go test ./nn/ -run '^$' -fuzz '^FuzzSafetensors$' -fuzztime 30s
//
// Properties: no panic, no allocation beyond what the input can back, and
// every accepted file is internally consistent.

// fuzzSeeds adds a file and some truncations of it.
func fuzzSeeds(f *testing.F, data []byte) {
	f.Add(data)
	for _, n := range []int{0, 1, 8, 9, len(data) / 3, len(data) / 2, len(data) - 1} {
		if n >= 0 && n < len(data) {
			f.Add(data[:n])
		}
	}
}

func fuzzReadFile(f *testing.F, name string) []byte {
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		f.Fatal(err)
	}
	return b
}

func FuzzSafetensors(f *testing.F) {
	fuzzSeeds(f, fuzzReadFile(f, "tiny.safetensors"))
	f.Add(stBytes(`{"a": {"dtype": "F16", "shape": [1], "data_offsets": [0, 2]}, "__metadata__": {"k": "v"}}`, []byte{0, 0x3c}))
	f.Add(stBytes(`{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
		"b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}`, make([]byte, 12)))
	f.Fuzz(func(t *testing.T, data []byte) {
		sd, err := readSafetensors(bytes.NewReader(data), int64(len(data)), "fuzz.safetensors")
		if err != nil {
			return
		}
		var bytesUsed int
		for _, name := range sd.Names() {
			bytesUsed += sd.Get(name).Numel() * sd.DType(name).Size()
		}
		if bytesUsed > len(data) {
			t.Fatalf("accepted tensors of %d bytes from a %d-byte file", bytesUsed, len(data))
		}
		// Read straight into a model of the same shapes: the same bits.
		dst := map[string]*autograd.Tensor{}
		for _, name := range sd.Names() {
			dst[name] = autograd.Zeros(sd.Get(name).Shape...)
		}
		if err := ReadWeightsInto(dst, bytes.NewReader(data), int64(len(data)), "fuzz.safetensors"); err != nil {
			t.Fatalf("ReadWeights accepted the file, ReadWeightsInto: %v", err)
		}
		for name, d := range dst {
			if !sameBits(d.Data, sd.Get(name).Data) {
				t.Fatalf("%s: ReadWeightsInto and ReadWeights differ", name)
			}
		}
		// And from a stream.
		for _, d := range dst {
			clear(d.Data)
		}
		if err := ReadWeightsFrom(dst, bytes.NewReader(data), "fuzz.safetensors"); err != nil {
			t.Fatalf("ReadWeights accepted the file, ReadWeightsFrom: %v", err)
		}
		for name, d := range dst {
			if !sameBits(d.Data, sd.Get(name).Data) {
				t.Fatalf("%s: ReadWeightsFrom and ReadWeights differ", name)
			}
		}
	})
}

// FuzzSafetensorsHeader drives the header validator alone, so the fuzzer
// need not keep the 8-byte length in step with the JSON.
func FuzzSafetensorsHeader(f *testing.F) {
	raw := fuzzReadFile(f, "tiny.safetensors")
	n := int(raw[0]) | int(raw[1])<<8
	f.Add(raw[8:8+n], int64(len(raw)-8-n))
	f.Add([]byte(`{"w": {"dtype": "I64", "shape": [], "data_offsets": [0, 8]}}`), int64(8))
	f.Add([]byte(`{"w": {"dtype": "F32", "shape": [0, 3], "data_offsets": [0, 0]}}`), int64(0))
	f.Fuzz(func(t *testing.T, hdr []byte, dataSize int64) {
		if dataSize < 0 {
			dataSize = -dataSize
		}
		entries, _, err := parseSafetensorsHeader(hdr, dataSize)
		if err != nil {
			return
		}
		// Accepted entries tile the data region exactly.
		var covered int64
		for _, e := range entries {
			numel := int64(1)
			for _, d := range e.shape {
				numel *= int64(d)
			}
			if e.end-e.begin != numel*int64(e.dtype.Size()) || e.begin < 0 || e.end > dataSize {
				t.Fatalf("entry %+v inconsistent with data size %d", e, dataSize)
			}
			covered += e.end - e.begin
		}
		if covered != dataSize {
			t.Fatalf("entries cover %d of %d bytes", covered, dataSize)
		}
	})
}
