#!/usr/bin/python3
"""Writes the reduced-width references that cmd/multilabel/verify_test.go
runs `multilabel verify` on, in the reference format of docs/architectures.md §7
(see verify.go), into this directory:

  effnetv2_tiny_ref.safetensors / _grad   torchvision's own EfficientNet class with the
      tiny stage table of models/testdata/gen_effnetv2.py (every block kind, SE, a 5x5
      depthwise; widths 8-48, 5 classes), BN and biases perturbed, input randn(1,3,32,48).
      Written with float32 gradients of sum(logits)
      from a train-mode pass with dropout and stochastic depth off, no PyTorch-error
      metadata (so `verify` applies max|Δ|/max|ref| ≤ 1e-3), for the parameters in
      EFFNET_GRADS (one of which has a zero gradient in exact arithmetic).
  resnet_tiny_ref / _grad    torchvision ResNet with Bottleneck, base width 3, layers 1,1,2,1, input 40x40 (odd maps)
  tresnet_tiny_ref / _grad   the TResNet of models/testdata/gen_tresnet.py, P = 3, layers
      1,2,2,1, SE floor 4, input 64x64 (BasicBlock, anti-aliased stride 2, Bottleneck, SE)
      both via gen_tresnet.export_ref, the writer of the full-size references: float64
      gradients and PyTorch's float32 error in the metadata (the relative-L2 rule).

Each records many modules' eval outputs (ref.act.*), inner ones included (conv, BN,
activation, SE parts, downsample, blur), so the Go module walk
(models.RecordActivations) is checked name by name against PyTorch's forward hooks.

Run with Debian's python3 (torch 1.13, torchvision) from the repository root:

    /usr/bin/python3 cmd/multilabel/testdata/gen_verify.py

Output is deterministic (seeded); about 850 KB in all.
"""
import os
import sys
from collections import OrderedDict

import torch
import torch.nn as nn
import torchvision

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', '..', '..', 'models', 'testdata'))

from gen_effnetv2 import build as build_effnet  # noqa: E402
from gen_resnet import SmallResNet  # noqa: E402
from gen_tresnet import TResNet, export_ref, save_safetensors  # noqa: E402

EFFNET_ACTS = (
    ['features', 'features.0.1', 'features.0.2'] +
    ['features.%d' % i for i in range(1, 6)] +
    ['features.1.1.stochastic_depth',
     'features.2.0.block.0', 'features.2.0.block.1', 'features.2.0', 'features.2.1',
     'features.3.0.block.0', 'features.3.0.block.1', 'features.3.0.block.2', 'features.3.0.block.3',
     'features.3.0.block.2.avgpool', 'features.3.0.block.2.fc1', 'features.3.0.block.2.activation',
     'features.3.0.block.2.fc2', 'features.3.0.block.2.scale_activation', 'features.3.0', 'features.3.1',
     'features.4.0.block.0', 'features.4.0.block.1', 'features.4.0.block.2', 'features.4.0',
     'features.5.0', 'features.5.1', 'features.5.2',
     'avgpool', 'classifier', 'classifier.0', 'classifier.1'])
EFFNET_GRADS = ['features.0.0.weight', 'features.0.1.weight', 'features.1.1.block.0.1.bias',
                'features.2.0.block.0.0.weight', 'features.3.0.block.1.0.weight',  # depthwise 3x3
                'features.3.0.block.2.fc1.weight', 'features.3.0.block.2.fc2.bias',
                'features.4.0.block.0.0.weight',  # depthwise 5x5 (MBConv without expansion)
                # The last block's projection BN bias: its gradient is 0 in exact arithmetic (a
                # per-channel shift passes the 1x1 head conv and is removed by the head BN's
                # batch mean), float32 noise on both sides.
                'features.4.0.block.2.1.bias',
                'features.5.0.weight', 'classifier.1.weight', 'classifier.1.bias']
EFFNET_POST = ['features.0.1', 'features.3.0.block.1.1', 'features.5.1']


