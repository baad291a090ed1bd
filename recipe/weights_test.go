package recipe

import (
	"context"
	"image"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/seed477ab429/multilabel"
	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/data"
	"github.com/seed477ab429/multilabel/metrics"
	"github.com/seed477ab429/multilabel/models"
	"github.com/seed477ab429/multilabel/nn"
	"github.com/seed477ab429/multilabel/train"
)

// Tiny members of each weight family, registered for this test binary
// only: the family (and so the weight conventions and normalization) comes
// from the name's prefix, as for the full-size models.
func init() {
	tinyEff := func(name string, timm bool) models.Constructor {
		return func(o models.Options) (models.Backbone, error) {
			return models.NewEfficientNetV2(models.EffNetV2Config{
				Name: name, Stem: 8,
				Stages: []models.EffNetV2Stage{
					{Block: models.FusedMBConvBlock, Expand: 1, Kernel: 3, Stride: 2, Out: 8, Repeats: 1},
					{Block: models.MBConvBlock, Expand: 2, Kernel: 3, Stride: 2, Out: 16, Repeats: 1},
				},
				Head: 24, NumClasses: o.NumClasses, BNEps: 1e-3, BNMomentum: 0.1, Seed: o.Seed,
				TFSame: timm, TimmNames: timm, TimmInit: timm,
			})
		}
	}
	models.Register("efficientnetv2_tinytest", "test only: torchvision-layout EfficientNetV2", tinyEff("efficientnetv2_tinytest", false))
	models.Register("tf_efficientnetv2_tinytest", "test only: timm tf_ EfficientNetV2", tinyEff("tf_efficientnetv2_tinytest", true))
	models.Register("tresnet_tinytest", "test only: TResNet, P 3", func(o models.Options) (models.Backbone, error) {
		return models.NewTResNetFromConfig(models.TResNetConfig{Name: "tresnet_tinytest", Layers: [4]int{1, 2, 2, 1}, Width: 1, Planes: 3, SEMin: 4, NumClasses: o.NumClasses, Seed: o.Seed})
	})
	models.Register("resnet_tinytest", "test only: ResNet, base 3", func(o models.Options) (models.Backbone, error) {
		return models.NewResNetFromConfig(models.ResNetConfig{Name: "resnet_tinytest", Layers: [4]int{1, 1, 1, 1}, Base: 3, NumClasses: o.NumClasses, Seed: o.Seed})
	})
}

// toMIIL writes a timm TResNet name as Alibaba-MIIL's checkpoints do
// (conv2d_ABN units; stride-2 units one level deeper).
func toMIIL(name string) string {
	n := strings.NewReplacer(".conv.", ".0.", ".bn.", ".1.").Replace(name)
	for _, s := range []string{"layer2.0.conv1.", "layer3.0.conv2.", "layer4.0.conv2."} {
		if i := strings.Index(n, s); i >= 0 {
			n = n[:i+len(s)] + "0." + n[i+len(s):]
		}
	}
	return n
}

