//go:build !js

package nn

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
)

// pthTensor describes one tensor of a hand-built checkpoint.
type pthTensor struct {
	name, storage, key string // storage: "FloatStorage", ...
	numel, offset      int32
	size, stride       []int32
}

// pklStateDict writes the protocol-2 pickle torch.save makes for an
// OrderedDict of tensors (see the pickletools listing of tiny.pth).
func pklStateDict(ts []pthTensor) []byte {
	ints := func(v []int32) []byte {
		b := op(opMARK)
		for _, x := range v {
			b = append(b, pkInt(x)...)
		}
		return append(b, opTUPLE)
	}
	b := pk(pkProto2, pkGlobal("collections", "OrderedDict"), op(opEMPTY_TUPLE), op(opREDUCE), op(opMARK))
	for _, t := range ts {
		b = pk(b, pkStr(t.name), pkGlobal("torch._utils", "_rebuild_tensor_v2"), op(opMARK),
			op(opMARK), pkStr("storage"), pkGlobal("torch", t.storage), pkStr(t.key), pkStr("cpu"), pkInt(t.numel), op(opTUPLE),
			op(opBINPERSID), pkInt(t.offset), ints(t.size), ints(t.stride), op(opNEWFALSE),
			pkGlobal("collections", "OrderedDict"), op(opEMPTY_TUPLE), op(opREDUCE), op(opTUPLE), op(opREDUCE))
	}
	return pk(b, op(opSETITEMS), op(opSTOP))
}

// pthZip writes a zip like torch.save's (entries under archive/ unless
// names say otherwise), stored or deflated.
func pthZip(t *testing.T, files map[string][]byte, method uint16) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	names := make([]string, 0, len(files))
	for k := range files {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, name := range names {
		f, err := w.CreateHeader(&zip.FileHeader{Name: name, Method: method})
		if err != nil {
			t.Fatal(err)
		}
		f.Write(files[name])
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func readPthBytes(b []byte, key string) (*StateDict, error) {
	return readPth(bytes.NewReader(b), int64(len(b)), "test.pth", key)
}

func f32Bytes(bo binary.AppendByteOrder, v ...float32) []byte {
	var b []byte
	for _, x := range v {
		b = bo.AppendUint32(b, math.Float32bits(x))
	}
	return b
}

func TestPthHandBuilt(t *testing.T) {
	// One storage of 6 floats seen as: the whole [2,3]; its transpose; the
	// second row (offset 3); and a 0-d element.
	ts := []pthTensor{
		{"m", "FloatStorage", "0", 6, 0, []int32{2, 3}, []int32{3, 1}},
		{"mT", "FloatStorage", "0", 6, 0, []int32{3, 2}, []int32{1, 3}},
		{"row1", "FloatStorage", "0", 6, 3, []int32{3}, []int32{1}},
		{"x", "FloatStorage", "0", 6, 5, nil, nil},
		{"h", "HalfStorage", "1", 2, 0, []int32{2}, []int32{1}},
	}
	for _, tc := range []struct {
		name   string
		bo     binary.AppendByteOrder
		order  string // byteorder entry; "" leaves it out
		method uint16
	}{
		{"little", binary.LittleEndian, "little", zip.Store},
		{"no byteorder", binary.LittleEndian, "", zip.Store},
		{"big", binary.BigEndian, "big", zip.Store},
		{"deflated", binary.LittleEndian, "little", zip.Deflate},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string][]byte{
				"archive/data.pkl": pklStateDict(ts),
				"archive/data/0":   f32Bytes(tc.bo, 0, 1, 2, 3, 4, 5),
				"archive/data/1":   tc.bo.AppendUint16(tc.bo.AppendUint16(nil, 0x3c00), 0xc000), // 1, -2
				"archive/version":  []byte("3\n"),
			}
			if tc.order != "" {
				files["archive/byteorder"] = []byte(tc.order)
			}
			sd, err := readPthBytes(pthZip(t, files, tc.method), "")
			if err != nil {
				t.Fatal(err)
			}
			for name, want := range map[string][]float32{
				"m": {0, 1, 2, 3, 4, 5}, "mT": {0, 3, 1, 4, 2, 5}, "row1": {3, 4, 5}, "x": {5}, "h": {1, -2},
			} {
				if got := sd.Get(name).Data; !slices.Equal(got, want) {
					t.Errorf("%s = %v, want %v", name, got, want)
				}
			}
			if !slices.Equal(sd.Names(), []string{"m", "mT", "row1", "x", "h"}) || sd.Get("x").Dims() != 0 {
				t.Errorf("names %v, x shape %v", sd.Names(), sd.Get("x").Shape)
			}
		})
	}
}

