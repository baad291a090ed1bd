#!/usr/bin/python3
"""Writes the ONNX import fixtures of onnx/import_test.go into this folder:
tiny ResNet, EfficientNetV2 and TResNet backbones (torchvision's own ResNet
and EfficientNet classes, and the timm-layout TResNet of
models/testdata/gen_tresnet.py), exported by torch.onnx.export of PyTorch 1.13
as a user would export a zoo model (eval mode, classifier included), and
the pooled features PyTorch computes for a fixed input.

    /usr/bin/python3 onnx/testdata/gen_import.py

Files: <name>_torch.onnx (do_constant_folding=True, the default) and, for
ResNet, resnet_tiny_torch_nofold.onnx (do_constant_folding=False);
import_ref.json {"input": [...], "shape": [1, 3, 64, 64], "<name>": [pooled
features]}. In eval mode torch 1.13 folds every BatchNorm into the
preceding Conv either way and renames the folded tensors onnx::Conv_N, so the
importer maps them by the scope names of the nodes.
"""
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "models", "testdata"))

from gen_effnetv2 import build as build_effnet  # noqa: E402
from gen_resnet import SmallResNet  # noqa: E402
from gen_tresnet import TResNet, fill_model  # noqa: E402


def pooled(m, x):
    with torch.no_grad():
        if hasattr(m, "features"):  # torchvision EfficientNet
            f = m.features(x)
        else:
            f = m.forward_features(x)
        return f.mean((2, 3)).flatten().tolist()


def main():
    torch.manual_seed(0)
    x = torch.randn(1, 3, 64, 64)
    ref = {"input": x.flatten().tolist(), "shape": list(x.shape)}

    resnet = SmallResNet([1, 1, 1, 1], base=4, num_classes=10)
    fill_model(resnet, seed=3)
    effnet = build_effnet()
    tresnet = TResNet([1, 1, 1, 1], planes=4, se_min=4, num_classes=10)
    fill_model(tresnet, seed=5)

    for name, m in [("resnet_tiny", resnet), ("effnetv2_tiny", effnet), ("tresnet_tiny", tresnet)]:
        m.eval()
        ref[name] = pooled(m, x)
        folds = [True, False] if name == "resnet_tiny" else [True]
        for fold in folds:
            path = os.path.join(HERE, f"{name}_torch{'' if fold else '_nofold'}.onnx")
            torch.onnx.export(m, x, path, opset_version=13, do_constant_folding=fold,
                              input_names=["input"], output_names=["logits"],
                              dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
            print("wrote", path, os.path.getsize(path), "bytes")
    with open(os.path.join(HERE, "import_ref.json"), "w") as f:
        json.dump(ref, f)
        f.write("\n")


if __name__ == "__main__":
    main()
