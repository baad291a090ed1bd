package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seed477ab429/multilabel/models"
	"github.com/seed477ab429/multilabel/nn"
)

// The reduced-width references in testdata/ (written by
// testdata/gen_verify.py from torchvision's EfficientNet and ResNet classes
// and gen_tresnet.py's TResNet) are the networks below, registered for
// this test binary only, so `verify` runs end to end through the
// dispatcher exactly as on the full-size files.
func init() {
	models.Register("verify_tiny_effnetv2", "test only: gen_effnetv2.py's tiny EfficientNetV2", func(o models.Options) (models.Backbone, error) {
		return models.NewEfficientNetV2(models.EffNetV2Config{
			Name: "verify_tiny_effnetv2", Stem: 8,
			Stages: []models.EffNetV2Stage{
				{Block: models.FusedMBConvBlock, Expand: 1, Kernel: 3, Stride: 1, Out: 8, Repeats: 2},
				{Block: models.FusedMBConvBlock, Expand: 2, Kernel: 3, Stride: 2, Out: 16, Repeats: 2},
				{Block: models.MBConvBlock, Expand: 2, Kernel: 3, Stride: 2, Out: 24, Repeats: 2},
				{Block: models.MBConvBlock, Expand: 1, Kernel: 5, Stride: 2, Out: 32, Repeats: 1},
			},
			Head: 48, NumClasses: o.NumClasses, BNEps: 1e-3, BNMomentum: 0.1,
		})
	})
	models.Register("verify_tiny_resnet", "test only: ResNet, base 3, layers 1,1,2,1", func(o models.Options) (models.Backbone, error) {
		return models.NewResNetFromConfig(models.ResNetConfig{Name: "verify_tiny_resnet", Layers: [4]int{1, 1, 2, 1}, Base: 3, NumClasses: o.NumClasses})
	})
	models.Register("verify_tiny_tresnet", "test only: TResNet, P 3, layers 1,2,2,1, SE floor 4", func(o models.Options) (models.Backbone, error) {
		return models.NewTResNetFromConfig(models.TResNetConfig{Name: "verify_tiny_tresnet", Layers: [4]int{1, 2, 2, 1}, Width: 1, Planes: 3, SEMin: 4, NumClasses: o.NumClasses})
	})
}

// verifyCLI runs args through the dispatcher: exit status, stdout, stderr.
func verifyCLI(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	rc := run(args, &out, &errb)
	return rc, out.String(), errb.String()
}

func verifyJSON(t *testing.T, model, ref string) (int, *verifyReport) {
	t.Helper()
	rc, out, errs := verifyCLI("verify", "-model", model, "-weights", ref, "-json")
	var rep verifyReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("exit %d, %v in %q (stderr %q)", rc, err, out, errs)
	}
	return rc, &rep
}

// Each fixture passes with every activation, gradient and running statistic
// compared; the counts prove nothing was skipped.
func TestVerifyFixtures(t *testing.T) {
	for _, tc := range []struct {
		model, file  string
		acts, grads  int
		posts        int
		l2, floorHit bool
	}{
		{"verify_tiny_effnetv2", "effnetv2_tiny", 35, 13, 9, false, true},
		{"verify_tiny_resnet", "resnet_tiny", 23, 10, 9, true, false},
		{"verify_tiny_tresnet", "tresnet_tiny", 29, 11, 6, true, false},
	} {
		t.Run(tc.file, func(t *testing.T) {
			rc, rep := verifyJSON(t, tc.model, filepath.Join("testdata", tc.file+"_ref.safetensors"))
			if rc != 0 || !rep.Pass || rep.Failed != 0 {
				t.Errorf("exit %d, pass %v, %d failed: %+v", rc, rep.Pass, rep.Failed, rep.Checks)
			}
			if !strings.HasSuffix(rep.Grads, tc.file+"_grad.safetensors") {
				t.Errorf("train reference %q: the _grad sibling was not found", rep.Grads)
			}
			count := map[string]int{}
			floorHit := false
			for _, c := range rep.Checks {
				count[c.Phase]++
				if c.Phase == "grad" {
					if l2 := strings.HasPrefix(c.Rule, "rel L2"); l2 != tc.l2 {
						t.Errorf("%s: rule %q; want the L2 rule %v", c.Name, c.Rule, tc.l2)
					}
					floorHit = floorHit || strings.Contains(c.Note, "floor")
				}
				// Well below the tolerances: these small nets are not chaotic.
				if c.Phase != "grad" && c.MaxRelErr > 2e-5 || c.Phase == "grad" && c.MaxRelErr > 2e-4 {
					t.Errorf("%s %s: max rel %.3g", c.Phase, c.Name, c.MaxRelErr)
				}
			}
			// eval: logits + activations; train: logits + post.*.
			if count["eval"] != 1+tc.acts || count["grad"] != tc.grads || count["train"] != 1+tc.posts {
				t.Errorf("checks per phase %v, want eval %d, grad %d, train %d", count, 1+tc.acts, tc.grads, 1+tc.posts)
			}
			if floorHit != tc.floorHit {
				t.Errorf("zero-gradient floor used: %v, want %v", floorHit, tc.floorHit)
			}
		})
	}
}

