package layout

import (
	"bufio"
	"bytes"
	"errors"
	"go/build"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

// floors places every package of the module, by its path below the module
// root ("" is the root package multilabel). A package may import only
// packages on lower floors: no arrow runs upward or sideways, so the import
// graph has no cycle. docs/layout.md draws the same floors. A new package
// gets its floor here and there.
var floors = map[string]int{
	"ops":                0, // raw kernels on []float32
	"onnx/onnxpb":        0, // generated ONNX protobuf types
	"autograd":           1, // tensors, tape, differentiable ops
	"autograd/gradcheck": 2, // finite-difference checks of autograd's rules
	"nn":                 2, // layers, state dicts, weight files
	"models":             3, // backbones and heads
	"losses":             3, // training objectives
	"data":               4, // data sets, decoding, resizing, loading
	"augment":            4, // training augmentation
	"metrics":            4, // mAP, threshold metrics, tuning
	"synth":              4, // the built-in synthetic data set
	"quant":              4, // int8 post-training quantization, inference engine
	"internal/chart":     4, // PNG charts of a run (training curves, PR curves, LR search)
	"train":              5, // the training loop
	"onnx":               5, // ONNX import and export
	"":                   6, // the inference API (package multilabel)
	"recipe":             7, // the pipeline the CLI and the example share
}

// topFloor holds the programs and this package: everything under these
// folders may import any library package.
const topFloor = 8

var topFolders = []string{"cmd", "examples", "bench", "tools", "internal"}

func floorOf(rel string) (int, bool) {
	if f, ok := floors[rel]; ok {
		return f, true
	}
	first, _, _ := strings.Cut(rel, "/")
	if slices.Contains(topFolders, first) {
		return topFloor, true
	}
	return 0, false
}

// pkgInfo is what the checks need of one package directory.
type pkgInfo struct {
	rel     string   // path below the module root
	name    string   // package name
	doc     string   // first sentence of the package comment
	imports []string // this module's packages it imports (non-test files, any of the build contexts)
}

// repo returns the module root and module path.
func repo(t *testing.T) (root, module string) {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^module\s+(\S+)`).FindSubmatch(b)
	if m == nil {
		t.Fatal("go.mod has no module line")
	}
	return root, string(m[1])
}

// walkDirs calls fn for every directory of the module that can hold a
// package (not testdata, not hidden, not a nested module).
func walkDirs(t *testing.T, root string, fn func(dir string)) {
	t.Helper()
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		name := d.Name()
		if p != root && (name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
			return filepath.SkipDir
		}
		if p != root {
			if _, err := os.Stat(filepath.Join(p, "go.mod")); err == nil {
				return filepath.SkipDir
			}
		}
		fn(p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// packages reads every package of the module under the build contexts the
// project must build for (linux/amd64, linux/arm64, js/wasm), so imports of
// architecture-specific files count too.
func packages(t *testing.T) []pkgInfo {
	t.Helper()
	root, module := repo(t)
	var ctxs []build.Context
	for _, p := range [][2]string{{"linux", "amd64"}, {"linux", "arm64"}, {"js", "wasm"}} {
		c := build.Default
		c.GOOS, c.GOARCH, c.CgoEnabled = p[0], p[1], false
		ctxs = append(ctxs, c)
	}
	var out []pkgInfo
	walkDirs(t, root, func(dir string) {
		rel, _ := filepath.Rel(root, dir)
		rel = filepath.ToSlash(rel)
		if rel == "." {
			rel = ""
		}
		var info *pkgInfo
		imports := map[string]bool{}
		for _, c := range ctxs {
			bp, err := c.ImportDir(dir, 0)
			var noGo *build.NoGoError
			if errors.As(err, &noGo) {
				continue
			}
			if err != nil {
				t.Errorf("%s: %v", dir, err)
				return
			}
			if info == nil {
				info = &pkgInfo{rel: rel, name: bp.Name, doc: bp.Doc}
			}
			for _, imp := range bp.Imports {
				if imp == module || strings.HasPrefix(imp, module+"/") {
					imports[strings.TrimPrefix(strings.TrimPrefix(imp, module), "/")] = true
				}
			}
		}
		if info == nil {
			return
		}
		for imp := range imports {
			info.imports = append(info.imports, imp)
		}
		sort.Strings(info.imports)
		out = append(out, *info)
	})
	if len(out) < 10 {
		t.Fatalf("found only %d packages under %s", len(out), root)
	}
	return out
}

func show(rel string) string {
	if rel == "" {
		return "multilabel (root)"
	}
	return rel
}

// No import runs upward or sideways, so there is no cycle, and every
// package has a floor.
func TestImportFloors(t *testing.T) {
	for _, p := range packages(t) {
		f, ok := floorOf(p.rel)
		if !ok {
			t.Errorf("package %s has no floor: place it in floors (internal/layout/layout_test.go) and in docs/layout.md", show(p.rel))
			continue
		}
		for _, imp := range p.imports {
			g, ok := floorOf(imp)
			if !ok {
				continue // reported as its own package
			}
			if g >= f {
				t.Errorf("%s (floor %d) imports %s (floor %d): imports must go to a lower floor", show(p.rel), f, show(imp), g)
			}
		}
	}
}

// docs/layout.md names every library package, so the drawing cannot drift
// from the floors above.
func TestLayoutDocNamesEveryPackage(t *testing.T) {
	root, _ := repo(t)
	b, err := os.ReadFile(filepath.Join(root, "docs", "layout.md"))
	if err != nil {
		t.Fatal(err)
	}
	for rel := range floors {
		name := rel + "/"
		if rel == "" {
			name = "multilabel"
		}
		if !bytes.Contains(b, []byte(name)) {
			t.Errorf("docs/layout.md does not show package %s", show(rel))
		}
	}
}

var generated = regexp.MustCompile(`^// Code generated .* DO NOT EDIT\.$`)

// Every Go file is under 800 lines and the median under 150, so that a
// reader finds one idea per file. Generated files (the "Code generated ...
// DO NOT EDIT." header) are not counted.
func TestFileSizes(t *testing.T) {
	root, _ := repo(t)
	var sizes []int
	walkDirs(t, root, func(dir string) {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if e.IsDir() || !strings.HasSuffix(e.Name(), ".go") {
				continue
			}
			p := filepath.Join(dir, e.Name())
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if isGenerated(b) {
				continue
			}
			n := bytes.Count(b, []byte("\n"))
			if len(b) > 0 && b[len(b)-1] != '\n' {
				n++
			}
			rel, _ := filepath.Rel(root, p)
			if n >= 800 {
				t.Errorf("%s has %d lines; split it (800 at most)", rel, n)
			}
			sizes = append(sizes, n)
		}
	})
	sort.Ints(sizes)
	if len(sizes) == 0 {
		t.Fatal("no Go files")
	}
	median := sizes[len(sizes)/2]
	if len(sizes)%2 == 0 {
		median = (sizes[len(sizes)/2-1] + sizes[len(sizes)/2]) / 2
	}
	t.Logf("%d Go files, median %d lines, largest %d", len(sizes), median, sizes[len(sizes)-1])
	if median >= 150 {
		t.Errorf("median file is %d lines, want under 150", median)
	}
}

func isGenerated(b []byte) bool {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "package ") {
			return false
		}
		if generated.MatchString(line) {
			return true
		}
	}
	return false
}

// Every package's doc comment opens with "Package <name> ..." (a command:
// "Command <name> ...") and a first sentence that says what it is for.
func TestPackageDocs(t *testing.T) {
	for _, p := range packages(t) {
		want := "Package " + p.name + " "
		if p.name == "main" {
			want = "Command " + filepath.Base(filepath.FromSlash(p.rel)) + " "
		}
		switch {
		case p.doc == "":
			t.Errorf("%s: no package doc comment", show(p.rel))
		case !strings.HasPrefix(p.doc, want):
			t.Errorf("%s: doc starts %q, want %q", show(p.rel), firstWords(p.doc, 4), want+"...")
		case len(strings.Fields(p.doc)) < 6:
			t.Errorf("%s: doc's first sentence %q is too short to say what the package is for", show(p.rel), p.doc)
		}
	}
}

func firstWords(s string, n int) string {
	f := strings.Fields(s)
	return strings.Join(f[:min(n, len(f))], " ")
}
