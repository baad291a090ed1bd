//go:build !js

package nn

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"
	"unicode/utf8"
)

// A restricted pickle reader: just enough of Python's pickle machine to
// rebuild a state dict from torch.save's data.pkl, and nothing that can run
// code.
//
// Pickle is a little stack language. Each opcode (one byte, then its
// argument) pushes a value (EMPTY_DICT, BINUNICODE 'name', BININT1 3),
// combines values on the stack (TUPLE2 pops two and pushes a tuple;
// SETITEMS pops key/value pairs down to the last MARK into the dict below
// them), or calls something: GLOBAL 'module name' pushes a Python object
// found by name and REDUCE pops (callable, args) and pushes callable(*args).
// That last pair is why unpickling untrusted data with Python runs
// arbitrary code (GLOBAL 'posix system' + REDUCE). Here GLOBAL asks a
// find function (pth.go's whitelist: OrderedDict, the torch tensor
// rebuilders, the storage types) and REDUCE can only call the Go functions
// it returns; anything else is an error naming the global or the opcode.
// BINPERSID hands a "persistent id" to the caller's loader, which is how
// torch.save refers to tensor storages kept outside the pickle.
//
// Memory is bounded by the input: every value comes from at least one
// opcode byte, strings are checked against the bytes left, and the memo is
// a map keyed by the index the pickle names (not a slice sized by it).

// Python values, as Go values:
//
//	None -> pyNone{}   bool -> bool   int -> int64 or *big.Int
//	float -> float64   str -> string  tuple -> pyTuple
//	list -> *pyList    dict, OrderedDict -> *pyDict
//	a whitelisted callable -> *pyFunc
type (
	pyNone  struct{}
	pyTuple []any
	pyList  struct{ items []any }
	pyFunc  struct {
		name string // module.name, for errors
		call func(args pyTuple) (any, error)
	}
)

// pyDict is an insertion-ordered dict (Python dicts keep order, and a state
// dict's order is the model's). Keys must be None, bool, int, float or str.
type pyDict struct {
	keys, vals []any
	index      map[any]int
	attrs      any // state set by BUILD (an OrderedDict's _metadata), unused
}

func newPyDict() *pyDict { return &pyDict{index: map[any]int{}} }

func (d *pyDict) set(k, v any) error {
	switch k.(type) {
	case string, int64, bool, float64, pyNone:
	default:
		return fmt.Errorf("dict key of type %s is not supported", pyTypeName(k))
	}
	if i, ok := d.index[k]; ok {
		d.vals[i] = v
		return nil
	}
	d.index[k] = len(d.keys)
	d.keys = append(d.keys, k)
	d.vals = append(d.vals, v)
	return nil
}

func (d *pyDict) get(k any) (any, bool) {
	i, ok := d.index[k]
	if !ok {
		return nil, false
	}
	return d.vals[i], true
}

// pyTypeName names a value's type for error messages without printing the
// value (values may be large or refer to themselves).
func pyTypeName(v any) string {
	switch v := v.(type) {
	case pyNone:
		return "None"
	case bool:
		return "bool"
	case int64, *big.Int:
		return "int"
	case float64:
		return "float"
	case string:
		return "str"
	case pyTuple:
		return "tuple"
	case *pyList:
		return "list"
	case *pyDict:
		return "dict"
	case *pyFunc:
		return v.name
	}
	return fmt.Sprintf("%T", v)
}

// Opcodes we execute (protocol 2, plus the few protocol 4 adds for
// framing, short strings and memoization).
const (
	opMARK             = '('
	opSTOP             = '.'
	opBININT           = 'J'
	opBININT1          = 'K'
	opBININT2          = 'M'
	opNONE             = 'N'
	opBINPERSID        = 'Q'
	opREDUCE           = 'R'
	opBINUNICODE       = 'X'
	opEMPTY_LIST       = ']'
	opAPPEND           = 'a'
	opBUILD            = 'b'
	opGLOBAL           = 'c'
	opDICT             = 'd'
	opEMPTY_DICT       = '}'
	opAPPENDS          = 'e'
	opBINGET           = 'h'
	opLONG_BINGET      = 'j'
	opLIST             = 'l'
	opBINPUT           = 'q'
	opLONG_BINPUT      = 'r'
	opSETITEM          = 's'
	opTUPLE            = 't'
	opEMPTY_TUPLE      = ')'
	opSETITEMS         = 'u'
	opBINFLOAT         = 'G'
	opPROTO            = 0x80
	opTUPLE1           = 0x85
	opTUPLE2           = 0x86
	opTUPLE3           = 0x87
	opNEWTRUE          = 0x88
	opNEWFALSE         = 0x89
	opLONG1            = 0x8a
	opSHORT_BINUNICODE = 0x8c
	opBINUNICODE8      = 0x8d
	opSTACK_GLOBAL     = 0x93
	opMEMOIZE          = 0x94
	opFRAME            = 0x95
)

