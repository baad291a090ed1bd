package onnx

import (
	"fmt"
	"math"

	"github.com/seed477ab429/multilabel/nn"
	"github.com/seed477ab429/multilabel/onnx/onnxpb"
	"google.golang.org/protobuf/proto"
)

// builder assembles a GraphProto: nodes in execution order, initializers
// (weights and constant shapes) and unique value names. Every op has one
// output whose name is the node's name, so a reader of the file (Netron,
// onnx.helper.printable_graph) sees where each value comes from, e.g.
// "backbone.features.1.0.block.0/conv".
type builder struct {
	g    *onnxpb.GraphProto
	used map[string]bool

	// dry skips copying weights into the graph: the walk only records the
	// convolutions (ImportBackbone uses it for their execution order).
	dry   bool
	convs []convUnit
}

// convUnit is one of our convolutions with the BatchNorm that follows it
// (nil for SE and other biased convs), in execution order.
type convUnit struct {
	conv *nn.Conv2d
	bn   *nn.BatchNorm2d
}

func newBuilder(name string) *builder {
	return &builder{g: &onnxpb.GraphProto{Name: proto.String(name)}, used: map[string]bool{}}
}

// unique returns name, or name with a ":k" suffix when it is taken.
func (b *builder) unique(name string) string {
	n := name
	for k := 1; b.used[n]; k++ {
		n = fmt.Sprintf("%s:%d", name, k)
	}
	b.used[n] = true
	return n
}

// weight adds a float32 initializer and returns its name.
func (b *builder) weight(name string, data []float32, shape ...int) string {
	if b.dry {
		return b.unique(name)
	}
	if len(data) != numel(shape) {
		panic(fmt.Sprintf("onnx: initializer %s: %d values for shape %v", name, len(data), shape))
	}
	name = b.unique(name)
	raw := make([]byte, 4*len(data))
	for i, v := range data {
		u := math.Float32bits(v)
		raw[4*i], raw[4*i+1], raw[4*i+2], raw[4*i+3] = byte(u), byte(u>>8), byte(u>>16), byte(u>>24)
	}
	b.g.Initializer = append(b.g.Initializer, &onnxpb.TensorProto{
		Name: proto.String(name), Dims: dims(shape), DataType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)), RawData: raw,
	})
	return name
}

// int64s adds a 1-D int64 initializer (shapes, axes, slice bounds).
func (b *builder) int64s(name string, v ...int64) string {
	name = b.unique(name)
	b.g.Initializer = append(b.g.Initializer, &onnxpb.TensorProto{
		Name: proto.String(name), Dims: []int64{int64(len(v))}, DataType: proto.Int32(int32(onnxpb.TensorProto_INT64)), Int64Data: v,
	})
	return name
}

// op appends a node with one output named name (made unique) and returns
// that name.
func (b *builder) op(opType, name string, inputs []string, attrs ...*onnxpb.AttributeProto) string {
	out := b.unique(name)
	b.g.Node = append(b.g.Node, &onnxpb.NodeProto{
		OpType: proto.String(opType), Name: proto.String(out), Input: inputs, Output: []string{out}, Attribute: attrs,
	})
	return out
}

func attrInt(name string, v int) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_INT.Enum(), I: proto.Int64(int64(v))}
}

func attrInts(name string, v ...int) *onnxpb.AttributeProto {
	a := &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_INTS.Enum()}
	for _, x := range v {
		a.Ints = append(a.Ints, int64(x))
	}
	return a
}

func attrFloat(name string, v float32) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_FLOAT.Enum(), F: proto.Float32(v)}
}

func attrString(name, v string) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_STRING.Enum(), S: []byte(v)}
}

// valueInfo describes a float tensor input or output; a dim of -1 is the
// symbolic batch dimension "batch".
func valueInfo(name string, shape ...int) *onnxpb.ValueInfoProto {
	ts := &onnxpb.TypeProto_Tensor{ElemType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)), Shape: &onnxpb.TensorShapeProto{}}
	for _, d := range shape {
		dim := &onnxpb.TensorShapeProto_Dimension{}
		if d < 0 {
			dim.Value = &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: "batch"}
		} else {
			dim.Value = &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: int64(d)}
		}
		ts.Shape.Dim = append(ts.Shape.Dim, dim)
	}
	return &onnxpb.ValueInfoProto{Name: proto.String(name), Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{TensorType: ts}}}
}

func dims(shape []int) []int64 {
	d := make([]int64, len(shape))
	for i, v := range shape {
		d[i] = int64(v)
	}
	return d
}

func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// Small op helpers, named as the ONNX ops.

func (b *builder) add(name, x, y string) string { return b.op("Add", name, []string{x, y}) }
func (b *builder) mul(name, x, y string) string { return b.op("Mul", name, []string{x, y}) }
func (b *builder) relu(name, x string) string   { return b.op("Relu", name, []string{x}) }
func (b *builder) sigmoid(name, x string) string {
	return b.op("Sigmoid", name, []string{x})
}

func (b *builder) leakyRelu(name, x string, slope float32) string {
	return b.op("LeakyRelu", name, []string{x}, attrFloat("alpha", slope))
}

// silu is x·σ(x) (ONNX has no SiLU before opset 22's Swish).
func (b *builder) silu(name, x string) string {
	return b.mul(name, x, b.sigmoid(name+"/sigmoid", x))
}

// reshape reshapes x to shape; a 0 keeps that dimension of x (the batch).
func (b *builder) reshape(name, x string, shape ...int64) string {
	return b.op("Reshape", name, []string{x, b.int64s(name+"/shape", shape...)})
}

func (b *builder) transpose(name, x string, perm ...int) string {
	return b.op("Transpose", name, []string{x}, attrInts("perm", perm...))
}

// matmul is numpy's matmul (broadcast over leading dims).
func (b *builder) matmul(name, x, y string) string { return b.op("MatMul", name, []string{x, y}) }

// linear is y = x·Wᵀ + b over the last dim of x, for any rank of x: W is
// stored transposed ([in, out]) so the product is one MatMul.
func (b *builder) linear(name, x string, w, bias []float32, in, out int) string {
	wt := make([]float32, in*out)
	for o := 0; o < out; o++ {
		for i := 0; i < in; i++ {
			wt[i*out+o] = w[o*in+i]
		}
	}
	y := b.matmul(name+"/matmul", x, b.weight(name+".weight_t", wt, in, out))
	if bias == nil {
		return y
	}
	return b.add(name, y, b.weight(name+".bias", bias, out))
}

// layerNorm is LayerNormalization over the last dim (opset 17).
func (b *builder) layerNorm(name, x string, w, bias []float32, eps float32) string {
	return b.op("LayerNormalization", name, []string{x, b.weight(name+".weight", w, len(w)), b.weight(name+".bias", bias, len(bias))},
		attrInt("axis", -1), attrFloat("epsilon", eps))
}

// l2Normalize is x / max(‖x‖₂, eps) along axis (F.normalize).
func (b *builder) l2Normalize(name, x string, axis int, eps float32) string {
	n := b.op("ReduceL2", name+"/norm", []string{x}, attrInts("axes", axis), attrInt("keepdims", 1))
	n = b.op("Max", name+"/clamp", []string{n, b.weight(name+"/eps", []float32{eps})})
	return b.op("Div", name, []string{x, n})
}
