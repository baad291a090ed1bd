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
//	multilabel.load(specText, weightsBytes, thresholdsText) -> {ok, info} | {error}
//	multilabel.classify(imageBytes)                         -> JSON of result
//
// weightsBytes, a Uint8Array, is read in place (jsBytes), one tensor at a
// time into the network; the other arguments are copied into Go.
// then calls the page's onMultilabelReady() and waits for calls. Both run
// on the page's thread: classify blocks it for the duration of a forward
// pass (a demo; a Web Worker would keep the page responsive).
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
		var thr []byte
		if len(args) > 2 {
			thr = bytesOf(args[2])
		}
		var weights io.ReaderAt
		var size int64
		if w := args[1]; w.InstanceOf(js.Global().Get("Uint8Array")) {
			weights, size = jsBytes{w}, int64(w.Get("length").Int())
		} else {
			b := bytesOf(w)
			weights, size = bytes.NewReader(b), int64(len(b))
		}
		if err := a.load(bytesOf(args[0]), weights, size, thr); err != nil {
			return map[string]any{"error": err.Error()}
		}
		return map[string]any{"ok": true, "info": a.info()}
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
