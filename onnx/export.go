package onnx

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/seed477ab429/multilabel/data"
	"github.com/seed477ab429/multilabel/models"
	"github.com/seed477ab429/multilabel/onnx/onnxpb"
	"google.golang.org/protobuf/proto"
)

// Versions written by Export: IR 8 with the default-domain opset 17 (the
// first with LayerNormalization), what ONNX 1.12+ and ONNX Runtime 1.12+
// read.
const (
	IRVersion = 8
	Opset     = 17
)

// Names of the graph's input and output.
const (
	InputName  = "images" // [batch, 3, S, S] float32, normalized
	OutputName = "scores" // [batch, N] float32, σ(scale·output)
)

// Options carries what the graph itself does not: the per-class thresholds
// and the input normalization, written as metadata for whoever deploys the
// file. Export reads the rest from the classifier's Spec.
type Options struct {
	Thresholds []float64  // per class; nil writes 0.5 for every class
	Norm       *data.Norm // nil: the spec's (data.ParseNorm)
	// DocString describes the model (e.g. the run folder it came from).
	DocString string
}

// Metadata keys in ModelProto.metadata_props.
const (
	MetaClasses    = "multilabel.classes"    // JSON array of class names, in output order
	MetaThresholds = "multilabel.thresholds" // JSON array of per-class thresholds
	MetaSize       = "multilabel.size"       // input side S
	MetaMean       = "multilabel.mean"       // JSON [3]: per-channel mean of pixels in [0, 1]
	MetaStd        = "multilabel.std"        // JSON [3]
	MetaScale      = "multilabel.scale"      // the s of σ(s·output), already applied in the graph
	MetaSpec       = "multilabel.spec"       // the run's model.json
)

// Export builds the ONNX model of net in eval mode: the graph maps the
// normalized images [batch, 3, S, S] (S = net.Spec.Size) to the scores
// σ(scale·output) [batch, N] that multilabel.Model.Scores returns.
func Export(net *models.Classifier, o Options) (*onnxpb.ModelProto, error) {
	spec := net.Spec
	n := len(spec.Classes)
	if n == 0 || spec.Size <= 0 {
		return nil, fmt.Errorf("onnx: spec needs classes and a size (got %d classes, size %d)", n, spec.Size)
	}
	if o.Thresholds != nil && len(o.Thresholds) != n {
		return nil, fmt.Errorf("onnx: %d thresholds for %d classes", len(o.Thresholds), n)
	}
	b := newBuilder("multilabel " + spec.Backbone + " + " + spec.Head)
	s := spec.Size
	f, err := b.backbone("backbone", net.Backbone, value{InputName, s, s})
	if err != nil {
		return nil, err
	}
	y, err := b.head("head", net.Head, f, net.Backbone.FeatureChannels())
	if err != nil {
		return nil, err
	}
	y = b.mul("scaled", y, b.weight("scale", []float32{spec.Scale}))
	b.op("Sigmoid", OutputName, []string{y})
	b.g.Input = []*onnxpb.ValueInfoProto{valueInfo(InputName, -1, 3, s, s)}
	b.g.Output = []*onnxpb.ValueInfoProto{valueInfo(OutputName, -1, n)}

	var norm data.Norm
	if o.Norm != nil {
		norm = *o.Norm
	} else if norm, err = data.ParseNorm(spec.Norm); err != nil {
		return nil, fmt.Errorf("onnx: %w", err)
	}
	thr := o.Thresholds
	if thr == nil {
		thr = make([]float64, n)
		for i := range thr {
			thr[i] = 0.5
		}
	}
	js := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	specJSON, err := models.MarshalSpec(spec)
	if err != nil {
		return nil, err
	}
	doc := o.DocString
	if doc == "" {
		doc = fmt.Sprintf("multilabel classifier %s + %s, %d classes; input %s [batch, 3, %d, %d] normalized (x/255 - mean)/std; output %s = sigmoid(scale*output) [batch, %d]",
			spec.Backbone, spec.Head, n, InputName, s, s, OutputName, n)
	}
	m := &onnxpb.ModelProto{
		IrVersion:       proto.Int64(IRVersion),
		OpsetImport:     []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(Opset)}},
		ProducerName:    proto.String("multilabel"),
		ProducerVersion: proto.String("1"),
		DocString:       proto.String(doc),
		Graph:           b.g,
	}
	for _, kv := range [][2]string{
		{MetaClasses, js(spec.Classes)}, {MetaThresholds, js(thr)}, {MetaSize, strconv.Itoa(s)},
		{MetaMean, js(norm.Mean)}, {MetaStd, js(norm.Std)}, {MetaScale, strconv.FormatFloat(float64(spec.Scale), 'g', -1, 32)},
		{MetaSpec, string(specJSON)},
	} {
		m.MetadataProps = append(m.MetadataProps, &onnxpb.StringStringEntryProto{Key: proto.String(kv[0]), Value: proto.String(kv[1])})
	}
	return m, nil
}

// Marshal encodes m deterministically (the same model gives the same
// bytes).
func Marshal(m *onnxpb.ModelProto) ([]byte, error) {
	return proto.MarshalOptions{Deterministic: true}.Marshal(m)
}

// Write encodes m to w.
func Write(w io.Writer, m *onnxpb.ModelProto) error {
	raw, err := Marshal(m)
	if err != nil {
		return fmt.Errorf("onnx: %w", err)
	}
	_, err = w.Write(raw)
	return err
}

// WriteFile writes m to path atomically (a temporary file in the same
// folder, renamed over path), so an interrupted export never leaves half a
// model behind.
func WriteFile(path string, m *onnxpb.ModelProto) (err error) {
	raw, err := Marshal(m)
	if err != nil {
		return fmt.Errorf("onnx: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(raw); err != nil {
		return err
	}
	if err = f.Chmod(0o644); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// ReadFile decodes an ONNX model file.
func ReadFile(path string) (*onnxpb.ModelProto, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("onnx: %w", err)
	}
	return Unmarshal(raw, path)
}

// Unmarshal decodes an ONNX model; name is used in error messages.
func Unmarshal(raw []byte, name string) (*onnxpb.ModelProto, error) {
	m := &onnxpb.ModelProto{}
	if err := proto.Unmarshal(raw, m); err != nil {
		return nil, fmt.Errorf("onnx: %s is not an ONNX model: %w", name, err)
	}
	if m.GetGraph() == nil {
		return nil, fmt.Errorf("onnx: %s is not an ONNX model (no graph)", name)
	}
	return m, nil
}
