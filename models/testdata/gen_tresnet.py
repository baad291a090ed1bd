#!/usr/bin/python3
"""Writes the PyTorch parity fixtures of models/tresnet_parity_test.go:
tresnet_tiny.json (TResNet, Basic/Basic/Bottleneck/Bottleneck) and
tresnet_v2_tiny.json (all Bottleneck, the ML-Decoder repo's body), in this
directory.

timm is not installed here, so the reference is built below from
docs/architectures.md §3 (the structure of timm's tresnet.py, with timm's module
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

With --ref OUT it instead writes full-size references (not committed; about
100-230 MB each) in the reference format of docs/architectures.md §7, for
`multilabel verify` and models/tresnet_reference_test.go:

    /usr/bin/python3 models/testdata/gen_tresnet.py --ref /tmp/ref [--models tresnet_m,tresnet_l] [--size 224]

OUT/<model>_ref.safetensors: the state dict (timm names; num_batches_tracked
as I64) after timm's init with every BN perturbed
(γ~U(0.5,1.5), β~U(-0.1,0.1), mean~U(-0.1,0.1), var~U(0.5,1.5)),
ref.input [1,3,S,S] (torch.rand after manual_seed(0): pixels in [0,1]),
ref.logits and ref.act.<module> (eval mode). OUT/<model>_grad.safetensors: a
train-mode pass on the same input: train.logits, train.loss_sum_logits,
grad.input = d(sum logits)/dx, grad.<p> and param.<p> for a few parameters
(gradients computed in float64; PyTorch's own float32 error is in the
metadata as torch_f32_relerr.<name>), and post.<bn>.running_mean/var after
the momentum update.
"""
import argparse
import copy
import struct
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


def timm_init(model):
    """timm's TResNet init: kaiming_normal_ fan_out convs, Linear N(0, 0.01),
    BN 1/0 except γ = 0 for the last BN of every residual branch."""
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='leaky_relu')
        if isinstance(m, nn.Linear):
            m.weight.data.normal_(0, 0.01)
    for m in model.modules():
        if isinstance(m, BasicBlock):
            nn.init.zeros_(m.conv2.bn.weight)
        if isinstance(m, Bottleneck):
            nn.init.zeros_(m.conv3.bn.weight)


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


# ------------------------------------------------------ full-size references

_DT = {torch.float32: ('F32', '<f4'), torch.int64: ('I64', '<i8')}


