//go:build !js

package nn

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/seed477ab429/multilabel/autograd"
)

// PyTorch checkpoints. Since PyTorch 1.6, torch.save writes a zip (stored,
// not compressed) whose entries all sit under one folder, <root>/:
//
//	<root>/data.pkl     the pickled object: a state dict (an OrderedDict
//	                    of tensors) or a dict holding one
//	<root>/data/<key>   one raw storage per key, row-major elements
//	<root>/byteorder    "little" or "big" (absent in old files: little)
//	<root>/version      the format version
//
// In the pickle a tensor is
//
//	torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride,
//	                                requires_grad, backward_hooks)
//
// where storage is a persistent id, ('storage', torch.FloatStorage, key,
// location, numel): element i of the tensor at multi-index idx is
// storage[storage_offset + sum_k idx_k * stride_k]. Views that share a
// storage (a transpose, a slice) come back as contiguous copies, as
// tensor.contiguous() would make them.

// torchStorageDTypes maps torch's legacy storage class names, which
// torch.save still writes in persistent ids, to element types.
var torchStorageDTypes = map[string]DType{
	"FloatStorage": F32, "HalfStorage": F16, "BFloat16Storage": BF16,
	"DoubleStorage": F64, "LongStorage": I64, "IntStorage": I32,
	"ShortStorage": I16, "CharStorage": I8, "ByteStorage": U8, "BoolStorage": BOOL,
}

// torchStorageType is the value of the global torch.<X>Storage.
type torchStorageType struct{ dtype DType }

// torchStorage is one persistent storage: numel elements in data/<key>.
type torchStorage struct {
	key   string
	dtype DType
	numel int64
}

// torchTensor is a strided view of a storage, not yet read.
type torchTensor struct {
	storage *torchStorage
	offset  int64
	size    []int
	stride  []int
}

// maxStorageNumel bounds a storage's element count taken from a pickle,
// so that index arithmetic below cannot overflow int64.
const maxStorageNumel = 1 << 48

// torchFind is the whitelist of globals: the only Python names a state
// dict's pickle may refer to. The callables are Go functions that build
// plain values; nothing is imported or run.
func torchFind(module, name string) (any, error) {
	qual := module + "." + name
	fn := func(call func(pyTuple) (any, error)) (any, error) { return &pyFunc{name: qual, call: call}, nil }
	switch qual {
	case "collections.OrderedDict":
		return fn(func(a pyTuple) (any, error) {
			if len(a) != 0 {
				return nil, fmt.Errorf("want no arguments, got %d", len(a))
			}
			return newPyDict(), nil
		})
	case "torch._utils._rebuild_tensor_v2":
		// (storage, offset, size, stride, requires_grad, backward_hooks[, metadata])
		return fn(func(a pyTuple) (any, error) {
			if len(a) != 6 && len(a) != 7 {
				return nil, fmt.Errorf("want 6 or 7 arguments, got %d", len(a))
			}
			return rebuildTensor(a[:4])
		})
	case "torch._utils._rebuild_tensor":
		return fn(func(a pyTuple) (any, error) {
			if len(a) != 4 {
				return nil, fmt.Errorf("want 4 arguments, got %d", len(a))
			}
			return rebuildTensor(a)
		})
	case "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state":
		// (data, requires_grad, backward_hooks[, state]): a Parameter is its
		// data tensor as far as weights go.
		return fn(func(a pyTuple) (any, error) {
			if len(a) != 3 && len(a) != 4 {
				return nil, fmt.Errorf("want 3 or 4 arguments, got %d", len(a))
			}
			t, ok := a[0].(*torchTensor)
			if !ok {
				return nil, fmt.Errorf("data is a %s, not a tensor", pyTypeName(a[0]))
			}
			return t, nil
		})
	case "torch.Size":
		return fn(func(a pyTuple) (any, error) {
			if len(a) != 1 {
				return nil, fmt.Errorf("want 1 argument, got %d", len(a))
			}
			t, ok := a[0].(pyTuple)
			if !ok {
				return nil, fmt.Errorf("argument is a %s, not a tuple", pyTypeName(a[0]))
			}
			return t, nil
		})
	}
	if d, ok := torchStorageDTypes[name]; ok && module == "torch" {
		return &torchStorageType{dtype: d}, nil
	}
	return nil, fmt.Errorf("global %s is not allowed: a state dict needs only tensors, storages "+
		"and OrderedDict, and this reader never runs code from a file", qual)
}

