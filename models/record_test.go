package models

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/nn"
)

// The walk of RecordActivations takes the same path as Forward: its last
// module gives Forward's logits bit for bit, the block outputs equal what
// the block parts recorded inside them, and the parts compose (SiLU of
// the BN output is the unit's output). Parity of each name with PyTorch's
// hooks is tested end to end by cmd/multilabel's verify fixtures.
func TestRecordActivationsFollowsForward(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	x := ag.Zeros(2, 3, 64, 64)
	for i := range x.Data {
		x.Data[i] = float32(rng.NormFloat64())
	}
	eff := newTinyEffNet(t, tinyConfig(false), 3)
	res, err := NewResNetFromConfig(ResNetConfig{Name: "r", Layers: [4]int{1, 1, 2, 1}, Base: 3, NumClasses: 4})
	if err != nil {
		t.Fatal(err)
	}
	tres, err := NewTResNetFromConfig(TResNetConfig{Name: "t", Layers: [4]int{1, 2, 2, 1}, Width: 1, Planes: 3, SEMin: 4, NumClasses: 4})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		m     Backbone
		last  string
		names []string
		same  [][2]string // pairs that must be the same tensor values
	}{
		{eff, "classifier.1", []string{"features.0.2", "features.3.0.block.2.scale_activation", "features.4.0.block.2", "features.3.1.stochastic_depth", "avgpool", "classifier"},
			[][2]string{{"classifier", "classifier.1"}, {"features.4.0.block.2", "features.4.0"}, {"features.3.1.stochastic_depth", "features.3.1.block"}, {"features.0.2", "features.0"}}},
		{res, "fc", []string{"layer1.0.bn3", "layer1.0.downsample", "layer3.1.relu", "avgpool"},
			[][2]string{{"layer3.1.relu", "layer3.1"}, {"layer1.0.downsample.1", "layer1.0.downsample"}, {"layer4", "layer4.0"}}},
		{tres, "head.fc", []string{"body.layer2.0.conv1.aa", "body.layer3.0.se.fc2", "body.layer3.0.downsample.0"},
			[][2]string{{"body.layer2.0.conv1.aa", "body.layer2.0.conv1"}, {"body", "body.layer4.0"}, {"body.layer3", "body.layer3.1"}}},
	} {
		names := append([]string{tc.last}, tc.names...)
		for _, p := range tc.same {
			names = append(names, p[0], p[1])
		}
		acts, err := RecordActivations(tc.m, x, names)
		if err != nil {
			t.Fatal(err)
		}
		var want *ag.Tensor
		ag.NoGrad(func() { want = tc.m.Forward(nn.Eval, x) })
		if got := acts[tc.last]; got == nil || !slices.Equal(got.Data, want.Data) {
			t.Errorf("%T: %s differs from Forward's logits", tc.m, tc.last)
		}
		for _, p := range tc.same {
			if !slices.Equal(acts[p[0]].Data, acts[p[1]].Data) {
				t.Errorf("%T: %s ≠ %s", tc.m, p[0], p[1])
			}
		}
	}

	// The parts of a ConvBNAct compose to its output.
	acts, err := RecordActivations(eff, x, []string{"features.2.0.block.0.1", "features.2.0.block.0.2", "features.2.0.block.0"})
	if err != nil {
		t.Fatal(err)
	}
	var silu *ag.Tensor
	ag.NoGrad(func() { silu = ag.SiLU(acts["features.2.0.block.0.1"]) })
	if !slices.Equal(silu.Data, acts["features.2.0.block.0.2"].Data) || !slices.Equal(silu.Data, acts["features.2.0.block.0"].Data) {
		t.Error("SiLU(block.0.1) differs from block.0.2 / block.0")
	}
}

func TestRecordActivationsUnknownNames(t *testing.T) {
	m := newTinyEffNet(t, tinyConfig(false), 3)
	x := ag.Zeros(1, 3, 32, 32)
	_, err := RecordActivations(m, x, []string{"features.1", "features.9.0", "features.1.0.block.7", "features.4.0.stochastic_depth"})
	if err == nil || !strings.Contains(err.Error(), "features.1.0.block.7, features.4.0.stochastic_depth, features.9.0") {
		t.Errorf("err = %v", err)
	}
	if _, err := RecordActivations(newTinyEffNet(t, tinyConfig(true), 3), x, []string{"blocks.0"}); err == nil {
		t.Error("timm-named EfficientNetV2: no error")
	}
}
