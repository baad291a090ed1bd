package onnx

import (
	"encoding/binary"
	"fmt"
	"math"
	"sort"
	"strings"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/models"
	"github.com/seed477ab429/multilabel/nn"
	"github.com/seed477ab429/multilabel/onnx/onnxpb"
	"google.golang.org/protobuf/proto"
)

// Import of backbone weights from ONNX files exported from PyTorch
// (torch.onnx.export of a torchvision or timm EfficientNetV2, ResNet or
// TResNet). Only the initializers are read; the graph is checked, not run.
//
// What torch 1.13 writes for a model in eval mode, with
// do_constant_folding on or off alike: every BatchNorm folded into the
// Conv before it (weight W·γ/√(var+eps), a new bias), those tensors renamed
// onnx::Conv_N, equal tensors shared through Identity nodes, and node names
// carrying the module scope ("/layer1/layer1.0/downsample/downsample.0/Conv").
// So each Conv node is matched to one of our convolutions by the module
// path of its scope (or of its weight's name, where the exporter kept it),
// mapped through the backbone's torchvision ↔ timm renaming; where names
// are missing (other exporters: "Conv_12"), by execution order, with every
// shape checked. A folded convolution is loaded as our conv with its
// BatchNorm set to the identity plus the folded bias (γ = 1, β = bias,
// mean = 0, var = 1 − eps): the same function in eval mode, and a sound
// start for fine-tuning. Files that keep BatchNormalization nodes load
// their statistics as they are (eps differences folded into var).

// importOps are the ops an exported ResNet, EfficientNetV2 or TResNet may
// contain (the shape arithmetic of view/reshape included); any other op
// means the file is another kind of network, and it is refused.
var importOps = map[string]bool{
	"Conv": true, "BatchNormalization": true, "Relu": true, "LeakyRelu": true, "Sigmoid": true, "HardSigmoid": true,
	"Mul": true, "Add": true, "Div": true, "Sub": true, "MaxPool": true, "AveragePool": true, "GlobalAveragePool": true,
	"ReduceMean": true, "Flatten": true, "Gemm": true, "MatMul": true, "Identity": true, "Dropout": true,
	"Reshape": true, "Transpose": true, "Pad": true, "SpaceToDepth": true, "Shape": true, "Gather": true,
	"Unsqueeze": true, "Squeeze": true, "Concat": true, "Constant": true, "ConstantOfShape": true, "Cast": true,
	"Slice": true, "Softmax": true,
}

// ImportReport says what ImportBackbone did.
type ImportReport struct {
	Convs   int      // convolutions loaded
	Folded  int      // of them, with BatchNorm folded in by the exporter
	Blurs   int      // TResNet anti-aliasing filters recognised (fixed, not loaded)
	ByName  bool     // matched by module names (false: by execution order)
	Ignored []string // initializers not used: the ImageNet classifier
}

func (r *ImportReport) String() string {
	s := fmt.Sprintf("%d convolutions", r.Convs)
	if r.Folded > 0 {
		s += fmt.Sprintf(" (%d with BatchNorm folded in by the exporter: loaded as conv + identity BatchNorm with the folded bias)", r.Folded)
	}
	if r.Blurs > 0 {
		s += fmt.Sprintf(", %d fixed blur filters recognised", r.Blurs)
	}
	if r.ByName {
		s += ", matched by module name"
	} else {
		s += ", matched by execution order"
	}
	if len(r.Ignored) > 0 {
		s += fmt.Sprintf("; %d tensors not used (the ImageNet classifier: %s)", len(r.Ignored), strings.Join(r.Ignored, ", "))
	}
	return s
}

// onnxConv is one Conv node of the file with its weights.
type onnxConv struct {
	node    string
	path    string // module path, "" if unknown
	w, b    *tensorF32
	group   int
	strides []int64
	bn      *onnxBN
}

type onnxBN struct {
	node                    string
	scale, bias, mean, vari *tensorF32
	eps                     float32
}

type tensorF32 struct {
	name  string
	shape []int
	data  []float32
}

// parsedGraph is what the importer reads from a file: its Conv nodes with
// their weights (blur filters left out), in node order.
type parsedGraph struct {
	g     *onnxpb.GraphProto
	convs []onnxConv
	blurs int
	used  map[string]bool // initializers read
}

