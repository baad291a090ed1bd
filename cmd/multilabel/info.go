package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/seed477ab429/multilabel/models"
	"github.com/seed477ab429/multilabel/nn"
)

// info: parameters, MACs and the feature-map shape of a backbone, built
// (randomly initialised) from the models registry.
//
//	multilabel info -model efficientnetv2_s -size 224 -classes 1000
//	model efficientnetv2_s  input 3x224x224  classes 1000
//	params 21,458,488 (backbone 20,177,488, classifier 1,281,000)  buffers ...
//	MACs 2.850 G  features 1280x7x7
func init() {
	commands["info"] = command{summary: "parameters, MACs and feature shape of a model", run: runInfo}
}

// infoResult is the -json output.
type infoResult struct {
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
	classes := fs.Int("classes", 0, "classifier size (0: backbone only)")
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
	r, err := describe(*model, *size, *classes)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
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
