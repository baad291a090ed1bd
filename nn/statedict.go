package nn

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/seed477ab429/multilabel/autograd"
)

// StateDict is an ordered set of named tensors plus string metadata: what
// a weight file holds and what a model's parameters and buffers are
// loaded from. Names keep file order for .pth checkpoints (the order of
// model.state_dict()) and sorted order for safetensors (whose header is a
// JSON object, so it has no order). Every tensor is float32 in memory;
// DType tells what the file stored.
type StateDict struct {
	// Metadata is safetensors' "__metadata__" (string to string). Empty
	// for .pth files.
	Metadata map[string]string

	names   []string
	entries map[string]stateEntry
}

type stateEntry struct {
	t     *autograd.Tensor
	dtype DType
}

// NewStateDict returns an empty state dict.
func NewStateDict() *StateDict {
	return &StateDict{Metadata: map[string]string{}, entries: map[string]stateEntry{}}
}

// FromTensors builds a state dict from a name -> tensor map (a model's
// parameters), in sorted name order. The tensors are shared, not copied.
func FromTensors(m map[string]*autograd.Tensor) *StateDict {
	sd := NewStateDict()
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		sd.Set(k, m[k])
	}
	return sd
}

// Set adds t under name (at the end) or replaces the tensor already there
// (keeping its position). The stored dtype becomes F32. Sets t.Name.
func (sd *StateDict) Set(name string, t *autograd.Tensor) { sd.set(name, t, F32) }

func (sd *StateDict) set(name string, t *autograd.Tensor, d DType) {
	if t == nil {
		panic(fmt.Sprintf("nn: StateDict.Set(%q): nil tensor", name))
	}
	if _, ok := sd.entries[name]; !ok {
		sd.names = append(sd.names, name)
	}
	t.Name = name
	sd.entries[name] = stateEntry{t: t, dtype: d}
}

// Get returns the tensor stored under name, or nil.
func (sd *StateDict) Get(name string) *autograd.Tensor { return sd.entries[name].t }

// DType returns the element type the file stored for name ("" if absent).
func (sd *StateDict) DType(name string) DType { return sd.entries[name].dtype }

// Names returns the tensor names in order (a copy).
func (sd *StateDict) Names() []string { return slices.Clone(sd.names) }

// Len is the number of tensors.
func (sd *StateDict) Len() int { return len(sd.names) }

// Delete removes name and reports whether it was there.
func (sd *StateDict) Delete(name string) bool {
	if _, ok := sd.entries[name]; !ok {
		return false
	}
	delete(sd.entries, name)
	sd.names = slices.DeleteFunc(sd.names, func(s string) bool { return s == name })
	return true
}

// ApplyRenames returns a new state dict whose names are rename(old); a
// name for which rename returns keep == false is dropped. Order, dtypes and
// metadata carry over and tensors are shared. Two names mapped to the same
// new name are an error (a rename table bug that would silently lose a
// tensor otherwise).
func ApplyRenames(sd *StateDict, rename func(name string) (newName string, keep bool)) (*StateDict, error) {
	out := NewStateDict()
	for k, v := range sd.Metadata {
		out.Metadata[k] = v
	}
	from := make(map[string]string, len(sd.names))
	for _, name := range sd.names {
		to, keep := rename(name)
		if !keep {
			continue
		}
		if prev, dup := from[to]; dup {
			return nil, fmt.Errorf("nn: ApplyRenames: %q and %q both map to %q", prev, name, to)
		}
		from[to] = name
		e := sd.entries[name]
		out.set(to, e.t, e.dtype)
	}
	return out, nil
}

// ShapeMismatch is a tensor present on both sides with different shapes.
type ShapeMismatch struct {
	Name  string
	Model []int // shape of the destination tensor
	File  []int // shape in the state dict
}

// LoadError lists every name that did not load, like the error text of
// PyTorch's load_state_dict: Missing are wanted by the model but absent
// from the state dict (sorted), Unexpected are in the state dict but not in
// the model (state-dict order), Mismatched differ in shape.
type LoadError struct {
	Missing    []string
	Unexpected []string
	Mismatched []ShapeMismatch
}

func (e *LoadError) Error() string {
	var parts []string
	if len(e.Missing) > 0 {
		parts = append(parts, fmt.Sprintf("missing %d: %s", len(e.Missing), listNames(e.Missing)))
	}
	if len(e.Unexpected) > 0 {
		parts = append(parts, fmt.Sprintf("unexpected %d: %s", len(e.Unexpected), listNames(e.Unexpected)))
	}
	if len(e.Mismatched) > 0 {
		s := make([]string, len(e.Mismatched))
		for i, m := range e.Mismatched {
			s[i] = fmt.Sprintf("%s (file %v, model %v)", m.Name, m.File, m.Model)
		}
		parts = append(parts, fmt.Sprintf("shape mismatch %d: %s", len(s), listNames(s)))
	}
	return "nn: loading state dict: " + strings.Join(parts, "; ")
}

