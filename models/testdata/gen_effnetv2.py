#!/usr/bin/python3
"""Write effnetv2_tiny.safetensors: a PyTorch reference for the Go EfficientNetV2.

The network is torchvision 0.14's own EfficientNet class (models/efficientnet.py, the code behind
efficientnet_v2_s/m/l) with a tiny inverted_residual_setting, so every block type and rule of the
full models is exercised at a size that fits a unit test:

    stem 3->8 s2 | FusedMBConv e1 k3 s1 8->8 x2 (skip) | FusedMBConv e2 k3 s2 8->16 x2
    | MBConv e2 k3 s2 16->24 x2 | MBConv e1 k5 s2 24->32 x1 (no expansion conv) | head 1x1 32->48
    | Linear 48->5;  BN eps 1e-3 (as efficientnet_v2_*), dropout 0 and stochastic depth 0 so that
    the train-mode pass is deterministic.

Weights: torch.manual_seed(0) init, then every BN gets gamma~U(0.5,1.5), beta~U(-0.1,0.1),
running_mean~U(-0.1,0.1), running_var~U(0.5,1.5), and every bias (SE convs, classifier) ~U(-0.1,0.1),
so that a swapped mean/var or an ignored bias changes the output.

Contents (safetensors, F32; num_batches_tracked I64), all under torchvision's state-dict names:
    <state dict>                  the weights above
    ref.input [2,3,36,44]         fixed input (non-square; even and odd sizes along the way)
    ref.logits [2,5]              eval mode
    ref.act.features.<i>          eval activations after the stem, each stage and the head conv
    train.loss_weight [2,5]       R: the train pass back-propagates L = sum(logits * R)
    train.logits [2,5]            train mode (BN batch statistics)
    grad.input, grad.<param>      dL/d input and dL/d every parameter
    post.<bn>.running_mean/var    every BN's running statistics after the train pass
    same.logits, same.train.logits, same.grad.input
                                  the same weights with TF "SAME" padding on the stride-2 convs
                                  (timm's Conv2dSame, as in tf_efficientnetv2_*), eval and train

Usage: /usr/bin/python3 models/testdata/gen_effnetv2.py  (from the repository root)

With --ref OUT it instead writes a full-size reference of torchvision's efficientnet_v2_s
(weights=None after manual_seed(0), dropout and stochastic depth 0, every BN perturbed) in the
reference format of docs/architectures.md §7, through gen_tresnet.export_ref (float64 gradients
with PyTorch's float32 error in the metadata), for `multilabel verify` (not committed, ~100 MB):

    /usr/bin/python3 models/testdata/gen_effnetv2.py --ref /tmp/ref [--size 224]
"""
import argparse
import copy
import json
import math
import os
import struct
import types
from collections import OrderedDict
from functools import partial

import torch
import torch.nn.functional as F
from torch import nn
from torchvision.models.efficientnet import EfficientNet, FusedMBConvConfig, MBConvConfig

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "effnetv2_tiny.safetensors")


def build():
    torch.manual_seed(0)
    setting = [
        FusedMBConvConfig(1, 3, 1, 8, 8, 2),
        FusedMBConvConfig(2, 3, 2, 8, 16, 2),
        MBConvConfig(2, 3, 2, 16, 24, 2),
        MBConvConfig(1, 5, 2, 24, 32, 1),
    ]
    m = EfficientNet(setting, dropout=0.0, stochastic_depth_prob=0.0, num_classes=5,
                     norm_layer=partial(nn.BatchNorm2d, eps=1e-3), last_channel=48)
    g = torch.Generator().manual_seed(1)

    def u(t, lo, hi):
        t.copy_(torch.rand(t.shape, generator=g) * (hi - lo) + lo)

    with torch.no_grad():
        for mod in m.modules():
            if isinstance(mod, nn.BatchNorm2d):
                u(mod.weight, 0.5, 1.5)
                u(mod.bias, -0.1, 0.1)
                u(mod.running_mean, -0.1, 0.1)
                u(mod.running_var, 0.5, 1.5)
            elif isinstance(mod, (nn.Conv2d, nn.Linear)) and mod.bias is not None:
                u(mod.bias, -0.1, 0.1)
    return m