// rebuildTensor checks the types of (storage, offset, size, stride); the
// bounds are checked against the storage in view.
func rebuildTensor(a pyTuple) (any, error) {
	s, ok := a[0].(*torchStorage)
	if !ok {
		return nil, fmt.Errorf("storage is a %s", pyTypeName(a[0]))
	}
	off, ok := a[1].(int64)
	if !ok || off < 0 || off > maxStorageNumel {
		return nil, errors.New("storage offset is not a valid int")
	}
	size, err1 := intTuple(a[2], "size")
	stride, err2 := intTuple(a[3], "stride")
	if err := errors.Join(err1, err2); err != nil {
		return nil, err
	}
	if len(size) != len(stride) {
		return nil, fmt.Errorf("size %v and stride %v differ in length", size, stride)
	}
	return &torchTensor{storage: s, offset: off, size: size, stride: stride}, nil
}

// intTuple reads a tuple of small non-negative ints (a size or stride).
func intTuple(v any, what string) ([]int, error) {
	t, ok := v.(pyTuple)
	if !ok || len(t) > 64 {
		return nil, fmt.Errorf("%s is not a tuple of at most 64 ints", what)
	}
	out := make([]int, len(t))
	for i, x := range t {
		n, ok := x.(int64)
		if !ok || n < 0 || n > math.MaxInt32 {
			return nil, fmt.Errorf("%s[%d] is not an int in [0, 2^31)", what, i)
		}
		out[i] = int(n)
	}
	return out, nil
}

// view checks that every element of t lies inside its storage and returns
// the number of elements, the first and last storage index it touches, and
// whether it is contiguous (row-major strides; dims of size 1 may have
// any stride). It allocates nothing.
func (t *torchTensor) view() (numel, lo, hi int64, contiguous bool, err error) {
	numel, hi, contiguous = 1, t.offset, true
	want := int64(1) // contiguous stride of the current dim
	for k := len(t.size) - 1; k >= 0; k-- {
		n, s := int64(t.size[k]), int64(t.stride[k])
		if n == 0 {
			return 0, t.offset, t.offset, true, nil
		}
		if numel > maxStorageNumel/n {
			return 0, 0, 0, false, fmt.Errorf("size %v is too large", t.size)
		}
		numel *= n
		if n > 1 {
			if s > maxStorageNumel/(n-1) {
				return 0, 0, 0, false, fmt.Errorf("stride %v is too large", t.stride)
			}
			hi += (n - 1) * s
			if s != want {
				contiguous = false
			}
		}
		want *= n
	}
	if hi >= t.storage.numel {
		return 0, 0, 0, false, fmt.Errorf("size %v, stride %v at offset %d reach element %d of a storage of %d",
			t.size, t.stride, t.offset, hi, t.storage.numel)
	}
	return numel, t.offset, hi, contiguous, nil
}

// gatherStrided copies a strided view into dst in row-major order:
//
//	dst[i] = src[sum_k idx_k * stride_k],  idx = the multi-index of i in size
//
// src starts at the view's first element (its storage offset). The
// innermost dim is a plain loop; the outer dims advance an odometer.
func gatherStrided(dst, src []float32, size, stride []int) {
	nd := len(size)
	if nd == 0 {
		dst[0] = src[0]
		return
	}
	inner, is := size[nd-1], stride[nd-1]
	idx := make([]int, nd-1)
	base := 0
	for o := 0; o < len(dst); o += inner {
		row := dst[o : o+inner]
		for j := range row {
			row[j] = src[base+j*is]
		}
		for k := nd - 2; k >= 0; k-- {
			idx[k]++
			base += stride[k]
			if idx[k] < size[k] {
				break
			}
			base -= idx[k] * stride[k]
			idx[k] = 0
		}
	}
}

