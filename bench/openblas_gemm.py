#!/usr/bin/python3
"""OpenBLAS SGEMM on the shapes of `go run ./bench/gemm`, for a side-by-side table.

Usage (Debian's system python; python3-numpy links OpenBLAS):

    /usr/bin/python3 bench/openblas_gemm.py          # one JSON object per line
    /usr/bin/python3 bench/openblas_gemm.py --table
    /usr/bin/python3 bench/openblas_gemm.py --threads 1 --shapes 256x256x256,196x2304x256

Every product is C[m,n] = A[m,k] @ B[k,n], float32, C-contiguous (row-major,
no transposes), into a preallocated C (numpy.matmul(out=...)), exactly the
product the Go benchmark times. Each point is the median GFLOPS of several
timed runs, each repeating the product until it lasts about 50 ms, after one
warm-up call; gflops_cpu divides by the process CPU time instead (all threads:
OpenBLAS threads that spin while waiting count), as bench/gemm does. OpenBLAS reads OPENBLAS_NUM_THREADS when it loads, so each
thread count runs in a child process with the variable set.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

SQUARES = [64, 128, 256, 512, 1024, 2048]
CONV = [(12544, 144, 24), (3136, 576, 64), (784, 1152, 128), (196, 2304, 256),
        (50176, 27, 24), (3136, 64, 256), (784, 256, 1024)]  # (m, k, n)


def parse_shapes(arg):
    """"m x k x n" shapes, comma-separated, as `go run ./bench/gemm -shapes` takes them."""
    if not arg:
        return [(s, s, s) for s in SQUARES] + CONV
    return [tuple(int(x) for x in s.split("x")) for s in arg.split(",")]


def child(threads, runs, shapes):
    import numpy as np
    rng = np.random.default_rng(0)
    for m, k, n in shapes:
        a = rng.standard_normal((m, k), dtype=np.float32)
        b = rng.standard_normal((k, n), dtype=np.float32)
        c = np.empty((m, n), dtype=np.float32)
        np.matmul(a, b, out=c)
        t0 = time.perf_counter()
        np.matmul(a, b, out=c)
        reps = max(1, int(0.05 / max(time.perf_counter() - t0, 1e-6)))
        times = []
        cpu0 = time.process_time()
        for _ in range(runs):
            t = time.perf_counter()
            for _ in range(reps):
                np.matmul(a, b, out=c)
            times.append((time.perf_counter() - t) / reps)
        cpu = (time.process_time() - cpu0) / (runs * reps)  # process CPU seconds per call, all threads
        flop = 2.0 * m * n * k
        print(json.dumps({"impl": "openblas", "m": m, "n": n, "k": k, "threads": threads,
                          "gflops": round(flop / statistics.median(times) / 1e9, 1),
                          "gflops_best": round(flop / min(times) / 1e9, 1),
                          "gflops_cpu": round(flop / cpu / 1e9, 1) if cpu > 0 else None}), flush=True)


def main():
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        child(int(sys.argv[2]), int(sys.argv[3]), parse_shapes(sys.argv[4]))
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--table", action="store_true", help="print a table instead of JSON lines")
    ap.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    ap.add_argument("--shapes", default="", help="comma-separated m x k x n shapes (default: all)")
    ap.add_argument("--runs", type=int, default=5, help="timed runs per point (the median is reported)")
    args = ap.parse_args()
    table, runs = args.table, args.runs
    if table:
        print(f"{'impl':12s} {'m':>6s} {'k':>6s} {'n':>6s} {'thr':>3s} {'GFLOPS':>9s}")
    for threads in [int(t) for t in args.threads.split(",")]:
        env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
        out = subprocess.run([sys.executable, __file__, "--child", str(threads), str(runs), args.shapes],
                             env=env, check=True, capture_output=True, text=True).stdout
        for line in out.splitlines():
            if table:
                r = json.loads(line)
                print(f"{r['impl']:12s} {r['m']:6d} {r['k']:6d} {r['n']:6d} {r['threads']:3d} {r['gflops']:9.1f}")
            else:
                print(line)


if __name__ == "__main__":
    main()
