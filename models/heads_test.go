package models

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"sync"
	"testing"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/nn"
)

// Shared helpers of the head tests: the PyTorch fixture of
// testdata/gen_heads.py, state loading, comparisons.

type headFixTensor struct {
	Shape []int
	Data  []float64
}

func (f headFixTensor) f32() []float32 {
	out := make([]float32, len(f.Data))
	for i, v := range f.Data {
		out[i] = float32(v)
	}
	return out
}

func (f headFixTensor) tensor() *ag.Tensor { return ag.New(f.f32(), f.Shape...) }

type headFixCase struct {
	// GAT cases
	Layer    string
	Pooling  string
	Cosine   bool
	Classes  int
	Embed    int
	Channels int
	Labels   [][]int
	AHat     headFixTensor `json:"ahat"`
	Gate     headFixTensor
	// ML-Decoder cases
	Metric      bool
	Groups      int
	FeaturesDim int `json:"features_dim"`
	Heads       int
	FFN         int

	State    map[string]headFixTensor
	Features headFixTensor
	Out      headFixTensor
}

var (
	headFixOnce sync.Once
	headFixData map[string]headFixCase
	headFixErr  error
)

func headFixture(t *testing.T, name string) headFixCase {
	t.Helper()
	headFixOnce.Do(func() {
		raw, err := os.ReadFile("testdata/heads.json")
		if err != nil {
			headFixErr = err
			return
		}
		headFixErr = json.Unmarshal(raw, &headFixData)
	})
	if headFixErr != nil {
		t.Fatal(headFixErr)
	}
	c, ok := headFixData[name]
	if !ok {
		t.Fatalf("fixture case %s missing from testdata/heads.json", name)
	}
	return c
}

// headLoadState copies the fixture's tensors into m, strictly: every name of
// the module must be in the fixture and the other way round, shapes equal.
func headLoadState(t *testing.T, m nn.Module, state map[string]headFixTensor) {
	t.Helper()
	sd := nn.NewStateDict()
	for name, ft := range state {
		sd.Set(name, ft.tensor())
	}
	if err := nn.LoadInto(nn.StateMap(m), sd, true); err != nil {
		t.Fatal(err)
	}
}

// headRelErr is max|got − want| / max|want|.
func headRelErr(got []float32, want []float64) float64 {
	var d, m float64
	for i, w := range want {
		d = math.Max(d, math.Abs(float64(got[i])-w))
		m = math.Max(m, math.Abs(w))
	}
	return d / math.Max(m, 1e-30)
}

func headClose(t *testing.T, what string, got *ag.Tensor, want headFixTensor, tol float64) {
	t.Helper()
	if !ag.SameShape(got.Shape, want.Shape) {
		t.Fatalf("%s: shape %v, PyTorch %v", what, got.Shape, want.Shape)
	}
	if e := headRelErr(got.Data, want.Data); e > tol || math.IsNaN(e) {
		t.Errorf("%s: max relative error %.3g > %.0g\n got  %v\n want %v", what, e, tol, got.Data, want.Data)
	}
}

func headRNG(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 99)) }

// headRandParams refills every parameter and buffer of m with N(0, scale²)
// values, so gradient checks do not sit on the zero biases of the init.
func headRandParams(m nn.Module, rng *rand.Rand, scale float64) {
	for _, nt := range nn.Tensors(m) {
		nn.Normal(nt.Tensor, rng, 0, scale)
	}
}

// headParamInputs lists the trainable tensors of m (for gradcheck inputs).
func headParamInputs(m nn.Module) []*ag.Tensor {
	var out []*ag.Tensor
	for _, nt := range nn.Parameters(m) {
		out = append(out, nt.Tensor)
	}
	return out
}

// headSpaced returns a tensor that requires a gradient, holding a random
// permutation of values 0.1 apart, centred on 0: max pooling then has no
// near-ties for the finite differences (step 1e-3) to cross.
func headSpaced(rng *rand.Rand, shape ...int) *ag.Tensor {
	x := ag.Zeros(shape...)
	n := len(x.Data)
	for i, p := range rng.Perm(n) {
		x.Data[i] = 0.1 * (float32(p) - float32(n-1)/2) / float32(max(1, n/20))
	}
	return x.SetRequiresGrad(true)
}
