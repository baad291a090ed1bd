package main

import (
	"bytes"
	"io"
	"slices"
	"strings"
	"syscall/js"
	"testing"
)

// Under Node (GOOS=js GOARCH=wasm go test): jsBytes reads a Uint8Array at
// offsets as bytes.Reader reads a []byte, jsStream reads a ReadableStream,
// and a model loaded from either classifies as a model loaded from Go
// bytes.

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

// stream is a ReadableStream of the given chunks, then an error if err
// is not "".
func stream(chunks [][]byte, err string) js.Value {
	var start js.Func
	start = js.FuncOf(func(_ js.Value, args []js.Value) any {
		c := args[0]
		for _, b := range chunks {
			c.Call("enqueue", uint8Array(b))
		}
		if err != "" {
			c.Call("error", err)
		} else {
			c.Call("close")
		}
		return nil
	})
	return js.Global().Get("ReadableStream").New(map[string]any{"start": start})
}

func TestJSStream(t *testing.T) {
	s := newJSStream(stream([][]byte{[]byte("abc"), {}, []byte("defgh")}, ""))
	got, err := io.ReadAll(s)
	if string(got) != "abcdefgh" || err != nil || s.n != 8 {
		t.Errorf("ReadAll: %q, %v (n %d)", got, err, s.n)
	}
	if k, err := s.Read(make([]byte, 4)); k != 0 || err != io.EOF {
		t.Errorf("after the end: %d, %v", k, err)
	}
	// (A stream that errors drops the chunks still queued.)
	s = newJSStream(stream([][]byte{[]byte("ab")}, "network down"))
	if _, err = io.ReadAll(s); err == nil || !strings.Contains(err.Error(), "network down") {
		t.Errorf("erroring stream: %v", err)
	}
}

func TestLoadFromJS(t *testing.T) {
	spec, weights, thr := runFiles(t)
	var ref app
	if err := ref.load(spec, bytes.NewReader(weights), thr); err != nil {
		t.Fatal(err)
	}
	img := pngBytes(t)
	want := ref.classify(img)
	var chunks [][]byte
	for b := weights; len(b) > 0; b = b[min(len(b), 65536):] {
		chunks = append(chunks, b[:min(len(b), 65536)])
	}
	for name, r := range map[string]io.Reader{
		"Uint8Array": io.NewSectionReader(jsBytes{uint8Array(weights)}, 0, int64(len(weights))),
		"stream":     newJSStream(stream(chunks, "")),
	} {
		var a app
		if err := a.load(spec, r, thr); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got := a.classify(img)
		if got.Error != "" || !slices.Equal(got.Top, want.Top) || !slices.Equal(got.Labels, want.Labels) {
			t.Errorf("from a %s %+v, from bytes %+v", name, got, want)
		}
	}
	cut := weights[:len(weights)/2]
	var a app
	for name, r := range map[string]io.Reader{
		"Uint8Array": io.NewSectionReader(jsBytes{uint8Array(cut)}, 0, int64(len(cut))),
		"stream":     newJSStream(stream([][]byte{cut}, "")),
		"failing":    newJSStream(stream(chunks[:2], "connection reset")),
	} {
		if err := a.load(spec, r, thr); err == nil {
			t.Errorf("%s with half the weights: no error", name)
		}
	}
}