// storageLoader turns persistent ids into storages, one per key. size
// reports the byte size of data/<key> in the archive (or an error when it
// is missing).
type storageLoader struct {
	byKey map[string]*torchStorage
	size  func(key string) (int64, error)
}

func (l *storageLoader) load(pid any) (any, error) {
	p, err := parseStoragePID(pid)
	if err != nil {
		return nil, err
	}
	if s, ok := l.byKey[p.key]; ok {
		if s.dtype != p.dtype || s.numel != p.numel {
			return nil, fmt.Errorf("storage %q is used as %s[%d] and %s[%d]", p.key, s.dtype, s.numel, p.dtype, p.numel)
		}
		return s, nil
	}
	n, err := l.size(p.key)
	if err != nil {
		return nil, fmt.Errorf("storage %q: %w", p.key, err)
	}
	if want := p.numel * int64(p.dtype.Size()); n != want {
		return nil, fmt.Errorf("storage %q: %s[%d] needs %d bytes, the archive entry holds %d", p.key, p.dtype, p.numel, want, n)
	}
	l.byKey[p.key] = p
	return p, nil
}

// parseStoragePID checks a persistent id's form and bounds.
func parseStoragePID(pid any) (*torchStorage, error) {
	t, ok := pid.(pyTuple)
	if !ok || len(t) != 5 || t[0] != "storage" {
		return nil, errors.New("persistent id is not ('storage', type, key, location, numel)")
	}
	st, ok1 := t[1].(*torchStorageType)
	key, ok2 := t[2].(string)
	_, ok3 := t[3].(string)
	numel, ok4 := t[4].(int64)
	if !ok1 || !ok2 || !ok3 || !ok4 || numel < 0 || numel > maxStorageNumel {
		return nil, errors.New("persistent id is not ('storage', torch.<X>Storage, str, str, int)")
	}
	return &torchStorage{key: key, dtype: st.dtype, numel: numel}, nil
}

// stateDictKeys are where training checkpoints keep the weights, tried in
// order: timm and MIIL write {"state_dict": ...}, others {"model": ...}.
var stateDictKeys = []string{"state_dict", "model", "model_state_dict", "module", "net", "network"}

// findTensorDict returns the dict of tensors inside a checkpoint. key ""
// means: the top-level dict if every value is a tensor, else the first of
// stateDictKeys (looked up at the top level and one level down) that holds
// one. Otherwise key is a '/'-separated path of dict keys.
func findTensorDict(root any, key string) (*pyDict, error) {
	if key != "" {
		v := root
		for _, k := range strings.Split(key, "/") {
			d, ok := v.(*pyDict)
			if !ok {
				return nil, fmt.Errorf("key %q: not inside a dict", key)
			}
			if v, ok = d.get(k); !ok {
				return nil, fmt.Errorf("key %q: no %q among %s", key, k, dictKeys(d))
			}
		}
		d, ok := v.(*pyDict)
		if !ok {
			return nil, fmt.Errorf("key %q holds a %s, not a dict", key, pyTypeName(v))
		}
		for i, k := range d.keys {
			if _, ok := k.(string); !ok {
				return nil, fmt.Errorf("key %q: a key is a %s, not a str", key, pyTypeName(k))
			}
			if _, ok := d.vals[i].(*torchTensor); !ok {
				return nil, fmt.Errorf("key %q: entry %q is a %s, not a tensor", key, k, pyTypeName(d.vals[i]))
			}
		}
		return d, nil
	}
	d, ok := root.(*pyDict)
	if !ok {
		return nil, fmt.Errorf("the checkpoint holds a %s, not a dict", pyTypeName(root))
	}
	if isTensorDict(d) {
		return d, nil
	}
	for _, k := range stateDictKeys {
		if v, ok := d.get(k); ok && isTensorDict(v) {
			return v.(*pyDict), nil
		}
	}
	// One level down, e.g. {"model": {"state_dict": ...}}.
	for _, k := range stateDictKeys {
		inner, _ := d.get(k)
		if inner, ok := inner.(*pyDict); ok {
			for _, k2 := range stateDictKeys {
				if v, ok := inner.get(k2); ok && isTensorDict(v) {
					return v.(*pyDict), nil
				}
			}
		}
	}
	return nil, fmt.Errorf("no dict of tensors found (tried %v); top-level keys: %s; pass the key to LoadPth",
		stateDictKeys, dictKeys(d))
}

