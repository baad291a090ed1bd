package nn

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"

	"github.com/seed477ab429/multilabel/autograd"
)

// safetensors (huggingface/safetensors) is the simplest safe weight format:
//
//	[8 bytes]  N, the header length, unsigned little-endian
//	[N bytes]  JSON object, UTF-8, maybe padded with spaces:
//	             {"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]},
//	              ..., "__metadata__": {"key": "value"}}
//	[rest]     the data region; a tensor's bytes are data[begin:end],
//	           row-major, little-endian
//
// The reader validates the whole header before it reads or allocates any
// tensor data: a corrupt or hostile file costs at most its own size.

// maxHeaderBytes caps the JSON header (the reference implementation uses
// 100 MB too): a model with 100k tensors needs about 10 MB.
const maxHeaderBytes = 100 << 20

// stEntry is one validated header entry.
type stEntry struct {
	name       string
	dtype      DType
	shape      []int
	begin, end int64 // byte range in the data region
}

// parseSafetensorsHeader validates a header (the JSON bytes) against a data
// region of dataSize bytes and returns the entries sorted by name plus the
// metadata. It checks: the header is one JSON object; every entry has a
// known dtype, a shape with non-negative dims and two offsets; end - begin
// equals numel * dtype size; and, sorted by offset, the tensors tile the
// data region exactly (no overlap, no gap, nothing past the end).
func parseSafetensorsHeader(hdr []byte, dataSize int64) ([]stEntry, map[string]string, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(hdr, &raw); err != nil {
		return nil, nil, fmt.Errorf("header is not valid JSON: %w", err)
	}
	if raw == nil {
		return nil, nil, errors.New("header is not a JSON object")
	}
	meta := map[string]string{}
	entries := make([]stEntry, 0, len(raw))
	for name, msg := range raw {
		if name == "__metadata__" {
			if err := json.Unmarshal(msg, &meta); err != nil || meta == nil {
				return nil, nil, fmt.Errorf("__metadata__ is not an object of strings: %s", clip(msg))
			}
			continue
		}
		e, err := parseEntry(name, msg, dataSize)
		if err != nil {
			return nil, nil, fmt.Errorf("tensor %q: %w", name, err)
		}
		entries = append(entries, e)
	}

	// Sorted by (begin, end), each tensor must start where the last ended.
	sort.Slice(entries, func(i, j int) bool {
		a, b := entries[i], entries[j]
		if a.begin != b.begin {
			return a.begin < b.begin
		}
		if a.end != b.end {
			return a.end < b.end
		}
		return a.name < b.name
	})
	var at int64
	for i, e := range entries {
		switch {
		case e.begin < at:
			return nil, nil, fmt.Errorf("tensor %q: data_offsets [%d, %d] overlap tensor %q",
				e.name, e.begin, e.end, entries[i-1].name)
		case e.begin > at:
			return nil, nil, fmt.Errorf("tensor %q: data_offsets [%d, %d] leave bytes [%d, %d) unused",
				e.name, e.begin, e.end, at, e.begin)
		}
		at = e.end
	}
	if dataSize == unknownDataSize {
		return entries, meta, nil // in offset order: a stream's reader checks its end
	}
	if at != dataSize {
		return nil, nil, fmt.Errorf("tensors cover %d bytes but the data region holds %d", at, dataSize)
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].name < entries[j].name })
	return entries, meta, nil
}

// unknownDataSize, as parseSafetensorsHeader's dataSize, is a stream's
// data region whose size is not known before its end: any offsets are
// accepted (the tensors must still tile [0, end)), and the entries come
// back in offset order, the order they arrive in.
const unknownDataSize = math.MaxInt64