// listNames joins up to 20 names and counts the rest.
func listNames(names []string) string {
	const show = 20
	if len(names) <= show {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:show], ", ") + fmt.Sprintf(", ... (%d more)", len(names)-show)
}

// CheckLoad compares a model's tensors (dst) with a state dict without
// copying anything; it returns nil when every name matches in both
// directions with equal shapes.
func CheckLoad(dst map[string]*autograd.Tensor, src *StateDict) *LoadError {
	return checkLoad(dst, src.names, func(name string) ([]int, bool) {
		if s := src.Get(name); s != nil {
			return s.Shape, true
		}
		return nil, false
	})
}

// checkLoad is CheckLoad against a source given by its names (in its
// order) and the shape of each.
func checkLoad(dst map[string]*autograd.Tensor, names []string, shape func(name string) ([]int, bool)) *LoadError {
	e := &LoadError{}
	for name, t := range dst {
		s, ok := shape(name)
		if !ok {
			e.Missing = append(e.Missing, name)
		} else if !slices.Equal(s, t.Shape) {
			e.Mismatched = append(e.Mismatched, ShapeMismatch{Name: name, Model: t.Shape, File: s})
		}
	}
	for _, name := range names {
		if _, ok := dst[name]; !ok {
			e.Unexpected = append(e.Unexpected, name)
		}
	}
	if len(e.Missing)+len(e.Unexpected)+len(e.Mismatched) == 0 {
		return nil
	}
	sort.Strings(e.Missing)
	sort.Slice(e.Mismatched, func(i, j int) bool { return e.Mismatched[i].Name < e.Mismatched[j].Name })
	return e
}

// LoadInto copies src's tensors into dst (a model's parameters and buffers
// by state-dict name), like PyTorch's model.load_state_dict(sd, strict).
//
// strict: any missing, unexpected or shape-mismatched name is an error
// (*LoadError) and nothing is copied. Lenient (strict == false): missing
// and unexpected names are ignored and the matching tensors are copied,
// but a shape mismatch is still an error, as in PyTorch: drop or rename
// the head's tensors (ApplyRenames) to load a backbone into a model with
// another number of classes. Use CheckLoad to list what a lenient load
// skipped.
func LoadInto(dst map[string]*autograd.Tensor, src *StateDict, strict bool) error {
	if e := CheckLoad(dst, src); e != nil {
		if strict {
			return e
		}
		if len(e.Mismatched) > 0 {
			return &LoadError{Mismatched: e.Mismatched}
		}
	}
	for name, t := range dst {
		if s := src.Get(name); s != nil {
			copy(t.Data, s.Data)
		}
	}
	return nil
}

// LoadReport is what LoadPartial did.
type LoadReport struct {
	Loaded int      // tensors copied: every tensor of the model
	Unused []string // tensors of the state dict the model does not have (file order)
}

// LoadPartial loads a model that is part of what a file holds (a backbone
// from an ImageNet classifier's checkpoint): every tensor of dst must be in
// src with its shape, while tensors of src that dst lacks are allowed and
// listed in the report. When no name of dst is in src at all, the error
// says so and shows a few names of each side, the usual sign of a naming
// convention that was not converted.
func LoadPartial(dst map[string]*autograd.Tensor, src *StateDict) (*LoadReport, error) {
	rep := &LoadReport{Loaded: len(dst)}
	e := CheckLoad(dst, src)
	if e != nil {
		rep.Unused = e.Unexpected
		if len(e.Missing) == len(dst) && len(dst) > 0 {
			want := make([]string, 0, len(dst))
			for n := range dst {
				want = append(want, n)
			}
			sort.Strings(want)
			return nil, fmt.Errorf("nn: no tensor of the model is in the state dict (model: %s; file: %s)",
				listNames(want[:min(3, len(want))]), listNames(src.names[:min(3, len(src.names))]))
		}
		if len(e.Missing)+len(e.Mismatched) > 0 {
			return nil, &LoadError{Missing: e.Missing, Mismatched: e.Mismatched}
		}
	}
	for name, t := range dst {
		copy(t.Data, src.Get(name).Data)
	}
	return rep, nil
}
