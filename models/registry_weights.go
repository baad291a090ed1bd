package models

import (
	"fmt"
	"strings"

	"github.com/seed477ab429/multilabel/nn"
)

// Pretrained weights: which convention a weight file follows, told from
// its tensor names, and the input normalization that goes with it. The
// normalization is a property of where the weights come from, not of the
// architecture: the same EfficientNetV2-S expects ImageNet statistics with
// torchvision's weights and mean = std = 0.5 with timm's tf_ weights.
//
//	source       names (example)                     backbones              normalization
//	torchvision  features.0.0.weight, layer1.0.*     efficientnetv2_*, resnet*  imagenet
//	timm         conv_stem.weight, blocks.0.0.*      tf_efficientnetv2_*    half (mean = std = 0.5)
//	             body.conv1.conv.weight              tresnet_*              unit (mean 0, std 1)
//	miil         body.conv1.0.weight (InPlaceABN)    tresnet_*              unit (mean 0, std 1)
//	run          backbone.*, head.*                  any                    the run's own (its model.json)
//
// The names "half", "imagenet" and "unit" are those of data.ParseNorm
// (package data sits above this one). timm's ResNets share torchvision's
// names and statistics, so they count as torchvision here.

// WeightSource is the convention of a pretrained weight file.
type WeightSource string

const (
	SourceTorchvision WeightSource = "torchvision" // torchvision's state-dict names
	SourceTimm        WeightSource = "timm"        // timm's names
	SourceMIIL        WeightSource = "miil"        // Alibaba-MIIL's TResNet (InPlaceABN) checkpoints: converted by FromMIIL
	SourceRun         WeightSource = "run"         // a whole Classifier saved by a run (backbone.*, head.*)
)

// weightFamily is the pretrained-weight metadata of a family of backbones.
type weightFamily struct {
	prefix string                  // registry names starting with it
	norms  map[WeightSource]string // accepted sources and their normalization
	wrong  map[WeightSource]string // sources that do not fit, and what to do instead
}

// weightFamilies, most specific prefix first. timm publishes EfficientNetV2
// S/M/L weights only as tf_efficientnetv2_* (TF "SAME" padding, which
// shifts every stride-2 convolution), torchvision only with symmetric
// padding: each loads into its own layout and no other.
var weightFamilies = []weightFamily{
	{"tf_efficientnetv2_", map[WeightSource]string{SourceTimm: "half"},
		map[WeightSource]string{SourceTorchvision: "torchvision weights have symmetric padding: use -model efficientnetv2_*"}},
	{"efficientnetv2_", map[WeightSource]string{SourceTorchvision: "imagenet"},
		map[WeightSource]string{SourceTimm: "timm's EfficientNetV2 weights are tf_ (TF SAME padding): use -model tf_efficientnetv2_*"}},
	{"efficientnet_v2_", map[WeightSource]string{SourceTorchvision: "imagenet"},
		map[WeightSource]string{SourceTimm: "timm's EfficientNetV2 weights are tf_ (TF SAME padding): use -model tf_efficientnetv2_*"}},
	{"tresnet_", map[WeightSource]string{SourceMIIL: "unit", SourceTimm: "unit"}, nil},
	{"resnet", map[WeightSource]string{SourceTorchvision: "imagenet"}, nil},
}

func familyOf(backbone string) (weightFamily, bool) {
	for _, f := range weightFamilies {
		if strings.HasPrefix(backbone, f.prefix) {
			return f, true
		}
	}
	return weightFamily{}, false
}

// DefaultNorm is the normalization a backbone trained from scratch uses:
// "half", the reference's Normalize(0.5, 0.5) (docs/method.md §5.7).
const DefaultNorm = "half"

// WeightNorm returns the input normalization (a data.ParseNorm name) that
// weights of source src expect on backbone. SourceRun has none of its own
// here: the run's model.json records it.
func WeightNorm(backbone string, src WeightSource) (string, error) {
	f, ok := familyOf(backbone)
	if !ok {
		return "", fmt.Errorf("models: %s: no pretrained-weight conventions known", backbone)
	}
	n, ok := f.norms[src]
	if !ok {
		hint := f.wrong[src]
		if hint == "" {
			hint = "it takes " + strings.Join(sourcesOf(f), ", ")
		}
		return "", fmt.Errorf("models: %s: %s weights do not fit this backbone (%s)", backbone, src, hint)
	}
	return n, nil
}

