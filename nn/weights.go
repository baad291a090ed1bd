package nn

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"unsafe"

	"github.com/seed477ab429/multilabel/autograd"
)

// This file holds what the weight formats share: the element types a file
// may store (DType), their conversion to float32, and LoadWeights, which
// picks the reader from the file's first bytes.

// DType names an element type as stored in a weight file, spelled as in
// safetensors. Tensors are always float32 in memory; the StateDict keeps
// the stored type so a caller can tell, say, an int64 num_batches_tracked
// from a float buffer.
type DType string

const (
	F32  DType = "F32"
	F16  DType = "F16"  // IEEE half: 1 sign, 5 exponent, 10 mantissa bits
	BF16 DType = "BF16" // bfloat16: the top 16 bits of a float32
	F64  DType = "F64"
	I64  DType = "I64"
	I32  DType = "I32"
	I16  DType = "I16"
	I8   DType = "I8"
	U8   DType = "U8"
	BOOL DType = "BOOL"
)

// Size is the number of bytes per element, or 0 for a type we cannot read.
func (d DType) Size() int {
	switch d {
	case F64, I64:
		return 8
	case F32, I32:
		return 4
	case F16, BF16, I16:
		return 2
	case I8, U8, BOOL:
		return 1
	}
	return 0
}

// decodeElements converts len(dst) elements of type d from src (which
// holds exactly len(dst)*d.Size() bytes) to float32. Integers above 2^24
// lose precision, as in tensor.float(). One loop per type: the switch is
// outside the element loops.
func decodeElements(dst []float32, src []byte, d DType, bigEndian bool) {
	if d == F32 && !bigEndian {
		// The common case, without the ByteOrder interface call per
		// element (4x faster natively, more under WebAssembly, where a
		// model's weights load in the page).
		for i := range dst {
			dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:]))
		}
		return
	}
	var bo binary.ByteOrder = binary.LittleEndian
	if bigEndian {
		bo = binary.BigEndian
	}
	switch d {
	case F32:
		for i := range dst {
			dst[i] = math.Float32frombits(bo.Uint32(src[4*i:]))
		}
	case F16:
		for i := range dst {
			dst[i] = halfToFloat32(bo.Uint16(src[2*i:]))
		}
	case BF16:
		for i := range dst {
			dst[i] = math.Float32frombits(uint32(bo.Uint16(src[2*i:])) << 16)
		}
	case F64:
		for i := range dst {
			dst[i] = float32(math.Float64frombits(bo.Uint64(src[8*i:])))
		}
	case I64:
		for i := range dst {
			dst[i] = float32(int64(bo.Uint64(src[8*i:])))
		}
	case I32:
		for i := range dst {
			dst[i] = float32(int32(bo.Uint32(src[4*i:])))
		}
	case I16:
		for i := range dst {
			dst[i] = float32(int16(bo.Uint16(src[2*i:])))
		}
	case I8:
		for i := range dst {
			dst[i] = float32(int8(src[i]))
		}
	case U8, BOOL:
		for i := range dst {
			dst[i] = float32(src[i])
		}
	default:
		panic(fmt.Sprintf("nn: decodeElements: dtype %q", d))
	}
}

// readElements fills dst with len(dst) elements of type d stored
// little-endian in r at off. Float32 on a little-endian machine (amd64,
// arm64, wasm: readF32Direct) is read straight into dst's memory, whose
// bytes are then exactly the file's: no buffer and no conversion loop,
// which in a browser is most of loading a model (docs/deploy.md). Every
// other case reads at most 1 MiB at a time into *buf (allocated on first
// use, then reused) and converts it with decodeElements, the reference
// that the direct path is tested against.
func readElements(r io.ReaderAt, off int64, d DType, dst []float32, buf *[]byte) error {
	if d == F32 && readF32Direct {
		return readFullAt(r, float32Bytes(dst), off)
	}
	if cap(*buf) == 0 {
		*buf = make([]byte, 0, 1<<20)
	}
	es := int64(d.Size())
	chunk := int64(cap(*buf)) / es // elements per read
	for i := int64(0); i < int64(len(dst)); i += chunk {
		m := min(chunk, int64(len(dst))-i)
		b := (*buf)[:m*es]
		if err := readFullAt(r, b, off+i*es); err != nil {
			return err
		}
		decodeElements(dst[i:i+m], b, d, false)
	}
	return nil
}

