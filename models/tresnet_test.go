package models

import (
	"math/rand/v2"
	"strings"
	"testing"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/autograd/gradcheck"
	"github.com/seed477ab429/multilabel/nn"
)

// The blur is smooth and linear: checked in both modes (it has no mode).
func TestBlurPool2dGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	b := NewBlurPool2d(3)
	x := ag.RandN(rng, 2, 3, 6, 5).SetRequiresGrad(true)
	gradcheck.Check(t, func(in []*ag.Tensor) *ag.Tensor { return b.Forward(nn.Eval, in[0]) }, []*ag.Tensor{x}, gradcheck.Options{})
}

// The blur's forward against a direct evaluation of the formula:
// reflect-pad by one, then Σ f[a,b]·p[2i+a, 2j+b] with f = [1,2,1]ᵀ[1,2,1]/16.
func TestBlurPool2dValues(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const C, H, W = 2, 6, 5
	x := ag.RandN(rng, 1, C, H, W)
	y := NewBlurPool2d(C).Forward(nn.Eval, x)
	oh, ow := (H-1)/2+1, (W-1)/2+1
	if !ag.SameShape(y.Shape, []int{1, C, oh, ow}) {
		t.Fatalf("output %v, want [1 %d %d %d]", y.Shape, C, oh, ow)
	}
	reflect := func(i, n int) int {
		if i < 0 {
			return -i
		}
		if i >= n {
			return 2*(n-1) - i
		}
		return i
	}
	f := [3]float64{1, 2, 1}
	for c := range C {
		for i := range oh {
			for j := range ow {
				var s float64
				for a := range 3 {
					for b := range 3 {
						r, q := reflect(2*i+a-1, H), reflect(2*j+b-1, W)
						s += f[a] * f[b] / 16 * float64(x.Data[(c*H+r)*W+q])
					}
				}
				if got := y.Data[(c*oh+i)*ow+j]; abs64(float64(got)-s) > 1e-5 {
					t.Fatalf("out[%d,%d,%d] = %v, want %v", c, i, j, got, s)
				}
			}
		}
	}
	if len(nn.Tensors(NewBlurPool2d(C))) != 0 {
		t.Error("the blur filter must not be in the state dict")
	}
}

func abs64(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

// The SE gate alone (ReLU only on the rd pooled values).
func TestTResNetSEGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	se := newTResSE(rng, 4, 3)
	x := ag.RandN(rng, 2, 4, 3, 3).SetRequiresGrad(true)
	inputs := []*ag.Tensor{x}
	for _, p := range nn.Parameters(se) {
		inputs = append(inputs, p.Tensor)
	}
	gradcheck.Check(t, func(in []*ag.Tensor) *ag.Tensor { return se.Forward(nn.Eval, in[0]) }, inputs, gradcheck.Options{})
}

// One block of each kind, in eval mode (see blockGradCheck: the seeds are
// draws whose pre-activations stay clear of the ReLU/LeakyReLU kinks).
func TestTResNetBlockGrad(t *testing.T) {
	cases := []struct {
		name string
		seed uint64
		make func(rng *rand.Rand) nn.Layer
		in   []int
	}{
		// stride 2: conv s1 + blur, SE, avg-pool + 1×1 shortcut
		{"basic_s2", 2, func(rng *rand.Rand) nn.Layer {
			return newTResBasicBlock(rng, tresBlockShape{In: 3, Planes: 4, Stride: 2, SE: true, SEMin: 2})
		}, []int{1, 3, 4, 6}},
		// stride 2 with the SE on the mid channels
		{"bottleneck_s2", 2, func(rng *rand.Rand) nn.Layer {
			return newTResBottleneck(rng, tresBlockShape{In: 4, Planes: 2, Stride: 2, SE: true, SEMin: 2})
		}, []int{1, 4, 4, 4}},
		// v2 layer1: stride 1, 1×1 shortcut (downsample.0), no SE
		{"bottleneck_s1", 2, func(rng *rand.Rand) nn.Layer {
			return newTResBottleneck(rng, tresBlockShape{In: 3, Planes: 2, Stride: 1, SEMin: 2})
		}, []int{1, 3, 3, 3}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(tc.seed, 21))
			b := tc.make(rng)
			perturbBN(b, rng)
			blockGradCheck(t, b, ag.RandN(rng, tc.in...))
		})
	}
}

