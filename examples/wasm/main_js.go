//go:build js && wasm

package main

import (
	"bytes"
	"encoding/json"
	"io"
	"syscall/js"
)

// main exposes the app to the page as the global object multilabel:
//
//	multilabel.load(specText, weights, thresholdsText) -> Promise of {ok, info, bytes} | {error}
//	multilabel.classify(imageBytes)                    -> JSON of result
//
// then calls the page's onMultilabelReady() and waits for calls. weights
// is a fetch Response's body (a ReadableStream: each chunk goes into the
// network as it arrives, jsStream) or a Uint8Array (read in place,
// jsBytes); the other arguments are copied into Go. load's work runs in a
// goroutine of its own, so that it can wait for the stream's chunks;
// classify runs on the page's thread and blocks it for the duration of a
// forward pass (a demo; a Web Worker would keep the page responsive).
func main() {
	a := &app{}
	bytesOf := func(v js.Value) []byte {
		if v.IsUndefined() || v.IsNull() {
			return nil
		}
		if v.Type() == js.TypeString {
			return []byte(v.String())
		}
		b := make([]byte, v.Get("length").Int())
		js.CopyBytesToGo(b, v)
		return b
	}
	load := js.FuncOf(func(_ js.Value, args []js.Value) any {
		if len(args) < 2 {
			return map[string]any{"error": "load(spec, weights[, thresholds])"}
		}
		spec, w := bytesOf(args[0]), args[1]
		var thr []byte
		if len(args) > 2 {
			thr = bytesOf(args[2])
		}
		var weights io.Reader
		var size func() int64
		switch {
		case w.IsUndefined() || w.IsNull():
		case w.InstanceOf(js.Global().Get("Uint8Array")):
			r := io.NewSectionReader(jsBytes{w}, 0, int64(w.Get("length").Int()))
			weights, size = r, r.Size
		case w.Get("getReader").Type() == js.TypeFunction:
			s := newJSStream(w)
			weights, size = s, func() int64 { return s.n }
		default:
			r := bytes.NewReader(bytesOf(w))
			weights, size = r, r.Size
		}
		return promise(func() any {
			if err := a.load(spec, weights, thr); err != nil {
				return map[string]any{"error": err.Error()}
			}
			return map[string]any{"ok": true, "info": a.info(), "bytes": size()}
		})
	})
	classify := js.FuncOf(func(_ js.Value, args []js.Value) any {
		var r result
		if len(args) < 1 {
			r.Error = "classify(imageBytes)"
		} else {
			r = a.classify(bytesOf(args[0]))
		}
		b, _ := json.Marshal(r)
		return string(b)
	})
	js.Global().Set("multilabel", map[string]any{"load": load, "classify": classify})
	if ready := js.Global().Get("onMultilabelReady"); ready.Type() == js.TypeFunction {
		ready.Invoke()
	}
	select {}
}
