package models

import (
	"math"
	"strings"
	"testing"

	"github.com/seed477ab429/multilabel/nn"
)

// The full-size models match docs/architectures.md §1/§3/§4: parameters exactly
// (with and without the 1000-class classifier), state-dict tensor counts,
// and MACs at 224 and 448 within 0.1%. Building a model allocates its
// weights (up to 56M floats), but no forward pass runs.
func TestBackboneCountsMatchSpec(t *testing.T) {
	cases := []struct {
		name             string
		params, noFC     int
		tensors          int
		macs224, macs448 float64 // millions, with classifier
		feat             int
	}{
		{"tresnet_m", 31389032, 29340032, 434, 5736.5, 22937.6, 2048},
		{"tresnet_l", 55989256, 53556256, 620, 10877.6, 43497.6, 2432},
		{"tresnet_xl", 78436244, 75779244, 752, 15167.1, 60651.9, 2656},
		{"tresnet_v2_l", 46174824, 44125824, 746, 8813.7, 35244.0, 2048},
		{"resnet50", 25557032, 23508032, 320, 4089.2, 16350.6, 2048},
		{"resnet101", 44549160, 42500160, 626, 7801.4, 31199.5, 2048},
	}
	if testing.Short() {
		cases = cases[:1]
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := NewBackbone(tc.name, Options{NumClasses: 1000})
			if err != nil {
				t.Fatal(err)
			}
			p, _ := nn.CountParams(m)
			if p != tc.params {
				t.Errorf("params %d, want %d", p, tc.params)
			}
			if n := len(nn.Tensors(m)); n != tc.tensors {
				t.Errorf("%d state-dict tensors, want %d", n, tc.tensors)
			}
			if m.FeatureChannels() != tc.feat {
				t.Errorf("feature channels %d, want %d", m.FeatureChannels(), tc.feat)
			}
			for _, c := range []struct {
				size int
				want float64
			}{{224, tc.macs224}, {448, tc.macs448}} {
				got := float64(m.MACs(c.size, c.size)) / 1e6
				if math.Abs(got-c.want) > 1e-3*c.want {
					t.Errorf("MACs@%d %.1fM, want %.1fM", c.size, got, c.want)
				}
			}
			// Without the classifier: everything but head.fc / fc. (That
			// NumClasses 0 builds no classifier is tested on small models.)
			noFC := 0
			for _, nt := range nn.Tensors(m) {
				if nt.Kind == nn.Param && !strings.HasPrefix(nt.Name, "fc.") && !strings.HasPrefix(nt.Name, "head.fc.") {
					noFC += nt.Tensor.Numel()
				}
			}
			if noFC != tc.noFC {
				t.Errorf("params without classifier %d, want %d", noFC, tc.noFC)
			}
		})
	}
}
