#!/usr/bin/python3
"""PyTorch reference timing for depthwise convolution (bench for ops/depthwise*.go).

Runs F.conv2d with groups == channels on one shape (default: batch 8, 256
channels, 28x28, 3x3, stride 1, padding 1, the target of issue 3), in NCHW
and channels-last memory formats, on 1 and 2 threads, and prints one JSON
object per line:

    {"impl": "pytorch", "layout": "channels_last", "threads": 1, "pass": "fwd",
     "n": 8, "c": 256, "h": 28, "w": 28, "k": 3, "stride": 1, "ms": 0.61, "ms_best": 0.58}

"fwd" is the forward alone (under no_grad); "fwdbwd" is forward plus the
backward for the input and the weight (bias included, as in the Go
benchmark). A point is the median of 7 runs, each the mean over enough
repetitions to last ~50 ms. Usage (Debian's system python, torch 1.13):

    /usr/bin/python3 bench/depthwise.py [--n 8 --c 256 --h 28 --w 28 --k 3 --stride 1]
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn.functional as F


def timeit(fn, target=0.05):
    fn()
    reps = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(reps):
            fn()
        dt = time.perf_counter() - t0
        if dt > target / 4:
            break
        reps *= 2
    reps = max(1, int(reps * target / dt))
    runs = []
    for _ in range(7):
        t0 = time.perf_counter()
        for _ in range(reps):
            fn()
        runs.append((time.perf_counter() - t0) / reps * 1e3)
    return statistics.median(runs), min(runs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=8)
    ap.add_argument("--c", type=int, default=256)
    ap.add_argument("--h", type=int, default=28)
    ap.add_argument("--w", type=int, default=28)
    ap.add_argument("--k", type=int, default=3)
    ap.add_argument("--stride", type=int, default=1)
    ap.add_argument("--threads", default="1,2")
    a = ap.parse_args()
    pad = a.k // 2
    torch.manual_seed(0)
    for threads in [int(t) for t in a.threads.split(",")]:
        torch.set_num_threads(threads)
        for layout in ["channels_last", "nchw"]:
            fmt = torch.channels_last if layout == "channels_last" else torch.contiguous_format
            x = torch.randn(a.n, a.c, a.h, a.w).to(memory_format=fmt)
            w = torch.randn(a.c, 1, a.k, a.k).to(memory_format=fmt)
            b = torch.randn(a.c)
            with torch.no_grad():
                out = F.conv2d(x, w, b, stride=a.stride, padding=pad, groups=a.c)
            gout = torch.randn_like(out).contiguous(memory_format=fmt)
            xg = x.clone().requires_grad_(True)
            wg = w.clone().requires_grad_(True)
            bg = b.clone().requires_grad_(True)

            def fwd():
                with torch.no_grad():
                    F.conv2d(x, w, b, stride=a.stride, padding=pad, groups=a.c)

            def fwdbwd():
                xg.grad = wg.grad = bg.grad = None
                y = F.conv2d(xg, wg, bg, stride=a.stride, padding=pad, groups=a.c)
                y.backward(gout)

            for name, fn in [("fwd", fwd), ("fwdbwd", fwdbwd)]:
                med, best = timeit(fn)
                print(json.dumps({"impl": "pytorch", "layout": layout, "threads": threads, "pass": name,
                                  "n": a.n, "c": a.c, "h": a.h, "w": a.w, "k": a.k, "stride": a.stride,
                                  "ms": round(med, 3), "ms_best": round(best, 3)}), flush=True)


if __name__ == "__main__":
    main()
