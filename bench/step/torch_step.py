#!/usr/bin/python3
"""The PyTorch side of bench/step: the same training recipe as the Go
Trainer, in PyTorch 1.13 (Debian's python3-torch and python3-torchvision),
for one configuration in one memory layout. bench/step (main.go) runs it
as a child process and reads the JSON line it prints last; run by hand:

    /usr/bin/python3 bench/step/torch_step.py --config '<JSON of a config>' \
        --list <item list JSON> --layout channels_last --threads 2

What one run does, as the Go side does:
  data      a map-style Dataset over the item list: PIL decode, Resize((S, S)),
            the training augmentation (flip; or "full": torchvision's
            RandAugment, a Cutout square of 0.4 of the side with p 0.5, flip),
            ToTensor, Normalize(0.5, 0.5); DataLoader with shuffle and
            drop_last, num_workers 0 (--workers), batches in the chosen layout
  model     torchvision's efficientnet_v2_s features (or our efficientnetv2_t
            built with torchvision's classes, bench/effnetv2/torch_effnetv2.py;
            resnet50; TResNet-M from models/testdata/gen_tresnet.py), then the
            ML-Decoder head (or average pooling + Linear)
  loss      AAM (s 17, m 0, k 0.7, gamma+ 1, gamma- 2, clip 0.05, sum over
            non-ignored targets), or BCE with logits (sum)
  update    no-bias-decay parameter groups (biases 2x lr, no decay; 1-D and
            norm/query weights no decay; the rest wd 5e-4), SGD momentum 0.9
            or AdamW, OneCycleLR (pct_start 0.2), SAM (rho 0.05, as
            davda54/sam: e = rho g/||g||, saved weights restored before the
            base step), EMA as timm's ModelEmaV2 with the decay warm-up
  eval      model.eval(), no_grad, raw and EMA models over the validation
            items, scores sigmoid(scale * output), mAP
Timing: --warmup steps, then --steps timed steps (the data wait included),
then the evaluation pass. Phases: data (waiting for the next batch),
forward (+ loss), backward, update (SAM, optimizer, scheduler, EMA, zero
grad), eval; both SAM passes count in forward and backward.
"""
import argparse
import copy
import importlib.util
import json
import math
import os
import random
import resource
import statistics
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from PIL import Image
from torchvision import transforms

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def load_module(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# ------------------------------------------------------------------ models

class MLDecoder(nn.Module):
    """ML-Decoder (docs/method.md §4) as the reference builds it: a linear
    embedding of the feature map (LeakyReLU 0.2 for the metric variant, ReLU
    otherwise), K = min(N, 100) learned queries, one decoder layer without
    self-attention (TransformerDecoderLayerOptimal), the group fully-connected
    projection (cosines for the metric variant) and a per-class bias."""

    def __init__(self, classes, features, embed, ffn, heads=8, dropout=0.1, metric=True):
        super().__init__()
        k = min(100, classes)
        self.classes, self.k, self.dup, self.metric = classes, k, int(classes / k + 0.999), metric
        self.embed_standart = nn.Linear(features, embed)
        self.query_embed = nn.Embedding(k, embed)
        self.multihead_attn = nn.MultiheadAttention(embed, heads, dropout=dropout)
        self.linear1, self.linear2 = nn.Linear(embed, ffn), nn.Linear(ffn, embed)
        self.norm1, self.norm2, self.norm3 = nn.LayerNorm(embed), nn.LayerNorm(embed), nn.LayerNorm(embed)
        self.dropout = nn.Dropout(dropout)
        self.duplicate_pooling = nn.Parameter(torch.empty(k, embed, self.dup))
        nn.init.xavier_normal_(self.duplicate_pooling)
        self.duplicate_pooling_bias = nn.Parameter(torch.zeros(classes))

    def forward(self, x):
        m = self.embed_standart(x.flatten(2).transpose(1, 2))            # [B, HW, D]
        m = F.leaky_relu(m, 0.2) if self.metric else F.relu(m)
        m = m.transpose(0, 1)                                            # [HW, B, D]
        b = x.shape[0]
        tgt = self.query_embed.weight.unsqueeze(1).expand(-1, b, -1)    # [K, B, D]
        t = self.norm1(tgt + self.dropout(tgt))
        t = self.norm2(t + self.dropout(self.multihead_attn(t, m, m, need_weights=False)[0]))
        t = self.norm3(t + self.dropout(self.linear2(self.dropout(F.relu(self.linear1(t))))))
        w = self.duplicate_pooling
        if self.metric:
            t, w = F.normalize(t, dim=-1), F.normalize(w, dim=1)
        out = torch.bmm(t, w)                                            # [K, B, dup]
        out = out.permute(1, 0, 2).flatten(1)[:, :self.classes]
        return out + self.duplicate_pooling_bias


class PooledHead(nn.Module):
    def __init__(self, classes, features):
        super().__init__()
        self.fc = nn.Linear(features, classes)

    def forward(self, x):
        return self.fc(x.mean((2, 3)))


class Classifier(nn.Module):
    def __init__(self, backbone, head):
        super().__init__()
        self.backbone, self.head = backbone, head

    def forward(self, x):
        return self.head(self.backbone(x))


def build_backbone(name):
    """Feature extractor [B, 3, S, S] -> [B, C, S/32, S/32] and C."""
    if name == "efficientnetv2_s":
        return torchvision.models.efficientnet_v2_s().features, 1280
    if name == "efficientnetv2_t":
        mod = load_module("torch_effnetv2", os.path.join(ROOT, "bench", "effnetv2", "torch_effnetv2.py"))
        return mod.efficientnetv2_t().features, 640
    if name == "resnet50":
        r = torchvision.models.resnet50()
        return nn.Sequential(*list(r.children())[:-2]), 2048
    if name == "tresnet_m":
        mod = load_module("gen_tresnet", os.path.join(ROOT, "models", "testdata", "gen_tresnet.py"))
        t = mod.TResNet(layers=[3, 4, 11, 3], num_classes=0)
        mod.timm_init(t)
        return t.body, t.num_features
    raise SystemExit("unknown backbone " + name)


def build(cfg, classes):
    bb, ch = build_backbone(cfg["backbone"])
    if cfg["head"] == "mldecoder":
        head = MLDecoder(classes, ch, cfg["embed"], cfg["ffn"], metric=cfg["loss"] == "aam")
    else:
        head = PooledHead(classes, ch)
    return Classifier(bb, head)


# ------------------------------------------------------------------ loss

def aam_loss(c, y, s=17.0, m=0.0, k=0.7, gpos=1.0, gneg=2.0, clip=0.05):
    """AMBinaryLoss (docs/method.md §1.2) summed over non-ignored targets."""
    valid = (y >= 0).to(c.dtype)
    y = y.clamp(min=0)
    logp_pos = F.logsigmoid(s * (c - m))
    logp_neg = F.logsigmoid(-s * (c + m))
    p_neg = torch.clamp(torch.exp(logp_neg) + clip, max=1)
    logp_neg = torch.log(p_neg)
    w_pos = p_neg ** gpos
    w_neg = torch.exp(logp_pos) ** gneg
    e = w_pos * (k / s) * y * logp_pos + w_neg * ((1 - k) / s) * (1 - y) * logp_neg
    return -(e * valid).sum()


def bce_loss(x, y):
    valid = (y >= 0).to(x.dtype)
    return (F.binary_cross_entropy_with_logits(x, y.clamp(min=0), reduction="none") * valid).sum()


# ------------------------------------------------------------------ data

class Cutout:
    """A square of factor * side in a random colour, with probability p."""

    def __init__(self, p=0.5, factor=0.4):
        self.p, self.factor = p, factor

    def __call__(self, img):
        if random.random() >= self.p:
            return img
        w, h = img.size
        sw, sh = int(self.factor * w + 0.5), int(self.factor * h + 0.5)
        cx, cy = random.randrange(w), random.randrange(h)
        box = (max(cx - sw // 2, 0), max(cy - sh // 2, 0), min(cx + sw // 2, w), min(cy + sh // 2, h))
        img = img.copy()
        img.paste(tuple(random.randrange(256) for _ in range(3)), box)
        return img


class Items(torch.utils.data.Dataset):
    def __init__(self, items, tf):
        self.items, self.tf = items, tf

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        it = self.items[i]
        img = Image.open(it["path"]).convert("RGB")
        return self.tf(img), torch.tensor(it["labels"], dtype=torch.float32)


def loaders(cfg, lst, workers):
    s = cfg["size"]
    norm = [transforms.ToTensor(), transforms.Normalize([0.5] * 3, [0.5] * 3)]
    aug = []
    if cfg.get("augment") == "full":
        aug = [transforms.RandAugment(), Cutout(0.5, 0.4), transforms.RandomHorizontalFlip()]
    elif cfg.get("augment") == "flip":
        aug = [transforms.RandomHorizontalFlip()]
    train_tf = transforms.Compose([transforms.Resize((s, s))] + aug + norm)
    val_tf = transforms.Compose([transforms.Resize((s, s))] + norm)
    b = cfg["batch"]
    tl = None  # inference configurations have no training items (RandomSampler refuses an empty set)
    if lst["train"]:
        tl = torch.utils.data.DataLoader(Items(lst["train"], train_tf), batch_size=b, shuffle=True, drop_last=True,
                                         num_workers=workers)
    vl = torch.utils.data.DataLoader(Items(lst["val"], val_tf), batch_size=b, shuffle=False, num_workers=workers)
    return tl, vl


# ------------------------------------------------------------------ recipe

def param_groups(model, lr, wd):
    decay, no_decay, bias = [], [], []
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        if name.endswith("bias"):
            bias.append(p)
        elif p.ndim <= 1 or (name.endswith("weight") and ("norm" in name or "query_embed" in name)):
            no_decay.append(p)
        else:
            decay.append(p)
    return [{"params": decay, "weight_decay": wd, "lr": lr},
            {"params": no_decay, "weight_decay": 0.0, "lr": lr},
            {"params": bias, "weight_decay": 0.0, "lr": 2 * lr}]


class SAM:
    """davda54/sam's first and second steps around a base optimizer."""

    def __init__(self, base, rho=0.05):
        self.base, self.rho, self.saved = base, rho, {}

    @torch.no_grad()
    def first_step(self):
        params = [p for g in self.base.param_groups for p in g["params"] if p.grad is not None]
        norm = torch.norm(torch.stack([p.grad.norm(2) for p in params]), 2)
        scale = self.rho / (norm + 1e-12)
        for p in params:
            if p in self.saved:
                self.saved[p].copy_(p.data)
            else:
                self.saved[p] = p.data.clone()
            p.add_(p.grad * scale)
        self.base.zero_grad(set_to_none=True)

    @torch.no_grad()
    def second_step(self):
        for p, w in self.saved.items():
            p.data.copy_(w)
        self.base.step()
        self.base.zero_grad(set_to_none=True)


class EMA:
    """timm's ModelEmaV2 with the decay warm-up d = min(decay, (1+t)/(10+t))."""

    def __init__(self, model, decay):
        self.module = copy.deepcopy(model)
        self.module.eval()
        self.decay, self.updates = decay, 0

    @torch.no_grad()
    def update(self, model):
        d = min(self.decay, (1 + self.updates) / (10 + self.updates))
        self.updates += 1
        for e, m in zip(self.module.state_dict().values(), model.state_dict().values()):
            if e.dtype.is_floating_point:
                e.mul_(d).add_(m, alpha=1 - d)


def average_precision(scores, targets):
    aps = []
    for j in range(scores.shape[1]):
        valid = targets[:, j] >= 0
        s, t = scores[valid, j], targets[valid, j]
        if t.sum() == 0:
            continue
        order = np.argsort(-s, kind="stable")
        t = t[order]
        tp = np.cumsum(t)
        prec = tp / np.arange(1, len(t) + 1)
        aps.append((prec * t).sum() / t.sum())
    return float(np.mean(aps)) if aps else 0.0


def evaluate(model, vl, scale, fmt):
    model.eval()
    scores, targets = [], []
    with torch.no_grad():
        for x, y in vl:
            out = model(x.contiguous(memory_format=fmt))
            scores.append(torch.sigmoid(scale * out).numpy())
            targets.append(y.numpy())
    model.train()
    return average_precision(np.concatenate(scores), np.concatenate(targets))


def cpu_seconds():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def self_hwm_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


BF16 = False  # --precision bf16


def run_train(cfg, lst, fmt, workers):
    classes = len(lst["classes"])
    model = build(cfg, classes).to(memory_format=fmt)
    model.train()
    metric = cfg["loss"] == "aam"
    loss_fn = aam_loss if metric else bce_loss
    scale = 17.0 if metric else 1.0
    tl, vl = loaders(cfg, lst, workers)
    steps = len(tl)
    groups = param_groups(model, cfg["lr"], 5e-4)
    if cfg["optimizer"] == "sgd":
        opt = torch.optim.SGD(groups, lr=cfg["lr"], momentum=0.9)
    else:
        opt = torch.optim.AdamW(groups, lr=cfg["lr"], foreach=True)
    # OneCycleLR divides by zero when pct_start * total_steps < 2 (our short
    # runs); the schedule's values do not change the work of a step.
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=[g["lr"] for g in groups], total_steps=max(steps, 10),
                                                pct_start=0.2)
    sam = SAM(opt, 0.05) if cfg["sam"] else None
    ema = EMA(model, cfg["ema"]) if cfg["ema"] > 0 else None

    ph = dict(data=0.0, forward=0.0, backward=0.0, update=0.0, eval=0.0)
    warm, timed = cfg["warmup"], cfg["steps"]
    t0 = c0 = ph0 = None

    def lap(name, t):
        now = time.perf_counter()
        ph[name] += now - t
        return now

    it = iter(tl)
    if warm == 0:
        t0, c0, ph0 = time.perf_counter(), cpu_seconds(), dict(ph)
    t = time.perf_counter()
    for step in range(warm + timed):
        x, y = next(it)
        x = x.contiguous(memory_format=fmt)
        t = lap("data", t)
        opt.zero_grad(set_to_none=True)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=BF16):
            out = model(x)
        loss = loss_fn(out.float(), y)
        t = lap("forward", t)
        loss.backward()
        t = lap("backward", t)
        if sam:
            sam.first_step()
            t = lap("update", t)
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=BF16):
                out2 = model(x)
            loss2 = loss_fn(out2.float(), y)
            t = lap("forward", t)
            loss2.backward()
            t = lap("backward", t)
            sam.second_step()
        else:
            opt.step()
        sched.step()
        if ema:
            ema.update(model)
        t = lap("update", t)
        if step + 1 == warm:
            t0, c0, ph0 = time.perf_counter(), cpu_seconds(), dict(ph)
            t = t0
    t_steps = time.perf_counter()
    te = t_steps
    evaluate(model, vl, scale, fmt)
    if ema:
        evaluate(ema.module, vl, scale, fmt)
    t_end = time.perf_counter()
    ph["eval"] += t_end - te
    c1 = cpu_seconds()
    b = cfg["batch"]
    val_n = len(lst["val"])
    passes = 2 if ema else 1
    return {
        "img_per_s": timed * b / (t_steps - t0),
        "eval_img_per_s": passes * val_n / (t_end - t_steps),
        "cpu_util": (c1 - c0) / (t_end - t0),
        "phases": {k: ph[k] - ph0[k] for k in ph},
        "wall_s": t_end - t0,
    }


