//go:build !(js && wasm)

package main

import (
	"fmt"
	"os"
)

// main explains how this program is meant to be built: for the browser.
func main() {
	fmt.Fprintln(os.Stderr, "examples/wasm runs in a web page: build and serve it with\n\tgo run ./examples/wasm/serve [-run RUN]\n(it builds this package with GOOS=js GOARCH=wasm)")
	os.Exit(2)
}