def save_safetensors(path, tensors, metadata=None):
    """u64 LE header length, JSON header padded with spaces to a multiple of
    8, then the raw little-endian data in order."""
    header, blobs, off = OrderedDict(), [], 0
    if metadata:
        header['__metadata__'] = {str(k): str(v) for k, v in metadata.items()}
    for name, t in tensors.items():
        t = t.detach().cpu().contiguous()
        code, npdt = _DT[t.dtype]
        b = t.numpy().astype(npdt, copy=False).tobytes(order='C')
        header[name] = {'dtype': code, 'shape': list(t.shape), 'data_offsets': [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    hb = json.dumps(header, separators=(',', ':')).encode('utf-8')
    hb += b' ' * ((8 - len(hb) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(hb)))
        f.write(hb)
        for b in blobs:
            f.write(b)
    return os.path.getsize(path)


def perturb_bn(model, seed=0):
    """Deterministic, so that an eval-mode BN is far from the identity."""
    g = torch.Generator().manual_seed(seed + 12345)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            c = m.num_features
            with torch.no_grad():
                m.weight.copy_(torch.rand(c, generator=g) + 0.5)
                m.bias.copy_((torch.rand(c, generator=g) - 0.5) * 0.2)
                m.running_mean.copy_((torch.rand(c, generator=g) - 0.5) * 0.2)
                m.running_var.copy_(torch.rand(c, generator=g) + 0.5)


def export_ref(model, name, out, size, act_modules, grad_params, post_bns):
    """Writes OUT/<name>_ref.safetensors and OUT/<name>_grad.safetensors."""
    perturb_bn(model)
    torch.manual_seed(0)
    x = torch.rand(1, 3, size, size)
    mods = dict(model.named_modules())
    acts = OrderedDict()
    hooks = [mods[m].register_forward_hook(lambda mod, i, o, m=m: acts.__setitem__(m, o.detach().clone()))
             for m in act_modules]
    sd = OrderedDict((k, v.clone()) for k, v in model.state_dict().items())
    model.eval()
    with torch.no_grad():
        logits = model(x)
    for h in hooks:
        h.remove()
    ref = OrderedDict(sd)
    ref['ref.input'] = x
    ref['ref.logits'] = logits
    for m, a in acts.items():
        ref['ref.act.' + m] = a
    meta = dict(model=name, size=size, perturb_bn=1, torch=torch.__version__)
    n1 = save_safetensors(os.path.join(out, name + '_ref.safetensors'), ref, meta)

    # Train mode in float32 (what the Go code computes) and in float64. At
    # full size these gradients are chaotic under rounding: a pre-activation
    # near a ReLU kink or a near-tie in a max-pool flips with the last bit,
    # so PyTorch's own float32 result is 1-5% (max|Δ|/max|ref|) away from
    # float64 on ResNet-50 (and as far from itself with the input moved by
    # one ulp). The file stores the float64 gradients (as F32) under grad.*
    # and PyTorch's float32 errors in the metadata (torch_f32_relerr.<name>:
    # max|Δ|/max|ref|; torch_f32_rell2.<name>: ‖Δ‖/‖ref‖): a float32
    # implementation is judged against those, not against 1e-3.
    model64 = copy.deepcopy(model).double()
    model.train()
    model64.train()
    xg = x.clone().requires_grad_(True)
    tl = model(xg)
    loss = tl.sum()
    loss.backward()
    xg64 = x.double().requires_grad_(True)
    model64(xg64).sum().backward()
    params, params64 = dict(model.named_parameters()), dict(model64.named_parameters())

    def relerr(a, b):
        return ((a.double() - b).abs().max() / b.abs().max()).item()

    def rell2(a, b):
        return ((a.double() - b).norm() / b.norm()).item()

    grad = OrderedDict([('train.logits', tl.detach()), ('train.loss_sum_logits', loss.detach().reshape(1)),
                        ('grad.input', xg64.grad.float())])
    meta['torch_f32_relerr.grad.input'] = '%.3g' % relerr(xg.grad, xg64.grad)
    meta['torch_f32_rell2.grad.input'] = '%.3g' % rell2(xg.grad, xg64.grad)
    for p in grad_params:
        grad['grad.' + p] = params64[p].grad.float()
        grad['param.' + p] = sd[p]
        meta['torch_f32_relerr.grad.' + p] = '%.3g' % relerr(params[p].grad, params64[p].grad)
        meta['torch_f32_rell2.grad.' + p] = '%.3g' % rell2(params[p].grad, params64[p].grad)
    mods = dict(model.named_modules())
    for b in post_bns:
        for k in ('running_mean', 'running_var', 'num_batches_tracked'):
            grad['post.%s.%s' % (b, k)] = getattr(mods[b], k).detach().clone().reshape(-1)
    n2 = save_safetensors(os.path.join(out, name + '_grad.safetensors'), grad, meta)
    print('%s: eval logits[0,:4] %s, train sum %.6g; %d + %d bytes' % (
        name, logits[0, :4].tolist(), loss.item(), n1, n2))
    print('  PyTorch float32 vs float64 gradient error:',
          ', '.join('%s %s' % (k.split('.', 1)[1], v) for k, v in meta.items() if k.startswith('torch_f32_relerr')))


TRESNET_FULL = {
    'tresnet_m': dict(layers=[3, 4, 11, 3]),
    'tresnet_l': dict(layers=[4, 5, 18, 3], width=1.2),
    'tresnet_xl': dict(layers=[4, 5, 24, 3], width=1.3),
    'tresnet_v2_l': dict(layers=[3, 4, 23, 3], v2=True),
}


def export_tresnet(name, out, size):
    torch.manual_seed(0)
    m = TResNet(**TRESNET_FULL[name])
    timm_init(m)
    acts = ['body.conv1', 'body.layer1', 'body.layer2', 'body.layer3', 'body.layer4',
            'body.layer2.0.conv1', 'body.layer2.0', 'body.layer3.0.se', 'body.layer3.0', 'body.layer4.0']
    grads = ['body.conv1.conv.weight', 'body.conv1.bn.weight', 'body.layer2.0.conv1.conv.weight',
             'body.layer2.0.downsample.1.conv.weight', 'body.layer3.0.se.fc1.weight', 'body.layer3.0.se.fc2.bias',
             'body.layer4.0.conv3.bn.bias', 'head.fc.weight', 'head.fc.bias']
    export_ref(m, name, out, size, acts, grads, ['body.conv1.bn', 'body.layer3.0.conv2.bn', 'body.layer4.2.conv3.bn'])


# ------------------------------------------------------------------ checks

def check_full_size():
    """The reference reproduces timm's measured counts (docs/architectures.md §1)."""
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
    ap = argparse.ArgumentParser()
    ap.add_argument('--ref', help='write full-size references to this directory instead of the fixtures')
    ap.add_argument('--models', default='tresnet_m,tresnet_l,tresnet_v2_l')
    ap.add_argument('--size', type=int, default=224)
    args = ap.parse_args()
    if args.ref:
        os.makedirs(args.ref, exist_ok=True)
        for name in args.models.split(','):
            export_tresnet(name, args.ref, args.size)
        raise SystemExit
    torch.manual_seed(0)
    check_full_size()
    # Reduced models: P = 4 (v2: 3, an odd width), SE floor 4, 10 classes, input 4x3x32x32.
    # tiny: layer2 and layer3 have a stride-2 first block and a stride-1 second.
    fixture(TResNet([1, 2, 2, 1], planes=4, se_min=4, num_classes=10), 'tresnet_tiny.json')
    # v2: layer1 is a Bottleneck with the stride-1 1x1 shortcut (downsample.0).
    fixture(TResNet([1, 1, 1, 1], planes=3, v2=True, se_min=4, num_classes=10), 'tresnet_v2_tiny.json')