// opNames names every opcode for error messages; those without an op*
// constant above are refused.
var opNames = map[byte]string{
	opMARK: "MARK", opSTOP: "STOP", opBININT: "BININT", opBININT1: "BININT1",
	opBININT2: "BININT2", opNONE: "NONE", opBINPERSID: "BINPERSID", opREDUCE: "REDUCE",
	opBINUNICODE: "BINUNICODE", opEMPTY_LIST: "EMPTY_LIST", opAPPEND: "APPEND",
	opBUILD: "BUILD", opGLOBAL: "GLOBAL", opDICT: "DICT", opEMPTY_DICT: "EMPTY_DICT",
	opAPPENDS: "APPENDS", opBINGET: "BINGET", opLONG_BINGET: "LONG_BINGET", opLIST: "LIST",
	opBINPUT: "BINPUT", opLONG_BINPUT: "LONG_BINPUT", opSETITEM: "SETITEM", opTUPLE: "TUPLE",
	opEMPTY_TUPLE: "EMPTY_TUPLE", opSETITEMS: "SETITEMS", opBINFLOAT: "BINFLOAT",
	opPROTO: "PROTO", opTUPLE1: "TUPLE1", opTUPLE2: "TUPLE2", opTUPLE3: "TUPLE3",
	opNEWTRUE: "NEWTRUE", opNEWFALSE: "NEWFALSE", opLONG1: "LONG1",
	opSHORT_BINUNICODE: "SHORT_BINUNICODE", opBINUNICODE8: "BINUNICODE8",
	opSTACK_GLOBAL: "STACK_GLOBAL", opMEMOIZE: "MEMOIZE", opFRAME: "FRAME",
	'0': "POP", '1': "POP_MARK", '2': "DUP", 'F': "FLOAT", 'I': "INT", 'L': "LONG",
	'P': "PERSID", 'S': "STRING", 'T': "BINSTRING", 'U': "SHORT_BINSTRING", 'V': "UNICODE",
	'g': "GET", 'i': "INST", 'o': "OBJ", 'p': "PUT", 0x81: "NEWOBJ", 0x82: "EXT1",
	0x83: "EXT2", 0x84: "EXT4", 0x8b: "LONG4", 'B': "BINBYTES", 'C': "SHORT_BINBYTES",
	0x8e: "BINBYTES8", 0x8f: "EMPTY_SET", 0x90: "ADDITEMS", 0x91: "FROZENSET",
	0x92: "NEWOBJ_EX", 0x96: "BYTEARRAY8", 0x97: "NEXT_BUFFER", 0x98: "READONLY_BUFFER",
}

// unpickler runs one pickle. find resolves GLOBAL/STACK_GLOBAL (returning
// an error for anything not allowed); persistentLoad resolves BINPERSID.
type unpickler struct {
	data  []byte
	pos   int
	stack []any
	marks []int // stack heights at each MARK
	memo  map[uint32]any

	find           func(module, name string) (any, error)
	persistentLoad func(pid any) (any, error)
}

// unpickle runs data to its STOP and returns the value left on the stack.
func unpickle(data []byte, find func(module, name string) (any, error),
	persistentLoad func(pid any) (any, error)) (any, error) {
	u := &unpickler{data: data, memo: map[uint32]any{}, find: find, persistentLoad: persistentLoad}
	v, err := u.run()
	if err != nil {
		return nil, fmt.Errorf("pickle: byte %d: %w", u.pos, err)
	}
	return v, nil
}

var errTruncated = errors.New("unexpected end of pickle data")

// take returns the next n bytes, checking that they exist before anything
// is allocated for them.
func (u *unpickler) take(n uint64) ([]byte, error) {
	if n > uint64(len(u.data)-u.pos) {
		return nil, errTruncated
	}
	b := u.data[u.pos : u.pos+int(n)]
	u.pos += int(n)
	return b, nil
}

