// Command makeruns prepares the full-size ONNX Runtime check of
// tools/onnx/check_ort.sh: run folders of randomly initialized full-size
// classifiers (every head on EfficientNetV2-S, and TResNet-M, ResNet-50 and
// tf_EfficientNetV2-S with one head each), with every threshold at 0 so
// that `multilabel predict` prints the score of every class, and fixed
// images already at the model's input size (BMP, which the ONNX Runtime
// script decodes itself; predict's resize is then the identity).
//
//	go run ./tools/onnx/makeruns -out /tmp/onnxcheck [-size 224] [-only NAME]
//	go run ./tools/onnx/makeruns -time RUN -images DIR   # our inference time per image
//
// The weights are random (nothing to download), with BatchNorm statistics
// and affine parameters drawn away from their identity initialization so
// that folding them into the convolutions is exercised.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"golang.org/x/image/bmp"

	"github.com/seed477ab429/multilabel"
	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/data"
	"github.com/seed477ab429/multilabel/models"
	"github.com/seed477ab429/multilabel/nn"
)

type config struct {
	name, backbone, head string
	metric               bool
	scale                float32
	norm                 string
}

var configs = []config{
	{"effnetv2s_mldecoder", "efficientnetv2_s", "mldecoder", true, 17, "half"},
	{"effnetv2s_gat", "efficientnetv2_s", "gat", true, 17, "half"},
	{"effnetv2s_gat_mldecoder", "efficientnetv2_s", "gat+mldecoder", true, 17, "half"},
	{"effnetv2s_mlgcn", "efficientnetv2_s", "mlgcn", false, 1, "half"},
	{"effnetv2s_q2l", "efficientnetv2_s", "q2l", false, 1, "half"},
	{"effnetv2s_pool", "efficientnetv2_s", "pool", false, 1, "imagenet"},
	{"tf_effnetv2s_pool", "tf_efficientnetv2_s", "pool", true, 17, "half"},
	{"tresnetm_mldecoder", "tresnet_m", "mldecoder", false, 1, "imagenet"},
	{"resnet50_mlgcn", "resnet50", "mlgcn", false, 1, "imagenet"},
}

func main() {
	out := flag.String("out", "", "folder for runs/ and images/")
	size := flag.Int("size", 224, "input size")
	only := flag.String("only", "", "comma-separated config names (default: all)")
	timeRun := flag.String("time", "", "time our inference of this run folder on -images instead")
	images := flag.String("images", "", "with -time: folder of images")
	reps := flag.Int("reps", 5, "with -time: timed repetitions per image")
	featRun := flag.String("features", "", "print the backbone's pooled features of this run folder on -images (JSON) instead")
	photos := flag.String("photos", "", "folder of JPEG photos to use as the fixed images (the VOC sample's JPEGImages, docs/README.md); empty: synthetic gradients")
	flag.Parse()
	var err error
	if *featRun != "" {
		err = features(*featRun, *images)
	} else if *timeRun != "" {
		err = timeInference(*timeRun, *images, *reps)
	} else if *out == "" {
		err = fmt.Errorf("-out is required")
	} else {
		err = makeAll(*out, *photos, *size, *only)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "makeruns:", err)
		os.Exit(1)
	}
}

func makeAll(out, photos string, size int, only string) error {
	if err := writeImages(filepath.Join(out, "images"), photos, size); err != nil {
		return err
	}
	want := map[string]bool{}
	for _, n := range strings.Split(only, ",") {
		if n != "" {
			want[n] = true
		}
	}
	for _, c := range configs {
		if len(want) > 0 && !want[c.name] {
			continue
		}
		dir := filepath.Join(out, "runs", c.name)
		if err := makeRun(dir, c, size); err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		fmt.Println(dir)
	}
	return nil
}