// Structure details of docs/architectures.md §3.2 on a small model: names,
// the zero-initialised last BN of each branch, SE widths and placement,
// LeakyReLU slopes, where the blur goes, and Forward without a classifier.
func TestTResNetStructure(t *testing.T) {
	cfg, err := TResNetVariant("tresnet_m")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Layers = [4]int{1, 2, 1, 1}
	m, err := NewTResNetFromConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	sm := nn.StateMap(m)
	for name, shape := range map[string][]int{
		"body.conv1.conv.weight":                     {64, 48, 3, 3},
		"body.layer1.0.se.fc1.weight":                {64, 64, 1, 1},
		"body.layer2.0.downsample.1.conv.weight":     {128, 64, 1, 1},
		"body.layer2.0.se.fc1.weight":                {64, 128, 1, 1},
		"body.layer3.0.se.fc1.weight":                {128, 256, 1, 1},
		"body.layer3.0.se.fc2.bias":                  {256},
		"body.layer3.0.conv3.bn.running_var":         {1024},
		"body.layer4.0.conv2.conv.weight":            {512, 512, 3, 3},
		"body.layer4.0.downsample.1.bn.weight":       {2048},
		"body.layer2.1.conv2.bn.num_batches_tracked": {},
	} {
		if tn, ok := sm[name]; !ok || !ag.SameShape(tn.Shape, shape) {
			t.Errorf("%s: %v, want %v", name, tn, shape)
		}
	}
	for name := range sm {
		if strings.HasPrefix(name, "body.layer4.") && strings.Contains(name, ".se.") {
			t.Errorf("layer4 has no SE, found %s", name)
		}
		if strings.HasPrefix(name, "head.") {
			t.Errorf("classifier %s with NumClasses 0", name)
		}
	}
	if _, ok := sm["body.layer1.0.downsample.0.conv.weight"]; ok {
		t.Error("layer1 of TResNet-M (Basic, 64→64) needs no shortcut conv")
	}
	for name, zero := range map[string]bool{
		"body.layer1.0.conv2.bn.weight": true, "body.layer1.0.conv1.bn.weight": false,
		"body.layer3.0.conv3.bn.weight": true, "body.layer3.0.conv2.bn.weight": false,
		"body.layer2.0.downsample.1.bn.weight": false,
	} {
		if got := sm[name].Data[0] == 0; got != zero {
			t.Errorf("%s[0] = %v, want zero %v", name, sm[name].Data[0], zero)
		}
	}
	if m.Conv1.Slope != 1e-2 || !m.Conv1.Act {
		t.Errorf("stem LeakyReLU slope %v", m.Conv1.Slope)
	}
	b2 := m.Layers[1][0].(*TResNetBasicBlock)
	if b2.Conv1.Slope != 1e-3 || b2.Conv1.AA == nil || b2.Conv1.Conv.Stride != 1 || b2.Conv2.Act || !b2.Downsample.Pool {
		t.Error("layer2.0: want conv1 = conv s1 + BN + LeakyReLU(1e-3) + blur, conv2 without act, pooled shortcut")
	}
	b3 := m.Layers[2][0].(*TResNetBottleneck)
	if b3.Conv2.AA == nil || b3.Conv1.AA != nil || b3.Conv3.Act || b3.Conv2.Slope != 1e-3 {
		t.Error("layer3.0: want the blur after conv2, conv3 without act")
	}
	// Forward without a classifier gives the pooled features.
	y := m.Forward(nn.Eval, ag.Zeros(1, 3, 64, 64))
	if !ag.SameShape(y.Shape, []int{1, 2048}) {
		t.Errorf("pooled features %v, want [1 2048]", y.Shape)
	}
	// v2 rounds P down to a multiple of 8 and uses Bottlenecks throughout.
	v2 := TResNetConfig{Width: 1.2, V2: true}
	if v2.BasePlanes() != 72 {
		t.Errorf("v2 width 1.2: P = %d, want 72", v2.BasePlanes())
	}
	if _, err := TResNetVariant("tresnet_s"); err == nil {
		t.Error("unknown variant accepted")
	}
}