// parseEntry decodes and checks one {"dtype", "shape", "data_offsets"}.
func parseEntry(name string, msg []byte, dataSize int64) (stEntry, error) {
	var v struct {
		DType   *string  `json:"dtype"`
		Shape   []int64  `json:"shape"`
		Offsets []uint64 `json:"data_offsets"`
	}
	dec := json.NewDecoder(bytes.NewReader(msg))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return stEntry{}, fmt.Errorf("bad entry %s: %w", clip(msg), err)
	}
	switch {
	case v.DType == nil:
		return stEntry{}, errors.New("no dtype")
	case v.Shape == nil:
		return stEntry{}, errors.New("no shape")
	case len(v.Offsets) != 2:
		return stEntry{}, fmt.Errorf("data_offsets must be [begin, end], got %v", v.Offsets)
	}
	d := DType(*v.DType)
	if d.Size() == 0 {
		return stEntry{}, fmt.Errorf("unsupported dtype %q (want F32, F16, BF16, F64, I64, I32, I16, I8, U8 or BOOL)", d)
	}
	begin, end := v.Offsets[0], v.Offsets[1]
	if begin > end || end > uint64(dataSize) {
		return stEntry{}, fmt.Errorf("data_offsets [%d, %d] out of range: data region holds %d bytes", begin, end, dataSize)
	}
	// numel, computed without overflow: it may not exceed the bytes present.
	shape := make([]int, len(v.Shape))
	numel, zero := int64(1), false
	for i, dim := range v.Shape {
		if dim < 0 || dim > math.MaxInt32 {
			return stEntry{}, fmt.Errorf("shape %v: dim %d out of range", v.Shape, dim)
		}
		shape[i] = int(dim)
		if dim == 0 {
			zero = true
		} else if !zero {
			if numel > dataSize/dim {
				return stEntry{}, fmt.Errorf("shape %v needs more bytes than the file holds", v.Shape)
			}
			numel *= dim
		}
	}
	if zero {
		numel = 0
	}
	if want := numel * int64(d.Size()); int64(end-begin) != want {
		return stEntry{}, fmt.Errorf("%s %v needs %d bytes but data_offsets [%d, %d] hold %d",
			d, v.Shape, want, begin, end, end-begin)
	}
	return stEntry{name: name, dtype: d, shape: shape, begin: int64(begin), end: int64(end)}, nil
}

