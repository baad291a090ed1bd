//go:build js

package nn

import (
	"fmt"
	"io"
)

// The js/wasm build (the web page of examples/wasm) leaves the torch.save
// reader (pth.go, pickle.go, with archive/zip and math/big) out: the page
// only reads safetensors, and every package linked in makes the page's
// program larger and slower to download and compile (docs/deploy.md).

// readPth refuses a torch.save checkpoint in the js/wasm build.
func readPth(_ io.ReaderAt, _ int64, path, _ string) (*StateDict, error) {
	return nil, fmt.Errorf("nn: %s: a torch.save checkpoint: this js/wasm build reads safetensors only "+
		"(convert it in Python with safetensors.torch.save_file)", path)
}