// writeBackboneWeights saves a randomly initialised backbone with an
// ImageNet-style classifier (10 classes) under its own names, or MIIL's,
// and returns the path and the backbone tensors a correct load gives.
func writeBackboneWeights(t *testing.T, dir, model string, miil bool) (string, map[string][]float32) {
	t.Helper()
	b, err := models.NewBackbone(model, models.Options{NumClasses: 10, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(11, 12))
	sd := nn.NewStateDict()
	want := map[string][]float32{}
	for _, nt := range nn.Tensors(b) {
		v := nt.Tensor.Detach().Clone()
		if strings.HasSuffix(nt.Name, "weight") || strings.HasSuffix(nt.Name, "bias") {
			v = ag.RandN(rng, v.Shape...) // not the init a fresh model gets
		}
		name := nt.Name
		if miil {
			if strings.HasSuffix(name, "num_batches_tracked") {
				want[nt.Name] = []float32{0} // InPlaceABN keeps none: FromMIIL adds a 0
				continue
			}
			name = toMIIL(name)
		}
		sd.Set(name, v)
		w := slices.Clone(v.Data)
		if miil && strings.HasSuffix(nt.Name, ".bn.weight") {
			for i, g := range w {
				w[i] = max(g, -g) + 1e-5 // InPlaceABN's |γ| + eps
			}
		}
		if !strings.HasPrefix(nt.Name, "classifier") && !strings.HasPrefix(nt.Name, "fc.") && !strings.HasPrefix(nt.Name, "head.") {
			want[nt.Name] = w
		}
	}
	path := filepath.Join(dir, model+map[bool]string{true: "_miil", false: ""}[miil]+".safetensors")
	if err := nn.SaveSafetensors(path, sd); err != nil {
		t.Fatal(err)
	}
	return path, want
}

// buildOnly runs the recipe's data and model phases on o.
func buildOnly(t *testing.T, o Options) (*run, error) {
	t.Helper()
	o.Log, o.Stdout = io.Discard, io.Discard
	r, err := newRun(o)
	if err != nil {
		return nil, err
	}
	if err := r.loadData(context.Background()); err != nil {
		return nil, err
	}
	return r, r.buildModel(context.Background())
}

// The input normalization follows the weights' source, -norm overrides
// it, and each source's names (MIIL's included) load into the backbone.
func TestWeightsNormPerSource(t *testing.T) {
	dir := t.TempDir()
	csv := writeCSV(t, dir, "all", 12)
	for _, tc := range []struct {
		model string
		miil  bool
		norm  string // -norm
		want  string
	}{
		{"efficientnetv2_tinytest", false, "", "imagenet"}, // torchvision
		{"tf_efficientnetv2_tinytest", false, "", "half"},  // timm tf_
		{"tresnet_tinytest", false, "", "unit"},            // timm TResNet
		{"tresnet_tinytest", true, "", "unit"},             // MIIL TResNet, through FromMIIL
		{"resnet_tinytest", false, "", "imagenet"},         // torchvision ResNet
		{"efficientnetv2_tinytest", false, "half", "half"}, // -norm wins
		{"tresnet_tinytest", true, "0.5,0.4,0.3/1,1,1", "0.5,0.4,0.3/1,1,1"},
	} {
		path, want := writeBackboneWeights(t, dir, tc.model, tc.miil)
		o := Defaults()
		o.Data, o.Model, o.Head, o.Weights, o.Norm, o.Size = csv, tc.model, "pool", path, tc.norm, 32
		r, err := buildOnly(t, o)
		if err != nil {
			t.Fatalf("%s (miil %v): %v", tc.model, tc.miil, err)
		}
		if r.spec.Norm != tc.want {
			t.Errorf("%s (miil %v, -norm %q): norm %q, want %q", tc.model, tc.miil, tc.norm, r.spec.Norm, tc.want)
		}
		lc, err := loaderConfig(r.spec, 4, 1, 0, false, nil)
		if err != nil || lc.Norm.String() != tc.want {
			t.Errorf("%s: loader normalization %v (%v), want %s", tc.model, lc.Norm, err, tc.want)
		}
		got := nn.StateMap(r.net.Backbone)
		if len(got) != len(want) {
			t.Errorf("%s: backbone has %d tensors, file %d", tc.model, len(got), len(want))
		}
		for name, w := range want {
			if g := got[name]; g == nil || !slices.Equal(g.Data, w) {
				t.Errorf("%s (miil %v): %s not loaded", tc.model, tc.miil, name)
				break
			}
		}
	}
}

// Weights of the wrong layout or of no known convention are one-line
// input errors that say what to do.
func TestWeightsMismatch(t *testing.T) {
	dir := t.TempDir()
	csv := writeCSV(t, dir, "all", 12)
	tfPath, _ := writeBackboneWeights(t, dir, "tf_efficientnetv2_tinytest", false)
	tvPath, _ := writeBackboneWeights(t, dir, "efficientnetv2_tinytest", false)
	odd := filepath.Join(dir, "odd.safetensors")
	sd := nn.NewStateDict()
	sd.Set("encoder.layer0.weight", ag.Zeros(2, 2))
	if err := nn.SaveSafetensors(odd, sd); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ model, weights, want string }{
		{"efficientnetv2_tinytest", tfPath, "use -model tf_efficientnetv2_*"},
		{"tf_efficientnetv2_tinytest", tvPath, "use -model efficientnetv2_*"},
		{"efficientnetv2_tinytest", odd, "encoder.layer0.weight"},
	} {
		o := Defaults()
		o.Data, o.Model, o.Head, o.Weights, o.Size = csv, tc.model, "pool", tc.weights, 32
		_, err := buildOnly(t, o)
		if err == nil || !IsInputError(err) || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s with %s: want a one-line input error with %q, got %v", tc.model, filepath.Base(tc.weights), tc.want, err)
		}
	}
}