// readFullAt fills b from r at off. io.ReaderAt may report io.EOF along
// with a full read that ends at the end of the input; that is success.
func readFullAt(r io.ReaderAt, b []byte, off int64) error {
	n, err := r.ReadAt(b, off)
	if n == len(b) {
		return nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return err
}

// clip shortens a JSON snippet for an error message.
func clip(b []byte) string {
	if len(b) > 80 {
		return string(b[:80]) + "..."
	}
	return string(b)
}

// LoadSafetensors reads a safetensors file; names come back sorted.
func LoadSafetensors(path string) (*StateDict, error) {
	return readFile(path, func(r io.ReaderAt, size int64) (*StateDict, error) { return readSafetensors(r, size, path) })
}

// readSafetensors reads size bytes of safetensors from r; path names the
// file in errors.
func readSafetensors(r io.ReaderAt, size int64, path string) (*StateDict, error) {
	h, err := readSafetensorsHeader(r, size, path)
	if err != nil {
		return nil, err
	}
	sd := NewStateDict()
	sd.Metadata = h.meta
	var buf []byte
	for _, e := range h.entries {
		t := autograd.Zeros(e.shape...)
		if err := h.readData(r, e, t.Data, &buf); err != nil {
			return nil, err
		}
		sd.set(e.name, t, e.dtype)
	}
	return sd, nil
}

// readSafetensorsInto reads size bytes of safetensors from r straight into
// dst's tensors (no state dict in between), strictly: the file must hold
// exactly dst's names with dst's shapes (else a *LoadError, and nothing
// is read).
func readSafetensorsInto(dst map[string]*autograd.Tensor, r io.ReaderAt, size int64, path string) error {
	h, err := readSafetensorsHeader(r, size, path)
	if err != nil {
		return err
	}
	if err := h.checkInto(dst, false); err != nil {
		return err
	}
	var buf []byte
	for _, e := range h.entries {
		if err := h.readData(r, e, dst[e.name].Data, &buf); err != nil {
			return err
		}
	}
	return nil
}

// checkInto checks, before any data is read, that the header holds exactly
// dst's names with dst's shapes (else a *LoadError). sortNames orders the
// unexpected names as a file's reader lists them, for a header read from a
// stream whose entries keep the file's order.
func (h *stHeader) checkInto(dst map[string]*autograd.Tensor, sortNames bool) error {
	byName := make(map[string]*stEntry, len(h.entries))
	names := make([]string, len(h.entries))
	for i := range h.entries {
		byName[h.entries[i].name] = &h.entries[i]
		names[i] = h.entries[i].name
	}
	if sortNames {
		slices.Sort(names)
	}
	if e := checkLoad(dst, names, func(name string) ([]int, bool) {
		if e := byName[name]; e != nil {
			return e.shape, true
		}
		return nil, false
	}); e != nil {
		return e
	}
	return nil
}

// readSafetensorsFrom reads safetensors from a stream into dst's tensors,
// strictly as readSafetensorsInto, with the first len(head) bytes already
// read (head); each tensor is read in file order straight into place, so
// nothing but the header is held in memory. The stream must end where the
// last tensor does.
func readSafetensorsFrom(dst map[string]*autograd.Tensor, head []byte, r io.Reader, path string) error {
	h := &stHeader{path: path}
	r = io.MultiReader(bytes.NewReader(head), r)
	var lenBuf [8]byte
	if n, err := io.ReadFull(r, lenBuf[:]); err != nil {
		return h.fail("file too short (%d bytes) to hold the header length", n)
	}
	n := binary.LittleEndian.Uint64(lenBuf[:])
	if n > maxHeaderBytes {
		return h.fail("header length %d exceeds the %d-byte limit", n, maxHeaderBytes)
	}
	if n == 0 {
		return h.fail("header length is 0")
	}
	// Read as it arrives: a hostile length costs no more than the bytes sent.
	hdr, err := io.ReadAll(io.LimitReader(r, int64(n)))
	if err != nil {
		return h.fail("reading header: %v", err)
	}
	if uint64(len(hdr)) != n {
		return h.fail("header length %d exceeds the file size %d (truncated file?)", n, 8+len(hdr))
	}
	if h.entries, h.meta, err = parseSafetensorsHeader(hdr, unknownDataSize); err != nil {
		return h.fail("%v", err)
	}
	if err := h.checkInto(dst, true); err != nil {
		return err
	}
	var buf []byte
	for _, e := range h.entries {
		if err := readElementsFrom(r, e.dtype, dst[e.name].Data, &buf); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return h.fail("tensor %q: reading data: %v", e.name, err)
		}
	}
	if k, _ := io.ReadFull(r, lenBuf[:1]); k > 0 {
		return h.fail("data continues after the last tensor")
	}
	return nil
}

// stHeader is a validated safetensors header and where its data starts.
type stHeader struct {
	path      string
	entries   []stEntry // sorted by name
	meta      map[string]string
	dataStart int64
}

func (h *stHeader) fail(format string, a ...any) error {
	return fmt.Errorf("nn: %s: safetensors: %s", h.path, fmt.Sprintf(format, a...))
}

// readSafetensorsHeader reads and validates the length and the JSON
// header (parseSafetensorsHeader) of size bytes of safetensors in r.
func readSafetensorsHeader(r io.ReaderAt, size int64, path string) (*stHeader, error) {
	h := &stHeader{path: path}
	if size < 8 {
		return nil, h.fail("file too short (%d bytes) to hold the header length", size)
	}
	var lenBuf [8]byte
	if err := readFullAt(r, lenBuf[:], 0); err != nil {
		return nil, h.fail("reading header length: %v", err)
	}
	n := binary.LittleEndian.Uint64(lenBuf[:])
	if n > uint64(size-8) {
		return nil, h.fail("header length %d exceeds the file size %d (truncated file?)", n, size)
	}
	if n > maxHeaderBytes {
		return nil, h.fail("header length %d exceeds the %d-byte limit", n, maxHeaderBytes)
	}
	if n == 0 {
		return nil, h.fail("header length is 0")
	}
	hdr := make([]byte, n)
	if err := readFullAt(r, hdr, 8); err != nil {
		return nil, h.fail("reading header: %v", err)
	}
	h.dataStart = 8 + int64(n)
	var err error
	if h.entries, h.meta, err = parseSafetensorsHeader(hdr, size-h.dataStart); err != nil {
		return nil, h.fail("%v", err)
	}
	return h, nil
}