func (u *unpickler) uint(n int) (uint64, error) {
	b, err := u.take(uint64(n))
	if err != nil {
		return 0, err
	}
	var v uint64
	for i := n - 1; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v, nil
}

func (u *unpickler) push(v any) { u.stack = append(u.stack, v) }

func (u *unpickler) pop() (any, error) {
	if len(u.stack) == 0 || (len(u.marks) > 0 && len(u.stack) == u.marks[len(u.marks)-1]) {
		return nil, errors.New("stack underflow")
	}
	v := u.stack[len(u.stack)-1]
	u.stack = u.stack[:len(u.stack)-1]
	return v, nil
}

func (u *unpickler) top() (any, error) {
	if len(u.stack) == 0 || (len(u.marks) > 0 && len(u.stack) == u.marks[len(u.marks)-1]) {
		return nil, errors.New("stack underflow")
	}
	return u.stack[len(u.stack)-1], nil
}

// popMark pops everything above the last MARK (a copy) and the MARK.
func (u *unpickler) popMark() ([]any, error) {
	if len(u.marks) == 0 {
		return nil, errors.New("no MARK on the stack")
	}
	m := u.marks[len(u.marks)-1]
	u.marks = u.marks[:len(u.marks)-1]
	items := append([]any(nil), u.stack[m:]...)
	u.stack = u.stack[:m]
	return items, nil
}

func (u *unpickler) str(n uint64) (string, error) {
	b, err := u.take(n)
	if err != nil {
		return "", err
	}
	if !utf8.Valid(b) {
		return "", errors.New("string is not valid UTF-8")
	}
	return string(b), nil
}

// line reads a GLOBAL argument up to '\n'.
func (u *unpickler) line() (string, error) {
	for i := u.pos; i < len(u.data); i++ {
		if u.data[i] == '\n' {
			s := string(u.data[u.pos:i])
			u.pos = i + 1
			return s, nil
		}
	}
	return "", errTruncated
}

