package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/seed477ab429/multilabel"
	"github.com/seed477ab429/multilabel/nn"
	"github.com/seed477ab429/multilabel/onnx"
)

// export: a trained run as one ONNX file (the whole classifier and its
// σ(scale·output) scores; docs/deploy.md), or as a safetensors state dict
// under PyTorch's names for the PyTorch round trip.
//
//	multilabel export -run runs/voc-20261125-191230 -o model.onnx
//	multilabel export -run runs/voc-20261125-191230 -format safetensors -o model.safetensors
func init() {
	commands["export"] = command{summary: "write a run's classifier as ONNX (opset 17) or safetensors with PyTorch names", run: runExport}
}

func runExport(args []string, stdout io.Writer) error {
	fset := newFlags("export", stdout)
	runDir := fset.String("run", "", "run folder (written by multilabel train or examples/voc)")
	out := fset.String("o", "", "output file (default: RUN/model.onnx or RUN/model.safetensors)")
	format := fset.String("format", "onnx", "onnx: the whole classifier as an ONNX graph; safetensors: its state dict, backbone under torchvision/timm names, head under head.*")
	fset.Usage = func() {
		fmt.Fprintln(fset.Output(), "usage: multilabel export -run RUN [-o FILE] [-format onnx|safetensors]")
		fset.PrintDefaults()
	}
	if err := parseFlags(fset, args); err != nil {
		return err
	}
	if *format != "onnx" && *format != "safetensors" {
		return usagef("-format %q: want onnx or safetensors", *format)
	}
	if *runDir != "" {
		if _, err := os.Stat(filepath.Join(*runDir, multilabel.WeightsFile)); err != nil {
			if _, serr := os.Stat(filepath.Join(*runDir, multilabel.SpecFile)); serr == nil {
				return usagef("-run %s: the run folder has no %s (was training stopped before the first epoch ended?)", *runDir, multilabel.WeightsFile)
			}
		}
	}
	m, err := loadRun(*runDir)
	if err != nil {
		return err
	}
	path := *out
	if path == "" {
		path = filepath.Join(*runDir, "model."+*format)
	}
	if *format == "safetensors" {
		sd := nn.NewStateDict()
		for _, nt := range nn.Tensors(m.Net().Backbone) {
			sd.Set(nt.Name, nt.Tensor)
		}
		for _, nt := range nn.Tensors(m.Net().Head) {
			sd.Set("head."+nt.Name, nt.Tensor)
		}
		if err := nn.SaveSafetensors(path, sd); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote %s: %d tensors (%s under its PyTorch names, the %s head under head.*)\n", path, sd.Len(), m.Spec().Backbone, m.Spec().Head)
		return nil
	}
	norm := m.Norm() // model.json's normalization, custom statistics included
	model, err := onnx.Export(m.Net(), onnx.Options{Thresholds: m.Thresholds(), Norm: &norm,
		DocString: fmt.Sprintf("multilabel %s + %s from run %s; input images [batch, 3, %d, %d] = (pixel/255 - mean)/std with mean %v, std %v; output scores = sigmoid(%g*output) [batch, %d] (classes: %s)",
			m.Spec().Backbone, m.Spec().Head, filepath.Base(filepath.Clean(*runDir)), m.Spec().Size, m.Spec().Size, norm.Mean, norm.Std, m.Spec().Scale, len(m.Classes()), strings.Join(m.Classes(), ", "))})
	if err != nil {
		return err
	}
	if err := onnx.WriteFile(path, model); err != nil {
		return err
	}
	st, _ := os.Stat(path)
	fmt.Fprintf(stdout, "wrote %s: ONNX opset %d, %d nodes, %.1f MB; input %s [batch, 3, %d, %d], output %s [batch, %d]\n",
		path, onnx.Opset, len(model.Graph.Node), float64(st.Size())/1e6, onnx.InputName, m.Spec().Size, m.Spec().Size, onnx.OutputName, len(m.Classes()))
	return nil
}