def export_effnet(out):
    """The reference procedure (docs/architectures.md §7) on the tiny network, all parameters' gradients."""
    model = build_effnet()                    # torch.manual_seed(0), BN and biases perturbed, p = 0
    torch.manual_seed(0)
    x = torch.randn(1, 3, 32, 48)
    mods = dict(model.named_modules())
    acts = OrderedDict()
    hooks = [mods[n].register_forward_hook(lambda m, i, o, n=n: acts.__setitem__(n, o.detach().clone()))
             for n in EFFNET_ACTS]
    sd = OrderedDict((k, v.clone()) for k, v in model.state_dict().items())
    model.eval()
    with torch.no_grad():
        logits = model(x)
    for h in hooks:
        h.remove()
    ref = OrderedDict(sd)
    ref['ref.input'] = x
    ref['ref.logits'] = logits
    for n in EFFNET_ACTS:
        ref['ref.act.' + n] = acts[n]
    meta = OrderedDict(model='torchvision EfficientNet, tiny stage table of models/testdata/gen_effnetv2.py',
                       torch=torch.__version__, torchvision=torchvision.__version__, bn_perturbed='True',
                       bn_eps='1e-3', bn_momentum='0.1', activations=','.join(EFFNET_ACTS))
    n1 = save_safetensors(os.path.join(out, 'effnetv2_tiny_ref.safetensors'), ref, meta)

    model.train()                             # dropout and stochastic depth are 0 in build()
    xg = x.clone().requires_grad_(True)
    tl = model(xg)
    loss = tl.sum()
    loss.backward()
    gt = OrderedDict([('input', x), ('train.logits', tl.detach()), ('train.loss_sum_logits', loss.detach().reshape(1)),
                      ('grad.input', xg.grad)])
    params, mods = dict(model.named_parameters()), dict(model.named_modules())
    for name in EFFNET_GRADS:
        gt['grad.' + name] = params[name].grad
        gt['param.' + name] = sd[name]
    for name in EFFNET_POST:
        for k in ('running_mean', 'running_var', 'num_batches_tracked'):
            gt['post.%s.%s' % (name, k)] = getattr(mods[name], k).detach().clone().reshape(-1)
    meta.pop('activations')
    meta.update(mode='train (BatchNorm batch statistics); dropout and stochastic depth 0', loss='sum(logits)')
    n2 = save_safetensors(os.path.join(out, 'effnetv2_tiny_grad.safetensors'), gt, meta)
    print('effnetv2_tiny: eval logits %s; %d + %d bytes' % ([round(v, 5) for v in logits[0].tolist()], n1, n2))


def export_resnet(out):
    torch.manual_seed(0)
    m = SmallResNet([1, 1, 2, 1], base=3, num_classes=10)
    acts = ['conv1', 'bn1', 'relu', 'maxpool', 'layer1.0.conv1', 'layer1.0.bn1', 'layer1.0.conv2', 'layer1.0.bn2',
            'layer1.0.conv3', 'layer1.0.bn3', 'layer1.0.relu', 'layer1.0.downsample', 'layer1.0.downsample.0',
            'layer1.0.downsample.1', 'layer1', 'layer2.0', 'layer2', 'layer3.1', 'layer3.1.relu', 'layer3', 'layer4',
            'avgpool', 'fc']
    grads = ['conv1.weight', 'bn1.weight', 'layer1.0.downsample.0.weight', 'layer2.0.conv2.weight', 'layer3.0.bn3.bias',
             'layer3.1.conv3.weight', 'layer4.0.conv3.weight', 'fc.weight', 'fc.bias']
    export_ref(m, 'resnet_tiny', out, 40, acts, grads, ['bn1', 'layer2.0.bn2', 'layer4.0.bn3'])


def export_tresnet(out):
    torch.manual_seed(0)
    m = TResNet([1, 2, 2, 1], planes=3, se_min=4, num_classes=10)
    acts = ['body.conv1', 'body.conv1.conv', 'body.layer1.0', 'body.layer1.0.conv1', 'body.layer1.0.conv2',
            'body.layer1.0.se', 'body.layer1.0.se.fc1', 'body.layer1.0.se.fc2', 'body.layer1',
            'body.layer2.0.conv1', 'body.layer2.0.conv1.conv', 'body.layer2.0.conv1.aa', 'body.layer2.0.downsample',
            'body.layer2.0.downsample.0', 'body.layer2.0.downsample.1', 'body.layer2.0', 'body.layer2.1', 'body.layer2',
            'body.layer3.0.conv1', 'body.layer3.0.conv2', 'body.layer3.0.conv2.aa', 'body.layer3.0.se',
            'body.layer3.0.conv3', 'body.layer3.0.downsample', 'body.layer3.0', 'body.layer3', 'body.layer4', 'body',
            'head.fc']
    grads = ['body.conv1.conv.weight', 'body.conv1.bn.weight', 'body.layer1.0.se.fc1.weight',
             'body.layer2.0.conv1.conv.weight', 'body.layer2.0.downsample.1.conv.weight', 'body.layer3.0.se.fc2.bias',
             'body.layer3.0.conv3.bn.bias', 'body.layer4.0.conv3.conv.weight', 'head.fc.weight', 'head.fc.bias']
    export_ref(m, 'tresnet_tiny', out, 64, acts, grads, ['body.conv1.bn', 'body.layer3.0.conv2.bn'])


if __name__ == '__main__':
    export_effnet(HERE)
    export_resnet(HERE)
    export_tresnet(HERE)