// isTensorDict reports whether v is a dict whose keys are all strings and
// values all tensors (an empty dict counts).
func isTensorDict(v any) bool {
	d, ok := v.(*pyDict)
	if !ok {
		return false
	}
	for i, k := range d.keys {
		if _, ok := k.(string); !ok {
			return false
		}
		if _, ok := d.vals[i].(*torchTensor); !ok {
			return false
		}
	}
	return true
}

// dictKeys lists up to 20 keys for an error message.
func dictKeys(d *pyDict) string {
	s := make([]string, 0, min(len(d.keys), 21))
	for i, k := range d.keys {
		if i == 20 {
			s = append(s, fmt.Sprintf("... (%d more)", len(d.keys)-20))
			break
		}
		s = append(s, fmt.Sprintf("%q", fmt.Sprint(k)))
	}
	return "[" + strings.Join(s, " ") + "]"
}

// readPth reads a torch.save zip of size bytes from r.
func readPth(r io.ReaderAt, size int64, path, key string) (*StateDict, error) {
	fail := func(format string, a ...any) error {
		return fmt.Errorf("nn: %s: pth: %s", path, fmt.Sprintf(format, a...))
	}
	var head [16]byte
	n, _ := r.ReadAt(head[:], 0)
	if detectFormat(head[:n]) == formatLegacyPth {
		return nil, fail("%s", errLegacyPth)
	}
	z, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fail("not a torch.save zip: %v", err)
	}
	files := make(map[string]*zip.File, len(z.File))
	var roots []string
	for _, f := range z.File {
		files[f.Name] = f
		if dir, ok := strings.CutSuffix(f.Name, "data.pkl"); ok && strings.Count(dir, "/") <= 1 &&
			(dir == "" || strings.HasSuffix(dir, "/")) {
			roots = append(roots, dir)
		}
	}
	if len(roots) != 1 {
		return nil, fail("want one <dir>/data.pkl in the zip, found %d", len(roots))
	}
	root := roots[0]
	if files[root+"constants.pkl"] != nil {
		return nil, fail("this is a TorchScript archive (torch.jit.save), not a state dict; " +
			"in Python, torch.save(torch.jit.load(f).state_dict(), out)")
	}
	bigEndian := false
	if f := files[root+"byteorder"]; f != nil {
		b, err := readZipEntry(f, size)
		if err != nil {
			return nil, fail("byteorder: %v", err)
		}
		switch string(b) {
		case "little":
		case "big":
			bigEndian = true
		default:
			return nil, fail("byteorder is %q", clip(b))
		}
	}
	pkl, err := readZipEntry(files[root+"data.pkl"], size)
	if err != nil {
		return nil, fail("%sdata.pkl: %v", root, err)
	}
	loader := &storageLoader{byKey: map[string]*torchStorage{}, size: func(k string) (int64, error) {
		f := files[root+"data/"+k]
		if f == nil {
			return 0, fmt.Errorf("no entry %sdata/%s in the zip", root, k)
		}
		if f.UncompressedSize64 > math.MaxInt64 {
			return 0, errors.New("entry too large")
		}
		return int64(f.UncompressedSize64), nil
	}}
	obj, err := unpickle(pkl, torchFind, loader.load)
	if err != nil {
		return nil, fail("%v", err)
	}
	d, err := findTensorDict(obj, key)
	if err != nil {
		return nil, fail("%v", err)
	}
	sd, err := materialize(d, 4*size+1<<20, func(s *torchStorage) ([]byte, error) {
		return readZipEntry(files[root+"data/"+s.key], size)
	}, bigEndian)
	if err != nil {
		return nil, fail("%v", err)
	}
	return sd, nil
}