func (u *unpickler) run() (any, error) {
	for {
		if u.pos >= len(u.data) {
			return nil, errors.New("no STOP opcode before the end of the data")
		}
		op := u.data[u.pos]
		u.pos++
		if err := u.step(op); err != nil {
			if err == errStop {
				return u.stack[0], nil
			}
			name := opNames[op]
			if name == "" {
				return nil, fmt.Errorf("opcode 0x%02x: %w", op, err)
			}
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
}

var errStop = errors.New("STOP")

// step executes one opcode whose byte has been consumed, by its family.
func (u *unpickler) step(op byte) error {
	switch op {
	case opPROTO, opFRAME, opSTOP, opMARK:
		return u.stepControl(op)
	case opNONE, opNEWTRUE, opNEWFALSE, opEMPTY_DICT, opEMPTY_LIST, opEMPTY_TUPLE,
		opBININT, opBININT1, opBININT2, opLONG1, opBINFLOAT, opBINUNICODE, opSHORT_BINUNICODE, opBINUNICODE8:
		return u.stepLiteral(op)
	case opTUPLE, opTUPLE1, opTUPLE2, opTUPLE3, opLIST, opDICT, opAPPEND, opAPPENDS, opSETITEM, opSETITEMS:
		return u.stepContainer(op)
	case opBINPUT, opLONG_BINPUT, opMEMOIZE, opBINGET, opLONG_BINGET:
		return u.stepMemo(op)
	case opGLOBAL, opSTACK_GLOBAL, opREDUCE, opBUILD, opBINPERSID:
		return u.stepObject(op)
	default:
		if opNames[op] != "" {
			return errors.New("opcode not supported by this restricted reader (a state dict does not need it)")
		}
		return errors.New("not a pickle opcode")
	}
}

// stepControl runs the opcodes of the stream itself: its protocol, framing,
// marks and STOP.
func (u *unpickler) stepControl(op byte) error {
	switch op {
	case opPROTO:
		v, err := u.uint(1)
		if err != nil {
			return err
		}
		if v < 2 || v > 5 {
			return fmt.Errorf("pickle protocol %d not supported", v)
		}
	case opFRAME: // protocol 4 framing: a length prefix we do not need
		_, err := u.uint(8)
		return err
	case opSTOP:
		if len(u.stack) != 1 || len(u.marks) != 0 {
			return fmt.Errorf("STOP with %d values and %d marks on the stack, want 1 and 0", len(u.stack), len(u.marks))
		}
		return errStop
	case opMARK:
		u.marks = append(u.marks, len(u.stack))
	}
	return nil
}

// stepLiteral pushes a constant, an empty container, a number or a string.
func (u *unpickler) stepLiteral(op byte) error {
	switch op {
	case opNONE:
		u.push(pyNone{})
	case opNEWTRUE:
		u.push(true)
	case opNEWFALSE:
		u.push(false)
	case opEMPTY_DICT:
		u.push(newPyDict())
	case opEMPTY_LIST:
		u.push(&pyList{})
	case opEMPTY_TUPLE:
		u.push(pyTuple{})
	case opBININT: // 4-byte signed little-endian
		v, err := u.uint(4)
		if err != nil {
			return err
		}
		u.push(int64(int32(uint32(v))))
	case opBININT1:
		v, err := u.uint(1)
		if err != nil {
			return err
		}
		u.push(int64(v))
	case opBININT2:
		v, err := u.uint(2)
		if err != nil {
			return err
		}
		u.push(int64(v))
	case opLONG1: // n bytes of two's complement little-endian
		n, err := u.uint(1)
		if err != nil {
			return err
		}
		b, err := u.take(n)
		if err != nil {
			return err
		}
		u.push(decodeLong(b))
	case opBINFLOAT: // 8-byte big-endian IEEE double
		b, err := u.take(8)
		if err != nil {
			return err
		}
		u.push(math.Float64frombits(binary.BigEndian.Uint64(b)))
	case opBINUNICODE, opSHORT_BINUNICODE, opBINUNICODE8:
		width := 4
		switch op {
		case opSHORT_BINUNICODE:
			width = 1
		case opBINUNICODE8:
			width = 8
		}
		n, err := u.uint(width)
		if err != nil {
			return err
		}
		s, err := u.str(n)
		if err != nil {
			return err
		}
		u.push(s)
	}
	return nil
}

// stepContainer builds a tuple, list or dict from the stack, or appends or
// sets items in the one below.
func (u *unpickler) stepContainer(op byte) error {
	switch op {
	case opTUPLE:
		items, err := u.popMark()
		if err != nil {
			return err
		}
		u.push(pyTuple(items))
	case opTUPLE1, opTUPLE2, opTUPLE3:
		n := int(op-opTUPLE1) + 1
		t := make(pyTuple, n)
		for i := n - 1; i >= 0; i-- {
			v, err := u.pop()
			if err != nil {
				return err
			}
			t[i] = v
		}
		u.push(t)
	case opLIST:
		items, err := u.popMark()
		if err != nil {
			return err
		}
		u.push(&pyList{items: items})
	case opDICT:
		items, err := u.popMark()
		if err != nil {
			return err
		}
		d := newPyDict()
		if err := setItems(d, items); err != nil {
			return err
		}
		u.push(d)
	case opAPPEND:
		v, err := u.pop()
		if err != nil {
			return err
		}
		return u.appendTo([]any{v})
	case opAPPENDS:
		items, err := u.popMark()
		if err != nil {
			return err
		}
		return u.appendTo(items)
	case opSETITEM:
		v, err := u.pop()
		if err != nil {
			return err
		}
		k, err := u.pop()
		if err != nil {
			return err
		}
		return u.setItemsOf([]any{k, v})
	case opSETITEMS:
		items, err := u.popMark()
		if err != nil {
			return err
		}
		return u.setItemsOf(items)
	}
	return nil
}

// stepMemo stores the top of the stack in the memo, or pushes a stored
// value.
func (u *unpickler) stepMemo(op byte) error {
	switch op {
	case opBINPUT, opLONG_BINPUT, opMEMOIZE:
		v, err := u.top()
		if err != nil {
			return err
		}
		idx := uint64(len(u.memo))
		switch op {
		case opBINPUT:
			idx, err = u.uint(1)
		case opLONG_BINPUT:
			idx, err = u.uint(4)
		}
		if err != nil {
			return err
		}
		u.memo[uint32(idx)] = v
	case opBINGET, opLONG_BINGET:
		width := 1
		if op == opLONG_BINGET {
			width = 4
		}
		idx, err := u.uint(width)
		if err != nil {
			return err
		}
		v, ok := u.memo[uint32(idx)]
		if !ok {
			return fmt.Errorf("memo index %d was never stored", idx)
		}
		u.push(v)
	}
	return nil
}

// stepObject runs the opcodes that reach outside the data: globals (through
// find), calls (REDUCE), BUILD and persistent ids.
func (u *unpickler) stepObject(op byte) error {
	switch op {
	case opGLOBAL:
		module, err := u.line()
		if err != nil {
			return err
		}
		name, err := u.line()
		if err != nil {
			return err
		}
		return u.global(module, name)
	case opSTACK_GLOBAL:
		name, err1 := u.pop()
		module, err2 := u.pop()
		if err := errors.Join(err1, err2); err != nil {
			return err
		}
		m, ok1 := module.(string)
		n, ok2 := name.(string)
		if !ok1 || !ok2 {
			return errors.New("STACK_GLOBAL needs two strings")
		}
		return u.global(m, n)
	case opREDUCE:
		args, err := u.pop()
		if err != nil {
			return err
		}
		fn, err := u.pop()
		if err != nil {
			return err
		}
		f, ok := fn.(*pyFunc)
		if !ok {
			return fmt.Errorf("REDUCE: %s is not callable", pyTypeName(fn))
		}
		a, ok := args.(pyTuple)
		if !ok {
			return fmt.Errorf("REDUCE %s: arguments are a %s, not a tuple", f.name, pyTypeName(args))
		}
		v, err := f.call(a)
		if err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
		u.push(v)
	case opBUILD:
		state, err := u.pop()
		if err != nil {
			return err
		}
		obj, err := u.top()
		if err != nil {
			return err
		}
		// The only BUILD a state dict has sets the OrderedDict's
		// _metadata attribute (module versions); keep it, never run
		// __setstate__ on anything.
		d, ok := obj.(*pyDict)
		if !ok {
			return fmt.Errorf("BUILD on a %s is not supported", pyTypeName(obj))
		}
		d.attrs = state
	case opBINPERSID:
		pid, err := u.pop()
		if err != nil {
			return err
		}
		if u.persistentLoad == nil {
			return errors.New("persistent ids are not allowed here")
		}
		v, err := u.persistentLoad(pid)
		if err != nil {
			return err
		}
		u.push(v)
	}
	return nil
}

func (u *unpickler) global(module, name string) error {
	if u.find == nil {
		return fmt.Errorf("global %s.%s is not allowed", module, name)
	}
	v, err := u.find(module, name)
	if err != nil {
		return err
	}
	u.push(v)
	return nil
}

func (u *unpickler) appendTo(items []any) error {
	t, err := u.top()
	if err != nil {
		return err
	}
	l, ok := t.(*pyList)
	if !ok {
		return fmt.Errorf("append to a %s", pyTypeName(t))
	}
	l.items = append(l.items, items...)
	return nil
}

func (u *unpickler) setItemsOf(items []any) error {
	t, err := u.top()
	if err != nil {
		return err
	}
	d, ok := t.(*pyDict)
	if !ok {
		return fmt.Errorf("set item of a %s", pyTypeName(t))
	}
	return setItems(d, items)
}

func setItems(d *pyDict, items []any) error {
	if len(items)%2 != 0 {
		return fmt.Errorf("odd number (%d) of keys and values", len(items))
	}
	for i := 0; i < len(items); i += 2 {
		if err := d.set(items[i], items[i+1]); err != nil {
			return err
		}
	}
	return nil
}

// decodeLong reads LONG1's two's complement little-endian bytes: an int64
// when it fits, else a *big.Int (a checkpoint may hold a big int outside
// the state dict; it must not stop the load).
func decodeLong(b []byte) any {
	if len(b) <= 8 {
		var v uint64
		for i := len(b) - 1; i >= 0; i-- {
			v = v<<8 | uint64(b[i])
		}
		if len(b) > 0 && len(b) < 8 && b[len(b)-1]&0x80 != 0 {
			v |= ^uint64(0) << (8 * uint(len(b))) // sign-extend
		}
		return int64(v)
	}
	be := make([]byte, len(b))
	for i := range b {
		be[len(b)-1-i] = b[i]
	}
	v := new(big.Int).SetBytes(be)
	if b[len(b)-1]&0x80 != 0 {
		v.Sub(v, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	return v
}