// writeRun writes a run folder by hand: a gat-head classifier with
// non-zero label embeddings and graph, trained (here: initialised) with
// the given normalization.
func writeRun(t *testing.T, dir string, classes []string, norm string) (string, *models.Classifier) {
	t.Helper()
	spec := models.Spec{Backbone: "efficientnetv2_tinytest", Head: "gat", Classes: classes, Metric: true,
		Size: 32, Scale: 17, Norm: norm, EmbedDim: 6}
	n := len(classes)
	g := &models.Graph{Embeddings: make([]float32, n*6), EmbedDim: 6, Labels: models.GraphFromA(make([]float32, n*n), n)}
	for i := range g.Embeddings {
		g.Embeddings[i] = float32(i%7) - 3
	}
	g.Labels = models.GraphFromA(func() []float32 {
		a := make([]float32, n*n)
		for i := range a {
			a[i] = float32(i%3) / 4
		}
		return a
	}(), n)
	net, err := models.Build(spec, models.Options{Seed: 9}, g)
	if err != nil {
		t.Fatal(err)
	}
	run := filepath.Join(dir, "run")
	if err := os.MkdirAll(run, 0o755); err != nil {
		t.Fatal(err)
	}
	js, _ := models.MarshalSpec(spec)
	if err := os.WriteFile(filepath.Join(run, multilabel.SpecFile), js, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := train.SaveWeights(filepath.Join(run, multilabel.WeightsFile), net, nil); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(run, multilabel.WeightsFile), net
}

// Fine-tuning from a run keeps its architecture, its label embeddings and
// graph (same classes) and its normalization; with other classes the
// backbone loads and the normalization is still the run's.
func TestFineTuneKeepsEmbeddings(t *testing.T) {
	dir := t.TempDir()
	csv := writeCSV(t, dir, "all", 12) // classes blue, red
	weights, src := writeRun(t, dir, []string{"blue", "red"}, "imagenet")
	srcState := nn.StateMap(src)

	o := Defaults() // -model efficientnetv2_t -head mldecoder: the run's own win
	o.Data, o.Weights, o.Size, o.Batch, o.Workers = csv, weights, 32, 4, 1
	r, err := buildOnly(t, o)
	if err != nil {
		t.Fatal(err)
	}
	if r.spec.Backbone != "efficientnetv2_tinytest" || r.spec.Head != "gat" || r.spec.Norm != "imagenet" || r.spec.EmbedDim != 6 {
		t.Fatalf("spec %+v: want the run's backbone, head, embedding size and normalization", r.spec)
	}
	// The loaders phase would fill image-derived embeddings for a fresh
	// head: not for a run's.
	if err := r.loaders(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := nn.StateMap(r.net)
	for _, name := range []string{"head.inp", "head.A", "head.gc1.W", "backbone.conv_stem.weight"} {
		if got[name] == nil && name == "backbone.conv_stem.weight" {
			name = "backbone.features.0.0.weight"
		}
		if got[name] == nil || !slices.Equal(got[name].Data, srcState[name].Data) {
			t.Errorf("%s: not the run's", name)
		}
	}

	// New classes: the backbone is the run's, the head fresh, the
	// normalization still the run's.
	other := filepath.Join(dir, "other.csv")
	if err := os.WriteFile(other, []byte("all000.png,a\nall001.png,b\nall002.png,c\nall003.png,a\nall004.png,b\nall005.png,c\nall006.png,a\nall007.png,b\nall008.png,c\nall009.png,a;b\nall010.png,c\nall011.png,b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	o.Data = other
	r, err = buildOnly(t, o)
	if err != nil {
		t.Fatal(err)
	}
	if r.spec.Norm != "imagenet" || r.spec.Head != "gat" || len(r.spec.Classes) != 3 {
		t.Fatalf("spec %+v", r.spec)
	}
	bb := nn.StateMap(r.net.Backbone)
	for name, w := range bb {
		if !slices.Equal(w.Data, srcState["backbone."+name].Data) {
			t.Fatalf("backbone %s: not the run's", name)
		}
	}
}

// Inference uses the normalization a run recorded in model.json.
func TestLoadUsesRunNorm(t *testing.T) {
	for _, norm := range []string{"unit", "imagenet", "0.1,0.2,0.3/0.5,0.6,0.7"} {
		dir := t.TempDir()
		_, net := writeRun(t, dir, []string{"blue", "red"}, norm)
		m, err := multilabel.Load(filepath.Join(dir, "run"))
		if err != nil {
			t.Fatal(err)
		}
		img := image.NewRGBA(image.Rect(0, 0, 32, 32))
		for i := range img.Pix {
			img.Pix[i] = uint8(i * 7)
		}
		got, err := m.Scores([]image.Image{img})
		if err != nil {
			t.Fatal(err)
		}
		n, _ := data.ParseNorm(norm)
		net.Freeze()
		var out *ag.Tensor
		ag.NoGrad(func() { out = net.Forward(nn.Eval, ag.New(data.Normalize(img, n), 1, 3, 32, 32)) })
		want := make([]float32, 2)
		metrics.Sigmoid(want, out.Data, 17)
		for j := range want {
			if float32(got[0][j]) != want[j] {
				t.Errorf("norm %s: class %d score %v, want %v (the run's normalization)", norm, j, got[0][j], want[j])
			}
		}
	}
}
