"""Reference curves for train/: OneCycleLR lr and momentum, SGD and AdamW steps.

Run with Debian's python3 (torch 1.13): /usr/bin/python3 train/testdata/gen_train.py
"""
import json
import os

import torch

out = {}
# OneCycle as the reference configures it: pct_start 0.2, div 100, final div 1000.
p = torch.nn.Parameter(torch.zeros(1))
opt = torch.optim.SGD([p], lr=0.005, momentum=0.9)
sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.005, total_steps=57, pct_start=0.2,
                                            div_factor=100, final_div_factor=1000)
lrs, moms = [], []
for _ in range(57):
    lrs.append(opt.param_groups[0]["lr"])
    moms.append(opt.param_groups[0]["momentum"])
    opt.step()
    sched.step()
out["onecycle"] = {"max_lr": 0.005, "total": 57, "lr": lrs, "momentum": moms}

# SGD with momentum, coupled weight decay, and AdamW, on a fixed gradient sequence.
torch.manual_seed(0)
w0 = torch.randn(5)
grads = [torch.randn(5) for _ in range(4)]
for name, mk in {
    "sgd": lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01),
    "sgd_nesterov": lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01, nesterov=True),
    "adamw": lambda ps: torch.optim.AdamW(ps, lr=0.01, weight_decay=0.1),
}.items():
    w = torch.nn.Parameter(w0.clone())
    o = mk([w])
    for g in grads:
        w.grad = g.clone()
        o.step()
    out[name] = {"w0": w0.tolist(), "grads": [g.tolist() for g in grads], "w": w.detach().tolist()}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "train.json")
with open(path, "w") as fh:
    json.dump(out, fh, indent=1)
print("wrote", path)
