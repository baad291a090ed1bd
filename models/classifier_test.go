package models

import (
	"math/rand/v2"
	"strings"
	"testing"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/nn"
)

// Every head builds on a backbone, maps images to [B, N], names its
// tensors under backbone./head., and survives a Spec round trip.
func TestBuildEveryHead(t *testing.T) {
	classes := []string{"a", "b", "c"}
	x := ag.RandN(rand.New(rand.NewPCG(1, 2)), 2, 3, 64, 64)
	for _, head := range HeadNames {
		spec := Spec{Backbone: "efficientnetv2_t", Head: head, Classes: classes, Metric: true, Size: 64, Scale: 17,
			DecoderEmbed: 32, DecoderHeads: 4, DecoderFFN: 64}
		var g *Graph
		if head == "gat" || head == "gat+mldecoder" || head == "mlgcn" {
			spec.EmbedDim = 8
			g = ZeroGraph(3, 8)
		}
		m, err := Build(spec, Options{Seed: 1}, g)
		if err != nil {
			t.Fatalf("%s: %v", head, err)
		}
		var out *ag.Tensor
		ag.NoGrad(func() { out = m.Forward(nn.Eval, x) })
		if !ag.SameShape(out.Shape, []int{2, 3}) {
			t.Fatalf("%s: output %v", head, out.Shape)
		}
		for _, nt := range nn.Tensors(m) {
			if !strings.HasPrefix(nt.Name, "backbone.") && !strings.HasPrefix(nt.Name, "head.") {
				t.Fatalf("%s: tensor %q outside backbone./head.", head, nt.Name)
			}
		}
		if m.MACs(64) <= m.Backbone.MACs(64, 64) {
			t.Fatalf("%s: head adds no MACs", head)
		}
		js, err := MarshalSpec(spec)
		if err != nil {
			t.Fatal(err)
		}
		back, err := UnmarshalSpec(js)
		if err != nil || back.Head != head || len(back.Classes) != 3 {
			t.Fatalf("%s: spec round trip %+v %v", head, back, err)
		}
	}
}

func TestBuildErrors(t *testing.T) {
	if _, err := Build(Spec{Backbone: "efficientnetv2_t", Head: "nope", Classes: []string{"a"}, Size: 32}, Options{}, nil); err == nil || !strings.Contains(err.Error(), "unknown head") {
		t.Fatalf("unknown head: %v", err)
	}
	if _, err := Build(Spec{Backbone: "efficientnetv2_t", Head: "gat", Classes: []string{"a"}, Size: 32}, Options{}, nil); err == nil {
		t.Fatal("gat without a graph built")
	}
	if _, err := UnmarshalSpec([]byte(`{"backbone": "x"}`)); err == nil {
		t.Fatal("incomplete spec accepted")
	}
}
