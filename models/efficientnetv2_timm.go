package models

import "strconv"

// State-dict names torchvision ↔ timm for EfficientNetV2
// (docs/architectures.md §2.5; verified there: torchvision weights renamed this
// way give timm's efficientnetv2_s(bn_eps=1e-3) bit-identical logits).
//
//	features.0.0 / features.0.1               conv_stem / bn1
//	features.{K+1}.0 / .1                     conv_head / bn2
//	classifier.1                              classifier
//	features.{s}.{j}.block.…                  blocks.{s-1}.{j}.…, by block type:
//	  FusedMBConv e=1 (timm "cn")   0.0 0.1                 conv bn1
//	  FusedMBConv e>1 (timm "er")   0.0 0.1 1.0 1.1         conv_exp bn1 conv_pwl bn2
//	  MBConv (timm "ir")            0.0 0.1 1.0 1.1         conv_pw bn1 conv_dw bn2
//	                                2.fc1 2.fc2 3.0 3.1     se.conv_reduce se.conv_expand conv_pwl bn3
//	  MBConv e=1 (timm "ds")        0.0 0.1 1.fc1 1.fc2     conv_dw bn1 se.conv_reduce se.conv_expand
//	                                2.0 2.1                 conv_pw bn2
//
// The block type of features.{s} cannot be told from the name alone (a
// FusedMBConv e=1 and e>1 both have block.0.0), so the map is built from
// the configuration.

var bnSuffixes = []string{"weight", "bias", "running_mean", "running_var", "num_batches_tracked"}

// EffNetV2Names maps the state-dict names of one EfficientNetV2
// configuration between torchvision's and timm's conventions.
type EffNetV2Names struct {
	toTimm, toTV map[string]string
}

// NewEffNetV2Names builds the name map of cfg's network (classifier
// included when cfg.NumClasses > 0). It allocates no weights.
func NewEffNetV2Names(cfg EffNetV2Config) *EffNetV2Names {
	n := &EffNetV2Names{toTimm: map[string]string{}, toTV: map[string]string{}}
	add := func(tv, timm string) {
		n.toTimm[tv] = timm
		n.toTV[timm] = tv
	}
	conv := func(tv, timm string) { add(tv+".weight", timm+".weight") }
	bn := func(tv, timm string) {
		for _, s := range bnSuffixes {
			add(tv+"."+s, timm+"."+s)
		}
	}
	convBN := func(tv, tvLayer, timmConv, timmBN string) {
		conv(tv+"."+tvLayer+".0", timmConv)
		bn(tv+"."+tvLayer+".1", timmBN)
	}
	se := func(tv, timm string) {
		for _, fc := range [][2]string{{"fc1", "se.conv_reduce"}, {"fc2", "se.conv_expand"}} {
			add(tv+"."+fc[0]+".weight", timm+"."+fc[1]+".weight")
			add(tv+"."+fc[0]+".bias", timm+"."+fc[1]+".bias")
		}
	}

	convBN("features", "0", "conv_stem", "bn1")
	in := cfg.Stem
	for s, st := range cfg.Stages {
		for j := range st.Repeats {
			if j > 0 {
				in = st.Out
			}
			tv := "features." + strconv.Itoa(s+1) + "." + strconv.Itoa(j) + ".block"
			tm := "blocks." + strconv.Itoa(s) + "." + strconv.Itoa(j) + "."
			expanded := makeDivisible(float64(in*st.Expand), 8) != in
			switch {
			case st.Block == FusedMBConvBlock && !expanded:
				convBN(tv, "0", tm+"conv", tm+"bn1")
			case st.Block == FusedMBConvBlock:
				convBN(tv, "0", tm+"conv_exp", tm+"bn1")
				convBN(tv, "1", tm+"conv_pwl", tm+"bn2")
			case expanded:
				convBN(tv, "0", tm+"conv_pw", tm+"bn1")
				convBN(tv, "1", tm+"conv_dw", tm+"bn2")
				se(tv+".2", tm[:len(tm)-1])
				convBN(tv, "3", tm+"conv_pwl", tm+"bn3")
			default:
				convBN(tv, "0", tm+"conv_dw", tm+"bn1")
				se(tv+".1", tm[:len(tm)-1])
				convBN(tv, "2", tm+"conv_pw", tm+"bn2")
			}
		}
		in = st.Out
	}
	convBN("features", strconv.Itoa(len(cfg.Stages)+1), "conv_head", "bn2")
	if cfg.NumClasses > 0 {
		add("classifier.1.weight", "classifier.weight")
		add("classifier.1.bias", "classifier.bias")
	}
	return n
}

// ToTimm maps a torchvision name to timm's. Names the network does not
// have come back unchanged (ok is always true), so that, used with
// nn.ApplyRenames, they reach the loader and are reported as unexpected
// instead of vanishing.
func (n *EffNetV2Names) ToTimm(name string) (string, bool) {
	if t, ok := n.toTimm[name]; ok {
		return t, true
	}
	return name, true
}

// ToTorchvision maps a timm name to torchvision's; unknown names come back
// unchanged, as in ToTimm.
func (n *EffNetV2Names) ToTorchvision(name string) (string, bool) {
	if t, ok := n.toTV[name]; ok {
		return t, true
	}
	return name, true
}

// Len is the number of tensors named.
func (n *EffNetV2Names) Len() int { return len(n.toTimm) }

// buildTimmNames prepares the map Visit uses with TimmNames.
func (m *EfficientNetV2) buildTimmNames() { m.names = NewEffNetV2Names(m.Config) }

// CheckpointName maps a checkpoint tensor name in either convention to the
// name this model uses, so one model loads torchvision and timm files:
//
//	sd, err = nn.ApplyRenames(sd, m.CheckpointName)
//	err = nn.LoadInto(nn.StateMap(m), sd, true)
//
// Names of neither convention pass unchanged (reported as unexpected by
// the loader).
func (m *EfficientNetV2) CheckpointName(name string) (string, bool) {
	if m.Config.TimmNames {
		return m.names.ToTimm(name)
	}
	return m.names.ToTorchvision(name)
}