// readElementsFrom is readElements from a stream: the next len(dst)
// elements of type d.
func readElementsFrom(r io.Reader, d DType, dst []float32, buf *[]byte) error {
	if d == F32 && readF32Direct {
		_, err := io.ReadFull(r, float32Bytes(dst))
		return err
	}
	if cap(*buf) == 0 {
		*buf = make([]byte, 0, 1<<20)
	}
	es := d.Size()
	chunk := cap(*buf) / es
	for i := 0; i < len(dst); i += chunk {
		m := min(chunk, len(dst)-i)
		b := (*buf)[:m*es]
		if _, err := io.ReadFull(r, b); err != nil {
			return err
		}
		decodeElements(dst[i:i+m], b, d, false)
	}
	return nil
}

// readF32Direct: float32s are stored little-endian in memory, as in the
// files, so readElements may read F32 data straight into a []float32.
// Tests turn it off to run the reference path.
var readF32Direct = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// float32Bytes is the memory of f seen as bytes (4·len(f), no copy).
func float32Bytes(f []float32) []byte {
	if len(f) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&f[0])), 4*len(f))
}

// halfToFloat32 widens an IEEE 754 binary16 value; every half is exactly
// representable as a float32.
//
//	normal     (e in 1..30): (-1)^s * 2^(e-15) * 1.m  -> float32 exponent e-15+127
//	subnormal  (e == 0):     (-1)^s * 2^-24 * m       (m < 2^10, exact in float32)
//	inf / NaN  (e == 31):    float32 exponent 255, mantissa m<<13
func halfToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch exp {
	case 0:
		v := float32(mant) * (1.0 / (1 << 24))
		if sign != 0 {
			v = -v
		}
		return v
	case 31:
		return math.Float32frombits(sign | 0xff<<23 | mant<<13)
	}
	return math.Float32frombits(sign | (exp-15+127)<<23 | mant<<13)
}

// weightFormat is what a file's first bytes say it is.
type weightFormat int

const (
	formatUnknown     weightFormat = iota
	formatSafetensors              // u64 LE header length, then '{'
	formatZip                      // torch.save since PyTorch 1.6
	formatLegacyPth                // torch.save before 1.6: bare pickles
)

// detectFormat looks at up to the first 16 bytes of a file.
//   - zip local file header "PK\x03\x04": the torch.save zip format.
//   - byte 8 is '{': a safetensors JSON header after the 8-byte length.
//   - pickle PROTO opcode 0x80 (protocol 2..5): the legacy torch.save
//     stream, a pickled magic number then more pickles. Checked after
//     safetensors, whose length bytes may start with 0x80.
func detectFormat(head []byte) weightFormat {
	switch {
	case len(head) >= 4 && string(head[:4]) == "PK\x03\x04":
		return formatZip
	case len(head) >= 9 && head[8] == '{':
		return formatSafetensors
	case len(head) >= 2 && head[0] == 0x80 && head[1] >= 2 && head[1] <= 5:
		return formatLegacyPth
	}
	return formatUnknown
}

// errLegacyPth explains why the pre-1.6 format is refused.
const errLegacyPth = "legacy (pre-1.6, non-zip) torch.save format is not supported; " +
	"re-save it with a recent PyTorch: torch.save(torch.load(f), f2)"

