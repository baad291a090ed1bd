package recipe

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/seed477ab429/multilabel"
	"github.com/seed477ab429/multilabel/data"
	"github.com/seed477ab429/multilabel/models"
	"github.com/seed477ab429/multilabel/nn"
	"github.com/seed477ab429/multilabel/onnx"
	"github.com/seed477ab429/multilabel/onnx/onnxpb"
)

// pretrained is a -weights file, read and classified before the model is
// built, since its source decides the input normalization (and, for a
// run's weights, the architecture).
type pretrained struct {
	path   string
	sd     *nn.StateDict
	source models.WeightSource
	norm   string             // the normalization the weights were trained with
	run    *models.Spec       // SourceRun: the run's model.json (nil when not beside the file)
	onnx   *onnxpb.ModelProto // an ONNX export (-weights model.onnx): its initializers load the backbone
}

// readPretrained reads o.Weights and tells where it comes from by its
// tensor names (models.DetectSource): torchvision, timm, MIIL or one of our
// runs. Every error is the user's file: InputError.
func readPretrained(o *Options) (*pretrained, error) {
	if strings.EqualFold(filepath.Ext(o.Weights), ".onnx") {
		return readONNX(o)
	}
	sd, err := nn.LoadWeights(o.Weights)
	if err != nil {
		return nil, inputf("-weights: %w", err)
	}
	if sd, err = models.StripModulePrefix(sd); err != nil {
		return nil, inputf("-weights %s: %w", o.Weights, err)
	}
	p := &pretrained{path: o.Weights, sd: sd}
	if p.source, err = models.DetectSource(o.Model, sd.Names()); err != nil {
		return nil, inputf("-weights %s: %w", o.Weights, err)
	}
	if p.source != models.SourceRun {
		if p.norm, err = models.WeightNorm(o.Model, p.source); err != nil {
			return nil, inputf("-weights %s: %w", o.Weights, err)
		}
		return p, nil
	}
	// A run's weights: its model.json says how it was built and fed.
	specPath := filepath.Join(filepath.Dir(o.Weights), multilabel.SpecFile)
	raw, err := os.ReadFile(specPath)
	if err != nil {
		if o.Norm == "" {
			return nil, inputf("-weights %s: a run's weights without its %s beside them: give -norm (the normalization it was trained with)", o.Weights, multilabel.SpecFile)
		}
		return p, nil
	}
	spec, err := models.UnmarshalSpec(raw)
	if err != nil {
		return nil, inputf("-weights: %s: %w", specPath, err)
	}
	p.run, p.norm = &spec, spec.Norm
	if p.norm == "" {
		p.norm = models.DefaultNorm
	}
	return p, nil
}

// readONNX reads a backbone exported to ONNX from PyTorch; its source
// (torchvision or timm, hence the normalization) is told from the module
// names the exporter kept.
func readONNX(o *Options) (*pretrained, error) {
	m, err := onnx.ReadFile(o.Weights)
	if err != nil {
		return nil, inputf("-weights: %w", err)
	}
	names, err := onnx.WeightNames(m, o.Weights)
	if err != nil {
		return nil, inputf("-weights: %w", err)
	}
	p := &pretrained{path: o.Weights, onnx: m}
	if p.source, err = models.DetectSource(o.Model, names); err != nil {
		return nil, inputf("-weights %s: %w", o.Weights, err)
	}
	if p.source == models.SourceRun {
		return nil, inputf("-weights %s: an ONNX file of a whole classifier; -weights takes a backbone's ONNX export (or a run's best.safetensors)", o.Weights)
	}
	if p.norm, err = models.WeightNorm(o.Model, p.source); err != nil {
		return nil, inputf("-weights %s: %w", o.Weights, err)
	}
	return p, nil
}

// fineTune makes spec the run's architecture (backbone, head and its
// sizes): fine-tuning continues the run's model on new data. It says on
// out what was taken from the run. keepHead is true when the classes are
// the run's own, in the same order: the whole model loads, label
// embeddings and graph included.
func (p *pretrained) fineTune(spec *models.Spec, out io.Writer) (keepHead bool) {
	r := p.run
	if r == nil {
		return false
	}
	if r.Backbone != spec.Backbone || r.Head != spec.Head {
		fmt.Fprintf(out, "weights: a run's %s + %s: its backbone and head are kept (-model %s -head %s ignored)\n", r.Backbone, r.Head, spec.Backbone, spec.Head)
	}
	spec.Backbone, spec.Head, spec.Pooling = r.Backbone, r.Head, r.Pooling
	spec.DecoderEmbed, spec.DecoderHeads, spec.DecoderFFN = r.DecoderEmbed, r.DecoderHeads, r.DecoderFFN
	if slices.Equal(r.Classes, spec.Classes) {
		spec.EmbedDim = r.EmbedDim
		return true
	}
	return false
}

// load puts the weights into net and reports on out what went where. A
// run's weights with the same classes load whole and strictly; otherwise
// the backbone loads (converted from MIIL, timm or torchvision names) and
// the head keeps its fresh initialisation.
func (p *pretrained) load(net *models.Classifier, keepHead bool, out io.Writer) error {
	if keepHead {
		if err := nn.LoadInto(nn.StateMap(net), p.sd, true); err != nil {
			return inputf("-weights %s: %w", p.path, err)
		}
		fmt.Fprintf(out, "weights: the whole model from %s (a run's, same %d classes: label embeddings and graph kept; normalization %s)\n",
			p.path, len(net.Spec.Classes), p.norm)
		return nil
	}
	if p.onnx != nil {
		rep, err := onnx.ImportBackbone(net.Backbone, p.onnx, p.path)
		if err != nil {
			return inputf("-weights: %w", err)
		}
		fmt.Fprintf(out, "weights: %s backbone from ONNX %s: %v; normalization %s\n", p.source, p.path, rep, p.norm)
		return nil
	}
	sd := p.sd
	what := p.source
	if p.source == models.SourceRun {
		// Another run's backbone under new classes: take backbone.* alone.
		var err error
		sd, err = nn.ApplyRenames(sd, func(n string) (string, bool) {
			return strings.CutPrefix(n, "backbone.")
		})
		if err != nil {
			return inputf("-weights %s: %w", p.path, err)
		}
	} else {
		var err error
		if sd, err = models.BackboneWeights(net.Backbone, p.source, sd); err != nil {
			return inputf("-weights %s: %w", p.path, err)
		}
	}
	rep, err := nn.LoadPartial(nn.StateMap(net.Backbone), sd)
	if err != nil {
		return inputf("-weights %s: %s weights into %s: %w", p.path, what, net.Spec.Backbone, err)
	}
	unused := "the ImageNet classifier"
	if p.source == models.SourceRun {
		unused = "the run's head (new classes)"
	}
	fmt.Fprintf(out, "weights: %s backbone, %d tensors from %s (%d not used: %s); normalization %s\n",
		what, rep.Loaded, p.path, len(rep.Unused), unused, p.norm)
	return nil
}

// normOf resolves a model's normalization name to its statistics.
func normOf(spec models.Spec) (data.Norm, error) {
	n, err := data.ParseNorm(spec.Norm)
	if err != nil {
		return n, inputf("%w", err)
	}
	return n, nil
}
