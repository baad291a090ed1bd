package models

// Registry names of the EfficientNetV2 family:
//
//	efficientnetv2_s/m/l     torchvision 0.14 (BN eps 1e-3, symmetric padding,
//	                         torchvision names): loads efficientnet_v2_*.pth
//	efficientnet_v2_s/m/l    the same, under torchvision's spelling
//	tf_efficientnetv2_s/m/l  timm tf_ (BN eps 1e-3, TF SAME padding on
//	                         stride-2 convs, timm names and init): loads timm's
//	                         tf_efficientnetv2_* checkpoints, the paper's backbone
//	efficientnetv2_t         ours, laptop size (docs/models.md)
//
// timm's own efficientnetv2_s (eps 1e-5, symmetric, timm names) is the
// torchvision network with BNEps 1e-5 and TimmNames: build it with
// NewEfficientNetV2 from EffNetV2Variant("s").
func init() {
	for _, size := range []string{"s", "m", "l", "t"} {
		desc := map[string]string{"s": "EfficientNetV2-S", "m": "EfficientNetV2-M", "l": "EfficientNetV2-L", "t": "EfficientNetV2-T (ours, laptop size)"}[size]
		Register("efficientnetv2_"+size, desc+", torchvision layout and names", effNetV2Builder(size, false))
		if size == "t" {
			continue
		}
		Register("efficientnet_v2_"+size, desc+", torchvision (alias of efficientnetv2_"+size+")", effNetV2Builder(size, false))
		Register("tf_efficientnetv2_"+size, desc+", timm tf_ (TF SAME padding, timm names)", effNetV2Builder(size, true))
	}
}

func effNetV2Builder(size string, tf bool) Constructor {
	return func(o Options) (Backbone, error) {
		cfg, err := effNetV2Config(size, tf, o)
		if err != nil {
			return nil, err
		}
		return NewEfficientNetV2(cfg)
	}
}

// effNetV2Config is the configuration a registry name stands for.
func effNetV2Config(size string, tf bool, o Options) (EffNetV2Config, error) {
	cfg, err := EffNetV2Variant(size)
	if err != nil {
		return cfg, err
	}
	if tf {
		cfg.Name = "tf_" + cfg.Name
		cfg.TFSame, cfg.TimmNames, cfg.TimmInit = true, true, true
	}
	cfg.NumClasses, cfg.Seed, cfg.noInit = o.NumClasses, o.Seed, o.NoInit
	cfg.Dropout = rate(o.Dropout, cfg.Dropout)
	cfg.DropPath = rate(o.DropPath, cfg.DropPath)
	return cfg, nil
}
