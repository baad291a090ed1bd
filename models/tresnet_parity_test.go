package models

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"math"
	"math/bits"
	"os"
	"path/filepath"
	"strings"
	"testing"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/nn"
)

// Parity with PyTorch on reduced-width models. The fixtures
// (testdata/gen_tresnet.py, gen_resnet.py) hold no weights: both sides fill
// every tensor, the input and the backward seed from the same integer
// generator (parityGen, make_values in the scripts), so they start from
// bit-identical float32 data. The fixtures hold the state-dict names and
// shapes, eval-mode logits and features (with perturbed BN statistics),
// train-mode logits, and the gradients of Σ logits ⊙ R for the input and
// every parameter.

// parityGen is a 64-bit LCG (Knuth's MMIX constants); each draw is an
// integer in [-64, 63] from the top bits.
type parityGen struct{ s uint64 }

func (g *parityGen) k() int {
	g.s = g.s*6364136223846793005 + 1442695040888963407
	return int((g.s>>33)%128) - 64
}

// values fills t (named name) as make_values does: BN variance and 1-D
// weights (γ) 1 + k/128, running means and biases k/256, conv and linear
// weights k/64 / 2^e with 2^e <= √fan_in.
func (g *parityGen) values(name string, t *ag.Tensor) {
	leaf := name[strings.LastIndexByte(name, '.')+1:]
	fanIn := 1
	for _, d := range t.Shape[1:] {
		fanIn *= d
	}
	e := bits.Len(uint(math.Sqrt(float64(fanIn)))) - 1
	for i := range t.Data {
		k := float32(g.k())
		switch {
		case leaf == "running_var" || (leaf == "weight" && len(t.Shape) == 1):
			t.Data[i] = 1 + k/128
		case leaf == "running_mean" || leaf == "bias":
			t.Data[i] = k / 256
		default:
			t.Data[i] = k / 64 / float32(int(1)<<e)
		}
	}
}

type parityFixture struct {
	path   string
	names  []string
	shapes [][]int
	fields map[string]json.RawMessage
}

func loadParityFixture(t *testing.T, file string) *parityFixture {
	t.Helper()
	path := filepath.Join("testdata", file)
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%s: %v (regenerate with the testdata/gen_*.py script)", path, err)
	}
	fx := &parityFixture{path: path}
	if err := json.Unmarshal(raw, &fx.fields); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	fx.get(t, "names", &fx.names)
	fx.get(t, "shapes", &fx.shapes)
	return fx
}

func (fx *parityFixture) get(t *testing.T, key string, v any) {
	t.Helper()
	r, ok := fx.fields[key]
	if !ok {
		t.Fatalf("%s: no %q", fx.path, key)
	}
	if err := json.Unmarshal(r, v); err != nil {
		t.Fatalf("%s: %q: %v", fx.path, key, err)
	}
}

// floats decodes a base64 little-endian float32 array.
func (fx *parityFixture) floats(t *testing.T, key string) []float32 {
	t.Helper()
	var s string
	fx.get(t, key, &s)
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b)%4 != 0 {
		t.Fatalf("%s: %q: bad float32 data (%v)", fx.path, key, err)
	}
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}

// maxRelErr is max|got − want| / max|want|, the measure of `multilabel
// verify`.
func maxRelErr(got, want []float32) float64 {
	var d, m float64
	for i := range want {
		d = math.Max(d, math.Abs(float64(got[i])-float64(want[i])))
		m = math.Max(m, math.Abs(float64(want[i])))
	}
	if m == 0 {
		return d
	}
	return d / m
}

// checkClose reports got ≠ want beyond tol and returns the error.
func checkClose(t *testing.T, what string, got, want []float32, tol float64) float64 {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d values, fixture has %d", what, len(got), len(want))
		return math.Inf(1)
	}
	e := maxRelErr(got, want)
	if e > tol || math.IsNaN(e) {
		t.Errorf("%s: max relative error %.3g > %.0g", what, e, tol)
	}
	return e
}