// WeightNames lists the state-dict-like names of m's weights: each Conv
// node's module path + ".weight" (from its scope or its weight's name)
// and every initializer that kept a PyTorch name. Weight-source detection
// (models.DetectSource) reads them.
func WeightNames(m *onnxpb.ModelProto, name string) ([]string, error) {
	p, err := parseGraph(m, name)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, c := range p.convs {
		if c.path != "" {
			out = append(out, c.path+".weight")
		}
	}
	for _, t := range p.g.Initializer {
		if n := t.GetName(); !strings.HasPrefix(n, "onnx::") && strings.Contains(n, ".") {
			out = append(out, n)
		}
	}
	return out, nil
}

func parseGraph(m *onnxpb.ModelProto, name string) (*parsedGraph, error) {
	x, err := indexGraph(m, name)
	if err != nil {
		return nil, err
	}
	g := m.GetGraph()
	p := &parsedGraph{g: g, used: x.used}
	for _, n := range g.Node {
		switch n.GetOpType() {
		case "Conv":
			c, err := x.readConv(n)
			if err != nil {
				return nil, err
			}
			if isBlur(c) {
				p.blurs++
				continue
			}
			c.path = scopePath(n.GetName(), "Conv")
			if wn := x.resolve(n.Input[1]); strings.HasSuffix(wn, ".weight") && !strings.HasPrefix(wn, "onnx::") {
				c.path = strings.TrimSuffix(wn, ".weight")
			}
			if cs := x.consumers[n.Output[0]]; len(cs) == 1 && cs[0].GetOpType() == "BatchNormalization" {
				if c.bn, err = x.readBN(cs[0]); err != nil {
					return nil, err
				}
			}
			p.convs = append(p.convs, c)
		case "BatchNormalization":
			if len(n.Input) == 0 {
				return nil, x.bad("BatchNormalization node %q has no input", n.GetName())
			}
			if in := n.Input[0]; len(x.consumers[in]) == 0 || !producedByConv(g, in) {
				return nil, x.bad("BatchNormalization node %q does not follow a Conv", n.GetName())
			}
		}
	}
	return p, nil
}

// graphIndex is the first phase of parseGraph: the graph's stored tensors
// (its initializers and the values of its Constant nodes), its Identity
// aliases and the nodes that consume each value, read once every node is
// known to be a standard op of a supported backbone.
type graphIndex struct {
	name      string // the file, for messages
	inits     map[string]*onnxpb.TensorProto
	alias     map[string]string // Identity output -> input
	consumers map[string][]*onnxpb.NodeProto
	used      map[string]bool // the stored tensors get has read
}

func indexGraph(m *onnxpb.ModelProto, name string) (*graphIndex, error) {
	x := &graphIndex{name: name, inits: map[string]*onnxpb.TensorProto{}, alias: map[string]string{},
		consumers: map[string][]*onnxpb.NodeProto{}, used: map[string]bool{}}
	for _, o := range m.OpsetImport {
		if d := o.GetDomain(); d != "" && d != "ai.onnx" {
			return nil, x.bad("uses operator domain %q; only standard ONNX ops are read", d)
		}
	}
	g := m.GetGraph()
	for _, t := range g.Initializer {
		x.inits[t.GetName()] = t
	}
	for _, n := range g.Node {
		if n.GetDomain() != "" && n.GetDomain() != "ai.onnx" {
			return nil, x.bad("node %q is %s of domain %q, which no EfficientNetV2, ResNet or TResNet has", n.GetName(), n.GetOpType(), n.GetDomain())
		}
		if !importOps[n.GetOpType()] {
			return nil, x.bad("node %q is a %s, which no EfficientNetV2, ResNet or TResNet has: not a supported backbone", n.GetName(), n.GetOpType())
		}
		if n.GetOpType() == "Identity" && len(n.Input) == 1 && len(n.Output) == 1 {
			x.alias[n.Output[0]] = n.Input[0]
		}
		if n.GetOpType() == "Constant" && len(n.Output) == 1 {
			// A non-persistent buffer (TResNet's blur filter) or shape
			// arithmetic: usable like an initializer.
			for _, a := range n.Attribute {
				if a.GetName() == "value" && a.GetT() != nil {
					t := proto.Clone(a.GetT()).(*onnxpb.TensorProto)
					t.Name = proto.String(n.Output[0])
					x.inits[n.Output[0]] = t
				}
			}
		}
		for _, in := range n.Input {
			x.consumers[in] = append(x.consumers[in], n)
		}
	}
	return x, nil
}

// bad is an error naming the file, in one line.
func (x *graphIndex) bad(f string, a ...any) error {
	return fmt.Errorf("onnx: %s: %s", x.name, oneLine(fmt.Sprintf(f, a...)))
}

// resolve follows Identity aliases from v to the value they copy (at most
// 100 steps, so a cycle of aliases ends).
func (x *graphIndex) resolve(v string) string {
	for k := 0; k < 100; k++ {
		a, ok := x.alias[v]
		if !ok {
			break
		}
		v = a
	}
	return v
}

