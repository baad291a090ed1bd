#!/usr/bin/python3
"""Writes the PyTorch fixtures of autograd/conv_test.go, pool_test.go and
pad_test.go: conv.json, pool.json, pad.json in this directory.

Run from anywhere with Debian's python3 and torch 1.13:

    /usr/bin/python3 autograd/testdata/gen_conv.py

Inputs are small multiples of 1/8 or 1/32 (exact in float32, short in JSON);
max-pool inputs are a permutation of distinct values so arg-max has no ties.
Each op's backward is seeded with a given output gradient "<case>_gout" and
the fixture stores the resulting input/parameter gradients.
"""
import json
import os

import torch
import torch.nn.functional as F

torch.manual_seed(477)
HERE = os.path.dirname(os.path.abspath(__file__))


def grid(*shape, scale=32):
    """Values in [-1, 1) on a 1/scale grid."""
    return torch.randint(-scale, scale, shape).float() / scale


def distinct(*shape):
    n = 1
    for d in shape:
        n *= d
    return ((torch.randperm(n).float() - n // 2) / 8).reshape(shape)


def put(out, name, t):
    t = t.detach().contiguous()
    out[name] = {"shape": list(t.shape), "data": [float("%.7g" % v) for v in t.flatten().tolist()]}


def run(out, name, fn, inputs, keys):
    """Forward fn(*inputs), backward with a random grid gradient, store all."""
    leaves = [t.clone().requires_grad_(True) for t in inputs]
    y = fn(*leaves)
    g = grid(*y.shape, scale=8)
    y.backward(g)
    for k, t in zip(keys, leaves):
        put(out, f"{name}_{k}", t)
        put(out, f"{name}_g{k}", t.grad)
    put(out, f"{name}_out", y)
    put(out, f"{name}_gout", g)


def write(fname, tensors):
    with open(os.path.join(HERE, fname), "w") as f:
        json.dump({"tensors": tensors}, f, separators=(",", ":"))
        f.write("\n")


def same_pad(x, k, s, d=1):
    """timm's pad_same: TF SAME padding, the odd pixel bottom/right."""
    ih, iw = x.shape[-2:]

    def p(i):
        return max((-(-i // s) - 1) * s + (k - 1) * d + 1 - i, 0)

    ph, pw = p(ih), p(iw)
    return F.pad(x, [pw // 2, pw - pw // 2, ph // 2, ph - ph // 2])


conv = {}
run(conv, "grouped", lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1, groups=2),
    [grid(2, 4, 5, 5), grid(6, 2, 3, 3), grid(6)], "xwb")
run(conv, "depthwise", lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=2, groups=3),
    [grid(1, 3, 7, 7), grid(3, 1, 5, 5), grid(3)], "xwb")
run(conv, "depthwise_dil", lambda x, w: F.conv2d(x, w, None, padding=2, dilation=2, groups=4),
    [grid(1, 4, 5, 5), grid(4, 1, 3, 3)], "xw")
run(conv, "same", lambda x, w, b: F.conv2d(same_pad(x, 3, 2), w, b, stride=2),
    [grid(1, 2, 8, 7), grid(3, 2, 3, 3), grid(3)], "xwb")
# SpaceToDepth as TResNet's SpaceToDepthModule (block 2); no parameters.
s2d_x = grid(1, 2, 4, 6)
put(conv, "s2d_x", s2d_x)
n, c, h, w = s2d_x.shape
put(conv, "s2d_out", s2d_x.view(n, c, h // 2, 2, w // 2, 2).permute(0, 3, 5, 1, 2, 4).reshape(n, c * 4, h // 2, w // 2))
write("conv.json", conv)

pool = {}
xa, xb = distinct(1, 2, 6, 6), distinct(1, 2, 5, 5)
run(pool, "max_ceil", lambda x: F.max_pool2d(x, 3, 2, padding=1, ceil_mode=True), [xa], "x")
run(pool, "max_ceil_drop", lambda x: F.max_pool2d(x, 3, 3, padding=1, ceil_mode=True), [xb], "x")
run(pool, "avg_ceil_incl", lambda x: F.avg_pool2d(x, 3, 2, padding=1, ceil_mode=True, count_include_pad=True), [xa], "x")
run(pool, "avg_ceil_excl", lambda x: F.avg_pool2d(x, 3, 2, padding=1, ceil_mode=True, count_include_pad=False), [xa], "x")
run(pool, "avg_ceil_drop_incl", lambda x: F.avg_pool2d(x, 3, 3, padding=1, ceil_mode=True, count_include_pad=True), [xb], "x")
run(pool, "avg_rect", lambda x: F.avg_pool2d(x, (2, 3), (2, 1), padding=(1, 1), count_include_pad=False), [xb], "x")
xc = distinct(1, 2, 7, 5)
run(pool, "adaptive_avg", lambda x: F.adaptive_avg_pool2d(x, (3, 2)), [xc], "x")
run(pool, "adaptive_max", lambda x: F.adaptive_max_pool2d(x, (3, 4)), [xc], "x")
write("pool.json", pool)

pad = {}
run(pad, "reflect", lambda x: torch.nn.ReflectionPad2d((2, 1, 1, 3))(x), [grid(1, 2, 4, 5)], "x")
run(pad, "constant", lambda x: F.pad(x, (1, -1, 2, 0), value=0.5), [grid(1, 2, 3, 4)], "x")
write("pad.json", pad)
