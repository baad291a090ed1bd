package nn

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/seed477ab429/multilabel/autograd"
)

// ReadWeightsInto, with float32 data read straight into the tensors'
// memory (readF32Direct) and with the reference path (decodeElements
// chunk by chunk), gives the bits ReadWeights + LoadInto give.

// sameBits reports whether a and b hold the same float32 bit patterns
// (NaN payloads and the sign of zero included).
func sameBits(a, b []float32) bool {
	return slices.EqualFunc(a, b, func(x, y float32) bool { return math.Float32bits(x) == math.Float32bits(y) })
}

// bothPaths runs f with the direct float32 path on (where the machine
// allows it) and off.
func bothPaths(t *testing.T, f func(t *testing.T)) {
	saved := readF32Direct
	defer func() { readF32Direct = saved }()
	for _, direct := range []bool{saved, false} {
		readF32Direct = direct
		name := "reference"
		if direct {
			name = "direct"
		}
		t.Run(name, f)
	}
}

// zerosLike is a model whose tensors have sd's names and shapes.
func zerosLike(sd *StateDict) map[string]*autograd.Tensor {
	dst := map[string]*autograd.Tensor{}
	for _, name := range sd.Names() {
		dst[name] = autograd.Zeros(sd.Get(name).Shape...)
	}
	return dst
}

