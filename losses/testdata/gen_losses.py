"""Reference values for the losses, written from docs/method.md §1-§2 in PyTorch.

Run with Debian's python3 (torch 1.13): /usr/bin/python3 losses/testdata/gen_losses.py
Writes losses/testdata/losses.json: inputs, targets, and per configuration
the loss value and its gradient with respect to the inputs (float64).
"""
import json
import os

import torch

torch.manual_seed(0)
B, N = 4, 6
x = (torch.rand(B, N, dtype=torch.float64) * 2 - 1)  # cosines in [-1, 1]
x[0, 0] = 0.999  # near the ends of the range
x[1, 1] = -0.999
y = (torch.rand(B, N) < 0.4).double()
y[2, 3] = -1  # ignored
y[3, 0] = -1
y[0, 0] = 1
y[1, 1] = 0


def filt(t, y):
    m = y >= 0
    return t[m], y[m]


def smooth(y, eps):
    return y * (1 - 2 * eps) + eps if eps > 0 else y


def am_binary(c, y, s, m, k, gpos, gneg, clip=0.05, eps=0.0):
    """torchreid/losses/asl.py AMBinaryLoss, with log-sigmoids."""
    c, y = filt(c, y)
    y = smooth(y, eps)
    logp_pos = torch.nn.functional.logsigmoid(s * (c - m))
    logp_neg = torch.nn.functional.logsigmoid(-s * (c + m))
    a_pos, a_neg = k / s, (1 - k) / s
    if gpos > 0 or gneg > 0:
        p_neg = torch.clamp(torch.exp(logp_neg) + clip, max=1)
        logp_neg = torch.log(p_neg)
        w_pos = p_neg ** gpos
        w_neg = torch.exp(logp_pos) ** gneg
    else:
        w_pos = w_neg = 1
    return -(w_pos * a_pos * y * logp_pos + w_neg * a_neg * (1 - y) * logp_neg).sum()


def asl_miil(x, y, gneg, gpos, clip, eps, detach, scale=1.0, ls=0.0):
    """Alibaba-MIIL AsymmetricLoss (losses.py), sum reduction."""
    x, y = filt(x, y)
    y = smooth(y, ls)
    p = torch.sigmoid(scale * x)
    xs_pos = p
    xs_neg = 1 - p
    if clip > 0:
        xs_neg = (xs_neg + clip).clamp(max=1)
    los = y * torch.log(xs_pos.clamp(min=eps)) + (1 - y) * torch.log(xs_neg.clamp(min=eps))
    if gneg > 0 or gpos > 0:
        def w():
            pt = xs_pos * y + xs_neg * (1 - y)
            return torch.pow(1 - pt, gpos * y + gneg * (1 - y))
        if detach:
            with torch.no_grad():
                ww = w()
        else:
            ww = w()
        los = los * ww
    return -los.sum()


def bce(x, y, mean, ls=0.0):
    x, y = filt(x, y)
    y = smooth(y, ls)
    return torch.nn.functional.binary_cross_entropy_with_logits(x, y, reduction="mean" if mean else "sum")


configs = {
    "bce_sum": lambda x: bce(x, y, False),
    "bce_mean_ls": lambda x: bce(x * 3, y, True, 0.1),
    "asl_default": lambda x: asl_miil(x * 3, y, 4, 0, 0.05, 1e-8, True),
    "asl_focusgrad": lambda x: asl_miil(x * 3, y, 4, 1, 0.05, 1e-8, False),
    "am_s17": lambda x: am_binary(x, y, 17, 0, 0.7, 0, 0),
    "aam_s17_g1_2": lambda x: am_binary(x, y, 17, 0, 0.7, 1, 2),
    "aam_s23_g0_1": lambda x: am_binary(x, y, 23, 0, 0.7, 0, 1),
    "aam_m_k_ls": lambda x: am_binary(x, y, 10, 0.1, 0.8, 1, 1, eps=0.1),
}
out = {"shape": [B, N], "x": x.flatten().tolist(), "y": y.flatten().tolist(), "cases": {}}
for name, f in configs.items():
    xx = x.clone().requires_grad_(True)
    loss = f(xx)
    loss.backward()
    out["cases"][name] = {"loss": loss.item(), "grad": xx.grad.flatten().tolist()}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "losses.json")
with open(path, "w") as fh:
    json.dump(out, fh, indent=1)
print("wrote", path)
