#!/usr/bin/env python3
"""Where a Go run leaves cores idle, from a runtime/trace (bench/step -trace).

    python3 bench/step/idle.py TRACE [-procs 2] [-top 15]

Reads `go tool trace -d=parsed TRACE` and follows how many goroutines are
running at each instant (the Go scheduler's view: a goroutine counts as
running while it holds a P, whether or not the OS gives its thread a core,
so the figures do not depend on what else runs on the machine). Prints,
per phase of the Trainer's step (the "train.phase" log marks that
train.Trainer writes while tracing; "-" before the first one):

    wall   the phase's wall time in the trace
    par    mean goroutines running (at most -procs): the CPU use the
           program asks for, 2.00 = both cores of a 2-thread run
    idle1  share of the phase's time with fewer than -procs running
    idle0  share with none running
    want   mean goroutines running or runnable (at most -procs): what the
           program could use if the OS gave it every core at once; on a
           loaded machine par falls below want (threads wait for a core,
           and waking a parked one takes longer), want much less so
    short  share of the time with fewer than -procs running or runnable:
           the program itself has too little work ready

If the trace also holds CPU samples (the run had -cpuprofile too), the
stacks of samples taken while fewer than -procs goroutines were running
or runnable are listed per phase: the work that runs alone.
"""
import collections
import subprocess
import sys


def main():
    args = sys.argv[1:]
    procs, top = 2, 15
    path = None
    i = 0
    while i < len(args):
        if args[i] == "-procs":
            procs = int(args[i + 1])
            i += 2
        elif args[i] == "-top":
            top = int(args[i + 1])
            i += 2
        else:
            path = args[i]
            i += 1
    if path is None:
        sys.exit(__doc__)
    p = subprocess.Popen(["go", "tool", "trace", "-d=parsed", path], stdout=subprocess.PIPE, text=True, bufsize=1 << 20)

    running = set()
    runnable = set()
    last_t = None
    # per phase: [wall, Σ min(n, procs)·dt, time n < procs, time n == 0,
    # Σ min(n + r, procs)·dt, time n + r < procs], n running, r runnable
    cur = [0.0] * 6
    tot = collections.OrderedDict()
    cur_serial = collections.Counter()
    serial = collections.defaultdict(collections.Counter)
    samples = collections.Counter()
    cur_samples = [0, 0]  # samples, samples with one goroutine running
    pending_sample = None  # the sample's running count while its stack is read
    stack = []

    def flush(name):
        t = tot.setdefault(name, [0.0] * 6 + [0, 0])
        for k in range(6):
            t[k] += cur[k]
            cur[k] = 0.0
        t[6] += cur_samples[0]
        t[7] += cur_samples[1]
        cur_samples[0] = cur_samples[1] = 0
        serial[name].update(cur_serial)
        cur_serial.clear()

    def end_sample():
        nonlocal pending_sample, stack
        if pending_sample is not None:
            cur_samples[0] += 1
            if pending_sample < procs:
                cur_samples[1] += 1
                frames = [f for f in stack if not f.startswith("runtime.")][:3] or stack[:1]
                cur_serial[" < ".join(frames)] += 1
        pending_sample, stack = None, []

    for line in p.stdout:
        if line.startswith("\t"):
            if pending_sample is not None:
                s = line.strip()
                if " @ " in s:
                    stack.append(s.split(" @ ")[0].rsplit("/", 1)[-1])
            continue
        if not line.startswith("M="):
            if line.strip() == "":
                end_sample()
            continue
        end_sample()
        f = line.split()
        kind = f[3]
        tfield = f[4]
        if not tfield.startswith("Time="):
            continue
        t = int(tfield[5:])
        if last_t is not None and t > last_t:
            dt = (t - last_t) / 1e9
            n = len(running)
            cur[0] += dt
            cur[1] += min(n, procs) * dt
            if n < procs:
                cur[2] += dt
            if n == 0:
                cur[3] += dt
            w = n + len(runnable)
            cur[4] += min(w, procs) * dt
            if w < procs:
                cur[5] += dt
        last_t = t
        if kind == "StateTransition" and f[5].startswith("GoID="):
            g = f[5][5:]
            old, new = f[6].split("->")
            for st, gs in (("Running", running), ("Runnable", runnable)):
                if new == st:
                    gs.add(g)
                elif old == st:
                    gs.discard(g)
        elif kind == "Log" and 'Category="train.phase"' in line:
            name = line.split('Message="')[1].split('"')[0]
            flush(name)
        elif kind == "StackSample":
            pending_sample = len(running) + len(runnable)
            stack = []
    end_sample()
    flush("-")
    p.wait()

    print("%-10s %8s %6s %7s %7s %6s %7s %8s" % ("phase", "wall s", "par", "idle1", "idle0", "want", "short", "samples"))
    all_ = [0.0] * 8
    for name, t in tot.items():
        if t[0] == 0:
            continue
        for k in range(8):
            all_[k] += t[k]
        print("%-10s %8.3f %6.2f %6.1f%% %6.1f%% %6.2f %6.1f%% %8s" % (
            name, t[0], t[1] / t[0], 100 * t[2] / t[0], 100 * t[3] / t[0], t[4] / t[0], 100 * t[5] / t[0],
            "%d/%d" % (t[7], t[6]) if t[6] else "-"))
    if all_[0]:
        t = all_
        print("%-10s %8.3f %6.2f %6.1f%% %6.1f%% %6.2f %6.1f%%" % (
            "all", t[0], t[1] / t[0], 100 * t[2] / t[0], 100 * t[3] / t[0], t[4] / t[0], 100 * t[5] / t[0]))
    for name in tot:
        if serial[name]:
            n = sum(serial[name].values())
            print("\n%s: CPU samples taken with fewer than %d goroutines ready (%d), top stacks (leaf first):" % (name, procs, n))
            for s, c in serial[name].most_common(top):
                print("  %5d %5.1f%%  %s" % (c, 100 * c / n, s))


if __name__ == "__main__":
    main()
