package onnx

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seed477ab429/multilabel/models"
	"github.com/seed477ab429/multilabel/onnx/onnxpb"
	"google.golang.org/protobuf/proto"
)

// FuzzImport fuzzes an ONNX file given to -weights: Unmarshal, then
// ImportBackbone into a tiny ResNet of the fixture's shape: no panic, and
// every error one line naming the file. Seeds: the torch-exported tiny
// ResNet with and without folded BatchNorm.
//
//	go test ./onnx/ -run '^$' -fuzz '^FuzzImport$' -fuzztime 10m
func FuzzImport(f *testing.F) {
	for _, n := range []string{"resnet_tiny_torch.onnx", "resnet_tiny_torch_nofold.onnx"} {
		b, err := os.ReadFile(filepath.Join("testdata", n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(b[:len(b)/3])
	}
	f.Add([]byte("PK\x03\x04 not a protobuf"))
	// Found by this target: a Conv node without an output, and a
	// BatchNormalization without an input, indexed past their lists.
	w := &onnxpb.TensorProto{Name: proto.String("w"), DataType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)),
		Dims: []int64{1, 1, 1, 1}, FloatData: []float32{1}}
	for _, n := range []*onnxpb.NodeProto{
		{OpType: proto.String("Conv"), Input: []string{"x", "w"}},
		{OpType: proto.String("BatchNormalization")},
	} {
		b, err := proto.Marshal(&onnxpb.ModelProto{Graph: &onnxpb.GraphProto{Node: []*onnxpb.NodeProto{n}, Initializer: []*onnxpb.TensorProto{w}}})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	bb, err := models.NewResNetFromConfig(models.ResNetConfig{Name: "r", Layers: [4]int{1, 1, 1, 1}, Base: 4, Seed: 9})
	if err != nil {
		f.Fatal(err)
	}
	const name = "fuzz.onnx"
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Unmarshal(b, name)
		if err == nil {
			_, err = ImportBackbone(bb, m, name)
		}
		if err != nil {
			if msg := err.Error(); strings.ContainsAny(msg, "\n\r") || !strings.Contains(msg, name) {
				t.Fatalf("error %q", msg)
			}
		}
	})
}
