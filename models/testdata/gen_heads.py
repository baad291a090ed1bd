"""Reference forwards of the GAT head, ML-Decoder and Query2Label, written from
docs/method.md §3-§4 and docs/architectures.md §5-§6 in PyTorch (eval mode).

Run with Debian's python3 (torch 1.13): /usr/bin/python3 models/testdata/gen_heads.py
Writes models/testdata/heads.json: for each case, the state dict (names as
in the Go modules), the input feature map and the expected output, all
float32 values computed in float64 from float32-rounded inputs.
"""
import json
import math
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
DT = torch.float64


def r32(t):
    """Round to float32 (what the Go side stores), keep float64 for compute."""
    return t.float().double()


def dump(t):
    return {"shape": list(t.shape), "data": [float(v) for v in t.detach().float().flatten().tolist()]}


# ---------------------------------------------------------------- label graph
def gen_A(counts, nums, tau, rho):
    n = len(nums)
    m = counts / np.maximum(nums, 1)[:, None]
    a = (m >= tau).astype(np.float64)
    a = a * rho / (a.sum(0, keepdims=True) + 1e-6)
    return a + np.identity(n)


def gen_adj(A):
    D = torch.pow(A.sum(1), -0.5)
    D = torch.diag(D)
    return torch.matmul(torch.matmul(A, D).t(), D)


def counts_from(labels, n):
    c = np.zeros((n, n))
    nums = np.zeros(n)
    for ls in labels:
        u = sorted(set(ls))
        for i in u:
            nums[i] += 1
            for j in u:
                if i != j:
                    c[i, j] += 1
    return c, nums


# ---------------------------------------------------------------- GAT head
class GAT(nn.Module):
    """pyGAT GraphAttentionLayer (concat=True), eval mode."""

    def __init__(self, fin, fout):
        super().__init__()
        self.W = nn.Parameter(torch.empty(fin, fout, dtype=DT))
        self.a = nn.Parameter(torch.empty(2 * fout, 1, dtype=DT))
        nn.init.xavier_uniform_(self.W.data, gain=1.414)
        nn.init.xavier_uniform_(self.a.data, gain=1.414)
        self.fout = fout

    def forward(self, h, adj):
        wh = h @ self.W
        e = F.leaky_relu(wh @ self.a[:self.fout] + (wh @ self.a[self.fout:]).T, 0.2)
        att = torch.where(adj > 0, e, -9e15 * torch.ones_like(e))
        att = F.softmax(att, dim=1)
        return F.elu(att @ wh)


class GCN(nn.Module):
    def __init__(self, fin, fout):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(fin, fout, dtype=DT))
        s = 1 / math.sqrt(fout)
        self.weight.data.uniform_(-s, s)

    def forward(self, h, adj):
        return adj @ (h @ self.weight)


def gat_head_case(layer, pooling, cosine):
    N, E, C, B, H, W = 5, 6, 4, 2, 3, 3
    labels = [[0, 1], [0, 1], [0], [1, 2], [2, 3], [3], [3, 4], [4, 0, 1], [2]]
    counts, nums = counts_from(labels, N)
    A = r32(torch.tensor(gen_A(counts, nums, 0.4, 0.25)))
    adj = gen_adj(A)
    inp = r32(torch.randn(N, E, dtype=DT))
    L = GAT if layer == "gat" else GCN
    gc1, gc2 = L(E, C), L(C, C)
    for p in list(gc1.parameters()) + list(gc2.parameters()):
        p.data = r32(p.data * 1.5)
    sd = {}
    for name, mod in (("gc1", gc1), ("gc2", gc2)):
        for k, v in mod.named_parameters():
            sd[f"{name}.{k}"] = v.data
    sd["inp"], sd["A"] = inp, A
    if cosine:
        w = r32(torch.randn(C, N, dtype=DT))
        sd["head.weight"] = w
    else:
        w = r32(torch.randn(N, C, dtype=DT) * 0.5)
        b = r32(torch.randn(N, dtype=DT) * 0.1)
        sd["head.weight"], sd["head.bias"] = w, b
    feats = r32(torch.randn(B, C, H, W, dtype=DT))
    with torch.no_grad():
        x = F.leaky_relu(gc1(inp, adj), 0.2)
        x = F.leaky_relu(gc2(x, adj), 0.2)
        gate = torch.sigmoid(x.max(dim=0)[0])
        f = feats * gate.view(1, -1, 1, 1)
        pooled = {"avg": f.mean((2, 3)), "max": f.amax((2, 3)), "avg+max": f.mean((2, 3)) + f.amax((2, 3))}[pooling]
        if cosine:
            out = (F.normalize(pooled, dim=1) @ F.normalize(w, dim=0)).clamp(-1, 1)
        else:
            out = pooled @ w.T + b
    return {"layer": layer, "pooling": pooling, "cosine": cosine,
            "classes": N, "embed": E, "channels": C, "labels": labels,
            "ahat": dump(adj),
            "state": {k: dump(v) for k, v in sd.items()},
            "features": dump(feats), "gate": dump(gate), "out": dump(out)}