// readZipEntry reads a whole entry, refusing sizes the file cannot back
// (a stored entry is at most the file; deflate expands at most 1032:1)
// and checking the CRC.
func readZipEntry(f *zip.File, fileSize int64) ([]byte, error) {
	n := f.UncompressedSize64
	limit := uint64(fileSize)
	if f.Method != zip.Store {
		limit = 1032*f.CompressedSize64 + 1024
	}
	if n > limit || n > math.MaxInt {
		return nil, fmt.Errorf("%s: size %d is more than the file can hold", f.Name, n)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name, err)
	}
	defer rc.Close()
	b := make([]byte, n)
	if _, err := io.ReadFull(rc, b); err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name, err)
	}
	// Reading on to EOF makes archive/zip verify the CRC-32.
	var one [1]byte
	if _, err := io.ReadFull(rc, one[:]); err != io.EOF {
		if err == nil {
			err = errors.New("longer than its declared size")
		}
		return nil, fmt.Errorf("%s: %w", f.Name, err)
	}
	return b, nil
}

// materialize reads the tensors of d into a StateDict in d's order. Each
// storage is read once (views share them) and dropped after its tensors
// are copied out. maxElems caps the total number of elements (views may
// repeat a storage; the cap keeps a small hostile file from asking for
// unbounded memory).
func materialize(d *pyDict, maxElems int64, read func(*torchStorage) ([]byte, error), bigEndian bool) (*StateDict, error) {
	type job struct {
		name   string
		t      *torchTensor
		out    *autograd.Tensor
		lo, hi int64
		contig bool
	}
	jobs := make([]job, len(d.keys))
	byStorage := map[*torchStorage][]int{}
	var order []*torchStorage
	var total int64
	for i, k := range d.keys {
		name, _ := k.(string)
		t := d.vals[i].(*torchTensor)
		numel, lo, hi, contig, err := t.view()
		if err != nil {
			return nil, fmt.Errorf("tensor %q: %w", name, err)
		}
		if total += numel; total > maxElems {
			return nil, fmt.Errorf("tensor %q: the tensors hold more than %d elements, more than this file can back", name, maxElems)
		}
		jobs[i] = job{name: name, t: t, lo: lo, hi: hi, contig: contig}
		if _, seen := byStorage[t.storage]; !seen {
			order = append(order, t.storage)
		}
		byStorage[t.storage] = append(byStorage[t.storage], i)
	}
	for _, s := range order {
		raw, err := read(s)
		if err != nil {
			return nil, fmt.Errorf("storage %q: %w", s.key, err)
		}
		es := int64(s.dtype.Size())
		for _, i := range byStorage[s] {
			j := &jobs[i]
			out := autograd.Zeros(j.t.size...)
			switch {
			case len(out.Data) == 0:
			case j.contig:
				decodeElements(out.Data, raw[j.lo*es:(j.lo+int64(len(out.Data)))*es], s.dtype, bigEndian)
			default:
				span := make([]float32, j.hi-j.lo+1)
				decodeElements(span, raw[j.lo*es:(j.hi+1)*es], s.dtype, bigEndian)
				gatherStrided(out.Data, span, j.t.size, j.t.stride)
			}
			j.out = out
		}
	}
	sd := NewStateDict()
	for i := range jobs {
		sd.set(jobs[i].name, jobs[i].out, jobs[i].t.storage.dtype)
	}
	return sd, nil
}