// makeRun writes model.json, best.safetensors and thresholds.json (all 0).
func makeRun(dir string, c config, size int) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	classes := data.VOCClasses
	spec := models.Spec{Backbone: c.backbone, Head: c.head, Classes: classes, Metric: c.metric, Size: size, Scale: c.scale, Norm: c.norm}
	rng := rand.New(rand.NewPCG(1, 2))
	var g *models.Graph
	if c.head == "gat" || c.head == "gat+mldecoder" || c.head == "mlgcn" {
		spec.EmbedDim = 300
		var labels [][]int
		for range 200 {
			var ls []int
			for j := range classes {
				if rng.Float64() < 0.12 {
					ls = append(ls, j)
				}
			}
			labels = append(labels, ls)
		}
		lg, err := models.NewLabelGraph(labels, len(classes), models.DefaultTau, models.DefaultRho)
		if err != nil {
			return err
		}
		g = &models.Graph{Embeddings: ag.RandN(rng, len(classes), 300).Data, EmbedDim: 300, Labels: lg}
	}
	net, err := models.Build(spec, models.Options{Seed: 3}, g)
	if err != nil {
		return err
	}
	randomizeBN(net, 5)
	net.Freeze()
	// Random weights give outputs of any magnitude, and a score that
	// saturates to 0 or 1 in float32 has no digits left to compare: the
	// scale is lowered so that scale·output stays within ±4 on the fixed
	// images (trained models live there).
	imgs, err := readImages(imgDir(dir))
	if err != nil {
		return err
	}
	x := make([]float32, 0, len(imgs)*3*size*size)
	norm := data.NormHalf
	if c.norm == "imagenet" {
		norm = data.NormImageNet
	}
	for _, img := range imgs {
		x = append(x, data.Normalize(data.ToRGBA(img), norm)...)
	}
	var out *ag.Tensor
	ag.NoGrad(func() { out = net.Forward(nn.Eval, ag.New(x, len(imgs), 3, size, size)) })
	var peak float32
	for _, v := range out.Data {
		peak = max(peak, v*spec.Scale, -v*spec.Scale)
	}
	if peak > 4 {
		spec.Scale *= 4 / peak
	}
	js, _ := models.MarshalSpec(spec)
	if err := os.WriteFile(filepath.Join(dir, multilabel.SpecFile), js, 0o644); err != nil {
		return err
	}
	sd := nn.NewStateDict()
	for _, nt := range nn.Tensors(net) {
		sd.Set(nt.Name, nt.Tensor)
	}
	if err := nn.SaveSafetensors(filepath.Join(dir, multilabel.WeightsFile), sd); err != nil {
		return err
	}
	thr := map[string]float64{}
	for _, n := range classes {
		thr[n] = 0
	}
	b, _ := json.Marshal(thr)
	return os.WriteFile(filepath.Join(dir, multilabel.ThresholdsFile), b, 0o644)
}

// imgDir is the images folder beside the runs folder of run dir.
func imgDir(run string) string { return filepath.Join(filepath.Dir(filepath.Dir(run)), "images") }

// readImages decodes the .bmp (or, with -time, also .jpg and .png) files
// of dir in name order.
func readImages(dir string, exts ...string) ([]image.Image, error) {
	var paths []string
	for _, e := range append([]string{".bmp"}, exts...) {
		p, _ := filepath.Glob(filepath.Join(dir, "*"+e))
		paths = append(paths, p...)
	}
	sort.Strings(paths)
	if len(paths) == 0 {
		return nil, fmt.Errorf("no images in %s", dir)
	}
	var imgs []image.Image
	for _, p := range paths {
		img, err := data.DecodeFile(p)
		if err != nil {
			return nil, err
		}
		imgs = append(imgs, img)
	}
	return imgs, nil
}

