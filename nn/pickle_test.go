//go:build !js

package nn

import (
	"encoding/binary"
	"math"
	"math/big"
	"strings"
	"testing"
)

// A tiny pickle assembler for tests: each helper returns the bytes of one
// opcode with its argument; pk concatenates them.

func pk(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func op(b ...byte) []byte { return b }

func pkStr(s string) []byte { // BINUNICODE
	return append(binary.LittleEndian.AppendUint32([]byte{opBINUNICODE}, uint32(len(s))), s...)
}

func pkInt(v int32) []byte { // BININT
	return binary.LittleEndian.AppendUint32([]byte{opBININT}, uint32(v))
}

func pkFloat(v float64) []byte { // BINFLOAT
	return binary.BigEndian.AppendUint64([]byte{opBINFLOAT}, math.Float64bits(v))
}

func pkGlobal(module, name string) []byte {
	return []byte("c" + module + "\n" + name + "\n")
}

var pkProto2 = op(opPROTO, 2)

func TestUnpickleValues(t *testing.T) {
	// {"l": [1, -2, 300, 70000, True, False, None, 1.5, -1 (LONG1), 2**64 (LONG1)],
	//  "t": ("x", 7), "m": <the same list again, through the memo>}
	data := pk(pkProto2, op(opEMPTY_DICT), op(opMARK),
		pkStr("l"), op(opEMPTY_LIST), op(opBINPUT, 0), op(opMARK),
		op(opBININT1, 1), pkInt(-2), op(opBININT2, 0x2c, 0x01), pkInt(70000),
		op(opNEWTRUE), op(opNEWFALSE), op(opNONE), pkFloat(1.5),
		op(opLONG1, 1, 0xff), op(opLONG1, 9, 0, 0, 0, 0, 0, 0, 0, 0, 1),
		op(opAPPENDS),
		pkStr("t"), pkStr("x"), op(opBININT1, 7), op(opTUPLE2),
		pkStr("m"), op(opBINGET, 0),
		op(opSETITEMS), op(opSTOP))
	v, err := unpickle(data, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	d := v.(*pyDict)
	l, _ := d.get("l")
	items := l.(*pyList).items
	want := []any{int64(1), int64(-2), int64(300), int64(70000), true, false, pyNone{}, 1.5, int64(-1)}
	if len(items) != 10 {
		t.Fatalf("list %v", items)
	}
	for i, w := range want {
		if items[i] != w {
			t.Errorf("item %d = %#v, want %#v", i, items[i], w)
		}
	}
	if b, ok := items[9].(*big.Int); !ok || b.Cmp(new(big.Int).Lsh(big.NewInt(1), 64)) != 0 {
		t.Errorf("LONG1 2**64 = %v", items[9])
	}
	if tup, _ := d.get("t"); len(tup.(pyTuple)) != 2 || tup.(pyTuple)[0] != "x" || tup.(pyTuple)[1] != int64(7) {
		t.Errorf("tuple %v", tup)
	}
	if m, _ := d.get("m"); m != l {
		t.Error("BINGET did not return the memoized list")
	}
	if len(d.keys) != 3 || d.keys[0] != "l" || d.keys[2] != "m" {
		t.Errorf("dict order %v", d.keys)
	}
}

func TestDecodeLong(t *testing.T) {
	for _, tc := range []struct {
		b    []byte
		want int64
	}{
		{nil, 0}, {[]byte{0x7f}, 127}, {[]byte{0x80}, -128}, {[]byte{0xff, 0x00}, 255},
		{[]byte{0x00, 0x80}, -32768}, {[]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}, math.MaxInt64},
		{[]byte{0, 0, 0, 0, 0, 0, 0, 0x80}, math.MinInt64}, {[]byte{0x15, 0xcd, 0x5b, 0x07}, 123456789},
	} {
		if got := decodeLong(tc.b); got != tc.want {
			t.Errorf("decodeLong(% x) = %v, want %d", tc.b, got, tc.want)
		}
	}
	// -(2**64): 9 bytes, negative.
	neg := decodeLong([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0xff}).(*big.Int)
	if want := new(big.Int).Neg(new(big.Int).Lsh(big.NewInt(1), 64)); neg.Cmp(want) != 0 {
		t.Errorf("decodeLong 9 bytes = %v, want %v", neg, want)
	}
}

// Anything outside the whitelist fails with an error that says what it
// met, and nothing is ever called.
func TestUnpickleRejects(t *testing.T) {
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"os.system", pk(pkProto2, pkGlobal("posix", "system"), pkStr("echo pwned"), op(opTUPLE1), op(opREDUCE), op(opSTOP)),
			"global posix.system is not allowed"},
		{"builtins.eval via STACK_GLOBAL", pk(op(opPROTO, 4), pkStr("builtins"), pkStr("eval"), op(opSTACK_GLOBAL), op(opSTOP)),
			"global builtins.eval is not allowed"},
		{"torch global not whitelisted", pk(pkProto2, pkGlobal("torch", "load"), op(opSTOP)), "global torch.load"},
		{"INST", pk(pkProto2, []byte("ios\nsystem\n"), op(opSTOP)), "INST: opcode not supported"},
		{"NEWOBJ", pk(pkProto2, op(opEMPTY_TUPLE), op(opEMPTY_TUPLE), op(0x81), op(opSTOP)), "NEWOBJ"},
		{"BINBYTES", pk(pkProto2, op('C', 1, 'x'), op(opSTOP)), "SHORT_BINBYTES"},
		{"unknown opcode", pk(pkProto2, op(0xff)), "opcode 0xff: not a pickle opcode"},
		{"protocol 1", pk(op(opPROTO, 1), op(opNONE), op(opSTOP)), "protocol 1"},
		{"no STOP", pk(pkProto2, op(opNONE)), "no STOP"},
		{"empty", nil, "no STOP"},
		{"underflow", pk(pkProto2, op(opNONE), op(opTUPLE2), op(opSTOP)), "TUPLE2: stack underflow"},
		{"pop across MARK", pk(pkProto2, op(opNONE), op(opMARK), op(opTUPLE1)), "TUPLE1: stack underflow"},
		{"no MARK", pk(pkProto2, op(opTUPLE), op(opSTOP)), "no MARK"},
		{"two values at STOP", pk(pkProto2, op(opNONE), op(opNONE), op(opSTOP)), "STOP with 2 values"},
		{"string too long", pk(pkProto2, op(opBINUNICODE, 0xff, 0xff, 0xff, 0x7f), []byte("abc")), "unexpected end"},
		{"invalid UTF-8", pk(pkProto2, op(opSHORT_BINUNICODE, 2, 0xff, 0xfe), op(opSTOP)), "UTF-8"},
		{"memo miss", pk(pkProto2, op(opBINGET, 9), op(opSTOP)), "memo index 9"},
		{"REDUCE non-callable", pk(pkProto2, pkStr("f"), op(opEMPTY_TUPLE), op(opREDUCE), op(opSTOP)), "str is not callable"},
		{"SETITEM on list", pk(pkProto2, op(opEMPTY_LIST), op(opNONE), op(opNONE), op(opSETITEM), op(opSTOP)), "set item of a list"},
		{"list as dict key", pk(pkProto2, op(opEMPTY_DICT), op(opEMPTY_LIST), op(opNONE), op(opSETITEM), op(opSTOP)), "dict key of type list"},
		{"odd SETITEMS", pk(pkProto2, op(opEMPTY_DICT), op(opMARK), op(opNONE), op(opSETITEMS), op(opSTOP)), "odd number"},
		{"BUILD on a list", pk(pkProto2, op(opEMPTY_LIST), op(opEMPTY_DICT), op(opBUILD), op(opSTOP)), "BUILD on a list"},
		{"persistent id", pk(pkProto2, pkStr("x"), op(opBINPERSID), op(opSTOP)), "persistent ids are not allowed"},
		{"truncated GLOBAL", pk(pkProto2, []byte("ctorch\nFloat")), "unexpected end"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := unpickle(tc.data, torchFind, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}
