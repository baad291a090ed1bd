#!/usr/bin/python3
"""Writes resnet_tiny.json, the PyTorch parity fixture of
models/resnet_test.go, in this directory.

The reference is torchvision 0.14's own ResNet class and Bottleneck block:
SmallResNet below only replaces the constructor's hard-coded widths (64,
128, 256, 512) by base·(1, 2, 4, 8), then builds the layers with
torchvision's _make_layer and runs torchvision's forward. As a check, with
base 64 and layers 3,4,6,3 it has exactly the state dict (names and shapes)
of torchvision.models.resnet50() (asserted below).

Run with Debian's python3, torch 1.13 and torchvision:

    /usr/bin/python3 models/testdata/gen_resnet.py

Values, fields and encoding are those of gen_tresnet.py (imported).

With --ref OUT it writes full-size references of torchvision's resnet50 /
resnet101 (weights=None after manual_seed(0), BN perturbed) in the reference
format of docs/architectures.md §7 instead; see gen_tresnet.py --help:

    /usr/bin/python3 models/testdata/gen_resnet.py --ref /tmp/ref [--models resnet50,resnet101] [--size 224]
"""
import argparse
import os

import torch
import torch.nn as nn
import torchvision
from torchvision.models.resnet import Bottleneck, ResNet

from gen_tresnet import export_ref, fixture


class SmallResNet(ResNet):
    def __init__(self, layers, base=64, num_classes=1000):
        nn.Module.__init__(self)
        # What ResNet.__init__ sets, with the stem width base instead of 64.
        self._norm_layer = nn.BatchNorm2d
        self.inplanes = base
        self.dilation = 1
        self.groups = 1
        self.base_width = 64
        self.conv1 = nn.Conv2d(3, base, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(base)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(Bottleneck, base, layers[0])
        self.layer2 = self._make_layer(Bottleneck, base * 2, layers[1], stride=2)
        self.layer3 = self._make_layer(Bottleneck, base * 4, layers[2], stride=2)
        self.layer4 = self._make_layer(Bottleneck, base * 8, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(base * 8 * Bottleneck.expansion, num_classes)

    def forward_features(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))


def check_full_size():
    ref = torchvision.models.resnet50()
    ours = SmallResNet([3, 4, 6, 3])
    a, b = ref.state_dict(), ours.state_dict()
    assert list(a) == list(b) and all(a[k].shape == b[k].shape for k in a)
    n = sum(p.numel() for p in ref.parameters())
    assert n == 25557032, n
    n101 = sum(p.numel() for p in torchvision.models.resnet101().parameters())
    assert n101 == 44549160, n101
    print('SmallResNet(64, [3,4,6,3]) has resnet50\'s state dict; resnet50 %d, resnet101 %d params' % (n, n101))


def export_resnet(name, out, size):
    torch.manual_seed(0)
    m = getattr(torchvision.models, name)(weights=None)
    acts = ['maxpool', 'layer1', 'layer2', 'layer3', 'layer4', 'layer1.0', 'layer2.0', 'layer2.0.conv2', 'avgpool']
    grads = ['conv1.weight', 'bn1.weight', 'layer1.0.downsample.0.weight', 'layer2.0.conv2.weight',
             'layer3.0.bn3.bias', 'layer4.2.conv3.weight', 'fc.weight', 'fc.bias']
    export_ref(m, name, out, size, acts, grads, ['bn1', 'layer2.0.bn2', 'layer4.2.bn3'])


if __name__ == '__main__':
    ap = argparse.ArgumentParser()
    ap.add_argument('--ref', help='write full-size references to this directory instead of the fixture')
    ap.add_argument('--models', default='resnet50,resnet101')
    ap.add_argument('--size', type=int, default=224)
    args = ap.parse_args()
    if args.ref:
        os.makedirs(args.ref, exist_ok=True)
        for name in args.models.split(','):
            export_resnet(name, args.ref, args.size)
        raise SystemExit
    torch.manual_seed(0)
    check_full_size()
    # base 3, layers 1,1,2,1 (layer3's second block has the identity
    # shortcut), 10 classes; input 2x3x40x40 gives odd maps (5x5, 3x3, 2x2).
    fixture(SmallResNet([1, 1, 2, 1], base=3, num_classes=10), 'resnet_tiny.json', n=2, hw=40)