def run_infer(cfg, lst, fmt, workers):
    classes = len(lst["classes"])
    model = build(cfg, classes).to(memory_format=fmt)
    model.eval()
    _, vl = loaders(cfg, lst, workers)
    x, _ = next(iter(vl))
    x = x.contiguous(memory_format=fmt)
    with torch.inference_mode():
        for _ in range(cfg["warmup"]):
            model(x)
        times = []
        t0, c0 = time.perf_counter(), cpu_seconds()
        for _ in range(cfg["steps"]):
            s = time.perf_counter()
            model(x)
            times.append(time.perf_counter() - s)
        wall = time.perf_counter() - t0
        c1 = cpu_seconds()
    return {
        "img_per_s": cfg["steps"] * cfg["batch"] / wall,
        "latency_ms": 1e3 * statistics.median(times),
        "cpu_util": (c1 - c0) / wall,
        "phases": {"forward": wall},
        "wall_s": wall,
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", required=True, help="the configuration as JSON (bench/step configs.go)")
    ap.add_argument("--list", required=True, help="the item list JSON written by bench/step")
    ap.add_argument("--layout", default="channels_last", choices=["contiguous", "channels_last"])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--precision", default="float32", choices=["float32", "bf16"],
                    help="bf16: torch.autocast('cpu', torch.bfloat16) around the training forward passes (the loss in float32)")
    ap.add_argument("--workers", type=int, default=0, help="DataLoader num_workers (0: data in the main process)")
    args = ap.parse_args()
    global BF16
    BF16 = args.precision == "bf16"
    cfg = json.loads(args.config)
    with open(args.list) as f:
        lst = json.load(f)
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    random.seed(1)
    fmt = torch.channels_last if args.layout == "channels_last" else torch.contiguous_format
    r = run_infer(cfg, lst, fmt, args.workers) if cfg.get("infer") else run_train(cfg, lst, fmt, args.workers)
    r.update({"impl": "pytorch/" + args.layout, "config": cfg["name"], "layout": args.layout,
              "self_hwm_mb": self_hwm_mb(),
              "notes": "torch %s, %d threads, DataLoader num_workers %d, %s" % (torch.__version__, args.threads, args.workers, args.precision)})
    print(json.dumps(r), flush=True)


if __name__ == "__main__":
    main()