// get decodes the stored tensor that input v of node reads, and marks it
// used; a value computed in the graph is an error.
func (x *graphIndex) get(node, v string) (*tensorF32, error) {
	t := x.inits[x.resolve(v)]
	if t == nil {
		return nil, x.bad("node %q: input %q is computed in the graph, not a stored weight", node, v)
	}
	x.used[t.GetName()] = true
	return decodeFloat(t, x.name)
}

// readConv reads a Conv node's weight, bias, group and strides.
func (x *graphIndex) readConv(n *onnxpb.NodeProto) (onnxConv, error) {
	if len(n.Input) < 2 {
		return onnxConv{}, x.bad("Conv node %q has no weight input", n.GetName())
	}
	if len(n.Output) != 1 {
		return onnxConv{}, x.bad("Conv node %q has %d outputs, want 1", n.GetName(), len(n.Output))
	}
	c := onnxConv{node: n.GetName(), group: 1}
	var err error
	if c.w, err = x.get(n.GetName(), n.Input[1]); err != nil {
		return onnxConv{}, err
	}
	if len(n.Input) > 2 && n.Input[2] != "" {
		if c.b, err = x.get(n.GetName(), n.Input[2]); err != nil {
			return onnxConv{}, err
		}
	}
	for _, a := range n.Attribute {
		switch a.GetName() {
		case "group":
			c.group = int(a.GetI())
		case "strides":
			c.strides = a.Ints
		}
	}
	return c, nil
}

// readBN reads the BatchNormalization node that follows a Conv: its
// epsilon and its four stored tensors; a node in training mode is an
// error.
func (x *graphIndex) readBN(n *onnxpb.NodeProto) (*onnxBN, error) {
	if len(n.Input) != 5 {
		return nil, x.bad("BatchNormalization node %q has %d inputs, want 5", n.GetName(), len(n.Input))
	}
	bn := &onnxBN{node: n.GetName(), eps: 1e-5}
	for _, a := range n.Attribute {
		switch a.GetName() {
		case "epsilon":
			bn.eps = a.GetF()
		case "training_mode":
			if a.GetI() != 0 {
				return nil, x.bad("BatchNormalization node %q is in training mode (export the model in eval mode)", n.GetName())
			}
		}
	}
	var err error
	for i, t := range []**tensorF32{&bn.scale, &bn.bias, &bn.mean, &bn.vari} {
		if *t, err = x.get(n.GetName(), n.Input[i+1]); err != nil {
			return nil, err
		}
	}
	return bn, nil
}