def same_forward(self, x):
    """timm Conv2dSame: TF 'SAME' padding computed from the input size, odd pixel bottom/right."""
    ih, iw = x.shape[-2:]
    kh, kw = self.weight.shape[-2:]
    ph = max((math.ceil(ih / self.stride[0]) - 1) * self.stride[0] + (kh - 1) * self.dilation[0] + 1 - ih, 0)
    pw = max((math.ceil(iw / self.stride[1]) - 1) * self.stride[1] + (kw - 1) * self.dilation[1] + 1 - iw, 0)
    x = F.pad(x, [pw // 2, pw - pw // 2, ph // 2, ph - ph // 2])
    return F.conv2d(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)


def to_same(m):
    m = copy.deepcopy(m)
    for mod in m.modules():
        if isinstance(mod, nn.Conv2d) and mod.stride[0] > 1:
            mod.forward = types.MethodType(same_forward, mod)
    return m


def train_pass(m, x, r):
    m = copy.deepcopy(m)
    m.train()
    xin = x.clone().requires_grad_(True)
    logits = m(xin)
    (logits * r).sum().backward()
    return m, logits.detach(), xin.grad


def write_safetensors(path, tensors):
    header, blobs, off = OrderedDict(), [], 0
    header["__metadata__"] = {"source": "models/testdata/gen_effnetv2.py", "torch": torch.__version__}
    for name, t in tensors.items():
        t = t.detach().contiguous()
        if t.dtype == torch.int64:
            dt, raw = "I64", t.numpy().astype("<i8").tobytes()
        else:
            dt, raw = "F32", t.float().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": dt, "shape": list(t.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def main():
    m = build()
    g = torch.Generator().manual_seed(2)
    x = torch.randn(2, 3, 36, 44, generator=g)
    r = torch.rand(2, 5, generator=g) + 0.5
    out = OrderedDict(m.state_dict())

    m.eval()
    acts = {}
    for i, f in enumerate(m.features):
        f.register_forward_hook(lambda mod, inp, o, i=i: acts.__setitem__(i, o.detach().clone()))
    with torch.no_grad():
        out["ref.logits"] = m(x)
    out["ref.input"] = x
    for i in sorted(acts):
        out["ref.act.features.%d" % i] = acts[i]
    for f in m.features:
        f._forward_hooks.clear()

    trained, logits, gx = train_pass(m, x, r)
    out["train.loss_weight"] = r
    out["train.logits"] = logits
    out["grad.input"] = gx
    for name, p in trained.named_parameters():
        out["grad." + name] = p.grad
    for name, mod in trained.named_modules():
        if isinstance(mod, nn.BatchNorm2d):
            out["post.%s.running_mean" % name] = mod.running_mean
            out["post.%s.running_var" % name] = mod.running_var

    same = to_same(m)
    same.eval()
    with torch.no_grad():
        out["same.logits"] = same(x)
    _, slogits, sgx = train_pass(same, x, r)
    out["same.train.logits"] = slogits
    out["same.grad.input"] = sgx
    d = (out["same.logits"] - out["ref.logits"]).abs().max().item()
    assert d > 1e-4, "SAME padding should change the logits (max diff %g)" % d

    write_safetensors(OUT, out)
    print("wrote %s: %d tensors, %d bytes; eval logits[0] %s" % (
        OUT, len(out), os.path.getsize(OUT), out["ref.logits"][0].tolist()))


def export_full(out, size):
    """efficientnet_v2_s through gen_tresnet.export_ref: stem, every stage, the head conv, the pool
    and the insides of a FusedMBConv and an MBConv block."""
    import torchvision
    from gen_tresnet import export_ref
    torch.manual_seed(0)
    m = torchvision.models.efficientnet_v2_s(weights=None, stochastic_depth_prob=0.0)
    m.classifier[0].p = 0.0  # the train pass must be deterministic
    acts = ["features.%d" % i for i in range(8)] + [
        "avgpool", "features.1.0", "features.2.0.block.0", "features.2.0.block.1", "features.2.0",
        "features.2.1", "features.4.0.block.0", "features.4.0.block.1", "features.4.0.block.2",
        "features.4.0.block.3", "features.4.0", "features.5.1"]
    grads = ["features.0.0.weight", "features.0.1.weight", "features.2.0.block.0.0.weight",
             "features.4.0.block.1.0.weight", "features.4.0.block.2.fc1.weight",
             "features.4.0.block.2.fc2.bias", "features.6.14.block.3.1.weight", "features.7.0.weight",
             "classifier.1.weight", "classifier.1.bias"]
    export_ref(m, "efficientnet_v2_s", out, size, acts, grads,
               ["features.0.1", "features.4.0.block.1.1", "features.7.1"])


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--ref", help="write a full-size efficientnet_v2_s reference to this directory instead of the fixture")
    ap.add_argument("--size", type=int, default=224)
    args = ap.parse_args()
    if args.ref:
        os.makedirs(args.ref, exist_ok=True)
        export_full(args.ref, args.size)
    else:
        main()
