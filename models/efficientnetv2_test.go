package models

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/nn"
)

// Parameter counts and MACs measured from torchvision 0.14 (docs/architectures.md §1, §2.3).
var effNetV2Reference = []struct {
	size                 string
	withCls, withoutCls  int
	macs224, macs448     float64 // millions, with the 1000-class classifier
	stateTensors, params int     // state-dict entries and parameter tensors (with classifier)
}{
	{"s", 21458488, 20177488, 2849.9, 11384.7, 782, 452},
	{"m", 54139356, 52858356, 5362.2, 21415.5, 1120, 649},
	{"l", 118515272, 117234272, 12231.2, 48854.7, 1548, 897},
}

// shapeOnly builds a registry configuration without the random init (the
// counts only need shapes; filling 118M weights would dominate the test).
func shapeOnly(t *testing.T, size string, tf bool, classes int) *EfficientNetV2 {
	t.Helper()
	cfg, err := effNetV2Config(size, tf, Options{NumClasses: classes})
	if err != nil {
		t.Fatal(err)
	}
	cfg.noInit = true
	m, err := NewEfficientNetV2(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestEfficientNetV2ParamsAndMACs(t *testing.T) {
	for _, ref := range effNetV2Reference {
		for _, tf := range []bool{false, true} {
			m := shapeOnly(t, ref.size, tf, 1000)
			name := m.Config.Name
			params, _ := nn.CountParams(m)
			if params != ref.withCls {
				t.Errorf("%s: %d parameters with classifier, want %d", name, params, ref.withCls)
			}
			all, ps := nn.Tensors(m), nn.Parameters(m)
			if len(all) != ref.stateTensors || len(ps) != ref.params {
				t.Errorf("%s: %d state tensors / %d parameter tensors, want %d / %d", name, len(all), len(ps), ref.stateTensors, ref.params)
			}
			for _, c := range []struct {
				size int
				want float64
			}{{224, ref.macs224}, {448, ref.macs448}} {
				got := float64(m.MACs(c.size, c.size)) / 1e6
				if math.Abs(got-c.want) > 1e-3*c.want {
					t.Errorf("%s: %.1f M MACs at %d, want %.1f M", name, got, c.size, c.want)
				}
			}
			nn.StateMap(m) // panics on a duplicate name
		}
		m := shapeOnly(t, ref.size, false, 0)
		if params, _ := nn.CountParams(m); params != ref.withoutCls {
			t.Errorf("%s: %d parameters without classifier, want %d", m.Config.Name, params, ref.withoutCls)
		}
		if m.FeatureChannels() != 1280 || m.NumClasses() != 0 {
			t.Errorf("%s: %d feature channels, %d classes", m.Config.Name, m.FeatureChannels(), m.NumClasses())
		}
	}
}

// The per-stage rows of docs/architectures.md §2.3 for S: parameters and MACs at
// 224 (millions), so a wrong count points at its stage.
func TestEfficientNetV2SStages(t *testing.T) {
	m := shapeOnly(t, "s", false, 1000)
	wantParams := []int{696, 10464, 303552, 589184, 917680, 3463840, 14561832, 330240}
	wantMACs := []float64{8.1, 130.1, 946.5, 460.0, 152.9, 540.6, 594.4, 16.1}
	stage := func(prefix string) int {
		n := 0
		m.Visit("", func(name string, t *ag.Tensor, k nn.Kind) {
			if k == nn.Param && strings.HasPrefix(name, prefix) {
				n += t.Numel()
			}
		})
		return n
	}
	h, w := 224, 224
	var macs int64
	macs, h, w = m.Stem.macs(h, w)
	for i := range wantParams {
		if got := stage("features." + string(rune('0'+i)) + "."); got != wantParams[i] {
			t.Errorf("features.%d: %d parameters, want %d", i, got, wantParams[i])
		}
		switch {
		case i > 0 && i <= len(m.Stages):
			macs = 0
			for _, b := range m.Stages[i-1] {
				var k int64
				k, h, w = b.macs(h, w)
				macs += k
			}
		case i == len(m.Stages)+1:
			macs, _, _ = m.Head.macs(h, w)
		}
		if got := float64(macs) / 1e6; math.Abs(got-wantMACs[i]) > 0.06 {
			t.Errorf("features.%d: %.2f M MACs, want %.1f M", i, got, wantMACs[i])
		}
	}
}

// The state-dict names of docs/architectures.md §2.4 (torchvision) and §2.5
// (timm) with their shapes, and the name map in both directions.
func TestEfficientNetV2Names(t *testing.T) {
	tv := shapeOnly(t, "s", false, 1000)
	tf := shapeOnly(t, "s", true, 1000)
	shapes := map[string][]int{
		"features.0.0.weight":                {24, 3, 3, 3},
		"features.0.1.num_batches_tracked":   {},
		"features.1.0.block.0.0.weight":      {24, 24, 3, 3},
		"features.2.0.block.0.0.weight":      {96, 24, 3, 3},
		"features.2.0.block.1.0.weight":      {48, 96, 1, 1},
		"features.2.0.block.1.1.running_var": {48},
		"features.4.0.block.0.0.weight":      {256, 64, 1, 1},
		"features.4.0.block.1.0.weight":      {256, 1, 3, 3},
		"features.4.0.block.2.fc1.weight":    {16, 256, 1, 1},
		"features.4.0.block.2.fc1.bias":      {16},
		"features.4.0.block.2.fc2.weight":    {256, 16, 1, 1},
		"features.4.0.block.2.fc2.bias":      {256},
		"features.4.0.block.3.0.weight":      {128, 256, 1, 1},
		"features.6.14.block.3.1.bias":       {256},
		"features.7.0.weight":                {1280, 256, 1, 1},
		"classifier.1.weight":                {1000, 1280},
		"classifier.1.bias":                  {1000},
	}
	timm := map[string]string{
		"features.0.0.weight":                "conv_stem.weight",
		"features.0.1.num_batches_tracked":   "bn1.num_batches_tracked",
		"features.1.0.block.0.0.weight":      "blocks.0.0.conv.weight",
		"features.2.0.block.0.0.weight":      "blocks.1.0.conv_exp.weight",
		"features.2.0.block.1.0.weight":      "blocks.1.0.conv_pwl.weight",
		"features.2.0.block.1.1.running_var": "blocks.1.0.bn2.running_var",
		"features.4.0.block.0.0.weight":      "blocks.3.0.conv_pw.weight",
		"features.4.0.block.1.0.weight":      "blocks.3.0.conv_dw.weight",
		"features.4.0.block.2.fc1.weight":    "blocks.3.0.se.conv_reduce.weight",
		"features.4.0.block.2.fc1.bias":      "blocks.3.0.se.conv_reduce.bias",
		"features.4.0.block.2.fc2.weight":    "blocks.3.0.se.conv_expand.weight",
		"features.4.0.block.2.fc2.bias":      "blocks.3.0.se.conv_expand.bias",
		"features.4.0.block.3.0.weight":      "blocks.3.0.conv_pwl.weight",
		"features.6.14.block.3.1.bias":       "blocks.5.14.bn3.bias",
		"features.7.0.weight":                "conv_head.weight",
		"classifier.1.weight":                "classifier.weight",
		"classifier.1.bias":                  "classifier.bias",
	}
	tvMap, tfMap := nn.StateMap(tv), nn.StateMap(tf)
	for name, shape := range shapes {
		got := tvMap[name]
		if got == nil || !ag.SameShape(got.Shape, shape) {
			t.Errorf("torchvision %s: %v, want %v", name, got, shape)
		}
		tn := timm[name]
		if got := tfMap[tn]; got == nil || !ag.SameShape(got.Shape, shape) {
			t.Errorf("timm %s: %v, want %v", tn, got, shape)
		}
		if got, _ := tf.CheckpointName(name); got != tn {
			t.Errorf("torchvision → timm %s: %s, want %s", name, got, tn)
		}
		if got, _ := tv.CheckpointName(tn); got != name {
			t.Errorf("timm → torchvision %s: %s, want %s", tn, got, name)
		}
	}
	// Every tensor maps, both ways, onto the other convention's tensor of
	// the same shape; the two models visit in the same order.
	a, b := nn.Tensors(tv), nn.Tensors(tf)
	for i := range a {
		if to, _ := tf.CheckpointName(a[i].Name); to != b[i].Name || !ag.SameShape(a[i].Tensor.Shape, b[i].Tensor.Shape) {
			t.Fatalf("%s maps to %s, want %s", a[i].Name, to, b[i].Name)
		}
		if back, _ := tv.CheckpointName(b[i].Name); back != a[i].Name {
			t.Fatalf("%s maps back to %s, want %s", b[i].Name, back, a[i].Name)
		}
	}
	if got, _ := tv.CheckpointName("head.fc.weight"); got != "head.fc.weight" {
		t.Errorf("unknown names must pass unchanged, got %s", got)
	}
}

// A torchvision-named state dict loads into the timm-named tf_ model after
// ApplyRenames, and the tensors land where they should.
func TestEfficientNetV2LoadAcrossNamings(t *testing.T) {
	src := newTinyEffNet(t, tinyConfig(false), 3)
	dst := newTinyEffNet(t, tinyConfig(true), 4)
	sd := nn.FromTensors(nn.StateMap(src))
	renamed, err := nn.ApplyRenames(sd, dst.CheckpointName)
	if err != nil {
		t.Fatal(err)
	}
	if err := nn.LoadInto(nn.StateMap(dst), renamed, true); err != nil {
		t.Fatal(err)
	}
	a, b := nn.Tensors(src), nn.Tensors(dst)
	for i := range a {
		for j, v := range a[i].Tensor.Data {
			if b[i].Tensor.Data[j] != v {
				t.Fatalf("%s → %s: element %d differs", a[i].Name, b[i].Name, j)
			}
		}
	}
	// Without the renames the strict load names what is missing.
	var le *nn.LoadError
	if err := nn.LoadInto(nn.StateMap(dst), sd, true); !errors.As(err, &le) ||
		!slices.Contains(le.Missing, "conv_stem.weight") || !slices.Contains(le.Unexpected, "features.0.0.weight") {
		t.Errorf("strict load of torchvision names into timm names: %v", err)
	}
}

func TestNewBackboneErrors(t *testing.T) {
	if _, err := NewBackbone("efficientnetv2_xxl", Options{}); err == nil || !strings.Contains(err.Error(), "efficientnetv2_s") {
		t.Errorf("unknown name: %v", err)
	}
	if _, err := NewBackbone("efficientnetv2_t", Options{NumClasses: -1}); err == nil {
		t.Error("negative classes accepted")
	}
	cfg, _ := EffNetV2Variant("s")
	cfg.Stages = append([]EffNetV2Stage(nil), cfg.Stages...)
	cfg.Stages[2].Stride = 3
	if _, err := NewEfficientNetV2(cfg); err == nil {
		t.Error("stride 3 accepted")
	}
	if _, err := EffNetV2Variant("xl"); err == nil {
		t.Error("size xl accepted")
	}
}

// FeatureShape by arithmetic (FeatureSize) agrees with a forward pass
// (the fallback, reached through a wrapper that hides FeatureSize), for
// symmetric and SAME padding at odd and even sizes.
func TestEfficientNetV2FeatureShape(t *testing.T) {
	for _, tf := range []bool{false, true} {
		m := newTinyEffNet(t, tinyConfig(tf), 1)
		for _, hw := range [][2]int{{64, 64}, {65, 47}, {33, 96}} {
			got := FeatureShape(m, hw[0], hw[1])
			want := FeatureShape(struct{ Backbone }{m}, hw[0], hw[1])
			if got != want || got[0] != 48 {
				t.Errorf("tf %v, %v: FeatureSize %v, forward %v", tf, hw, got, want)
			}
		}
	}
}
