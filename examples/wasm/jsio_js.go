package main

import (
	"errors"
	"io"
	"syscall/js"
)

// Reading the page's JavaScript data from Go without copying a whole file
// into Go's memory first: in a browser every megabyte the Go heap grows
// by costs time (docs/deploy.md).

// jsBytes reads a JavaScript Uint8Array at offsets (io.ReaderAt).
type jsBytes struct{ v js.Value }

func (b jsBytes) ReadAt(p []byte, off int64) (int, error) {
	n := int64(b.v.Get("length").Int())
	switch {
	case off < 0:
		return 0, errors.New("jsBytes.ReadAt: negative offset")
	case off >= n:
		return 0, io.EOF
	}
	end := min(n, off+int64(len(p)))
	k := js.CopyBytesToGo(p, b.v.Call("subarray", off, end))
	if k < len(p) {
		return k, io.EOF
	}
	return k, nil
}

// jsStream reads a JavaScript ReadableStream of Uint8Arrays (a fetch
// Response's body) as an io.Reader: each Read copies from the current
// chunk, and waits for the next one when it is used up. Read blocks its
// goroutine, which must not be the one running a js.FuncOf callback.
type jsStream struct {
	reader js.Value // the stream's ReadableStreamDefaultReader
	chunk  js.Value // the current chunk, read up to off
	off    int
	n      int64 // bytes read in all
	err    error // sticky: io.EOF at the end
}

func newJSStream(stream js.Value) *jsStream {
	return &jsStream{reader: stream.Call("getReader"), chunk: js.Undefined()}
}

func (s *jsStream) Read(p []byte) (int, error) {
	for s.chunk.IsUndefined() || s.off >= s.chunk.Get("length").Int() {
		if s.err != nil {
			return 0, s.err
		}
		v, err := await(s.reader.Call("read"))
		switch {
		case err != nil:
			s.err = err
		case v.Get("done").Bool():
			s.err = io.EOF
		default:
			s.chunk, s.off = v.Get("value"), 0
		}
	}
	if len(p) == 0 {
		return 0, nil
	}
	k := js.CopyBytesToGo(p, s.chunk.Call("subarray", s.off))
	s.off += k
	s.n += int64(k)
	return k, nil
}

// await waits for a JavaScript promise: its value, or its rejection as an
// error.
func await(promise js.Value) (js.Value, error) {
	type result struct {
		v   js.Value
		err error
	}
	ch := make(chan result, 1)
	then := js.FuncOf(func(_ js.Value, args []js.Value) any {
		ch <- result{v: args[0]}
		return nil
	})
	catch := js.FuncOf(func(_ js.Value, args []js.Value) any {
		ch <- result{err: errors.New(js.Global().Get("String").Invoke(args[0]).String())}
		return nil
	})
	defer then.Release()
	defer catch.Release()
	promise.Call("then", then, catch)
	r := <-ch
	return r.v, r.err
}

// promise runs f in a goroutine of its own (it may wait for JavaScript,
// as jsStream does) and returns a Promise of its result.
func promise(f func() any) js.Value {
	executor := js.FuncOf(func(_ js.Value, args []js.Value) any {
		resolve := args[0]
		go func() { resolve.Invoke(f()) }()
		return nil
	})
	defer executor.Release() // the Promise constructor has run it
	return js.Global().Get("Promise").New(executor)
}
