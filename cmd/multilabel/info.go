package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/seed477ab429/multilabel/models"
	"github.com/seed477ab429/multilabel/nn"
)

// info: parameters, MACs and the feature-map shape of a backbone, built
// (randomly initialised) from the models registry.
//
//	multilabel info -model efficientnetv2_s -size 224 -classes 1000
//	multilabel info -model tresnet_l -head gat -classes 20 -size 448   # a multilabel head: its parameters and MACs, the deployed cost
//	model efficientnetv2_s  input 3x224x224  classes 1000
//	params 21,458,488 (backbone 20,177,488, classifier 1,281,000)  buffers ...
//	MACs 2.850 G  features 1280x7x7
func init() {
	commands["info"] = command{summary: "parameters, MACs and feature shape of a model, with -head the multilabel head's and the deployed cost", run: runInfo}
}

// infoResult is the -json output. The head fields are set with -head.
type infoResult struct {
	Head          string  `json:"head,omitempty"`
	HeadParams    int     `json:"head_params,omitempty"`    // trainable
	HeadBuffers   int     `json:"head_buffers,omitempty"`   // saved, not trained: label embeddings, graph, decoder queries
	HeadGMACs     float64 `json:"head_gmacs,omitempty"`     // per image, deployed (image-independent parts precomputed)
	GraphGMACs    float64 `json:"graph_gmacs,omitempty"`    // the label-graph branch, once per forward in training; precomputed when deployed
	DeployedGMACs float64 `json:"deployed_gmacs,omitempty"` // backbone + head per image, as deployed

	Model           string  `json:"model"`
	Size            int     `json:"size"`
	Classes         int     `json:"classes"`
	Params          int     `json:"params"`
	BackboneParams  int     `json:"backbone_params"`
	Buffers         int     `json:"buffers"`
	GMACs           float64 `json:"gmacs"`
	FeatureChannels int     `json:"feature_channels"`
	FeatureShape    []int   `json:"feature_shape"` // [C, h, w] for one image
}

func runInfo(args []string, stdout io.Writer) error {
	fs := newFlags("info", stdout)
	model := fs.String("model", "", "model name: "+strings.Join(models.BackboneNames(), ", "))
	size := fs.Int("size", 224, "input size S (the image is SxS)")
	classes := fs.Int("classes", 0, "classes: the ImageNet-style classifier's size, or with -head the multilabel head's (0: backbone only)")
	head := fs.String("head", "", "a multilabel head on the backbone: "+strings.Join(models.HeadNames, ", ")+" (needs -classes)")
	decEmbed := fs.Int("decoder-embed", 0, "ML-Decoder width (default 768; 256 for efficientnetv2_t, as the laptop recipe)")
	decFFN := fs.Int("decoder-ffn", 0, "ML-Decoder FFN width (default 2048; 512 for efficientnetv2_t, as the laptop recipe)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *model == "" {
		return usagef("-model is required (one of %s)", strings.Join(models.BackboneNames(), ", "))
	}
	if *size < 32 {
		return usagef("-size %d: want at least 32", *size)
	}
	if *classes < 0 {
		return usagef("-classes %d: want 0 or more", *classes)
	}
	var r *infoResult
	var err error
	if *head != "" {
		if *classes < 1 {
			return usagef("-head %s needs -classes N (N >= 1)", *head)
		}
		r, err = describeHead(*model, *head, *size, *classes, *decEmbed, *decFFN)
	} else {
		r, err = describe(*model, *size, *classes)
	}
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	if r.Head != "" {
		fmt.Fprintf(stdout, "model %s + %s  input 3x%dx%d  classes %d\n", r.Model, r.Head, r.Size, r.Size, r.Classes)
		fmt.Fprintf(stdout, "params %s (backbone %s, head %s)  buffers %s (head: %s)\n",
			commas(r.Params), commas(r.BackboneParams), commas(r.HeadParams), commas(r.Buffers), commas(r.HeadBuffers))
		fmt.Fprintf(stdout, "MACs per image: backbone %.3f G, head %.3f M; features %dx%dx%d\n",
			r.GMACs, 1e3*r.HeadGMACs, r.FeatureShape[0], r.FeatureShape[1], r.FeatureShape[2])
		if r.GraphGMACs > 0 {
			fmt.Fprintf(stdout, "label graph: %.3f M MACs per forward in training; computed once and kept when deployed (the gate or classifier is a constant)\n", 1e3*r.GraphGMACs)
		}
		fmt.Fprintf(stdout, "deployed: %.3f GMACs per image (%.3f GFLOPs)\n", r.DeployedGMACs, 2*r.DeployedGMACs)
		return nil
	}
	fmt.Fprintf(stdout, "model %s  input 3x%dx%d  classes %d\n", r.Model, r.Size, r.Size, r.Classes)
	fmt.Fprintf(stdout, "params %s (backbone %s, classifier %s)  buffers %s\n",
		commas(r.Params), commas(r.BackboneParams), commas(r.Params-r.BackboneParams), commas(r.Buffers))
	fmt.Fprintf(stdout, "MACs %.3f G  features %dx%dx%d\n", r.GMACs, r.FeatureShape[0], r.FeatureShape[1], r.FeatureShape[2])
	return nil
}

