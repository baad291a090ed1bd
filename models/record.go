package models

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/nn"
)

// RecordActivations returns what PyTorch forward hooks on the named
// modules would see during an eval-mode forward of b on x: the output of
// each module, keyed by its PyTorch module name (model.named_modules()),
// the names under which the reference files (docs/architectures.md §7,
// written by models/testdata/gen_*.py --ref) store "ref.act.<module>".
//
// The backbones have no hooks; instead the forward is walked here step by
// step with each sub-module's own Forward, so the chain that produces the
// recorded outputs is the real one. Inside a block (only for blocks that
// hold a wanted name) the block's parts are also run one by one to record
// them; the block output itself still comes from the block's Forward. A
// module called twice (torchvision ResNet's shared ReLU) reports its last
// call, as a hook that overwrites would. Pooling modules give PyTorch's
// 4-D [N, C, 1, 1].
//
// Names recognised (i, j, k indices):
//
//	EfficientNetV2 (torchvision names): features, features.i (stem, stages,
//	  head), features.i.j, features.i.j.block, .block.k, .block.k.0/1/2
//	  (conv, BN, SiLU), .stochastic_depth, the SE's .avgpool/.fc1/
//	  .activation/.fc2/.scale_activation, avgpool, classifier, classifier.0/1.
//	ResNet: conv1, bn1, relu, maxpool, layerI, layerI.J and its conv1..3,
//	  bn1..3, relu, downsample, downsample.0/1; avgpool, fc.
//	TResNet (timm names): body, body.s2d, body.conv1, body.layerI,
//	  body.layerI.J and its conv1..3 (each unit's output, after the blur
//	  when it has one; .conv and .aa inside), se, se.fc1, se.fc2,
//	  downsample, downsample.0/1; head.fc.
//
// It runs under ag.NoGrad and only in eval mode (a train-mode walk would
// update BN running statistics twice). Names that the walk never met are
// an error that lists them.
func RecordActivations(b Backbone, x *ag.Tensor, names []string) (map[string]*ag.Tensor, error) {
	r := &recorder{want: map[string]bool{}, got: map[string]*ag.Tensor{}}
	for _, n := range names {
		r.want[n] = true
	}
	var walk func()
	switch m := b.(type) {
	case *EfficientNetV2:
		if m.Config.TimmNames {
			return nil, fmt.Errorf("models: RecordActivations: %s uses timm names; only torchvision module names are mapped for EfficientNetV2", m.Config.Name)
		}
		walk = func() { recordEffNetV2(m, r, x) }
	case *ResNet:
		walk = func() { recordResNet(m, r, x) }
	case *TResNet:
		walk = func() { recordTResNet(m, r, x) }
	default:
		return nil, fmt.Errorf("models: RecordActivations: no module walk for %T", b)
	}
	ag.NoGrad(walk)
	var missing []string
	for n := range r.want {
		if r.got[n] == nil {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return r.got, fmt.Errorf("models: no module named %s in this model's walk", strings.Join(missing, ", "))
	}
	return r.got, nil
}

// recordStages runs h through the blocks of every stage, recording each
// block's output as "<stage>.<j>" (and as "<stage>.<j><alias>" for each
// alias), each stage's as "<stage>", and taking apart (parts) the blocks
// that hold a wanted name. It returns the last output.
func recordStages[B nn.Layer](r *recorder, h *ag.Tensor, stages [][]B, stageName func(int) string,
	parts func(name string, b B, x *ag.Tensor), aliases []string) *ag.Tensor {
	for i, stage := range stages {
		sn := stageName(i)
		for j, b := range stage {
			name := sn + "." + strconv.Itoa(j)
			if r.inside(name) {
				parts(name, b, h)
			}
			h = b.Forward(nn.Eval, h)
			r.rec(name, h)
			for _, a := range aliases {
				r.rec(name+a, h)
			}
		}
		r.rec(sn, h)
	}
	return h
}

// recorder keeps the outputs of the wanted module names.
type recorder struct {
	want map[string]bool
	got  map[string]*ag.Tensor
}

func (r *recorder) rec(name string, t *ag.Tensor) {
	if r.want[name] {
		r.got[name] = t
	}
}

// inside reports whether a wanted name lies strictly under the module
// prefix ("features.4.0" → "features.4.0.block.1"), i.e. whether the
// module must be taken apart.
func (r *recorder) inside(prefix string) bool {
	for n := range r.want {
		if strings.HasPrefix(n, prefix+".") {
			return true
		}
	}
	return false
}

// pool4 is a global average [N, C] as AdaptiveAvgPool2d's [N, C, 1, 1].
func pool4(p *ag.Tensor) *ag.Tensor { return ag.Reshape(p, p.Shape[0], p.Shape[1], 1, 1) }

// ---------------------------------------------------------- EfficientNetV2

func recordEffNetV2(m *EfficientNetV2, r *recorder, x *ag.Tensor) {
	c := nn.Eval
	h := r.convBNAct("features.0", m.Stem, x)
	h = recordStages(r, h, m.Stages, func(i int) string { return "features." + strconv.Itoa(i+1) }, r.effBlockParts, nil)
	h = r.convBNAct("features."+strconv.Itoa(len(m.Stages)+1), m.Head, h)
	r.rec("features", h)
	p := ag.GlobalAvgPool2d(h) // avgpool + flatten: [N, C]
	r.rec("avgpool", pool4(p))
	if m.Classifier != nil {
		r.rec("classifier.0", p) // Dropout: the identity in eval
		out := m.Classifier.Forward(c, p)
		r.rec("classifier.1", out)
		r.rec("classifier", out)
	}
}

// convBNAct records Conv2dNormActivation's children 0 (conv), 1 (BN) and 2
// (SiLU) when wanted, and returns the unit's output.
func (r *recorder) convBNAct(name string, l *ConvBNAct, x *ag.Tensor) *ag.Tensor {
	c := nn.Eval
	if r.inside(name) {
		y := l.Conv.Forward(c, x)
		r.rec(name+".0", y)
		y = l.BN.Forward(c, y)
		r.rec(name+".1", y)
		if l.Act {
			r.rec(name+".2", ag.SiLU(y))
		}
	}
	y := l.Forward(c, x)
	r.rec(name, y)
	return y
}

// effBlockParts records the layers of a FusedMBConv / MBConv's "block"
// Sequential (numbered as torchvision numbers them: the expansion conv is
// absent when e = 1, and the later layers shift down) and the branch
// output before the residual add.
func (r *recorder) effBlockParts(name string, b effBlock, x *ag.Tensor) {
	c := nn.Eval
	h := x
	k := 0
	next := func() string { s := name + ".block." + strconv.Itoa(k); k++; return s }
	switch b := b.(type) {
	case *FusedMBConv:
		h = r.convBNAct(next(), b.Expand, h)
		if b.Project != nil {
			h = r.convBNAct(next(), b.Project, h)
		}
	case *MBConv:
		if b.Expand != nil {
			h = r.convBNAct(next(), b.Expand, h)
		}
		h = r.convBNAct(next(), b.Depthwise, h)
		se := next()
		if r.inside(se) {
			r.seParts(se, b.SE, h)
		}
		h = b.SE.Forward(c, h)
		r.rec(se, h)
		h = r.convBNAct(next(), b.Project, h)
	}
	r.rec(name+".block", h)
	skip := false
	switch b := b.(type) {
	case *FusedMBConv:
		skip = b.Skip
	case *MBConv:
		skip = b.Skip
	}
	if skip { // torchvision calls stochastic_depth only on residual blocks
		r.rec(name+".stochastic_depth", h) // the identity in eval
	}
}

// seParts records torchvision SqueezeExcitation's children: avgpool
// [N, C, 1, 1], fc1 and fc2 (1x1 convs, [N, ·, 1, 1]), activation (SiLU)
// and scale_activation (the sigmoid gate), as SqueezeExcitation.Forward
// computes them.
func (r *recorder) seParts(name string, se *SqueezeExcitation, h *ag.Tensor) {
	n, ch := h.Shape[0], h.Shape[1]
	sq := se.FC1.Weight.Shape[0]
	s := ag.GlobalAvgPool2d(h)
	r.rec(name+".avgpool", pool4(s))
	z := ag.Linear(s, ag.Reshape(se.FC1.Weight, sq, ch), se.FC1.Bias)
	r.rec(name+".fc1", ag.Reshape(z, n, sq, 1, 1))
	z = ag.SiLU(z)
	r.rec(name+".activation", ag.Reshape(z, n, sq, 1, 1))
	g := ag.Linear(z, ag.Reshape(se.FC2.Weight, ch, sq), se.FC2.Bias)
	r.rec(name+".fc2", ag.Reshape(g, n, ch, 1, 1))
	r.rec(name+".scale_activation", ag.Reshape(ag.Sigmoid(g), n, ch, 1, 1))
}

// ------------------------------------------------------------------ ResNet

func recordResNet(m *ResNet, r *recorder, x *ag.Tensor) {
	c := nn.Eval
	h := m.Conv1.Forward(c, x)
	r.rec("conv1", h)
	h = m.BN1.Forward(c, h)
	r.rec("bn1", h)
	h = ag.ReLU(h)
	r.rec("relu", h)
	h = ag.MaxPool2d(h, resnetMaxPool)
	r.rec("maxpool", h)
	h = recordStages(r, h, m.Layers[:], func(i int) string { return "layer" + strconv.Itoa(i+1) }, r.resNetBlockParts,
		[]string{".relu"}) // the shared ReLU's last call is the block output
	p := ag.GlobalAvgPool2d(h)
	r.rec("avgpool", pool4(p))
	if m.FC != nil {
		r.rec("fc", m.FC.Forward(c, p))
	}
}

func (r *recorder) resNetBlockParts(name string, b *ResNetBottleneck, x *ag.Tensor) {
	c := nn.Eval
	h := x
	for i, l := range []struct {
		conv *nn.Conv2d
		bn   *nn.BatchNorm2d
	}{{b.Conv1, b.BN1}, {b.Conv2, b.BN2}, {b.Conv3, b.BN3}} {
		if i > 0 {
			h = ag.ReLU(h)
		}
		h = l.conv.Forward(c, h)
		r.rec(name+".conv"+strconv.Itoa(i+1), h)
		h = l.bn.Forward(c, h)
		r.rec(name+".bn"+strconv.Itoa(i+1), h)
	}
	if b.Downsample != nil {
		d := b.Downsample[0].Forward(c, x)
		r.rec(name+".downsample.0", d)
		d = b.Downsample[1].Forward(c, d)
		r.rec(name+".downsample.1", d)
		r.rec(name+".downsample", d)
	}
}

// ----------------------------------------------------------------- TResNet

func recordTResNet(m *TResNet, r *recorder, x *ag.Tensor) {
	c := nn.Eval
	h := ag.SpaceToDepth(x, 4)
	r.rec("body.s2d", h)
	h = r.tresUnit("body.conv1", m.Conv1, h)
	h = recordStages(r, h, m.Layers[:], func(i int) string { return "body.layer" + strconv.Itoa(i+1) }, r.tresBlockParts, nil)
	r.rec("body", h)
	if m.FC != nil {
		r.rec("head.fc", m.FC.Forward(c, ag.GlobalAvgPool2d(h)))
	}
}

// tresUnit records a ConvNormAct(Aa)'s conv output and its blur output
// (.aa) when wanted, and returns the unit's output.
func (r *recorder) tresUnit(name string, u *TResNetConvBN, x *ag.Tensor) *ag.Tensor {
	if r.inside(name) {
		r.rec(name+".conv", u.Conv.Forward(nn.Eval, x))
	}
	y := u.Forward(nn.Eval, x)
	r.rec(name, y)
	if u.AA != nil {
		r.rec(name+".aa", y)
	}
	return y
}

func (r *recorder) tresBlockParts(name string, b stageBlock, x *ag.Tensor) {
	var h *ag.Tensor
	var se *TResNetSE
	var ds *TResNetDownsample
	switch b := b.(type) {
	case *TResNetBasicBlock:
		h = r.tresUnit(name+".conv2", b.Conv2, r.tresUnit(name+".conv1", b.Conv1, x))
		se, ds = b.SE, b.Downsample
		if se != nil {
			h = r.tresSE(name+".se", se, h)
		}
	case *TResNetBottleneck:
		h = r.tresUnit(name+".conv2", b.Conv2, r.tresUnit(name+".conv1", b.Conv1, x))
		se, ds = b.SE, b.Downsample
		if se != nil {
			h = r.tresSE(name+".se", se, h)
		}
		r.tresUnit(name+".conv3", b.Conv3, h)
	}
	if ds != nil {
		d := x
		idx := 0
		if ds.Pool {
			d = ag.AvgPool2d(d, tresAvgPool)
			r.rec(name+".downsample.0", d)
			idx = 1
		}
		d = r.tresUnit(name+".downsample."+strconv.Itoa(idx), ds.Unit, d)
		r.rec(name+".downsample", d)
	}
}

// tresSE records SEModule's fc1 and fc2 (conv outputs, before the ReLU
// and the sigmoid) and its output.
func (r *recorder) tresSE(name string, se *TResNetSE, h *ag.Tensor) *ag.Tensor {
	c := nn.Eval
	if r.inside(name) {
		s := pool4(ag.GlobalAvgPool2d(h))
		z := se.FC1.Forward(c, s)
		r.rec(name+".fc1", z)
		r.rec(name+".fc2", se.FC2.Forward(c, ag.ReLU(z)))
	}
	y := se.Forward(c, h)
	r.rec(name, y)
	return y
}