func TestPthErrors(t *testing.T) {
	good := []pthTensor{{"w", "FloatStorage", "0", 2, 0, []int32{2}, []int32{1}}}
	base := func(ts []pthTensor) map[string][]byte {
		return map[string][]byte{"archive/data.pkl": pklStateDict(ts), "archive/data/0": f32Bytes(binary.LittleEndian, 1, 2)}
	}
	with := func(m map[string][]byte, k string, v []byte) map[string][]byte {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	for _, tc := range []struct {
		name  string
		files map[string][]byte
		want  string
	}{
		{"view past storage", base([]pthTensor{{"w", "FloatStorage", "0", 2, 1, []int32{2}, []int32{1}}}),
			`tensor "w": size [2], stride [1] at offset 1 reach element 2 of a storage of 2`},
		{"stride past storage", base([]pthTensor{{"w", "FloatStorage", "0", 2, 0, []int32{2, 2}, []int32{2, 1}}}),
			`tensor "w"`},
		{"storage size", base([]pthTensor{{"w", "FloatStorage", "0", 3, 0, []int32{3}, []int32{1}}}),
			`storage "0": F32[3] needs 12 bytes, the archive entry holds 8`},
		{"storage missing", with(base(good), "archive/data/0", nil), "no entry archive/data/0"},
		{"dtype clash", base([]pthTensor{good[0], {"v", "HalfStorage", "0", 4, 0, []int32{4}, []int32{1}}}),
			`storage "0" is used as F32[2] and F16[4]`},
		{"unknown storage", base([]pthTensor{{"w", "ComplexFloatStorage", "0", 1, 0, []int32{1}, []int32{1}}}),
			"global torch.ComplexFloatStorage is not allowed"},
		{"size/stride lengths", base([]pthTensor{{"w", "FloatStorage", "0", 2, 0, []int32{2}, []int32{1, 1}}}),
			"differ in length"},
		{"negative size", base([]pthTensor{{"w", "FloatStorage", "0", 2, 0, []int32{-2}, []int32{1}}}),
			"size[0] is not an int"},
		{"no data.pkl", with(base(good), "archive/data.pkl", nil), "found 0"},
		{"two roots", with(base(good), "other/data.pkl", pklStateDict(good)), "found 2"},
		{"TorchScript", with(base(good), "archive/constants.pkl", []byte{0x80}), "TorchScript"},
		{"bad byteorder", with(base(good), "archive/byteorder", []byte("middle")), `byteorder is "middle"`},
		{"not a dict", with(base(good), "archive/data.pkl", pk(pkProto2, op(opEMPTY_LIST), op(opSTOP))),
			"holds a list, not a dict"},
		{"no tensor dict", with(base(good), "archive/data.pkl", pk(pkProto2, op(opEMPTY_DICT), pkStr("epoch"), op(opBININT1, 3), op(opSETITEM), op(opSTOP))),
			`no dict of tensors found (tried [state_dict model`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := readPthBytes(pthZip(t, tc.files, zip.Store), "")
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "test.pth") {
				t.Fatalf("error %v, want one naming test.pth and containing %q", err, tc.want)
			}
		})
	}
}