// The text output names the rule in force and ends with PASS.
func TestVerifyText(t *testing.T) {
	rc, out, errs := verifyCLI("verify", "-model", "verify_tiny_resnet", "-weights", "testdata/resnet_tiny_ref.safetensors", "-v")
	if rc != 0 {
		t.Fatalf("exit %d: %s\n%s", rc, errs, out)
	}
	for _, want := range []string{"eval  layer1.0.downsample.1", "grad  layer3.0.bn3.bias", "rel L2 rule:", "seconds:", "PASS: 44 checks"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// tamper copies a fixture into a temporary directory, changing it with
// edit; it returns the new path of the _ref file (its _grad sibling is
// copied too, so the pair stays together).
func tamper(t *testing.T, file, which string, edit func(sd *nn.StateDict)) string {
	t.Helper()
	dir := t.TempDir()
	for _, part := range []string{"_ref", "_grad"} {
		src := filepath.Join("testdata", file+part+".safetensors")
		dst := filepath.Join(dir, file+part+".safetensors")
		if part != which {
			b, err := os.ReadFile(src)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(dst, b, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		sd, err := nn.LoadWeights(src)
		if err != nil {
			t.Fatal(err)
		}
		edit(sd)
		if err := nn.SaveSafetensors(dst, sd); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, file+"_ref.safetensors")
}

// A wrong weight, a wrong gradient, a weight the model lacks: each fails
// with exit status 1 and names what is wrong.
func TestVerifyDetectsErrors(t *testing.T) {
	// Eval BN statistic of one MBConv's depthwise BN: its activation and
	// everything after it fail, earlier activations pass.
	ref := tamper(t, "effnetv2_tiny", "_ref", func(sd *nn.StateDict) {
		v := sd.Get("features.3.0.block.1.1.running_var")
		v.Data[0] *= 1.5
	})
	rc, rep := verifyJSON(t, "verify_tiny_effnetv2", ref)
	failed := map[string]bool{}
	for _, c := range rep.Checks {
		if !c.Pass {
			failed[c.Phase+" "+c.Name] = true
		}
	}
	if rc != 1 || !failed["eval features.3.0.block.1"] || !failed["eval logits"] || failed["eval features.3.0.block.0"] || failed["eval features.2"] {
		t.Errorf("running_var changed: exit %d, failed %v", rc, failed)
	}

	// A gradient 0.5% off fails the 1e-3 rule and nothing else.
	ref = tamper(t, "effnetv2_tiny", "_grad", func(sd *nn.StateDict) {
		for i := range sd.Get("grad.features.3.0.block.2.fc1.weight").Data {
			sd.Get("grad.features.3.0.block.2.fc1.weight").Data[i] *= 1.005
		}
	})
	rc, out, _ := verifyCLI("verify", "-model", "verify_tiny_effnetv2", "-weights", ref)
	if rc != 1 || strings.Count(out, "FAIL") != 2 || !strings.Contains(out, "FAIL: 1 of") ||
		!strings.Contains(out, "features.3.0.block.2.fc1.weight") {
		t.Errorf("gradient off by 0.5%%: exit %d\n%s", rc, out)
	}

	// Under the L2 rule (5% floor) a gradient off by 10% fails.
	ref = tamper(t, "tresnet_tiny", "_grad", func(sd *nn.StateDict) {
		g := sd.Get("grad.body.layer3.0.se.fc2.bias")
		for i := range g.Data {
			g.Data[i] *= 1.1
		}
	})
	if rc, rep := verifyJSON(t, "verify_tiny_tresnet", ref); rc != 1 || rep.Failed != 1 {
		t.Errorf("L2 rule, gradient off by 10%%: exit %d, %d failed", rc, rep.Failed)
	}

	// An activation the model has no module for, one of the wrong shape,
	// and a NaN: failed checks that say why (and -json still encodes).
	ref = tamper(t, "effnetv2_tiny", "_ref", func(sd *nn.StateDict) {
		sd.Set("ref.act.features.9", sd.Get("ref.act.features.5"))
		sd.Set("ref.act.features.2", sd.Get("ref.act.features.3"))
		sd.Get("ref.act.features.4").Data[7] = float32(math.NaN())
	})
	rc, rep = verifyJSON(t, "verify_tiny_effnetv2", ref)
	notes := map[string]string{}
	for _, c := range rep.Checks {
		if !c.Pass {
			notes[c.Name] = c.Note
		}
	}
	if rc != 1 || len(notes) != 3 || !strings.Contains(notes["features.9"], "no module named features.9") ||
		!strings.Contains(notes["features.2"], "shape") || notes["features.4"] != "NaN" {
		t.Errorf("bad activations: exit %d, failed %q", rc, notes)
	}

	// A weight missing from the file and one the model does not have.
	ref = tamper(t, "resnet_tiny", "_ref", func(sd *nn.StateDict) {
		sd.Set("layer9.weight", sd.Get("fc.bias"))
		sd.Delete("layer2.0.bn1.running_mean")
	})
	rc, _, errs := verifyCLI("verify", "-model", "verify_tiny_resnet", "-weights", ref)
	if rc != 1 || !strings.Contains(errs, "missing 1: layer2.0.bn1.running_mean") || !strings.Contains(errs, "unexpected 1: layer9.weight") {
		t.Errorf("names: exit %d, stderr %q", rc, errs)
	}

	// A gradient file from other weights.
	ref = tamper(t, "resnet_tiny", "_grad", func(sd *nn.StateDict) { sd.Get("param.conv1.weight").Data[3] += 1 })
	if rc, _, errs := verifyCLI("verify", "-model", "verify_tiny_resnet", "-weights", ref); rc != 1 || !strings.Contains(errs, "do not belong together") {
		t.Errorf("mismatched pair: exit %d, stderr %q", rc, errs)
	}

	// The weights of another model.
	rc, _, errs = verifyCLI("verify", "-model", "verify_tiny_tresnet", "-weights", "testdata/resnet_tiny_ref.safetensors")
	if rc != 1 || !strings.Contains(errs, "strict load") {
		t.Errorf("wrong model: exit %d, stderr %q", rc, errs)
	}
}

// The user's mistakes: one line on stderr, exit status 2.
func TestVerifyUsage(t *testing.T) {
	garbage := filepath.Join(t.TempDir(), "x_ref.safetensors")
	if err := os.WriteFile(garbage, []byte("\x10\x00\x00\x00\x00\x00\x00\x00{\"a\":"), 0o644); err != nil {
		t.Fatal(err)
	}
	notRef := filepath.Join(t.TempDir(), "w.safetensors")
	sd := nn.NewStateDict()
	sd.Set("fc.weight", nn.StateMap(mustTiny(t))["fc.weight"])
	if err := nn.SaveSafetensors(notRef, sd); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		want string
		args []string
	}{
		{"required", []string{"verify", "-model", "resnet50"}},
		{"unknown model", []string{"verify", "-model", "resnet9000", "-weights", "testdata/resnet_tiny_ref.safetensors"}},
		{"no such file", []string{"verify", "-model", "resnet50", "-weights", "testdata/absent.safetensors"}},
		{"x_ref.safetensors", []string{"verify", "-model", "resnet50", "-weights", garbage}},
		{"not a reference file", []string{"verify", "-model", "resnet50", "-weights", notRef}},
		{"no such file", []string{"verify", "-model", "verify_tiny_resnet", "-weights", "testdata/resnet_tiny_ref.safetensors", "-grad", "testdata/absent"}},
	} {
		rc, _, errs := verifyCLI(tc.args...)
		if rc != 2 || strings.Count(strings.TrimRight(errs, "\n"), "\n") != 0 || !strings.Contains(errs, tc.want) {
			t.Errorf("%q: exit %d, stderr %q; want exit 2 and one line with %q", tc.args, rc, errs, tc.want)
		}
	}
}

func mustTiny(t *testing.T) models.Backbone {
	t.Helper()
	m, err := models.NewBackbone("verify_tiny_resnet", models.Options{NumClasses: 10})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestNaturalCompare(t *testing.T) {
	for _, c := range [][2]string{{"features.2", "features.10"}, {"features.1.0", "features.1.0.block"}, {"avgpool", "features"}, {"layer2.0", "layer2.0.conv2"}} {
		if naturalCompare(c[0], c[1]) >= 0 || naturalCompare(c[1], c[0]) <= 0 {
			t.Errorf("%q should sort before %q", c[0], c[1])
		}
	}
}
