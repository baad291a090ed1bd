#!/usr/bin/python3
"""Writes the PyTorch parity fixtures of models/tresnet_parity_test.go:
tresnet_tiny.json (TResNet, Basic/Basic/Bottleneck/Bottleneck) and
tresnet_v2_tiny.json (all Bottleneck, the ML-Decoder repo's body), in this
directory.

timm is not installed here, so the reference is built below from
ARCHITECTURES.md §3 (the structure of timm's tresnet.py, with timm's module
names). As a check of the reference itself, the full-size tresnet_m,
tresnet_l and tresnet_v2_l built by this script must have the parameter
counts measured from timm (the script asserts them).

Run with Debian's python3 and torch 1.13:

    /usr/bin/python3 models/testdata/gen_tresnet.py

The fixtures hold no weights: every tensor, the input and the backward seed
come from the integer generator below (make_values), which the Go test
reimplements; all values are small multiples of powers of two, so both
sides start from bit-identical float32 data. What they store:

  names/shapes    the state dict (order and shapes), float32 tensors only
  eval_logits     logits in eval mode, with perturbed BN statistics
  eval_features   the stride-32 feature map in eval mode
  train_logits    logits in train mode (batch statistics)
  grad.<name>     d(sum(train_logits * R))/d(tensor) for every parameter
  grad.input      the same for the input
Float arrays are base64 of little-endian float32.
"""
import base64
import json
import math
import os
from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))


# ---------------------------------------------------------------- generator

class Gen:
    """64-bit LCG (Knuth's MMIX constants); each draw is an integer k in
    [-64, 63] taken from the top bits."""

    def __init__(self, seed):
        self.s = seed & (2**64 - 1)

    def k(self):
        self.s = (self.s * 6364136223846793005 + 1442695040888963407) & (2**64 - 1)
        return ((self.s >> 33) % 128) - 64


def make_values(name, shape, g):
    """Deterministic, exactly representable test values for one tensor."""
    n = math.prod(shape)
    ks = [g.k() for _ in range(n)]
    leaf = name.rsplit('.', 1)[-1]
    if leaf == 'running_var' or (leaf == 'weight' and len(shape) == 1):
        vals = [1 + k / 128 for k in ks]                  # BN variance and γ: [0.5, 1.5)
    elif leaf in ('running_mean', 'bias'):
        vals = [k / 256 for k in ks]                      # [-0.25, 0.25)
    else:                                                 # conv / linear weights
        fan_in = math.prod(shape[1:])
        e = math.isqrt(fan_in).bit_length() - 1           # 2^e <= sqrt(fan_in)
        vals = [k / 64 / 2**e for k in ks]
    return torch.tensor(vals, dtype=torch.float32).reshape(shape)


def fill_model(model, seed=1):
    g = Gen(seed)
    with torch.no_grad():
        for name, t in model.state_dict().items():
            if t.dtype != torch.float32:
                continue                                   # num_batches_tracked
            t.copy_(make_values(name, list(t.shape), g))


def b64(t):
    return base64.b64encode(t.detach().contiguous().to(torch.float32).numpy().astype('<f4').tobytes()).decode()


# ---------------------------------------------------------- the reference

class BlurPool2d(nn.Module):
    """[1,2,1]x[1,2,1]/16 per channel, reflect pad 1, stride 2; the filter
    is a non-persistent buffer (not in the state dict)."""

    def __init__(self, channels):
        super().__init__()
        self.channels = channels
        f = torch.tensor([1., 2., 1.])
        f = (f[:, None] * f[None, :]) / 16
        self.register_buffer('filt', f[None, None].repeat(channels, 1, 1, 1), persistent=False)

    def forward(self, x):
        x = F.pad(x, (1, 1, 1, 1), mode='reflect')
        return F.conv2d(x, self.filt, stride=2, groups=self.channels)


class ConvNormAct(nn.Module):
    """conv (stride 1, pad k//2, no bias) -> BN -> LeakyReLU(slope) (or
    nothing) -> blur (when aa)."""

    def __init__(self, cin, cout, k, slope=None, aa=False):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, stride=1, padding=k // 2, bias=False)
        self.bn = nn.BatchNorm2d(cout, eps=1e-5, momentum=0.1)
        self.slope = slope
        self.aa = BlurPool2d(cout) if aa else None

    def forward(self, x):
        x = self.bn(self.conv(x))
        if self.slope is not None:
            x = F.leaky_relu(x, self.slope)
        if self.aa is not None:
            x = self.aa(x)
        return x