// ImportBackbone loads the convolution (and BatchNorm) weights of the ONNX
// model m into bb; name (the file) is used in messages. On error bb may be
// partly loaded.
func ImportBackbone(bb models.Backbone, m *onnxpb.ModelProto, name string) (*ImportReport, error) {
	bad := func(f string, a ...any) error { return fmt.Errorf("onnx: %s: %s", name, oneLine(fmt.Sprintf(f, a...))) }
	p, err := parseGraph(m, name)
	if err != nil {
		return nil, err
	}
	g, convs, used := p.g, p.convs, p.used
	rep := &ImportReport{Blurs: p.blurs}

	// Our convolutions, in execution order (the exporter's walk, without
	// copying weights), and their state-dict names.
	wb := newBuilder("import")
	wb.dry = true
	if _, err := wb.backbone("", bb, value{"x", 224, 224}); err != nil {
		return nil, fmt.Errorf("onnx: import: %w", err)
	}
	ours := wb.convs
	names := map[*ag.Tensor]string{}
	for _, nt := range nn.Tensors(bb) {
		names[nt.Tensor] = nt.Name
	}
	byName := map[string]int{}
	for i, u := range ours {
		byName[names[u.conv.Weight]] = i
	}
	rename := func(s string) string { return s }
	if r, ok := bb.(interface{ CheckpointName(string) (string, bool) }); ok {
		rename = func(s string) string { v, _ := r.CheckpointName(s); return v }
	}

	// Match by module name; fall back to execution order.
	match := make([]int, len(convs))
	nameErr := error(nil)
	seen := map[int]bool{}
	for i, c := range convs {
		if c.path == "" {
			nameErr = bad("Conv node %q has no module name", c.node)
			break
		}
		j, ok := byName[rename(c.path+".weight")]
		if !ok || seen[j] {
			nameErr = bad("Conv node %q (module %s) has no counterpart named %s in %T", c.node, c.path, rename(c.path+".weight"), bb)
			break
		}
		seen[j] = true
		match[i] = j
	}
	if nameErr == nil && len(seen) != len(ours) {
		nameErr = bad("%d of our %d convolutions have no Conv node of the same name", len(ours)-len(seen), len(ours))
	}
	rep.ByName = nameErr == nil
	if !rep.ByName {
		if len(convs) != len(ours) {
			return nil, fmt.Errorf("%v; by execution order: the file has %d convolutions, %T has %d", nameErr, len(convs), bb, len(ours))
		}
		for i := range convs {
			match[i] = i
		}
	}
	for i, c := range convs {
		u := ours[match[i]]
		wname := names[u.conv.Weight]
		if !ag.SameShape(c.w.shape, u.conv.Weight.Shape) {
			return nil, bad("Conv node %q: weight %s has shape %v, our %s has %v", c.node, c.w.name, c.w.shape, wname, u.conv.Weight.Shape)
		}
		if c.group != max(u.conv.Groups, 1) {
			return nil, bad("Conv node %q has group %d, our %s has %d", c.node, c.group, wname, max(u.conv.Groups, 1))
		}
		if s := max(u.conv.Stride, 1); len(c.strides) == 2 && (c.strides[0] != int64(s) || c.strides[1] != int64(s)) {
			return nil, bad("Conv node %q has strides %v, our %s has stride %d", c.node, c.strides, wname, s)
		}
		if err := loadUnit(u, c, wname, rep, bad); err != nil {
			return nil, err
		}
	}
	rep.Convs = len(convs)
	for _, t := range g.Initializer {
		if !used[t.GetName()] && t.GetDataType() == int32(onnxpb.TensorProto_FLOAT) && len(t.Dims) > 0 {
			rep.Ignored = append(rep.Ignored, t.GetName())
		}
	}
	sort.Strings(rep.Ignored)
	for _, n := range rep.Ignored {
		if !classifierLike(n, g) {
			return nil, bad("initializer %q is used by no Conv and no classifier: the file is not a plain %T", n, bb)
		}
	}
	return rep, nil
}

// loadUnit copies one Conv node (and its BatchNorm, or the folded one)
// into our conv u.
func loadUnit(u convUnit, c onnxConv, wname string, rep *ImportReport, bad func(string, ...any) error) error {
	copy(u.conv.Weight.Data, c.w.data)
	o := u.conv.Weight.Shape[0]
	check := func(t *tensorF32, what string) error {
		if t != nil && len(t.data) != o {
			return bad("%s %s has %d values, our %s has %d output channels", what, t.name, len(t.data), wname, o)
		}
		return nil
	}
	if u.bn == nil {
		if c.bn != nil {
			return bad("Conv node %q is followed by BatchNormalization %q, our %s has none", c.node, c.bn.node, wname)
		}
		if u.conv.Bias == nil {
			if c.b != nil {
				return bad("Conv node %q has a bias %s, our %s has none", c.node, c.b.name, wname)
			}
			return nil
		}
		if c.b == nil {
			return bad("Conv node %q has no bias, our %s has one", c.node, wname)
		}
		if err := check(c.b, "bias"); err != nil {
			return err
		}
		copy(u.conv.Bias.Data, c.b.data)
		return nil
	}
	bn := u.bn
	if c.bn == nil {
		// Folded: conv + identity BN carrying the bias.
		if err := check(c.b, "bias"); err != nil {
			return err
		}
		for k := 0; k < o; k++ {
			bn.Weight.Data[k], bn.RunningMean.Data[k], bn.RunningVar.Data[k] = 1, 0, 1-bn.Eps
			bn.Bias.Data[k] = 0
			if c.b != nil {
				bn.Bias.Data[k] = c.b.data[k]
			}
		}
		if bn.NumBatchesTracked != nil {
			bn.NumBatchesTracked.Data[0] = 0
		}
		rep.Folded++
		return nil
	}
	if c.b != nil {
		return bad("Conv node %q has a bias %s before BatchNormalization, our %s has none", c.node, c.b.name, wname)
	}
	for _, t := range []*tensorF32{c.bn.scale, c.bn.bias, c.bn.mean, c.bn.vari} {
		if err := check(t, "BatchNormalization input"); err != nil {
			return err
		}
	}
	copy(bn.Weight.Data, c.bn.scale.data)
	copy(bn.Bias.Data, c.bn.bias.data)
	copy(bn.RunningMean.Data, c.bn.mean.data)
	for k := 0; k < o; k++ {
		// var + eps_file = var' + eps_ours: the same normalization.
		bn.RunningVar.Data[k] = c.bn.vari.data[k] + c.bn.eps - bn.Eps
	}
	return nil
}