// WeightSources lists the sources a backbone loads, with their
// normalization: "torchvision (imagenet)", ...
func WeightSources(backbone string) []string {
	f, ok := familyOf(backbone)
	if !ok {
		return nil
	}
	var out []string
	for _, s := range sourcesOf(f) {
		out = append(out, fmt.Sprintf("%s (%s)", s, f.norms[WeightSource(s)]))
	}
	return out
}

func sourcesOf(f weightFamily) []string {
	var out []string
	for _, s := range []WeightSource{SourceTorchvision, SourceTimm, SourceMIIL} {
		if _, ok := f.norms[s]; ok {
			out = append(out, string(s))
		}
	}
	return out
}

// DetectSource tells from a state dict's tensor names which convention it
// follows: a run's Classifier (backbone.* and head.*), a MIIL TResNet
// checkpoint (names MIILRename changes), timm's or torchvision's names of
// backbone's family. The error says what the names look like when they fit
// none.
func DetectSource(backbone string, names []string) (WeightSource, error) {
	if len(names) == 0 {
		return "", fmt.Errorf("models: the weight file holds no tensors")
	}
	run := false
	for _, n := range names {
		if strings.HasPrefix(n, "backbone.") {
			run = true
			break
		}
	}
	if run {
		return SourceRun, nil
	}
	has := func(prefixes ...string) bool {
		for _, n := range names {
			for _, p := range prefixes {
				if strings.HasPrefix(n, p) {
					return true
				}
			}
		}
		return false
	}
	switch {
	case strings.HasPrefix(backbone, "tresnet_"):
		for _, n := range names {
			if to, keep := MIILRename(n); !keep || to != n {
				return SourceMIIL, nil
			}
		}
		if has("body.") {
			return SourceTimm, nil
		}
	case strings.Contains(backbone, "efficientnet"):
		if has("features.") {
			return SourceTorchvision, nil
		}
		if has("conv_stem.", "blocks.") {
			return SourceTimm, nil
		}
	default:
		if _, ok := familyOf(backbone); !ok {
			return "", fmt.Errorf("models: %s: no pretrained-weight conventions known (only a run's weights load into it)", backbone)
		}
	case strings.HasPrefix(backbone, "resnet"):
		if has("layer1.", "conv1.") {
			return SourceTorchvision, nil
		}
	}
	show := names[:min(3, len(names))]
	return "", fmt.Errorf("models: %s: tensor names (%s, ...) are neither a run's (backbone.*) nor a known convention for this backbone (%s)",
		backbone, strings.Join(show, ", "), strings.Join(WeightSources(backbone), ", "))
}

// StripModulePrefix removes the "module." that a DistributedDataParallel
// model adds to every name, when every name has it.
func StripModulePrefix(sd *nn.StateDict) (*nn.StateDict, error) {
	names := sd.Names()
	if len(names) == 0 {
		return sd, nil
	}
	for _, n := range names {
		if !strings.HasPrefix(n, "module.") {
			return sd, nil
		}
	}
	return nn.ApplyRenames(sd, func(n string) (string, bool) { return strings.TrimPrefix(n, "module."), true })
}

// BackboneWeights converts a pretrained state dict of source src to the
// names b uses: MIIL checkpoints through FromMIIL, torchvision/timm names
// through the backbone's CheckpointName map when it has one (EfficientNetV2
// loads either convention). Tensors that are not the backbone's (an
// ImageNet classifier, a MIIL ML-Decoder head) pass through; the loader
// reports them as unused.
func BackboneWeights(b Backbone, src WeightSource, sd *nn.StateDict) (*nn.StateDict, error) {
	var err error
	if src == SourceMIIL {
		if sd, err = FromMIIL(sd); err != nil {
			return nil, err
		}
	}
	if r, ok := b.(interface{ CheckpointName(string) (string, bool) }); ok {
		if sd, err = nn.ApplyRenames(sd, r.CheckpointName); err != nil {
			return nil, err
		}
	}
	return sd, nil
}
