package models

import (
	"math"

	"strings"
	"testing"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/nn"
)

// tinyConfig is the network of testdata/gen_effnetv2.py: every block type
// of EfficientNetV2 (FusedMBConv e=1 with skip, FusedMBConv e>1 with and
// without skip, MBConv with and without the expansion conv, a 5x5
// depthwise) at widths 8-48. tf switches to timm's tf_ conventions.
func tinyConfig(tf bool) EffNetV2Config {
	c := EffNetV2Config{
		Name: "efficientnetv2_tiny",
		Stem: 8,
		Stages: []EffNetV2Stage{
			{FusedMBConvBlock, 1, 3, 1, 8, 2},
			{FusedMBConvBlock, 2, 3, 2, 16, 2},
			{MBConvBlock, 2, 3, 2, 24, 2},
			{MBConvBlock, 1, 5, 2, 32, 1},
		},
		Head: 48, NumClasses: 5, BNEps: 1e-3, BNMomentum: 0.1,
	}
	if tf {
		c.TFSame, c.TimmNames, c.TimmInit = true, true, true
	}
	return c
}

func newTinyEffNet(t testing.TB, cfg EffNetV2Config, seed uint64) *EfficientNetV2 {
	t.Helper()
	cfg.Seed = seed
	m, err := NewEfficientNetV2(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

const tinyFixture = "testdata/effnetv2_tiny.safetensors"

// loadTiny builds the tiny network (symmetric or TF SAME padding) and
// loads the fixture's weights into it, strictly: every state-dict name of
// the PyTorch model must exist here with the same shape, and vice versa.
func loadTiny(t *testing.T, same bool) (*EfficientNetV2, *nn.StateDict) {
	t.Helper()
	sd, err := nn.LoadSafetensors(tinyFixture)
	if err != nil {
		t.Fatalf("%v (regenerate with /usr/bin/python3 models/testdata/gen_effnetv2.py)", err)
	}
	weights, err := nn.ApplyRenames(sd, func(name string) (string, bool) {
		for _, p := range []string{"ref.", "train.", "grad.", "post.", "same."} {
			if strings.HasPrefix(name, p) {
				return "", false
			}
		}
		return name, true
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg := tinyConfig(false)
	cfg.TFSame = same
	m := newTinyEffNet(t, cfg, 9)
	if err := nn.LoadInto(nn.StateMap(m), weights, true); err != nil {
		t.Fatal(err)
	}
	return m, sd
}

// relErr is max|got − want| / max|want|, the measure of docs/architectures.md §7.
func relErr(got, want []float32) float64 { return relErrFloor(got, want, 0) }

// relErrFloor is relErr with the denominator at least floor. Some
// gradients are zero in exact arithmetic and float noise (~1e-8) in both
// implementations: the bias of a BN whose output reaches a train-mode BN
// only through a 1x1 conv (a per-channel shift there is removed by the
// batch mean). Their relative error is noise over noise, so gradients are
// measured against a floor at the scale of the other gradients.
func relErrFloor(got, want []float32, floor float64) float64 {
	var d, s float64
	for i := range want {
		d = math.Max(d, math.Abs(float64(got[i])-float64(want[i])))
		s = math.Max(s, math.Abs(float64(want[i])))
	}
	return d / math.Max(s, floor)
}

func expectClose(t *testing.T, what string, got *ag.Tensor, want *ag.Tensor, tol float64) {
	t.Helper()
	expectCloseFloor(t, what, got, want, tol, 0)
}

func expectCloseFloor(t *testing.T, what string, got *ag.Tensor, want *ag.Tensor, tol, floor float64) {
	t.Helper()
	if want == nil {
		t.Fatalf("%s: missing from the fixture", what)
	}
	if got == nil || !ag.SameShape(got.Shape, want.Shape) {
		var shape []int
		if got != nil {
			shape = got.Shape
		}
		t.Fatalf("%s: shape %v, want %v", what, shape, want.Shape)
	}
	if e := relErrFloor(got.Data, want.Data, floor); e > tol || math.IsNaN(e) {
		t.Errorf("%s: relative error %.3g > %.0e", what, e, tol)
	}
}

// Eval-mode activations and logits equal PyTorch's.
func TestEfficientNetV2MatchesPyTorchEval(t *testing.T) {
	m, sd := loadTiny(t, false)
	x := sd.Get("ref.input")
	ag.NoGrad(func() {
		h := m.Stem.Forward(nn.Eval, x)
		expectClose(t, "features.0", h, sd.Get("ref.act.features.0"), 1e-5)
		for i, st := range m.Stages {
			for _, b := range st {
				h = b.Forward(nn.Eval, h)
			}
			expectClose(t, "features."+string(rune('1'+i)), h, sd.Get("ref.act.features."+string(rune('1'+i))), 1e-5)
		}
		f := m.Features(nn.Eval, x)
		expectClose(t, "features (head)", f, sd.Get("ref.act.features.5"), 1e-5)
		expectClose(t, "logits", m.Forward(nn.Eval, x), sd.Get("ref.logits"), 1e-5)
	})
}

// Train mode (BN batch statistics): logits, the gradient of
// L = Σ logits ⊙ R with respect to the input and to every parameter, and
// the BN running statistics after the update.
func TestEfficientNetV2MatchesPyTorchTrain(t *testing.T) {
	m, sd := loadTiny(t, false)
	x := sd.Get("ref.input").Clone().SetRequiresGrad(true)
	logits := m.Forward(nn.Train(1), x)
	expectClose(t, "train logits", logits, sd.Get("train.logits"), 1e-5)
	logits.BackwardWith(sd.Get("train.loss_weight").Data)
	expectClose(t, "grad.input", &ag.Tensor{Data: x.Grad, Shape: x.Shape}, sd.Get("grad.input"), 1e-4)
	floor := 0.0
	for _, p := range nn.Parameters(m) {
		for _, v := range sd.Get("grad." + p.Name).Data {
			floor = math.Max(floor, 1e-3*math.Abs(float64(v)))
		}
	}
	for _, p := range nn.Parameters(m) {
		expectCloseFloor(t, "grad."+p.Name, &ag.Tensor{Data: p.Tensor.Grad, Shape: p.Tensor.Shape}, sd.Get("grad."+p.Name), 1e-4, floor)
	}
	n := 0
	for name, tensor := range nn.StateMap(m) {
		if strings.HasSuffix(name, ".running_mean") || strings.HasSuffix(name, ".running_var") {
			expectClose(t, "post."+name, tensor, sd.Get("post."+name), 1e-5)
			n++
		} else if strings.HasSuffix(name, ".num_batches_tracked") && tensor.Data[0] != 1 {
			t.Errorf("%s = %v after one training pass", name, tensor.Data[0])
		}
	}
	if n != 2*16 {
		t.Errorf("checked %d running statistics, want 32 (16 BN layers)", n)
	}
}

// TF "SAME" padding on the stride-2 convs (timm's tf_ models), eval and
// train, against timm's Conv2dSame rule emulated in the generator.
func TestEfficientNetV2TFSameMatchesPyTorch(t *testing.T) {
	m, sd := loadTiny(t, true)
	var eval *ag.Tensor
	ag.NoGrad(func() { eval = m.Forward(nn.Eval, sd.Get("ref.input")) })
	expectClose(t, "SAME eval logits", eval, sd.Get("same.logits"), 1e-5)
	if relErr(eval.Data, sd.Get("ref.logits").Data) < 1e-3 {
		t.Error("SAME and symmetric padding give the same logits; the switch does nothing")
	}
	x := sd.Get("ref.input").Clone().SetRequiresGrad(true)
	logits := m.Forward(nn.Train(1), x)
	expectClose(t, "SAME train logits", logits, sd.Get("same.train.logits"), 1e-5)
	logits.BackwardWith(sd.Get("train.loss_weight").Data)
	expectClose(t, "SAME grad.input", &ag.Tensor{Data: x.Grad, Shape: x.Shape}, sd.Get("same.grad.input"), 1e-4)
}