// runParity fills m from the generator, checks its state-dict names and
// shapes against the fixture, then compares eval features and logits
// (tolerance 1e-4) and train logits and gradients (1e-4 and 1e-3).
func runParity(t *testing.T, m Backbone, file string) {
	fx := loadParityFixture(t, file)

	// Names and order: every float32 tensor of PyTorch's state dict
	// (num_batches_tracked is int64 there and not in the list).
	var goNames []string
	state := map[string]*ag.Tensor{}
	for _, nt := range nn.Tensors(m) {
		if filepath.Ext(nt.Name) != ".num_batches_tracked" {
			goNames = append(goNames, nt.Name)
			state[nt.Name] = nt.Tensor
		}
	}
	if len(goNames) != len(fx.names) {
		t.Fatalf("%d tensors, PyTorch has %d", len(goNames), len(fx.names))
	}
	g := &parityGen{s: 1}
	for i, name := range fx.names {
		if goNames[i] != name {
			t.Fatalf("tensor %d is %q, PyTorch's is %q", i, goNames[i], name)
		}
		if !ag.SameShape(state[name].Shape, fx.shapes[i]) {
			t.Fatalf("%s: shape %v, PyTorch's %v", name, state[name].Shape, fx.shapes[i])
		}
		g.values(name, state[name])
	}

	var inShape, featShape []int
	fx.get(t, "input_shape", &inShape)
	fx.get(t, "features_shape", &featShape)
	x := ag.Zeros(inShape...)
	g = &parityGen{s: 2}
	for i := range x.Data {
		x.Data[i] = float32(g.k()+64) / 128
	}

	ag.NoGrad(func() {
		f := m.Features(nn.Eval, x)
		if !ag.SameShape(f.Shape, featShape) {
			t.Fatalf("features %v, PyTorch's %v", f.Shape, featShape)
		}
		checkClose(t, "eval features", f.Data, fx.floats(t, "eval_features"), 1e-4)
		checkClose(t, "eval logits", m.Forward(nn.Eval, x).Data, fx.floats(t, "eval_logits"), 1e-4)
	})

	x.SetRequiresGrad(true)
	logits := m.Forward(nn.Train(1), x)
	checkClose(t, "train logits", logits.Data, fx.floats(t, "train_logits"), 1e-4)
	r := make([]float32, logits.Numel())
	g = &parityGen{s: 3}
	for i := range r {
		r[i] = float32(g.k()) / 64
	}
	logits.BackwardWith(r)
	worst := checkClose(t, "grad input", x.Grad, fx.floats(t, "grad.input"), 1e-3)
	for _, nt := range nn.Parameters(m) {
		worst = math.Max(worst, checkClose(t, "grad "+nt.Name, nt.Tensor.Grad, fx.floats(t, "grad."+nt.Name), 1e-3))
	}
	t.Logf("%s: worst gradient error %.2g over the input and %d parameters", file, worst, len(nn.Parameters(m)))
}

// tinyTResNet is the reduced model of gen_tresnet.py: P = 4, SE floor 4,
// layers 1,2,2,1 (v2: P = 3, 1,1,1,1), 10 classes.
func tinyTResNet(t *testing.T, v2 bool) *TResNet {
	cfg := TResNetConfig{Name: "tresnet_tiny", Layers: [4]int{1, 2, 2, 1}, Planes: 4, SEMin: 4, NumClasses: 10}
	if v2 {
		cfg = TResNetConfig{Name: "tresnet_v2_tiny", Layers: [4]int{1, 1, 1, 1}, Planes: 3, V2: true, SEMin: 4, NumClasses: 10}
	}
	m, err := NewTResNetFromConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestTResNetParityPyTorch(t *testing.T) {
	runParity(t, tinyTResNet(t, false), "tresnet_tiny.json")
}

func TestTResNetV2ParityPyTorch(t *testing.T) {
	runParity(t, tinyTResNet(t, true), "tresnet_v2_tiny.json")
}