// LoadWeights reads a state dict from a safetensors file or a PyTorch
// checkpoint (.pth/.pt/.bin in the torch.save zip format), chosen by the
// file's first bytes, not its name. For a checkpoint that nests the tensors
// ({"state_dict": ...}, {"model": ...}) it finds the tensor dict as
// LoadPth does with an empty key.
func LoadWeights(path string) (*StateDict, error) {
	return readFile(path, func(r io.ReaderAt, size int64) (*StateDict, error) { return ReadWeights(r, size, path) })
}

// LoadPth reads a torch.save checkpoint (zip format). key selects the
// tensor dict inside a training checkpoint ("state_dict_ema", or a path
// like "model/state_dict"); "" finds it (see LoadWeights). Names keep the
// file's order.
func LoadPth(path, key string) (*StateDict, error) {
	return readFile(path, func(r io.ReaderAt, size int64) (*StateDict, error) { return readPth(r, size, path, key) })
}

// readFile opens path and hands it, with its size, to read; errors name
// the file.
func readFile(path string, read func(r io.ReaderAt, size int64) (*StateDict, error)) (*StateDict, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("nn: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("nn: %s: %w", path, err)
	}
	return read(f, st.Size())
}

// ReadWeightsInto reads a weight file, as ReadWeights does, straight into
// a model's tensors (dst: parameters and buffers by state-dict name, as
// StateMap gives them), strictly as LoadInto(dst, sd, true): the file must
// hold exactly dst's names with dst's shapes, else a *LoadError and
// nothing is read. Safetensors data goes from r into the tensors without a
// state dict in between (for float32 on a little-endian machine, without
// any buffer either), so loading a model takes one copy of its weights in
// memory, not two. A read that fails part way (an I/O error) may leave dst
// partly overwritten. A torch.save checkpoint is read whole first
// (ReadWeights, then LoadInto).
func ReadWeightsInto(dst map[string]*autograd.Tensor, r io.ReaderAt, size int64, name string) error {
	head := make([]byte, 16)
	n, err := io.NewSectionReader(r, 0, size).ReadAt(head, 0)
	if err != nil && err != io.EOF {
		return fmt.Errorf("nn: %s: %w", name, err)
	}
	if detectFormat(head[:n]) == formatSafetensors {
		return readSafetensorsInto(dst, r, size, name)
	}
	sd, err := ReadWeights(r, size, name)
	if err != nil {
		return err
	}
	return LoadInto(dst, sd, true)
}

// ReadWeightsFrom is ReadWeightsInto on a stream (a network response, a
// pipe): a safetensors stream is read tensor by tensor, in the order the
// file stores them, straight into dst's tensors as it arrives, with only
// its header held in memory; a torch.save checkpoint is read whole first.
// The stream is read to its end.
func ReadWeightsFrom(dst map[string]*autograd.Tensor, r io.Reader, name string) error {
	head := make([]byte, 16)
	n, err := io.ReadFull(r, head)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return fmt.Errorf("nn: %s: %w", name, err)
	}
	head = head[:n]
	if detectFormat(head) == formatSafetensors {
		return readSafetensorsFrom(dst, head, r, name)
	}
	rest, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("nn: %s: %w", name, err)
	}
	raw := append(head, rest...)
	return ReadWeightsInto(dst, bytes.NewReader(raw), int64(len(raw)), name)
}

// ReadWeights is LoadWeights on size bytes read from r (an open file, a
// bytes.Reader over an embedded file, ...); name labels the data in errors.
func ReadWeights(r io.ReaderAt, size int64, name string) (*StateDict, error) {
	head := make([]byte, 16)
	n, err := io.NewSectionReader(r, 0, size).ReadAt(head, 0)
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("nn: %s: %w", name, err)
	}
	head = head[:n]
	switch detectFormat(head) {
	case formatSafetensors:
		return readSafetensors(r, size, name)
	case formatZip:
		return readPth(r, size, name, "")
	case formatLegacyPth:
		return nil, fmt.Errorf("nn: %s: %s", name, errLegacyPth)
	}
	return nil, fmt.Errorf("nn: %s: unknown weight format (first bytes % x): "+
		"expected safetensors or a torch.save zip checkpoint", name, head)
}
