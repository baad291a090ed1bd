// Command serve builds the in-browser classifier (examples/wasm, GOOS=js
// GOARCH=wasm) and serves it with a run folder's model on a local address:
//
//	go run ./examples/wasm/serve                      # the newest runs/voc-* (go run ./examples/voc)
//	go run ./examples/wasm/serve -run RUN -addr 127.0.0.1:8080
//	go run ./examples/wasm/serve -run RUN -out site/  # write a static site instead of serving
//
// The page is web/index.html; the model files are read from the run folder
// at each request (model.json, best.safetensors, thresholds.json), so
// nothing large is built into the binary or the repository. The program is
// built without its symbol table (-ldflags=-s -w: Go's own tracebacks do not
// need it) and, with the page and wasm_exec.js, served gzip-compressed to
// browsers that accept it (7 MB of WebAssembly travel as 1.9 MB); the
// weights are not (float32 weights compress to 93%: no gain worth the
// CPU), see docs/deploy.md.
package main

import (
	"embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

//go:embed web/index.html
var web embed.FS

// modelFiles are served under /model/; thresholds.json is optional.
var modelFiles = []string{"model.json", "best.safetensors", "thresholds.json"}

func main() {
	run := flag.String("run", "", "run folder (default: the newest runs/voc-* or runs/*)")
	addr := flag.String("addr", "127.0.0.1:8080", "address to serve on")
	out := flag.String("out", "", "write a static site (index.html, main.wasm, wasm_exec.js, model/) to this folder and exit")
	flag.Parse()
	if err := serve(*run, *addr, *out); err != nil {
		fmt.Fprintln(os.Stderr, "serve:", err)
		os.Exit(2)
	}
}

func serve(run, addr, out string) error {
	run, err := findRun(run)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "multilabel-wasm")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	wasm := filepath.Join(tmp, "main.wasm")
	fmt.Fprintln(os.Stderr, "building examples/wasm for GOOS=js GOARCH=wasm ...")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", wasm, "github.com/seed477ab429/multilabel/examples/wasm")
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("building the wasm program: %w", err)
	}
	execJS, err := wasmExecJS()
	if err != nil {
		return err
	}
	index, _ := web.ReadFile("web/index.html")
	if out != "" {
		return writeSite(out, run, index, wasm, execJS)
	}

	mux := http.NewServeMux()
	for _, f := range []struct{ url, typ, path string }{
		{"/main.wasm", "application/wasm", wasm},
		{"/wasm_exec.js", "text/javascript; charset=utf-8", execJS},
	} {
		b, err := os.ReadFile(f.path)
		if err != nil {
			return err
		}
		mux.Handle(f.url, newStatic(f.typ, b))
	}
	page := newStatic("text/html; charset=utf-8", index)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" && r.URL.Path != "/index.html" {
			http.NotFound(w, r)
			return
		}
		page.ServeHTTP(w, r)
	})
	for _, f := range modelFiles {
		path := filepath.Join(run, f)
		mux.HandleFunc("/model/"+f, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cache-Control", "no-store")
			http.ServeFile(w, r, path)
		})
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	fmt.Printf("serving %s at http://%s/ (Ctrl-C stops)\n", run, ln.Addr())
	return http.Serve(ln, mux)
}

// findRun returns run after checking it, or the newest run folder under
// ./runs when run is "".
func findRun(run string) (string, error) {
	if run == "" {
		cands, _ := filepath.Glob(filepath.Join("runs", "*", "model.json"))
		if len(cands) == 0 {
			return "", errors.New("no run folder under ./runs: train one with `go run ./examples/voc` (or give -run)")
		}
		sort.Slice(cands, func(i, j int) bool {
			a, _ := os.Stat(cands[i])
			b, _ := os.Stat(cands[j])
			return a.ModTime().After(b.ModTime())
		})
		run = filepath.Dir(cands[0])
	}
	for _, f := range modelFiles[:2] {
		if st, err := os.Stat(filepath.Join(run, f)); err != nil || st.IsDir() {
			if f == "best.safetensors" {
				return "", fmt.Errorf("-run %s: the run folder has no %s (did training finish an epoch?)", run, f)
			}
			return "", fmt.Errorf("-run %s: not a run folder (no %s)", run, f)
		}
	}
	return run, nil
}

// wasmExecJS finds the JavaScript glue of Go's wasm port in GOROOT.
func wasmExecJS() (string, error) {
	root, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOROOT: %w", err)
	}
	r := strings.TrimSpace(string(root))
	for _, p := range []string{filepath.Join(r, "lib", "wasm", "wasm_exec.js"), filepath.Join(r, "misc", "wasm", "wasm_exec.js")} {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("wasm_exec.js not found under %s", r)
}

// writeSite writes the page, the program and the model as static files.
func writeSite(out, run string, index []byte, wasm, execJS string) error {
	if err := os.MkdirAll(filepath.Join(out, "model"), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "index.html"), index, 0o644); err != nil {
		return err
	}
	copies := [][2]string{{wasm, filepath.Join(out, "main.wasm")}, {execJS, filepath.Join(out, "wasm_exec.js")}}
	for _, f := range modelFiles {
		if _, err := os.Stat(filepath.Join(run, f)); err == nil {
			copies = append(copies, [2]string{filepath.Join(run, f), filepath.Join(out, "model", f)})
		}
	}
	for _, c := range copies {
		if err := copyFile(c[0], c[1]); err != nil {
			return err
		}
	}
	fmt.Printf("wrote %s: serve it with any static file server (main.wasm as application/wasm)\n", out)
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	o, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(o, in); err != nil {
		o.Close()
		return err
	}
	return o.Close()
}
