// Package models holds the backbones (EfficientNetV2, TResNet, ResNet) and
// the multilabel heads (ML-Decoder, the GAT label-graph branch, ML-GCN,
// Query2Label, pooled heads), built from the layers of package nn, with
// state-dict names that follow torchvision and timm so weights load without
// a mapping table where possible.
package models
