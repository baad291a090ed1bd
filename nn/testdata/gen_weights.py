#!/usr/bin/python3
"""Writes the weight-file fixtures of package nn (run from nn/testdata with
Debian's python3 and torch 1.13; the outputs are committed, Go tests never
run Python):

  tiny.pth            torch.save (zip format) of a small OrderedDict state dict:
                      F32, F16, BF16, F64 and int64 tensors, a Parameter, a
                      transposed (non-contiguous) view and a slice with a
                      storage offset that share storage with another tensor.
  tiny_p4.pth         tiny.pth pickled with protocol 4 (FRAME, MEMOIZE,
                      SHORT_BINUNICODE, STACK_GLOBAL).
  tiny_ckpt.pth       a training checkpoint {"epoch", "arch", "state_dict", ...}
                      as timm and MIIL write them (the tensor dict is nested).
  tiny.safetensors    the same tensors in safetensors, written by hand below
                      (JSON header + raw little-endian bytes, no safetensors
                      package): the reference for our reader.
  tiny_expected.json  every tensor's name, dtype, shape and values (as float32),
                      in the state dict's order.
  malicious.pth       torch.save of an object whose __reduce__ calls os.system:
                      the reader must reject the global, never run it.
  legacy.pth          the pre-1.6 (non-zip) torch.save format, which we reject
                      with a clear message.
"""
import collections
import json
import os
import struct

import torch

torch.manual_seed(0)


def state_dict():
    # A real module's state dict: an OrderedDict that carries a _metadata
    # attribute (pickled with BUILD), as every torchvision/timm file does.
    m = torch.nn.Sequential(collections.OrderedDict(
        conv=torch.nn.Conv2d(3, 4, 3), bn=torch.nn.BatchNorm2d(4)))
    with torch.no_grad():
        m.bn.running_mean.normal_()
        m.bn.running_var.uniform_(0.5, 1.5)
        m.bn.num_batches_tracked.fill_(123456789)
    sd = m.state_dict()
    sd["conv.weight"] = torch.nn.Parameter(sd["conv.weight"])  # _rebuild_parameter
    sd["half"] = (torch.randn(2, 3) * 100).half()
    sd["half"][0, 0] = 65504.0  # largest finite F16
    sd["half"][0, 1] = 2.0 ** -24  # smallest F16 subnormal
    sd["bf16"] = torch.randn(5).bfloat16()
    sd["double"] = torch.tensor([1.0 / 3.0, -2.5e10], dtype=torch.float64)
    base = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    sd["shared.base"] = base
    sd["shared.transposed"] = base.t()  # shape (4,3), stride (1,4)
    sd["shared.slice"] = base[1:, ::2]  # offset 4, shape (2,2), stride (4,2)
    sd["empty"] = torch.zeros(0, 3)
    sd["fc.weight"] = torch.randn(2, 8)
    return sd


def expected(sd):
    out = []
    for name, t in sd.items():
        t = t.detach()
        out.append({
            "name": name,
            "dtype": {torch.float32: "F32", torch.float16: "F16",
                      torch.bfloat16: "BF16", torch.float64: "F64",
                      torch.int64: "I64"}[t.dtype],
            "shape": list(t.shape),
            "values": [float(v) for v in t.float().reshape(-1).tolist()],
        })
    return out


ST_DTYPES = {torch.float32: ("F32", "<f4"), torch.float16: ("F16", "<f2"),
             torch.float64: ("F64", "<f8"), torch.int64: ("I64", "<i8")}


def tensor_bytes(t):
    t = t.detach().contiguous()
    if t.dtype == torch.bfloat16:
        # Top 16 bits of the float32 pattern: exact for a bfloat16 value.
        u = t.float().view(torch.int32).reshape(-1).tolist()
        return b"".join(struct.pack("<H", (v >> 16) & 0xFFFF) for v in u)
    return t.numpy().astype(ST_DTYPES[t.dtype][1]).tobytes()


def write_safetensors(path, sd, metadata):
    """safetensors by hand: u64 LE header length, JSON header, data.
    The header lists tensors in state-dict order (not sorted) to check
    that the reader does not rely on order."""
    header = {"__metadata__": metadata}
    blobs, off = [], 0
    for name, t in sd.items():
        b = tensor_bytes(t)
        dt = "BF16" if t.dtype == torch.bfloat16 else ST_DTYPES[t.dtype][0]
        header[name] = {"dtype": dt, "shape": list(t.shape),
                        "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)  # pad to 8 bytes like the reference writer
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


class Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned > /tmp/nn_pwned",))


def main():
    sd = state_dict()
    torch.save(sd, "tiny.pth")
    torch.save(sd, "tiny_p4.pth", pickle_protocol=4)
    torch.save({"epoch": 3, "arch": "tiny", "state_dict": sd, "lr": 0.1,
                "flags": [True, False, None], "best": -1.5e300,
                "big": 2 ** 70}, "tiny_ckpt.pth")
    write_safetensors("tiny.safetensors", sd, {"format": "pt", "source": "gen_weights.py"})
    with open("tiny_expected.json", "w") as f:
        json.dump({"tensors": expected(sd)}, f, indent=0)
    torch.save({"weight": torch.ones(2), "payload": Evil()}, "malicious.pth")
    torch.save({"weight": torch.ones(2)}, "legacy.pth",
               _use_new_zipfile_serialization=False)
    # Check our reading of the reference: torch loads both files the same.
    back = torch.load("tiny.pth")
    for k in sd:
        assert torch.equal(back[k], sd[k]), k


if __name__ == "__main__":
    main()
