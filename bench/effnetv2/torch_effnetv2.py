#!/usr/bin/python3
"""PyTorch 1.13 / torchvision reference timings for EfficientNetV2, to compare with
BenchmarkEfficientNetV2S / BenchmarkEfficientNetV2T (models/efficientnetv2_bench_test.go).

Same work as the Go benchmarks: random weights (weights=None), random N(0,1) input,
  forward:  model.eval(), torch.no_grad(), batch B at SxS
  train:    model.train(), logits.mean().backward() (no optimizer step, as in Go)
one warm-up call, then the median of --reps calls. Threads: --threads (default 2, as GOMAXPROCS=2).

Usage: /usr/bin/python3 bench/effnetv2/torch_effnetv2.py [--threads 2] [--reps 3]
Prints one line per case: "torch <model> <mode>/<size>/b<batch>  <sec>/call  <img/s> img/s".
"""
import argparse
import resource
import statistics
import time
from functools import partial

import torch
from torch import nn
from torchvision.models import efficientnet_v2_s
from torchvision.models.efficientnet import EfficientNet, FusedMBConvConfig, MBConvConfig


def efficientnetv2_t(num_classes=1000):
    """Our laptop-size variant (models/efficientnetv2_t.go), built with torchvision's class."""
    setting = [
        FusedMBConvConfig(1, 3, 1, 16, 16, 1),
        FusedMBConvConfig(4, 3, 2, 16, 32, 2),
        FusedMBConvConfig(4, 3, 2, 32, 48, 2),
        MBConvConfig(4, 3, 2, 48, 96, 3),
        MBConvConfig(6, 3, 1, 96, 112, 3),
        MBConvConfig(6, 3, 2, 112, 192, 4),
    ]
    return EfficientNet(setting, dropout=0.2, num_classes=num_classes,
                        norm_layer=partial(nn.BatchNorm2d, eps=1e-3), last_channel=640)


def bench(model, size, batch, train, reps):
    x = torch.randn(batch, 3, size, size)

    def call():
        if train:
            model.train()
            model.zero_grad(set_to_none=True)
            model(x).mean().backward()
        else:
            model.eval()
            with torch.no_grad():
                model(x)

    call()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        call()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    cases = [
        ("efficientnetv2_s", efficientnet_v2_s, [(224, 1, False), (224, 8, False), (224, 8, True)]),
        ("efficientnetv2_t", efficientnetv2_t, [(128, 32, False), (128, 32, True)]),
    ]
    for name, ctor, runs in cases:
        model = ctor(num_classes=1000)
        for size, batch, train in runs:
            s = bench(model, size, batch, train, args.reps)
            mode = "train" if train else "forward"
            print("torch %s %s/%d/b%d  %.3f s/call  %.2f img/s" % (name, mode, size, batch, s, batch / s), flush=True)
    print("torch peak RSS %.0f MB, %d threads, torch %s" % (
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, args.threads, torch.__version__))


if __name__ == "__main__":
    main()
