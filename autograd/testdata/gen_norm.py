#!/usr/bin/python3
"""Writes the PyTorch reference fixtures for autograd's normalisation ops.

Run from the repository root with Debian's python3 and torch 1.13:

    /usr/bin/python3 autograd/testdata/gen_norm.py

Each fixture is JSON {"tensors": {name: {"shape": [...], "data": [...]}}}
(see autograd/helpers_test.go). Inputs are drawn with a fixed seed and kept
small so the files stay a few KB. Gradients are those of L = sum(y * gy)
for the stored upstream gradient gy.
"""
import json
import os

import torch
import torch.nn.functional as F

torch.manual_seed(0)
HERE = os.path.dirname(os.path.abspath(__file__))


def put(d, name, t):
    t = t.detach().to(torch.float32).contiguous()
    d[name] = {"shape": list(t.shape), "data": [float(f"{float(v):.9g}") for v in t.flatten()]}


def save(name, d):
    with open(os.path.join(HERE, name + ".json"), "w") as f:
        json.dump({"tensors": d}, f, separators=(",", ":"))


def batchnorm():
    d = {}
    N, C, H, W = 3, 4, 2, 3
    # Offset and scaled input so mean and variance differ per channel.
    x = (torch.randn(N, C, H, W) * torch.tensor([0.5, 1.0, 2.0, 3.0]).view(1, C, 1, 1)
         + torch.tensor([1.0, -2.0, 0.0, 0.5]).view(1, C, 1, 1)).requires_grad_()
    bn = torch.nn.BatchNorm2d(C, eps=1e-5, momentum=0.1)
    with torch.no_grad():
        bn.weight.copy_(torch.randn(C))
        bn.bias.copy_(torch.randn(C))
        bn.running_mean.copy_(torch.randn(C) * 0.1)
        bn.running_var.copy_(torch.rand(C) + 0.5)
    put(d, "x", x)
    put(d, "weight", bn.weight)
    put(d, "bias", bn.bias)
    put(d, "running_mean", bn.running_mean)
    put(d, "running_var", bn.running_var)
    gy = torch.randn(N, C, H, W)
    put(d, "gy", gy)

    bn.train()
    y = bn(x)
    (y * gy).sum().backward()
    put(d, "train_y", y)
    put(d, "train_running_mean", bn.running_mean)
    put(d, "train_running_var", bn.running_var)
    put(d, "train_gx", x.grad)
    put(d, "train_gw", bn.weight.grad)
    put(d, "train_gb", bn.bias.grad)

    # Eval with the updated running statistics.
    x.grad = None
    bn.weight.grad = None
    bn.bias.grad = None
    bn.eval()
    y = bn(x)
    (y * gy).sum().backward()
    put(d, "eval_y", y)
    put(d, "eval_gx", x.grad)
    put(d, "eval_gw", bn.weight.grad)
    put(d, "eval_gb", bn.bias.grad)
    save("batchnorm", d)


def layernorm():
    d = {}
    x = (torch.randn(2, 3, 8) * 2 + 0.5).requires_grad_()
    ln = torch.nn.LayerNorm(8, eps=1e-5)
    with torch.no_grad():
        ln.weight.copy_(torch.randn(8))
        ln.bias.copy_(torch.randn(8))
    gy = torch.randn(2, 3, 8)
    y = ln(x)
    (y * gy).sum().backward()
    for k, v in [("x", x), ("weight", ln.weight), ("bias", ln.bias), ("gy", gy), ("y", y),
                 ("gx", x.grad), ("gw", ln.weight.grad), ("gb", ln.bias.grad)]:
        put(d, k, v)
    save("layernorm", d)


def l2normalize():
    d = {}
    x = torch.randn(3, 5, 2)
    x[1, :, 0] = 1e-4  # a vector whose norm is below eps: the clamp is active
    x.requires_grad_()
    gy = torch.randn(3, 5, 2)
    y = F.normalize(x, p=2.0, dim=1, eps=1e-2)
    (y * gy).sum().backward()
    for k, v in [("x", x), ("gy", gy), ("y", y), ("gx", x.grad)]:
        put(d, k, v)
    save("l2normalize", d)


if __name__ == "__main__":
    batchnorm()
    layernorm()
    l2normalize()