// MIIL checkpoint names map to timm's; the blur filter is dropped; BN γ
// becomes |γ| + 1e-5; a missing num_batches_tracked is added; the result
// loads strictly into our model.
func TestFromMIIL(t *testing.T) {
	for in, want := range map[string]string{
		"body.conv1.0.weight":                 "body.conv1.conv.weight",
		"body.conv1.1.running_var":            "body.conv1.bn.running_var",
		"body.layer1.0.conv1.0.weight":        "body.layer1.0.conv1.conv.weight",
		"body.layer2.0.conv1.0.0.weight":      "body.layer2.0.conv1.conv.weight",
		"body.layer2.0.conv1.0.1.bias":        "body.layer2.0.conv1.bn.bias",
		"body.layer3.0.conv2.0.1.weight":      "body.layer3.0.conv2.bn.weight",
		"body.layer3.10.conv3.1.running_mean": "body.layer3.10.conv3.bn.running_mean",
		"body.layer2.0.downsample.1.0.weight": "body.layer2.0.downsample.1.conv.weight",
		"body.layer1.0.downsample.0.1.weight": "body.layer1.0.downsample.0.bn.weight",
		"body.layer1.0.se.fc1.weight":         "body.layer1.0.se.fc1.weight",
		"body.layer2.0.conv1.conv.weight":     "body.layer2.0.conv1.conv.weight", // already timm
		"head.fc.weight":                      "head.fc.weight",
		"head.decoder.duplicate_pooling":      "head.decoder.duplicate_pooling",
	} {
		got, keep := MIILRename(in)
		if !keep || got != want {
			t.Errorf("MIILRename(%q) = %q, %v; want %q", in, got, keep, want)
		}
	}
	if _, keep := MIILRename("body.layer2.0.conv1.1.op.filt"); keep {
		t.Error("the blur filter buffer must be dropped")
	}

	// Round trip: our model's tensors written with MIIL names load back.
	m := tinyTResNet(t, false)
	rng := rand.New(rand.NewPCG(7, 8))
	miil := nn.NewStateDict()
	toMIIL := func(name string) string {
		r := strings.NewReplacer(".conv.", ".0.", ".bn.", ".1.")
		n := r.Replace(name)
		for _, s := range []string{"layer2.0.conv1.", "layer3.0.conv2.", "layer4.0.conv2."} {
			if i := strings.Index(n, s); i >= 0 { // stride-2 units: one more level
				n = n[:i+len(s)] + "0." + n[i+len(s):]
			}
		}
		return n
	}
	want := map[string][]float32{}
	for _, nt := range nn.Tensors(m) {
		if strings.HasSuffix(nt.Name, "num_batches_tracked") {
			continue // InPlaceABN has none
		}
		v := ag.RandN(rng, nt.Tensor.Shape...)
		miil.Set(toMIIL(nt.Name), v)
		want[nt.Name] = append([]float32(nil), v.Data...)
		if strings.HasSuffix(nt.Name, ".bn.weight") {
			for i, g := range want[nt.Name] {
				want[nt.Name][i] = float32(abs64(float64(g))) + 1e-5
			}
		}
	}
	miil.Set("body.layer2.0.conv1.1.op.filt", ag.Zeros(8, 1, 3, 3))
	orig := miil.Get("body.conv1.1.weight").Clone()
	conv, err := FromMIIL(miil)
	if err != nil {
		t.Fatal(err)
	}
	if err := nn.LoadInto(nn.StateMap(m), conv, true); err != nil {
		t.Fatal(err)
	}
	for name, w := range want {
		got := nn.StateMap(m)[name].Data
		for i := range w {
			if got[i] != w[i] {
				t.Fatalf("%s[%d] = %v, want %v", name, i, got[i], w[i])
			}
		}
	}
	for i, v := range orig.Data {
		if miil.Get("body.conv1.1.weight").Data[i] != v {
			t.Fatal("FromMIIL modified its input")
		}
	}
}
