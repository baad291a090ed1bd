package losses

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"testing"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/autograd/gradcheck"
)

type lossCase struct {
	loss Loss
	pre  float32 // multiply inputs by this first (1 = none)
}

// The configurations of testdata/gen_losses.py.
var fixtureCases = map[string]lossCase{
	"bce_sum":       {BCE{}, 1},
	"bce_mean_ls":   {BCE{Reduction: Mean, LabelSmoothing: 0.1}, 3},
	"asl_default":   {ASL{GammaNeg: 4, Clip: 0.05, Eps: 1e-8, ScaleLogits: 3}, 1},
	"asl_focusgrad": {ASL{GammaNeg: 4, GammaPos: 1, Clip: 0.05, Eps: 1e-8, ScaleLogits: 3, FocusGrad: true}, 1},
	"am_s17":        {NewAM(17), 1},
	"aam_s17_g1_2":  {NewAAM(17, 1, 2), 1},
	"aam_s23_g0_1":  {NewAAM(23, 0, 1), 1},
	"aam_m_k_ls":    {AAM{S: 10, M: 0.1, K: 0.8, GammaPos: 1, GammaNeg: 1, Clip: 0.05, LabelSmoothing: 0.1}, 1},
}

func apply(c lossCase, x *ag.Tensor, y []float32) *ag.Tensor {
	if c.pre != 1 {
		x = ag.MulScalar(x, c.pre)
	}
	return c.loss.Loss(x, y)
}

// Loss values and input gradients equal the PyTorch implementation of
// docs/method.md (testdata/gen_losses.py) to 1e-5 relative.
func TestLossesMatchPyTorch(t *testing.T) {
	raw, err := os.ReadFile("testdata/losses.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Shape []int
		X, Y  []float64
		Cases map[string]struct {
			Loss float64
			Grad []float64
		}
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	y := make([]float32, len(f.Y))
	xs := make([]float32, len(f.X))
	for i := range y {
		y[i], xs[i] = float32(f.Y[i]), float32(f.X[i])
	}
	if len(f.Cases) != len(fixtureCases) {
		t.Fatalf("fixture has %d cases, test knows %d", len(f.Cases), len(fixtureCases))
	}
	for name, want := range f.Cases {
		c, ok := fixtureCases[name]
		if !ok {
			t.Fatalf("unknown fixture case %s", name)
		}
		x := ag.New(append([]float32(nil), xs...), f.Shape...).SetRequiresGrad(true)
		l := apply(c, x, y)
		l.Backward()
		if d := math.Abs(float64(l.Item()) - want.Loss); d > 1e-5*math.Max(1, math.Abs(want.Loss)) {
			t.Errorf("%s: loss %.7g, PyTorch %.7g", name, l.Item(), want.Loss)
		}
		var maxG, maxD float64
		for i, g := range want.Grad {
			maxG = math.Max(maxG, math.Abs(g))
			maxD = math.Max(maxD, math.Abs(float64(x.Grad[i])-g))
		}
		if maxD > 1e-5*math.Max(maxG, 1e-3) {
			t.Errorf("%s: gradient max |diff| %.3g (max |grad| %.3g)", name, maxD, maxG)
		}
	}
}

// Finite-difference checks for every loss, for y = 0, 1 and ignored
// entries, with focusing on and off.
func TestLossGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	y := []float32{1, 0, -1, 0, 1, 0, 0, 1, -1, 1, 0, 0}
	for name, c := range fixtureCases {
		if a, ok := c.loss.(ASL); ok && !a.FocusGrad && (a.GammaNeg > 0 || a.GammaPos > 0) {
			// Detached focusing weights: the backward is by design not the
			// derivative of the forward (w is a constant), so finite
			// differences do not apply; PyTorch parity covers it.
			continue
		}
		// Keep cosines away from the clamp kink of p̃⁻ (p⁻ + clip = 1)
		// by staying in [-0.9, 0.9]; stepped ε 1e-3 in float32.
		x := ag.RandU(rng, -0.9, 0.9, 3, 4).SetRequiresGrad(true)
		if err := gradcheck.Run(func(in []*ag.Tensor) *ag.Tensor { return apply(c, in[0], y) },
			[]*ag.Tensor{x}, gradcheck.Options{}); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// Ignored entries change nothing, whatever the output there.
func TestIgnoredEntries(t *testing.T) {
	for name, c := range fixtureCases {
		a := ag.New([]float32{0.3, -0.2, 0.5, 0.1}, 2, 2).SetRequiresGrad(true)
		b := ag.New([]float32{0.3, -0.2, -0.9, 0.1}, 2, 2).SetRequiresGrad(true)
		y := []float32{1, 0, -1, 1}
		la, lb := apply(c, a, y), apply(c, b, y)
		if la.Item() != lb.Item() {
			t.Errorf("%s: an ignored entry changed the loss: %v vs %v", name, la.Item(), lb.Item())
		}
		la.Backward()
		if a.Grad[2] != 0 {
			t.Errorf("%s: ignored entry got gradient %v", name, a.Grad[2])
		}
	}
}

// Saturated inputs give finite losses and gradients: the log-sigmoid form
// never takes log 0.
func TestLossesFiniteWhenSaturated(t *testing.T) {
	for name, c := range fixtureCases {
		x := ag.New([]float32{1, -1, 1, -1, 40, -40}, 3, 2).SetRequiresGrad(true)
		y := []float32{0, 1, 1, 0, 0, 1}
		l := apply(c, x, y)
		l.Backward()
		if v := float64(l.Item()); math.IsNaN(v) || math.IsInf(v, 0) {
			t.Errorf("%s: loss %v", name, v)
		}
		for _, g := range x.Grad {
			if math.IsNaN(float64(g)) || math.IsInf(float64(g), 0) {
				t.Errorf("%s: gradient %v", name, x.Grad)
				break
			}
		}
	}
}

func TestProbabilities(t *testing.T) {
	p := Probabilities(ag.New([]float32{0, 0.1}, 1, 2), 17)
	if p[0] != 0.5 || math.Abs(float64(p[1])-1/(1+math.Exp(-1.7))) > 1e-6 {
		t.Fatalf("Probabilities = %v", p)
	}
	if NewAAM(17, 1, 2).Scale() != 17 || (BCE{}).Scale() != 1 || NewASL().Scale() != 1 {
		t.Fatal("Scale")
	}
}

func TestShapeError(t *testing.T) {
	defer func() {
		if r := recover(); r == nil {
			t.Fatal("no panic for mismatched targets")
		}
	}()
	BCE{}.Loss(ag.Zeros(2, 3), make([]float32, 5))
}

// The worked example of docs/losses.md.
func TestDocsWorkedExample(t *testing.T) {
	c := ag.New([]float32{0.3, -0.2}, 1, 2).SetRequiresGrad(true)
	l := AAM{S: 10, K: 0.7}.Loss(c, []float32{1, 0})
	l.Backward()
	if math.Abs(float64(l.Item())-0.00721) > 5e-6 || math.Abs(float64(c.Grad[0])+0.0332) > 5e-5 || math.Abs(float64(c.Grad[1])-0.0358) > 5e-5 {
		t.Fatalf("loss %v grad %v", l.Item(), c.Grad)
	}
}