class SEModule(nn.Module):
    def __init__(self, c, rd):
        super().__init__()
        self.fc1 = nn.Conv2d(c, rd, 1, bias=True)
        self.fc2 = nn.Conv2d(rd, c, 1, bias=True)

    def forward(self, x):
        s = x.mean((2, 3), keepdim=True)
        return x * torch.sigmoid(self.fc2(F.relu(self.fc1(s))))


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, cin, planes, stride, downsample, use_se, se_min):
        super().__init__()
        self.downsample = downsample
        self.conv1 = ConvNormAct(cin, planes, 3, slope=1e-3, aa=stride == 2)
        self.conv2 = ConvNormAct(planes, planes, 3)
        self.se = SEModule(planes, max(planes // 4, se_min)) if use_se else None

    def forward(self, x):
        sc = self.downsample(x) if self.downsample is not None else x
        out = self.conv2(self.conv1(x))
        if self.se is not None:
            out = self.se(out)
        return F.relu(out + sc)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, cin, planes, stride, downsample, use_se, se_min):
        super().__init__()
        self.downsample = downsample
        self.conv1 = ConvNormAct(cin, planes, 1, slope=1e-3)
        self.conv2 = ConvNormAct(planes, planes, 3, slope=1e-3, aa=stride == 2)
        self.se = SEModule(planes, max(planes * 4 // 8, se_min)) if use_se else None
        self.conv3 = ConvNormAct(planes, planes * 4, 1)

    def forward(self, x):
        sc = self.downsample(x) if self.downsample is not None else x
        out = self.conv2(self.conv1(x))
        if self.se is not None:
            out = self.se(out)
        out = self.conv3(out)
        return F.relu(out + sc)


class SpaceToDepth(nn.Module):
    def forward(self, x):
        N, C, H, W = x.shape
        x = x.view(N, C, H // 4, 4, W // 4, 4).permute(0, 3, 5, 1, 2, 4)
        return x.reshape(N, C * 16, H // 4, W // 4)


class TResNet(nn.Module):
    def __init__(self, layers, width=1.0, v2=False, se_min=64, num_classes=1000, planes=None):
        super().__init__()
        p = int(64 * width)
        if v2:
            p = p // 8 * 8
        if planes:
            p = planes  # reduced test models only
        self.inplanes = p
        conv1 = ConvNormAct(48, p, 3, slope=1e-2)
        blocks = [Bottleneck if v2 else BasicBlock, Bottleneck if v2 else BasicBlock, Bottleneck, Bottleneck]
        body = [('s2d', SpaceToDepth()), ('conv1', conv1)]
        for i in range(4):
            body.append(('layer%d' % (i + 1),
                         self._make_layer(blocks[i], p << i, layers[i], 1 if i == 0 else 2, i < 3, se_min)))
        self.body = nn.Sequential(OrderedDict(body))
        self.num_features = self.inplanes
        self.head = nn.Module()
        self.head.fc = nn.Linear(self.num_features, num_classes) if num_classes else None

    def _make_layer(self, block, planes, n, stride, use_se, se_min):
        ds = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            mods = []
            if stride == 2:
                mods.append(nn.AvgPool2d(2, 2, ceil_mode=True, count_include_pad=False))
            mods.append(ConvNormAct(self.inplanes, planes * block.expansion, 1))
            ds = nn.Sequential(*mods)
        out = []
        for i in range(n):
            out.append(block(self.inplanes, planes, stride if i == 0 else 1, ds if i == 0 else None, use_se, se_min))
            self.inplanes = planes * block.expansion
        return nn.Sequential(*out)

    def forward_features(self, x):
        return self.body(x)

    def forward(self, x):
        f = self.body(x).mean((2, 3))
        return self.head.fc(f) if self.head.fc is not None else f


# ------------------------------------------------------------------ checks

def check_full_size():
    """The reference reproduces timm's measured counts (ARCHITECTURES.md §1)."""
    for name, kw, want, tensors in [
        ('tresnet_m', dict(layers=[3, 4, 11, 3]), 31389032, 434),
        ('tresnet_l', dict(layers=[4, 5, 18, 3], width=1.2), 55989256, 620),
        ('tresnet_v2_l', dict(layers=[3, 4, 23, 3], v2=True), 46174824, 746),
    ]:
        m = TResNet(**kw)
        n = sum(p.numel() for p in m.parameters())
        assert n == want, (name, n, want)
        assert len(m.state_dict()) == tensors, (name, len(m.state_dict()), tensors)
        print('%s: %d params, %d tensors (matches timm)' % (name, n, tensors))


def fixture(model, fname, n=4, hw=32):
    fill_model(model, seed=1)
    g = Gen(2)
    x = torch.tensor([(g.k() + 64) / 128 for _ in range(n * 3 * hw * hw)]).reshape(n, 3, hw, hw)

    model.eval()
    with torch.no_grad():
        feats = model.forward_features(x)
        eval_logits = model(x)

    model.train()
    xg = x.clone().requires_grad_(True)
    logits = model(xg)
    g = Gen(3)
    r = torch.tensor([g.k() / 64 for _ in range(logits.numel())]).reshape(logits.shape)
    (logits * r).sum().backward()

    names, shapes = [], []
    for name, t in model.state_dict().items():
        if t.dtype == torch.float32:
            names.append(name)
            shapes.append(list(t.shape))
    out = OrderedDict(
        names=names, shapes=shapes, input_shape=list(x.shape),
        eval_logits=b64(eval_logits), eval_features=b64(feats), features_shape=list(feats.shape),
        train_logits=b64(logits),
    )
    out['grad.input'] = b64(xg.grad)
    for name, p in model.named_parameters():
        out['grad.' + name] = b64(p.grad)
    with open(os.path.join(HERE, fname), 'w') as f:
        json.dump(out, f)
    print('%s: %d tensors, %d params, %d bytes' % (
        fname, len(names), sum(p.numel() for p in model.parameters()), os.path.getsize(os.path.join(HERE, fname))))


if __name__ == '__main__':
    torch.manual_seed(0)
    check_full_size()
    # Reduced models: P = 4 (v2: 3, an odd width), SE floor 4, 10 classes, input 4x3x32x32.
    # tiny: layer2 and layer3 have a stride-2 first block and a stride-1 second.
    fixture(TResNet([1, 2, 2, 1], planes=4, se_min=4, num_classes=10), 'tresnet_tiny.json')
    # v2: layer1 is a Bottleneck with the stride-1 1x1 shortcut (downsample.0).
    fixture(TResNet([1, 1, 1, 1], planes=3, v2=True, se_min=4, num_classes=10), 'tresnet_v2_tiny.json')
