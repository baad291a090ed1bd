"""Fixture for autograd/activation_test.go and softmax_test.go: PyTorch's
values and gradients of the activations at a few points (including the
softplus threshold and the far tails), the tie rule of maximum/minimum, and
softmax/log_softmax on a small tensor with a given upstream gradient.

Run from the repository root with Debian's python3 (torch 1.13):

    /usr/bin/python3 autograd/testdata/gen_elementwise.py

It writes autograd/testdata/elementwise.json in the format read by
loadFixture: {"tensors": {name: {"shape": [...], "data": [...]}}}.
"""
import json
import os

import torch
import torch.nn.functional as F

torch.manual_seed(0)
out = {}


def put(name, t):
    t = t.detach().to(torch.float32)
    out[name] = {"shape": list(t.shape), "data": [float(v) for v in t.flatten()]}


xs = torch.tensor([-100.0, -20.0, -5.0, -1.5, -0.5, -1e-3, 0.25, 1.0, 3.0,
                   19.9, 20.1, 100.0], dtype=torch.float32)
put("x", xs)
acts = {
    "gelu": lambda x: F.gelu(x),
    "gelu_tanh": lambda x: F.gelu(x, approximate="tanh"),
    "elu": lambda x: F.elu(x, alpha=0.7),
    "softplus": lambda x: F.softplus(x),
    "logsigmoid": lambda x: F.logsigmoid(x),
    "silu": lambda x: F.silu(x),
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "leaky_relu": lambda x: F.leaky_relu(x, 0.1),
}
for name, f in acts.items():
    x = xs.clone().requires_grad_(True)
    y = f(x)
    y.sum().backward()
    put(name, y)
    put(name + "_grad", x.grad)

# maximum/minimum: ties split the gradient in half.
a = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
b = torch.tensor([1.0, 0.0, 5.0], requires_grad=True)
torch.maximum(a, b).sum().backward()
put("max_a_grad", a.grad)
put("max_b_grad", b.grad)
a.grad, b.grad = None, None
torch.minimum(a, b).sum().backward()
put("min_a_grad", a.grad)
put("min_b_grad", b.grad)

# softmax / log_softmax over axis 1 of a [2,3,4] tensor, upstream gradient g.
s = (torch.randn(2, 3, 4) * 3).requires_grad_(True)
g = torch.randn(2, 3, 4)
put("sm_x", s)
put("sm_g", g)
for name, f in {"softmax": F.softmax, "log_softmax": F.log_softmax}.items():
    s.grad = None
    y = f(s, dim=1)
    y.backward(g)
    put(name, y)
    put(name + "_grad", s.grad)

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "elementwise.json")
with open(path, "w") as fh:
    json.dump({"tensors": out}, fh, separators=(",", ":"))
print("wrote", path)
