package main

import (
	"errors"
	"io"
	"syscall/js"
)

// jsBytes reads a JavaScript Uint8Array at offsets (io.ReaderAt), so that
// the weights go from the page's buffer into the network's tensors, one
// tensor at a time, with no copy of the whole 15 MB file in Go's memory:
// in a browser every megabyte the Go heap grows by costs time
// (docs/deploy.md).
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
