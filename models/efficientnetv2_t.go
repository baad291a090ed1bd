package models

// efficientnetv2_t: our laptop-size EfficientNetV2 (not a published
// model). Same blocks and rules as torchvision's S; fewer, narrower stages
// chosen by measuring a training step on 2 cores (docs/models.md).
var (
	effNetV2TStem   = 16
	effNetV2THead   = 640
	effNetV2TStages = []EffNetV2Stage{
		{FusedMBConvBlock, 1, 3, 1, 16, 1},
		{FusedMBConvBlock, 4, 3, 2, 32, 2},
		{FusedMBConvBlock, 4, 3, 2, 48, 2},
		{MBConvBlock, 4, 3, 2, 96, 3},
		{MBConvBlock, 6, 3, 1, 112, 3},
		{MBConvBlock, 6, 3, 2, 192, 4},
	}
)
