package models

import "fmt"

// Registers the TResNet and ResNet backbones with NewBackbone.
func init() {
	for _, v := range []struct{ name, doc string }{
		{"tresnet_m", "TResNet-M (timm tresnet_m): 2048 features, 29.3M params without classifier"},
		{"tresnet_l", "TResNet-L of the paper (timm tresnet_l, width 1.2): 2432 features, 53.6M params without classifier"},
		{"tresnet_xl", "TResNet-XL (timm tresnet_xl, width 1.3): 2656 features, 75.8M params without classifier"},
		{"tresnet_v2_l", "TResNet-v2-L (timm tresnet_v2_l = ML-Decoder repo's TResNet-L): 2048 features, 44.1M params without classifier"},
	} {
		name := v.name
		Register(name, v.doc, func(o Options) (Backbone, error) {
			cfg, err := TResNetVariant(name)
			if err != nil {
				return nil, err
			}
			cfg.NumClasses, cfg.Seed, cfg.noInit = o.NumClasses, o.Seed, o.NoInit
			cfg.Dropout, cfg.DropPath = rate(o.Dropout, 0), rate(o.DropPath, 0)
			return NewTResNetFromConfig(cfg)
		})
	}
	for _, depth := range []int{50, 101} {
		name := fmt.Sprintf("resnet%d", depth)
		Register(name, fmt.Sprintf("ResNet-%d v1.5 (torchvision resnet%d): 2048 features", depth, depth), func(o Options) (Backbone, error) {
			if o.Dropout > 0 || o.DropPath > 0 {
				return nil, fmt.Errorf("models: %s has no dropout or stochastic depth (got %v, %v)", name, o.Dropout, o.DropPath)
			}
			cfg, err := ResNetVariant(depth)
			if err != nil {
				return nil, err
			}
			cfg.NumClasses, cfg.Seed, cfg.noInit = o.NumClasses, o.Seed, o.NoInit
			return NewResNetFromConfig(cfg)
		})
	}
}
