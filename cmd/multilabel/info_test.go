package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestInfoJSON(t *testing.T) {
	var out, errb bytes.Buffer
	if rc := run([]string{"info", "-model", "efficientnetv2_s", "-size", "448", "-classes", "1000", "-json"}, &out, &errb); rc != 0 {
		t.Fatalf("exit %d: %s", rc, errb.String())
	}
	var r map[string]any
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("%v in %s", err, out.String())
	}
	// docs/architectures.md §1: 21,458,488 parameters, 11.385 GMACs at 448.
	if r["params"] != float64(21458488) || r["feature_channels"] != float64(1280) {
		t.Errorf("params %v, feature_channels %v", r["params"], r["feature_channels"])
	}
	if g, ok := r["gmacs"].(float64); !ok || g < 11.37 || g > 11.40 {
		t.Errorf("gmacs %v, want 11.385", r["gmacs"])
	}
	if s, _ := json.Marshal(r["feature_shape"]); string(s) != "[1280,14,14]" {
		t.Errorf("feature_shape %s", s)
	}
}

func TestInfoText(t *testing.T) {
	var out, errb bytes.Buffer
	if rc := run([]string{"info", "-model", "efficientnetv2_t", "-size", "128"}, &out, &errb); rc != 0 {
		t.Fatalf("exit %d: %s", rc, errb.String())
	}
	if !strings.Contains(out.String(), "features 640x4x4") {
		t.Errorf("output:\n%s", out.String())
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"nosuchcommand"},
		{"info"},
		{"info", "-model", "resnet9000", "-size", "224"},
		{"info", "-model", "efficientnetv2_t", "-size", "x"},
		{"info", "-model", "efficientnetv2_t", "-classes", "-3"},
		{"info", "-model", "efficientnetv2_t", "extra"},
	} {
		var out, errb bytes.Buffer
		rc := run(args, &out, &errb)
		lines := strings.Count(strings.TrimSpace(errb.String()), "\n") + 1
		if rc != 2 || (len(args) > 0 && lines != 1) {
			t.Errorf("%q: exit %d, stderr %q; want exit 2 and one line", args, rc, errb.String())
		}
	}
}

// -head: the head's parameters and MACs, and the deployed cost
// (docs/architectures.md §5.4: EfficientNetV2-S + ML-Decoder, 20 classes
// at 224: 6,514,708 trainable, 15,360 frozen queries, 194.0 M head MACs,
// 3.043 G in all); the GAT head's graph branch costs nothing deployed.
func TestInfoHead(t *testing.T) {
	var out, errb bytes.Buffer
	if rc := run([]string{"info", "-model", "efficientnetv2_s", "-head", "mldecoder", "-classes", "20", "-size", "224", "-json"}, &out, &errb); rc != 0 {
		t.Fatalf("exit %d: %s", rc, errb.String())
	}
	var r infoResult
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	if r.HeadParams != 6514708 || r.HeadBuffers != 15360 || r.HeadGMACs < 0.1935 || r.HeadGMACs > 0.1945 || r.DeployedGMACs < 3.0425 || r.DeployedGMACs > 3.0435 {
		t.Errorf("%+v", r)
	}
	out.Reset()
	if rc := run([]string{"info", "-model", "efficientnetv2_t", "-head", "gat", "-classes", "20", "-size", "128"}, &out, &errb); rc != 0 {
		t.Fatalf("exit %d: %s", rc, errb.String())
	}
	for _, want := range []string{"efficientnetv2_t + gat", "label graph:", "deployed: 0.172 GMACs"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	for _, args := range [][]string{{"-head", "gat"}, {"-head", "mlp", "-classes", "3"}} {
		var o, e bytes.Buffer
		if rc := run(append([]string{"info", "-model", "efficientnetv2_t"}, args...), &o, &e); rc != 2 || strings.Count(e.String(), "\n") != 1 {
			t.Errorf("%v: exit %d, %q", args, rc, e.String())
		}
	}
}
