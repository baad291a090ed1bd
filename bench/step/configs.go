//go:build linux

package main

import (
	"fmt"
	"strings"
)

// config is one row of the benchmark: a model, an input size and batch, a
// head and loss, and a recipe. The PyTorch script gets the same fields as
// JSON (bench/step/torch_step.py reads them by these names).
type config struct {
	Name     string `json:"name"`
	Desc     string `json:"desc"`
	Backbone string `json:"backbone"` // models.BackboneNames
	Size     int    `json:"size"`
	Batch    int    `json:"batch"`
	Head     string `json:"head"`  // mldecoder or pool
	Embed    int    `json:"embed"` // ML-Decoder width
	FFN      int    `json:"ffn"`   // ML-Decoder FFN width
	Loss     string `json:"loss"`  // aam or bce

	Optimizer string  `json:"optimizer"` // sgd or adamw
	LR        float64 `json:"lr"`
	SAM       bool    `json:"sam"`
	EMA       float64 `json:"ema"`     // EMA decay, with timm's warm-up; 0: no EMA (the laptop recipe since 1edb70e)
	Augment   string  `json:"augment"` // flip, or full (RandAugment, Cutout, flip)

	Infer bool `json:"infer"` // forward only, eval mode, no gradients

	// KeepActs: the Go side keeps every activation for the backward
	// (train.Config.KeepActivations), as multilabel train does for the
	// laptop preset's efficientnetv2_t; otherwise it recomputes the cheap
	// ones.
	KeepActs bool `json:"keep_activations,omitempty"`

	Warmup int `json:"warmup"` // steps (or forward calls) not timed
	Steps  int `json:"steps"`  // timed steps (or forward calls)
}

// configs are the configurations of issue 10, (a) to (f).
var configs = []config{
	{Name: "a", Desc: "efficientnetv2_t 128px b32, ML-Decoder 256/512 + AAM, AdamW, flip (the example's default: no EMA)",
		Backbone: "efficientnetv2_t", Size: 128, Batch: 32, Head: "mldecoder", Embed: 256, FFN: 512, Loss: "aam",
		Optimizer: "adamw", LR: 1e-3, Augment: "flip", KeepActs: true, Warmup: 2, Steps: 5},
	{Name: "b", Desc: "efficientnetv2_s 96px b32, ML-Decoder 768/2048 + AAM, SGD + SAM, EMA, full augmentation",
		Backbone: "efficientnetv2_s", Size: 96, Batch: 32, Head: "mldecoder", Embed: 768, FFN: 2048, Loss: "aam",
		Optimizer: "sgd", LR: 0.005, SAM: true, EMA: 0.9993, Augment: "full", Warmup: 2, Steps: 3},
	{Name: "c", Desc: "efficientnetv2_s 224px b8, ML-Decoder 768/2048 + AAM, SGD + SAM, EMA, full augmentation",
		Backbone: "efficientnetv2_s", Size: 224, Batch: 8, Head: "mldecoder", Embed: 768, FFN: 2048, Loss: "aam",
		Optimizer: "sgd", LR: 0.005, SAM: true, EMA: 0.9993, Augment: "full", Warmup: 2, Steps: 4},
	{Name: "d", Desc: "efficientnetv2_s 448px b4, ML-Decoder 768/2048 + AAM, SGD + SAM, EMA, full augmentation",
		Backbone: "efficientnetv2_s", Size: 448, Batch: 4, Head: "mldecoder", Embed: 768, FFN: 2048, Loss: "aam",
		Optimizer: "sgd", LR: 0.005, SAM: true, EMA: 0.9993, Augment: "full", Warmup: 2, Steps: 4},
	{Name: "e1", Desc: "tresnet_m 224px b8, pooled head (avg) + BCE, AdamW, EMA, full augmentation",
		Backbone: "tresnet_m", Size: 224, Batch: 8, Head: "pool", Loss: "bce",
		Optimizer: "adamw", LR: 1e-3, EMA: 0.9993, Augment: "full", Warmup: 2, Steps: 4},
	{Name: "e2", Desc: "resnet50 224px b8, pooled head (avg) + BCE, AdamW, EMA, full augmentation",
		Backbone: "resnet50", Size: 224, Batch: 8, Head: "pool", Loss: "bce",
		Optimizer: "adamw", LR: 1e-3, EMA: 0.9993, Augment: "full", Warmup: 2, Steps: 4},
	{Name: "f1", Desc: "inference: efficientnetv2_s 224px + ML-Decoder 768/2048, batch 1 (latency)",
		Backbone: "efficientnetv2_s", Size: 224, Batch: 1, Head: "mldecoder", Embed: 768, FFN: 2048, Loss: "aam",
		Infer: true, Warmup: 3, Steps: 20},
	{Name: "f32", Desc: "inference: efficientnetv2_s 224px + ML-Decoder 768/2048, batch 32",
		Backbone: "efficientnetv2_s", Size: 224, Batch: 32, Head: "mldecoder", Embed: 768, FFN: 2048, Loss: "aam",
		Infer: true, Warmup: 1, Steps: 3},
}

// selectConfigs returns the configurations named in list ("all", or
// names separated by commas; "e" means e1,e2 and "f" f1,f32).
func selectConfigs(list string) ([]config, error) {
	if list == "all" {
		return configs, nil
	}
	var out []config
	for _, n := range strings.Split(list, ",") {
		n = strings.TrimSpace(n)
		found := false
		for _, c := range configs {
			if c.Name == n || (len(n) == 1 && strings.HasPrefix(c.Name, n) && len(c.Name) > 1) {
				out = append(out, c)
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("unknown configuration %q (a, b, c, d, e1, e2, f1, f32, e, f or all)", n)
		}
	}
	return out, nil
}

// images is the number of training images a configuration uses (warm-up
// and timed steps) and the number of validation images its evaluation
// pass scores (as many as the timed steps trained on).
func (c config) images() (trainN, valN int) {
	if c.Infer {
		return 0, c.Batch
	}
	return (c.Warmup + c.Steps) * c.Batch, c.Steps * c.Batch
}

// describe is the size and batch in Desc's words ("128px b32"), to tell
// when -size or -batch changed them.
func (c config) describe() string { return fmt.Sprintf("%dpx b%d", c.Size, c.Batch) }