func TestReadWeightsInto(t *testing.T) {
	// Every float32 bit pattern class: NaNs with payloads, infinities,
	// ±0, subnormals, and random bits, in tensors larger than one 1 MiB
	// chunk of the reference path.
	rng := rand.New(rand.NewPCG(3, 4))
	special := []uint32{0x7fc00000, 0x7f800001, 0xffc12345, 0x7f800000, 0xff800000, 0, 0x80000000, 1, 0x807fffff}
	big := make([]byte, 4*(300_000))
	for i := 0; i < len(big); i += 4 {
		v := rng.Uint32()
		if i/4 < len(special) {
			v = special[i/4]
		}
		binary.LittleEndian.PutUint32(big[i:], v)
	}
	random := stBytes(`{"a.w": {"dtype": "F32", "shape": [300, 1000], "data_offsets": [0, 1200000]},
		"b": {"dtype": "F32", "shape": [0, 3], "data_offsets": [1200000, 1200000]},
		"s": {"dtype": "F32", "shape": [], "data_offsets": [1200000, 1200004]}}`, append(big, 0, 0, 0x80, 0xbf))
	files := map[string][]byte{"random.safetensors": random}
	for _, f := range []string{"tiny.safetensors", "tiny.pth", "tiny_ckpt.pth"} {
		raw, err := os.ReadFile(filepath.Join("testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		files[f] = raw
	}
	// One tensor of each dtype (the reference path converts them all).
	files["dtypes.safetensors"] = stBytes(`{"f32": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
		"f16": {"dtype": "F16", "shape": [2], "data_offsets": [8, 12]},
		"i64": {"dtype": "I64", "shape": [1], "data_offsets": [12, 20]}}`,
		[]byte{0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0, 0, 0x3c, 0, 0xc0, 7, 0, 0, 0, 0, 0, 0, 0})
	bothPaths(t, func(t *testing.T) {
		for name, raw := range files {
			want, err := ReadWeights(bytes.NewReader(raw), int64(len(raw)), name)
			if err != nil {
				t.Fatal(err)
			}
			dst := zerosLike(want)
			if err := ReadWeightsInto(dst, bytes.NewReader(raw), int64(len(raw)), name); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			for n, d := range dst {
				if !sameBits(d.Data, want.Get(n).Data) {
					t.Errorf("%s: %s differs from ReadWeights", name, n)
				}
			}
			// The same from a stream that arrives in pieces of random sizes.
			dst = zerosLike(want)
			if err := ReadWeightsFrom(dst, &pieces{b: raw, rng: rng}, name); err != nil {
				t.Fatalf("%s as a stream: %v", name, err)
			}
			for n, d := range dst {
				if !sameBits(d.Data, want.Get(n).Data) {
					t.Errorf("%s as a stream: %s differs from ReadWeights", name, n)
				}
			}
		}
		if got := zerosLike(mustRead(t, random)); ReadWeightsInto(got, bytes.NewReader(random), int64(len(random)), "r") != nil ||
			math.Float32bits(got["a.w"].Data[2]) != 0xffc12345 || got["s"].Data[0] != -1 {
			t.Errorf("random: NaN payload %#x, scalar %v", math.Float32bits(got["a.w"].Data[2]), got["s"].Data[0])
		}
	})
}

// pieces is a stream that returns b in pieces of 1 to 70000 bytes.
type pieces struct {
	b   []byte
	rng *rand.Rand
}

func (p *pieces) Read(out []byte) (int, error) {
	if len(p.b) == 0 {
		return 0, io.EOF
	}
	n := copy(out[:min(len(out), 1+p.rng.IntN(70000))], p.b)
	p.b = p.b[n:]
	return n, nil
}

func mustRead(t *testing.T, raw []byte) *StateDict {
	t.Helper()
	sd, err := ReadWeights(bytes.NewReader(raw), int64(len(raw)), "mem")
	if err != nil {
		t.Fatal(err)
	}
	return sd
}

// The strict check happens before any data is read: the same *LoadError
// as LoadInto, and the model untouched. Broken files name the file.
func TestReadWeightsIntoErrors(t *testing.T) {
	file := stBytes(`{"conv.weight": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]},
		"bn.bias": {"dtype": "F32", "shape": [2], "data_offsets": [16, 24]},
		"fc.weight": {"dtype": "F32", "shape": [3], "data_offsets": [24, 36]},
		"extra.x": {"dtype": "F32", "shape": [1], "data_offsets": [36, 40]}}`, make([]byte, 40))
	for i := range 10 {
		binary.LittleEndian.PutUint32(file[len(file)-40+4*i:], math.Float32bits(float32(i+1)))
	}
	model := func() map[string]*autograd.Tensor {
		return map[string]*autograd.Tensor{
			"conv.weight": autograd.Zeros(2, 2), "bn.bias": autograd.Zeros(2), "fc.weight": autograd.Zeros(2),
			"bn.weight": autograd.Zeros(2), "head.bias": autograd.Zeros(1),
		}
	}
	dst := model()
	err := ReadWeightsInto(dst, bytes.NewReader(file), int64(len(file)), "m.safetensors")
	want := LoadInto(model(), mustRead(t, file), true)
	var le *LoadError
	if !errors.As(err, &le) || want == nil || err.Error() != want.Error() {
		t.Fatalf("error %v, want LoadInto's %v", err, want)
	}
	if dst["conv.weight"].Data[0] != 0 || dst["bn.bias"].Data[0] != 0 {
		t.Error("a failed strict load read data")
	}

	exact := map[string]*autograd.Tensor{"conv.weight": autograd.Zeros(2, 2), "bn.bias": autograd.Zeros(2),
		"fc.weight": autograd.Zeros(3), "extra.x": autograd.Zeros(1)}
	for _, n := range []int{0, 7, 20, len(file) - 1} {
		err := ReadWeightsInto(exact, bytes.NewReader(file[:n]), int64(n), "cut.safetensors")
		if err == nil || !strings.Contains(err.Error(), "cut.safetensors") {
			t.Errorf("%d bytes: error %v, want one naming the file", n, err)
		}
	}
	// A reader shorter than the size it claims: the data read fails.
	err = ReadWeightsInto(exact, bytes.NewReader(file[:len(file)-4]), int64(len(file)), "short.safetensors")
	if err == nil || !strings.Contains(err.Error(), `short.safetensors: safetensors: tensor "extra.x": reading data`) {
		t.Errorf("short reader: %v", err)
	}
	if err := ReadWeightsInto(exact, bytes.NewReader(file), int64(len(file)), "ok"); err != nil ||
		!slices.Equal(exact["fc.weight"].Data, []float32{7, 8, 9}) || exact["extra.x"].Data[0] != 10 {
		t.Errorf("exact: %v %v", err, exact["fc.weight"].Data)
	}
	if err := ReadWeightsInto(exact, bytes.NewReader([]byte("junk")), 4, "mem.bin"); err == nil || !strings.Contains(err.Error(), "mem.bin: unknown weight format") {
		t.Errorf("junk: %v", err)
	}

	// From a stream: the same strict check, before any data is read ...
	dst = model()
	if err := ReadWeightsFrom(dst, bytes.NewReader(file), "m.safetensors"); err == nil || err.Error() != want.Error() {
		t.Errorf("stream: error %v, want LoadInto's %v", err, want)
	}
	if dst["conv.weight"].Data[0] != 0 || dst["bn.bias"].Data[0] != 0 {
		t.Error("a failed strict load from a stream read data")
	}
	// ... a stream cut anywhere, or with bytes after the last tensor, is refused.
	for _, n := range []int{0, 5, 8, 20, len(file) - 40, len(file) - 1} {
		err := ReadWeightsFrom(exact, bytes.NewReader(file[:n]), "cut.safetensors")
		if err == nil || !strings.Contains(err.Error(), "cut.safetensors") {
			t.Errorf("stream of %d bytes: error %v, want one naming the file", n, err)
		}
	}
	if err := ReadWeightsFrom(exact, bytes.NewReader(append(slices.Clone(file), 0)), "long.safetensors"); err == nil ||
		!strings.Contains(err.Error(), "long.safetensors: safetensors: data continues after the last tensor") {
		t.Errorf("stream with a byte after the data: %v", err)
	}
	if err := ReadWeightsFrom(exact, strings.NewReader("junk"), "s.bin"); err == nil || !strings.Contains(err.Error(), "s.bin: unknown weight format") {
		t.Errorf("junk stream: %v", err)
	}
	hostile := binary.LittleEndian.AppendUint64(nil, 90<<20) // a 90 MB header that never comes
	if err := ReadWeightsFrom(exact, bytes.NewReader(append(hostile, '{')), "h.safetensors"); err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("stream with a header length past its end: %v", err)
	}
}
