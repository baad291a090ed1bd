package onnx

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/models"
	"github.com/seed477ab429/multilabel/nn"
	"github.com/seed477ab429/multilabel/onnx/onnxpb"
	"google.golang.org/protobuf/proto"
)

// The import fixtures are tiny torchvision / timm-layout backbones exported
// by torch.onnx.export (testdata/gen_import.py): importing one into our
// backbone of the same configuration must give PyTorch's pooled features.

type importRef map[string]json.RawMessage

func readImportRef(t *testing.T) (x *ag.Tensor, ref importRef) {
	raw, err := os.ReadFile(filepath.Join("testdata", "import_ref.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	var in []float32
	var shape []int
	if json.Unmarshal(ref["input"], &in) != nil || json.Unmarshal(ref["shape"], &shape) != nil {
		t.Fatal("import_ref.json: bad input")
	}
	return ag.New(in, shape...), ref
}

func importCases(t *testing.T) map[string]func() models.Backbone {
	return map[string]func() models.Backbone{
		"resnet_tiny": func() models.Backbone {
			m, err := models.NewResNetFromConfig(models.ResNetConfig{Name: "r", Layers: [4]int{1, 1, 1, 1}, Base: 4, Seed: 9})
			if err != nil {
				t.Fatal(err)
			}
			return m
		},
		"effnetv2_tiny": func() models.Backbone {
			m, err := models.NewEfficientNetV2(models.EffNetV2Config{Name: "e", Stem: 8, Head: 48, BNEps: 1e-3, BNMomentum: 0.1, Seed: 9,
				Stages: []models.EffNetV2Stage{
					{Block: models.FusedMBConvBlock, Expand: 1, Kernel: 3, Stride: 1, Out: 8, Repeats: 2},
					{Block: models.FusedMBConvBlock, Expand: 2, Kernel: 3, Stride: 2, Out: 16, Repeats: 2},
					{Block: models.MBConvBlock, Expand: 2, Kernel: 3, Stride: 2, Out: 24, Repeats: 2},
					{Block: models.MBConvBlock, Expand: 1, Kernel: 5, Stride: 2, Out: 32, Repeats: 1},
				}})
			if err != nil {
				t.Fatal(err)
			}
			return m
		},
		"tresnet_tiny": func() models.Backbone {
			m, err := models.NewTResNetFromConfig(models.TResNetConfig{Name: "t", Layers: [4]int{1, 1, 1, 1}, Planes: 4, SEMin: 4, Seed: 9})
			if err != nil {
				t.Fatal(err)
			}
			return m
		},
	}
}

func TestImportTorchExports(t *testing.T) {
	x, ref := readImportRef(t)
	cases := importCases(t)
	for _, file := range []string{"resnet_tiny_torch.onnx", "resnet_tiny_torch_nofold.onnx", "effnetv2_tiny_torch.onnx", "tresnet_tiny_torch.onnx"} {
		t.Run(file, func(t *testing.T) {
			key := file[:strings.Index(file, "_torch")]
			var want []float32
			if err := json.Unmarshal(ref[key], &want); err != nil {
				t.Fatal(err)
			}
			m, err := ReadFile(filepath.Join("testdata", file))
			if err != nil {
				t.Fatal(err)
			}
			bb := cases[key]()
			rep, err := ImportBackbone(bb, m, file)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: %v", file, rep)
			if !rep.ByName || rep.Folded == 0 || len(rep.Ignored) != 2 {
				t.Errorf("report %v: want a match by name, folded BatchNorms and the classifier's two tensors unused", rep)
			}
			checkFeatures(t, bb, x, want)
		})
	}
}

func checkFeatures(t *testing.T, bb models.Backbone, x *ag.Tensor, want []float32) {
	t.Helper()
	var got *ag.Tensor
	ag.NoGrad(func() { got = ag.GlobalAvgPool2d(bb.Features(nn.Eval, x)) })
	if got.Numel() != len(want) {
		t.Fatalf("%d features, PyTorch %d", got.Numel(), len(want))
	}
	scale := 0.0
	for _, v := range want {
		scale = math.Max(scale, math.Abs(float64(v)))
	}
	for i, v := range want {
		if d := math.Abs(float64(got.Data[i] - v)); d > 1e-4*scale {
			t.Fatalf("feature %d: ours %g, PyTorch %g (|diff| %.2g > 1e-4·max %g)", i, got.Data[i], v, d, scale)
		}
	}
}

// TestImportOrderAndBatchNorm covers files without scope names (matched
// by execution order) and files that keep BatchNormalization nodes: our
// own export of a tiny ResNet with node names stripped, and with each
// folded conv split back into conv + BatchNormalization.
func TestImportOrderAndBatchNorm(t *testing.T) {
	x, ref := readImportRef(t)
	var want []float32
	if err := json.Unmarshal(ref["resnet_tiny"], &want); err != nil {
		t.Fatal(err)
	}
	src := importCases(t)["resnet_tiny"]()
	m, err := ReadFile(filepath.Join("testdata", "resnet_tiny_torch.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ImportBackbone(src, m, "resnet"); err != nil {
		t.Fatal(err)
	}
	// src now computes PyTorch's features; its BNs are identities with a
	// bias. Give them real statistics (same function) so that unfolding
	// has something to carry.
	unfolded := proto.Clone(m).(*onnxpb.ModelProto)
	g := unfolded.Graph
	var nodes []*onnxpb.NodeProto
	for i, n := range g.Node {
		n.Name = proto.String("n" + string(rune('a'+i%26)) + "_" + string(rune('a'+i/26)))
		nodes = append(nodes, n)
		if n.GetOpType() != "Conv" || len(n.Input) < 3 {
			continue
		}
		// y = conv(x) + b  ==  BN(conv(x)/2) with γ = 2, β = b, mean = 0, var = 1 − eps.
		bname := n.Input[2]
		n.Input = n.Input[:2]
		raw := n.Output[0]
		n.Output[0] = raw + "/pre_bn"
		var bt *onnxpb.TensorProto
		for _, it := range g.Initializer {
			if it.GetName() == bname {
				bt = it
			}
		}
		if bt == nil { // an Identity alias; keep it simple: skip such convs
			n.Input = append(n.Input, bname)
			n.Output[0] = raw
			continue
		}
		c := int(bt.Dims[0])
		mk := func(suffix string, v float32) string {
			d := make([]float32, c)
			for i := range d {
				d[i] = v
			}
			b := newBuilder("")
			nm := b.weight(bname+suffix, d, c)
			g.Initializer = append(g.Initializer, b.g.Initializer[0])
			return nm
		}
		// halve the conv weight so that γ = 2 restores it
		for _, it := range g.Initializer {
			if it.GetName() == n.Input[1] {
				f, _ := decodeFloat(it, "")
				for i := range f.data {
					f.data[i] /= 2
				}
				b := newBuilder("")
				b.weight(it.GetName(), f.data, f.shape...)
				it.RawData = b.g.Initializer[0].RawData
			}
		}
		bn := &onnxpb.NodeProto{OpType: proto.String("BatchNormalization"), Name: proto.String(raw + "/bn"),
			Input:  []string{raw + "/pre_bn", mk("/gamma", 2), bname, mk("/mean", 0), mk("/var", 1-1e-3)},
			Output: []string{raw}, Attribute: []*onnxpb.AttributeProto{attrFloat("epsilon", 1e-3)}}
		nodes = append(nodes, bn)
	}
	g.Node = nodes
	dst := importCases(t)["resnet_tiny"]()
	rep, err := ImportBackbone(dst, unfolded, "unfolded")
	if err != nil {
		t.Fatal(err)
	}
	if rep.ByName || rep.Folded == rep.Convs {
		t.Errorf("report %v: want a match by order with BatchNormalization nodes read", rep)
	}
	checkFeatures(t, dst, x, want)
}

func TestImportRefusesOtherModels(t *testing.T) {
	cases := importCases(t)
	// A whole classifier of ours (ML-Decoder head: LayerNormalization, ...).
	m, err := ReadFile(filepath.Join("testdata", "effnet_mldecoder.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = ImportBackbone(cases["effnetv2_tiny"](), m, "effnet_mldecoder.onnx")
	if err == nil || !strings.Contains(err.Error(), "LayerNormalization") || !strings.Contains(err.Error(), "effnet_mldecoder.onnx") {
		t.Errorf("importing a whole classifier: %v; want a refusal naming LayerNormalization", err)
	}
	// A ResNet file into an EfficientNetV2: shapes differ, named.
	m, err = ReadFile(filepath.Join("testdata", "resnet_tiny_torch.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = ImportBackbone(cases["effnetv2_tiny"](), m, "resnet.onnx")
	if err == nil || !strings.Contains(err.Error(), "convolutions") {
		t.Errorf("ResNet into EfficientNetV2: %v", err)
	}
	// The wrong width: the first shape mismatch is named.
	small, _ := models.NewResNetFromConfig(models.ResNetConfig{Name: "r", Layers: [4]int{1, 1, 1, 1}, Base: 8})
	_, err = ImportBackbone(small, m, "resnet.onnx")
	if err == nil || !strings.Contains(err.Error(), "/conv1/Conv") || !strings.Contains(err.Error(), "[4 3 7 7]") {
		t.Errorf("wrong width: %v; want the node and both shapes", err)
	}
	// Not an ONNX file at all.
	if _, err := Unmarshal([]byte("PK\x03\x04 not a protobuf"), "weights.pth"); err == nil || !strings.Contains(err.Error(), "weights.pth") {
		t.Errorf("garbage: %v", err)
	}
}

func TestScopePath(t *testing.T) {
	for node, want := range map[string]string{
		"/layer1/layer1.0/downsample/downsample.0/Conv":                  "layer1.0.downsample.0",
		"/features/features.1/features.1.0/block/block.0/block.0.0/Conv": "features.1.0.block.0.0",
		"/body/layer1/layer1.0/conv1/conv/Conv":                          "body.layer1.0.conv1.conv",
		"/conv1/Conv":                                                    "conv1",
		"/blocks/blocks.0/blocks.0.0/conv/Conv_1":                        "blocks.0.0.conv",
		"Conv_12":      "",
		"/layer1/Relu": "",
	} {
		if got := scopePath(node, "Conv"); got != want {
			t.Errorf("scopePath(%q) = %q, want %q", node, got, want)
		}
	}
}