# ---------------------------------------------------------------- ML-Decoder
def mldecoder_case(metric, classes, groups):
    Fc, D, heads, ffn, B, H, W = 6, 8, 2, 16, 2, 2, 3
    K = min(100 if groups < 0 else groups, classes)
    dup = int(classes / K + 0.999)
    emb = nn.Linear(Fc, D).double()
    mha = nn.MultiheadAttention(D, heads, dropout=0.1).double()
    lin1, lin2 = nn.Linear(D, ffn).double(), nn.Linear(ffn, D).double()
    norms = [nn.LayerNorm(D, eps=1e-5).double() for _ in range(3)]
    for n in norms:  # not the 1/0 init, so a swapped weight/bias shows
        n.weight.data = 1 + 0.3 * torch.randn(D, dtype=DT)
        n.bias.data = 0.2 * torch.randn(D, dtype=DT)
    mha.in_proj_bias.data = 0.1 * torch.randn(3 * D, dtype=DT)
    mha.out_proj.bias.data = 0.1 * torch.randn(D, dtype=DT)
    queries = torch.randn(K, D, dtype=DT)
    P = torch.empty(K, D, dup, dtype=DT)
    nn.init.xavier_normal_(P)
    bias = 0.1 * torch.randn(classes, dtype=DT)
    mods = {"decoder.layers.0.norm1": norms[0], "decoder.layers.0.multihead_attn": mha,
            "decoder.layers.0.linear1": lin1, "decoder.layers.0.linear2": lin2,
            "decoder.layers.0.norm2": norms[1], "decoder.layers.0.norm3": norms[2],
            "decoder.embed_standart": emb}
    sd = {}
    for prefix, m in mods.items():
        for k, v in m.named_parameters():
            v.data = r32(v.data)
            sd[f"{prefix}.{k}"] = v.data
    queries, P, bias = r32(queries), r32(P), r32(bias)
    sd["decoder.query_embed.weight"] = queries
    sd["decoder.duplicate_pooling"] = P
    sd["decoder.duplicate_pooling_bias"] = bias
    feats = r32(torch.randn(B, Fc, H, W, dtype=DT))
    mha.eval()
    with torch.no_grad():
        x = feats.flatten(2).transpose(1, 2)
        m = emb(x)
        m = F.leaky_relu(m, 0.2) if metric else F.relu(m)
        tgt = queries.unsqueeze(1).expand(-1, B, -1)  # [K, B, D]
        t = norms[0](tgt + tgt)  # eval: dropout is the identity
        t = norms[1](t + mha(t, m.transpose(0, 1), m.transpose(0, 1))[0])
        t = norms[2](t + lin2(F.relu(lin1(t))))
        h = t.transpose(0, 1)  # [B, K, D]
        out = torch.zeros(B, K, dup, dtype=DT)
        for i in range(K):
            hi, wi = h[:, i, :], P[i]
            if metric:
                hi, wi = F.normalize(hi, dim=-1), F.normalize(wi, dim=0)
            out[:, i, :] = hi @ wi
        out = out.flatten(1)[:, :classes] + bias
    return {"metric": metric, "classes": classes, "groups": groups, "features_dim": Fc,
            "embed": D, "heads": heads, "ffn": ffn,
            "state": {k: dump(v) for k, v in sd.items()},
            "features": dump(feats), "out": dump(out)}