func TestPthKeys(t *testing.T) {
	want := loadWeightsExpected(t)
	sd, err := LoadPth("testdata/tiny_ckpt.pth", "state_dict")
	if err != nil {
		t.Fatal(err)
	}
	checkAgainstExpected(t, sd, want, false)
	for key, msg := range map[string]string{
		"epoch":          `key "epoch" holds a int, not a dict`,
		"nope":           `no "nope" among ["epoch" "arch" "state_dict"`,
		"state_dict/x/y": `no "x" among`,
		"epoch/x":        "not inside a dict",
	} {
		if _, err := LoadPth("testdata/tiny_ckpt.pth", key); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("key %q: error %v, want %q", key, err, msg)
		}
	}
	// A state dict nested one level down is found too.
	files := map[string][]byte{
		"archive/data.pkl": pk(pkProto2, op(opEMPTY_DICT), pkStr("model"), op(opEMPTY_DICT), pkStr("state_dict"),
			pklStateDict([]pthTensor{{"w", "FloatStorage", "0", 1, 0, []int32{1}, []int32{1}}})[2:], // drop PROTO
			op(opSETITEM), op(opSETITEM), op(opSTOP)),
		"archive/data/0": f32Bytes(binary.LittleEndian, 7),
	}
	// pklStateDict ends with STOP; cut it out of the nested copy.
	p := files["archive/data.pkl"]
	i := bytes.Index(p, []byte{opSETITEMS, opSTOP})
	files["archive/data.pkl"] = append(append([]byte{}, p[:i+1]...), p[i+2:]...)
	nested, err := readPthBytes(pthZip(t, files, zip.Store), "")
	if err != nil {
		t.Fatal(err)
	}
	if nested.Get("w") == nil || nested.Get("w").Data[0] != 7 {
		t.Errorf("nested state dict: %v", nested.Names())
	}
}

func TestPthCorruption(t *testing.T) {
	raw, err := os.ReadFile("testdata/tiny.pth")
	if err != nil {
		t.Fatal(err)
	}
	// A flipped bit inside a storage fails the CRC check.
	z, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatal(err)
	}
	var off int64 = -1
	for _, f := range z.File {
		if f.Name == "tiny/data/0" {
			off, _ = f.DataOffset()
		}
	}
	if off < 0 {
		t.Fatal("no tiny/data/0")
	}
	bad := slices.Clone(raw)
	bad[off+5] ^= 0x10
	if _, err := readPthBytes(bad, ""); err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Errorf("flipped storage bit: %v", err)
	}
	// Every truncation is an error.
	for n := range len(raw) {
		if _, err := readPthBytes(raw[:n], ""); err == nil {
			t.Fatalf("truncated to %d of %d bytes: no error", n, len(raw))
		}
	}
}

func TestMalicious(t *testing.T) {
	os.Remove("/tmp/nn_pwned")
	_, err := LoadWeights("testdata/malicious.pth")
	if err == nil || !strings.Contains(err.Error(), "global posix.system is not allowed") ||
		!strings.Contains(err.Error(), "testdata/malicious.pth") {
		t.Fatalf("malicious pickle: %v", err)
	}
	if _, err := os.Stat("/tmp/nn_pwned"); err == nil {
		t.Fatal("the payload ran")
	}
}

// gatherRef is the plain reference for gatherStrided: the storage index
// of each element computed from its multi-index from scratch.
func gatherRef(dst, src []float32, size, stride []int) {
	for i := range dst {
		rem, pos := i, 0
		for k := len(size) - 1; k >= 0; k-- {
			pos += (rem % size[k]) * stride[k]
			rem /= size[k]
		}
		dst[i] = src[pos]
	}
}

func TestGatherStridedMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := range 200 {
		nd := rng.IntN(5)
		size, stride := make([]int, nd), make([]int, nd)
		numel, span := 1, 1
		for k := range nd {
			size[k] = rng.IntN(4) + 1
			stride[k] = rng.IntN(7) // 0: a broadcast dim
			numel *= size[k]
			span += (size[k] - 1) * stride[k]
		}
		src := make([]float32, span)
		for i := range src {
			src[i] = float32(i)
		}
		got, want := make([]float32, numel), make([]float32, numel)
		gatherStrided(got, src, size, stride)
		gatherRef(want, src, size, stride)
		if !slices.Equal(got, want) {
			t.Fatalf("trial %d size %v stride %v: got %v, want %v", trial, size, stride, got, want)
		}
	}
}

func TestMaterializeElementCap(t *testing.T) {
	// Four full views of one 4-element storage: 16 elements.
	s := &torchStorage{key: "0", dtype: F32, numel: 4}
	d := newPyDict()
	for _, name := range []string{"a", "b", "c", "d"} {
		d.set(name, &torchTensor{storage: s, size: []int{4}, stride: []int{1}})
	}
	read := func(*torchStorage) ([]byte, error) { return make([]byte, 16), nil }
	if _, err := materialize(d, 16, read, false); err != nil {
		t.Fatal(err)
	}
	if _, err := materialize(d, 15, read, false); err == nil || !strings.Contains(err.Error(), `tensor "d"`) {
		t.Fatalf("over the cap: %v", err)
	}
}
