// Package onnx moves models between this engine and the ONNX format.
//
// Export writes a whole trained classifier (backbone, head and the
// σ(scale·output) scores) as one standard ONNX graph: opset 17, IR
// version 8, BatchNorm folded into the convolutions, a dynamic batch
// dimension, the label-graph heads' image-independent parts (the GAT gate,
// the ML-GCN classifier) stored as constants. The graph takes the
// normalized image tensor "images" [batch, 3, S, S] and gives "scores"
// [batch, N]; the class names, thresholds, input size and normalization
// are in the model's metadata (metadata_props, keys "multilabel.*").
//
// ImportBackbone reads the initializers of an EfficientNetV2, ResNet or
// TResNet ONNX file exported from PyTorch (torch.onnx.export of a
// torchvision or timm model, with or without constant folding) into one
// of our backbones, and refuses anything else naming the op or tensor
// that does not fit.
//
// The protobuf types are generated from onnx.proto into package onnxpb
// (google.golang.org/protobuf). docs/deploy.md has the commands, and the
// scripts under tools/onnx check exported files in ONNX Runtime and with
// onnx.checker.
package onnx
