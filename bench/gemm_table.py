#!/usr/bin/python3
"""Merge `go run ./bench/gemm -json` and `bench/openblas_gemm.py` output into one table.

Usage:

    go run ./bench/gemm -json > /tmp/go.jsonl
    /usr/bin/python3 bench/openblas_gemm.py > /tmp/ob.jsonl
    /usr/bin/python3 bench/gemm_table.py /tmp/go.jsonl /tmp/ob.jsonl
    /usr/bin/python3 bench/gemm_table.py --field gflops_cpu /tmp/go.jsonl /tmp/ob.jsonl

Prints a Markdown table, one row per (threads, shape): multilabel GFLOPS and
its fraction of the measured FMA peak, OpenBLAS GFLOPS and multilabel's ratio
to it, gonum GFLOPS and multilabel's ratio to it. Any file may hold several
runs of the same point (say, alternating rounds): each cell is then the median
over those runs, and the ratio is the median of the per-round ratios when the
files have the same number of rounds, so load that came and went between rounds
cancels as far as it can. Fields missing from the input print as "-".
--field gflops_cpu tabulates FLOP per process CPU-second instead of per
wall-clock second (what the split costs in work on a machine too busy for
two threads to get two cores).
"""
import json
import statistics
import sys


def load(paths, field):
    pts = {}  # (impl, threads, m, k, n) -> [gflops, ...] in file order
    for path in paths:
        with open(path) as f:
            for line in f:
                line = line.strip()
                if not line.startswith("{"):
                    continue
                r = json.loads(line)
                key = (r["impl"], r["threads"], r["m"], r["k"], r["n"])
                v = r.get(field) if r["impl"] != "peak" else r["gflops"]
                if v is not None:
                    pts.setdefault(key, []).append(v)
    return pts


def main():
    args, field = sys.argv[1:], "gflops"
    if args[:1] == ["--field"]:
        field, args = args[1], args[2:]
    if not args:
        sys.exit(__doc__)
    pts = load(args, field)
    med = lambda xs: statistics.median(xs) if xs else None
    # Rows by thread count, then in the order the Go benchmark ran the shapes.
    keys = sorted((key[1:] for key in pts if key[0] == "multilabel"), key=lambda x: x[0])
    print("| threads | m x k x n | multilabel | % peak | OpenBLAS | vs OpenBLAS | gonum | vs gonum |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|")
    for t, m, k, n in keys:
        ours = pts.get(("multilabel", t, m, k, n), [])
        ob = pts.get(("openblas", t, m, k, n), [])
        gn = pts.get(("gonum", t, m, k, n), [])
        peak = med(pts.get(("peak", t, 0, 0, 0), []))

        def ratio(other):
            if not ours or not other:
                return "-"
            if len(ours) == len(other):
                return "%.2fx" % statistics.median(a / b for a, b in zip(ours, other))
            return "%.2fx" % (med(ours) / med(other))

        cell = lambda xs: "%.1f" % med(xs) if xs else "-"
        pk = "%.0f" % (100 * med(ours) / peak) if ours and peak else "-"
        print(f"| {t} | {m}x{k}x{n} | {cell(ours)} | {pk} | {cell(ob)} | {ratio(ob)} | {cell(gn)} | {ratio(gn)} |")


if __name__ == "__main__":
    main()