// randomizeBN draws running statistics and γ, β of every BatchNorm near
// (not at) their initial values, keeping activations in range through
// deep networks: mean N(0, 0.1), var U(0.8, 1.2), γ U(0.8, 1.0) (U(0.1,
// 0.3) where it started at 0: TResNet's residual branches), β N(0, 0.05).
func randomizeBN(m nn.Module, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 1))
	st := nn.StateMap(m)
	for _, nt := range nn.Tensors(m) {
		base, ok := strings.CutSuffix(nt.Name, "running_var")
		if !ok {
			continue
		}
		for i := range nt.Tensor.Data {
			nt.Tensor.Data[i] = 0.8 + 0.4*rng.Float32()
			st[base+"running_mean"].Data[i] = 0.1 * float32(rng.NormFloat64())
			w := st[base+"weight"].Data
			if w[i] == 0 {
				w[i] = 0.1 + 0.2*rng.Float32()
			} else {
				w[i] = 0.8 + 0.2*rng.Float32()
			}
			st[base+"bias"].Data[i] = 0.05 * float32(rng.NormFloat64())
		}
	}
}

// writeImages writes the fixed images at size×size as BMP: the JPEGs of
// the photos folder when one is given (the scripts pass the VOC sample's
// when the reference data is beside the checkout, docs/README.md), else
// synthetic gradients.
func writeImages(dir, photos string, size int) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var srcs []*image.RGBA
	var voc []string
	if photos != "" {
		voc, _ = filepath.Glob(filepath.Join(photos, "*.jpg"))
	}
	sort.Strings(voc)
	for _, p := range voc {
		img, err := data.DecodeFile(p)
		if err != nil {
			return err
		}
		srcs = append(srcs, img)
	}
	for len(srcs) < 4 {
		k := len(srcs)
		img := image.NewRGBA(image.Rect(0, 0, 97+31*k, 83+17*k))
		for i := range img.Pix {
			img.Pix[i] = uint8(i*(7+k) + i/(300+k)*13)
		}
		srcs = append(srcs, img)
	}
	for i, img := range srcs {
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("img%d.bmp", i)))
		if err != nil {
			return err
		}
		if err := bmp.Encode(f, data.Resize(img, size, size)); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	return nil
}

// features prints {"images": [...], "features": [[...], ...]}: the
// backbone's globally average-pooled features of each image (preprocessed
// as multilabel.Model does), for the PyTorch round trip of
// tools/onnx/roundtrip_torch.py.
func features(run, dir string) error {
	m, err := multilabel.Load(run)
	if err != nil {
		return err
	}
	paths, _ := filepath.Glob(filepath.Join(dir, "*.bmp"))
	sort.Strings(paths)
	imgs, err := readImages(dir)
	if err != nil {
		return err
	}
	s := m.Size()
	out := struct {
		Images   []string    `json:"images"`
		Features [][]float32 `json:"features"`
	}{}
	for i, img := range imgs {
		x := data.Normalize(data.Resize(data.ToRGBA(img), s, s), m.Norm())
		var f *ag.Tensor
		ag.NoGrad(func() { f = ag.GlobalAvgPool2d(m.Net().Backbone.Features(nn.Eval, ag.New(x, 1, 3, s, s))) })
		out.Images = append(out.Images, filepath.Base(paths[i]))
		out.Features = append(out.Features, f.Data)
	}
	b, err := json.Marshal(out)
	if err != nil {
		return err
	}
	fmt.Println(string(b))
	return nil
}

// timeInference prints our median time per image (batch 1) through
// multilabel.Model.Scores, the path of `multilabel predict`.
func timeInference(run, dir string, reps int) error {
	m, err := multilabel.Load(run)
	if err != nil {
		return err
	}
	imgs, err := readImages(dir, ".jpg", ".png")
	if err != nil {
		return err
	}
	if _, err := m.Scores(imgs[:1]); err != nil { // warm-up
		return err
	}
	var ts []float64
	for range reps {
		for _, img := range imgs {
			t0 := time.Now()
			if _, err := m.Scores([]image.Image{img}); err != nil {
				return err
			}
			ts = append(ts, time.Since(t0).Seconds()*1000)
		}
	}
	sort.Float64s(ts)
	fmt.Printf("{\"run\": %q, \"go_ms_median\": %.2f, \"go_ms_min\": %.2f, \"n\": %d}\n", run, ts[len(ts)/2], ts[0], len(ts))
	return nil
}