// describe builds the model (twice with a classifier, to split the
// counts); the feature shape comes from models.FeatureShape.
func describe(name string, size, classes int) (*infoResult, error) {
	m, err := models.NewBackbone(name, models.Options{NumClasses: classes})
	if err != nil {
		return nil, usageError{err.Error()}
	}
	params, buffers := nn.CountParams(m)
	backbone := params
	if classes > 0 {
		b, err := models.NewBackbone(name, models.Options{})
		if err != nil {
			return nil, err
		}
		backbone, _ = nn.CountParams(b)
	}
	f := models.FeatureShape(m, size, size)
	return &infoResult{
		Model: name, Size: size, Classes: classes,
		Params: params, BackboneParams: backbone, Buffers: buffers,
		GMACs:           float64(m.MACs(size, size)) / 1e9,
		FeatureChannels: m.FeatureChannels(),
		FeatureShape:    f[:],
	}, nil
}

// describeHead builds the backbone with a multilabel head as the recipe
// builds it (metric outputs, 300-wide label embeddings for the graph
// heads) and counts both parts. The deployed cost is Classifier.MACs: the
// GAT gate and the ML-GCN classifier are image-independent, computed once
// after training and kept, so they cost nothing per image.
func describeHead(model, head string, size, classes, decEmbed, decFFN int) (*infoResult, error) {
	if !slices.Contains(models.HeadNames, head) {
		return nil, usagef("-head %q: want one of %s", head, strings.Join(models.HeadNames, ", "))
	}
	if model == "efficientnetv2_t" { // the laptop recipe's narrow ML-Decoder
		decEmbed, decFFN = cmp.Or(decEmbed, 256), cmp.Or(decFFN, 512)
	}
	names := make([]string, classes)
	for i := range names {
		names[i] = fmt.Sprintf("class%d", i)
	}
	spec := models.Spec{Backbone: model, Head: head, Classes: names, Metric: true, Size: size, Scale: 1,
		DecoderEmbed: decEmbed, DecoderFFN: decFFN}
	var g *models.Graph
	switch head {
	case "gat", "gat+mldecoder", "mlgcn":
		spec.EmbedDim = 300
		g = models.ZeroGraph(classes, spec.EmbedDim)
	}
	net, err := models.Build(spec, models.Options{}, g)
	if err != nil {
		return nil, usageError{err.Error()}
	}
	params, buffers := nn.CountParams(net)
	bbParams, _ := nn.CountParams(net.Backbone)
	headParams, headBuffers := nn.CountParams(net.Head)
	bbMACs := net.Backbone.MACs(size, size)
	deployed := net.MACs(size)
	var graph int64
	switch h := net.Head.(type) {
	case *models.GATHead:
		graph = h.GraphMACs()
	case *models.MLGCN:
		graph = h.GC1.MACs(classes) + h.GC2.MACs(classes)
	}
	f := models.FeatureShape(net.Backbone, size, size)
	return &infoResult{
		Model: model, Size: size, Classes: classes, Head: head,
		Params: params, BackboneParams: bbParams, Buffers: buffers,
		HeadParams: headParams, HeadBuffers: headBuffers,
		GMACs: float64(bbMACs) / 1e9, HeadGMACs: float64(deployed-bbMACs) / 1e9,
		GraphGMACs: float64(graph) / 1e9, DeployedGMACs: float64(deployed) / 1e9,
		FeatureChannels: net.Backbone.FeatureChannels(), FeatureShape: f[:],
	}, nil
}

// commas formats n with thousands separators: 21458488 → "21,458,488".
func commas(n int) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
