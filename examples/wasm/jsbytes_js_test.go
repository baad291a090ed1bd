package main

import (
	"bytes"
	"io"
	"slices"
	"syscall/js"
	"testing"
)

// Under Node (GOOS=js GOARCH=wasm go test): jsBytes reads a Uint8Array at
// offsets as bytes.Reader reads a []byte, and a model loaded from one
// classifies as a model loaded from Go bytes.

func uint8Array(b []byte) js.Value {
	v := js.Global().Get("Uint8Array").New(len(b))
	js.CopyBytesToJS(v, b)
	return v
}

func TestJSBytesReadAt(t *testing.T) {
	data := []byte("0123456789abcdef")
	r := jsBytes{uint8Array(data)}
	for _, tc := range []struct {
		off  int64
		n    int
		want string
		eof  bool
	}{{0, 4, "0123", false}, {10, 6, "abcdef", false}, {12, 8, "cdef", true}, {16, 1, "", true}, {40, 2, "", true}, {3, 0, "", false}} {
		p := make([]byte, tc.n)
		k, err := r.ReadAt(p, tc.off)
		if string(p[:k]) != tc.want || (err == io.EOF) != tc.eof || (err != nil && err != io.EOF) {
			t.Errorf("ReadAt(%d bytes, %d): %q, %v; want %q (EOF %v)", tc.n, tc.off, p[:k], err, tc.want, tc.eof)
		}
	}
	if _, err := r.ReadAt(make([]byte, 1), -1); err == nil {
		t.Error("negative offset: no error")
	}
}

func TestLoadFromUint8Array(t *testing.T) {
	spec, weights, thr := runFiles(t)
	var a, b app
	if err := a.load(spec, jsBytes{uint8Array(weights)}, int64(len(weights)), thr); err != nil {
		t.Fatal(err)
	}
	if err := b.load(spec, bytes.NewReader(weights), int64(len(weights)), thr); err != nil {
		t.Fatal(err)
	}
	img := pngBytes(t)
	ra, rb := a.classify(img), b.classify(img)
	if ra.Error != "" || !slices.Equal(ra.Top, rb.Top) || !slices.Equal(ra.Labels, rb.Labels) {
		t.Errorf("from a Uint8Array %+v, from bytes %+v", ra, rb)
	}
	cut := weights[:len(weights)/2]
	if err := a.load(spec, jsBytes{uint8Array(cut)}, int64(len(cut)), thr); err == nil {
		t.Error("half the weights in a Uint8Array: no error")
	}
}