# ---------------------------------------------------------------- Query2Label
def sine_pos(h, w, d):
    """DETR PositionEmbeddingSine(d/2, normalize=True) on an h×w grid, float32."""
    npf = d // 2
    eyes = torch.ones((1, h, w))
    y = eyes.cumsum(1, dtype=torch.float32)
    x = eyes.cumsum(2, dtype=torch.float32)
    y = y / (y[:, -1:, :] + 1e-6) * 2 * math.pi
    x = x / (x[:, :, -1:] + 1e-6) * 2 * math.pi
    dim_t = torch.arange(npf, dtype=torch.float32)
    dim_t = 10000 ** (2 * (dim_t // 2) / npf)
    px, py = x[:, :, :, None] / dim_t, y[:, :, :, None] / dim_t
    px = torch.stack((px[:, :, :, 0::2].sin(), px[:, :, :, 1::2].cos()), dim=4).flatten(3)
    py = torch.stack((py[:, :, :, 0::2].sin(), py[:, :, :, 1::2].cos()), dim=4).flatten(3)
    return torch.cat((py, px), dim=3).permute(0, 3, 1, 2)  # [1, d, h, w]


def q2l_case():
    Fc, d, heads, N, B, H, W = 5, 8, 2, 3, 2, 2, 3
    ffn = d
    mk_ln = lambda: nn.LayerNorm(d).double()
    enc = {"self_attn": nn.MultiheadAttention(d, heads).double(), "linear1": nn.Linear(d, ffn).double(),
           "linear2": nn.Linear(ffn, d).double(), "norm1": mk_ln(), "norm2": mk_ln()}
    dec0 = {"multihead_attn": nn.MultiheadAttention(d, heads).double(), "linear1": nn.Linear(d, ffn).double(),
            "linear2": nn.Linear(ffn, d).double(), "norm2": mk_ln(), "norm3": mk_ln()}
    dec1 = dict(dec0, self_attn=nn.MultiheadAttention(d, heads).double(), multihead_attn=nn.MultiheadAttention(d, heads).double(),
                linear1=nn.Linear(d, ffn).double(), linear2=nn.Linear(ffn, d).double(), norm1=mk_ln(), norm2=mk_ln(), norm3=mk_ln())
    dnorm = mk_ln()
    proj = nn.Conv2d(Fc, d, 1).double()
    query = torch.randn(N, d, dtype=DT)
    fcw, fcb = torch.randn(1, N, d, dtype=DT) * 0.3, torch.randn(1, N, dtype=DT) * 0.1
    sd = {}
    groups = {"transformer.encoder.layers.0": enc, "transformer.decoder.layers.0": dec0,
              "transformer.decoder.layers.1": dec1, "transformer.decoder.norm": {"": dnorm}, "input_proj": {"": proj}}
    for prefix, mods in groups.items():
        for mname, m in mods.items():
            for k, v in m.named_parameters():
                if isinstance(m, nn.LayerNorm):
                    v.data = v.data + 0.2 * torch.randn_like(v.data)
                if k.endswith("bias") and not isinstance(m, nn.LayerNorm):
                    v.data = 0.1 * torch.randn_like(v.data)
                v.data = r32(v.data)
                sd[".".join(p for p in (prefix, mname, k) if p)] = v.data
    query, fcw, fcb = r32(query), r32(fcw), r32(fcb)
    sd["query_embed.weight"], sd["fc.weight"], sd["fc.bias"] = query, fcw, fcb
    feats = r32(torch.randn(B, Fc, H, W, dtype=DT))
    for mods in (enc, dec0, dec1):
        for m in mods.values():
            m.eval()
    with torch.no_grad():
        pos = sine_pos(H, W, d).double().flatten(2).permute(2, 0, 1)  # [hw, 1, d]
        src = proj(feats).flatten(2).permute(2, 0, 1)  # [hw, B, d]
        q = k = src + pos
        src = enc["norm1"](src + enc["self_attn"](q, k, value=src)[0])
        src = enc["norm2"](src + enc["linear2"](F.relu(enc["linear1"](src))))
        qpos = query.unsqueeze(1).repeat(1, B, 1)
        tgt = torch.zeros_like(qpos)
        for i, L in enumerate((dec0, dec1)):
            if i > 0:
                q = k = tgt + qpos
                tgt = L["norm1"](tgt + L["self_attn"](q, k, value=tgt)[0])
            tgt = L["norm2"](tgt + L["multihead_attn"](tgt + qpos, src + pos, value=src)[0])
            tgt = L["norm3"](tgt + L["linear2"](F.relu(L["linear1"](tgt))))
        hs = dnorm(tgt).transpose(0, 1)  # [B, N, d]
        out = (fcw * hs).sum(-1) + fcb
    return {"classes": N, "features_dim": Fc, "embed": d, "heads": heads, "ffn": ffn,
            "state": {k: dump(v) for k, v in sd.items()}, "features": dump(feats), "out": dump(out)}


cases = {
    "gat_paper": gat_head_case("gat", "avg+max", True),
    "gcn_released": gat_head_case("gcn", "avg", False),
    "mld_plain": mldecoder_case(False, 5, -1),
    "mld_metric_groups": mldecoder_case(True, 5, 2),
    "q2l": q2l_case(),
}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "heads.json")
with open(path, "w") as f:
    json.dump(cases, f, separators=(",", ":"))
print("wrote", path, os.path.getsize(path), "bytes")