// isBlur tells TResNet's fixed anti-aliasing filter: a depthwise 3×3
// stride-2 Conv whose every filter is [1 2 1]ᵀ[1 2 1]/16.
func isBlur(c onnxConv) bool {
	s := c.w.shape
	if len(s) != 4 || s[1] != 1 || s[2] != 3 || s[3] != 3 || c.group != s[0] || c.b != nil {
		return false
	}
	k := [9]float32{1, 2, 1, 2, 4, 2, 1, 2, 1}
	for i, v := range c.w.data {
		if math.Abs(float64(v-k[i%9]/16)) > 1e-6 {
			return false
		}
	}
	return true
}

// classifierLike tells whether initializer name feeds a Gemm or MatMul
// (the ImageNet classifier) or its bias Add.
func classifierLike(name string, g *onnxpb.GraphProto) bool {
	for _, n := range g.Node {
		switch n.GetOpType() {
		case "Gemm", "MatMul", "Add":
			for _, in := range n.Input {
				if in == name {
					return true
				}
			}
		}
	}
	return false
}

func producedByConv(g *onnxpb.GraphProto, v string) bool {
	for _, n := range g.Node {
		if n.GetOpType() == "Conv" && len(n.Output) > 0 && n.Output[0] == v {
			return true
		}
	}
	return false
}

// scopePath turns a torch ≥ 1.13 node name, the module scope then the op
// ("/layer1/layer1.0/downsample/downsample.0/Conv"), into the module's
// state-dict path ("layer1.0.downsample.0"). Each scope part is the child's
// name, written as "<parent part>.<index>" under a Sequential. Returns ""
// for names without a scope ("Conv_12").
func scopePath(node, op string) string {
	if !strings.HasPrefix(node, "/") {
		return ""
	}
	parts := strings.Split(strings.TrimPrefix(node, "/"), "/")
	if len(parts) < 2 {
		return ""
	}
	last := parts[len(parts)-1]
	if last != op && !strings.HasPrefix(last, op+"_") {
		return ""
	}
	var full []string
	prev := ""
	for _, p := range parts[:len(parts)-1] {
		if prev != "" && strings.HasPrefix(p, prev+".") {
			full = append(full, strings.TrimPrefix(p, prev+"."))
		} else {
			full = append(full, p)
		}
		prev = p
	}
	return strings.Join(full, ".")
}

// oneLine escapes the line breaks of a message that quotes names from the
// file (node, op and tensor names are any bytes), so that every error is
// one line.
func oneLine(s string) string {
	return strings.NewReplacer("\n", `\n`, "\r", `\r`, "\u2028", `\u2028`, "\u2029", `\u2029`).Replace(s)
}

// decodeFloat reads a FLOAT initializer.
func decodeFloat(t *onnxpb.TensorProto, file string) (*tensorF32, error) {
	name := t.GetName()
	if t.GetDataLocation() == onnxpb.TensorProto_EXTERNAL {
		return nil, fmt.Errorf("onnx: %s: tensor %q is stored in an external file; re-export with the weights inside the .onnx", file, name)
	}
	if t.GetDataType() != int32(onnxpb.TensorProto_FLOAT) {
		return nil, fmt.Errorf("onnx: %s: tensor %q has data type %s; only FLOAT weights are read", file, name, onnxpb.TensorProto_DataType(t.GetDataType()))
	}
	shape := make([]int, len(t.Dims))
	n := 1
	for i, d := range t.Dims {
		if d < 0 || d > 1<<31 {
			return nil, fmt.Errorf("onnx: %s: tensor %q has dimension %d", file, name, d)
		}
		shape[i] = int(d)
		if n *= int(d); n > 1<<31 {
			return nil, fmt.Errorf("onnx: %s: tensor %q has shape %v: too large", file, name, t.Dims)
		}
	}
	out := &tensorF32{name: name, shape: shape}
	switch {
	case len(t.RawData) > 0:
		if len(t.RawData) != 4*n {
			return nil, fmt.Errorf("onnx: %s: tensor %q has %d bytes for shape %v (want %d)", file, name, len(t.RawData), shape, 4*n)
		}
		out.data = make([]float32, n)
		for i := range out.data {
			out.data[i] = math.Float32frombits(binary.LittleEndian.Uint32(t.RawData[4*i:]))
		}
	case len(t.FloatData) == n:
		out.data = append([]float32(nil), t.FloatData...)
	default:
		return nil, fmt.Errorf("onnx: %s: tensor %q has %d values for shape %v", file, name, len(t.FloatData), shape)
	}
	return out, nil
}