// readData fills dst (len(dst) == numel of e) with tensor e's elements
// (readElements; buf is its reusable chunk of raw bytes).
func (h *stHeader) readData(r io.ReaderAt, e stEntry, dst []float32, buf *[]byte) error {
	if err := readElements(r, h.dataStart+e.begin, e.dtype, dst, buf); err != nil {
		return h.fail("tensor %q: reading data: %v", e.name, err)
	}
	return nil
}

// SaveSafetensors writes sd to path as safetensors, every tensor as F32,
// names sorted, with sd.Metadata as "__metadata__". The write is atomic: a
// temporary file in the same directory is synced and renamed over path,
// so a crash leaves either the old file or the new one, never half of one.
func SaveSafetensors(path string, sd *StateDict) error {
	names := sd.Names()
	sort.Strings(names)
	type entry struct {
		DType   string   `json:"dtype"`
		Shape   []int    `json:"shape"`
		Offsets [2]int64 `json:"data_offsets"`
	}
	header := make(map[string]any, len(names)+1)
	if len(sd.Metadata) > 0 {
		header["__metadata__"] = sd.Metadata
	}
	var off int64
	for _, name := range names {
		if name == "__metadata__" {
			return fmt.Errorf("nn: %s: tensor name %q is reserved by safetensors", path, name)
		}
		t := sd.Get(name)
		n := int64(len(t.Data)) * 4
		header[name] = entry{DType: string(F32), Shape: append([]int{}, t.Shape...), Offsets: [2]int64{off, off + n}}
		off += n
	}
	hdr, err := json.Marshal(header) // map keys come out sorted
	if err != nil {
		return fmt.Errorf("nn: %s: %w", path, err)
	}
	// Pad with spaces so the data region starts 8-byte aligned, as the
	// reference writer does (readers may then map it as float arrays).
	for len(hdr)%8 != 0 {
		hdr = append(hdr, ' ')
	}
	return writeFileAtomic(path, func(w io.Writer) error {
		var lenBuf [8]byte
		binary.LittleEndian.PutUint64(lenBuf[:], uint64(len(hdr)))
		if _, err := w.Write(lenBuf[:]); err != nil {
			return err
		}
		if _, err := w.Write(hdr); err != nil {
			return err
		}
		buf := make([]byte, 1<<16)
		for _, name := range names {
			data := sd.Get(name).Data
			for len(data) > 0 {
				m := min(len(data), len(buf)/4)
				for i, v := range data[:m] {
					binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(v))
				}
				if _, err := w.Write(buf[:4*m]); err != nil {
					return err
				}
				data = data[m:]
			}
		}
		return nil
	})
}

// writeFileAtomic writes path through a temporary file in the same
// directory: write, fsync, close, rename over path, fsync the directory
// (so the rename itself survives a crash). On error the temporary file is
// removed and path is untouched.
func writeFileAtomic(path string, write func(w io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("nn: %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
			err = fmt.Errorf("nn: %s: %w", path, err)
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<20)
	if err = write(bw); err != nil {
		return err
	}
	if err = bw.Flush(); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	// The file is in place; a failing directory sync is reported but the
	// data is already there, so do not remove anything now.
	if d, derr := os.Open(dir); derr == nil {
		derr = d.Sync()
		d.Close()
		if derr != nil {
			return fmt.Errorf("syncing directory: %w", derr)
		}
	}
	return nil
}
