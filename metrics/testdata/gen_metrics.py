#!/usr/bin/python3
"""Writes metrics.json, the fixtures of metrics, from scikit-learn.

Run with Debian's python3 (python3-sklearn 1.2, numpy):
    /usr/bin/python3 metrics/testdata/gen_metrics.py

Each case is N images x C classes of float32 scores (probabilities in [0, 1])
and int8 targets (1 positive, 0 negative, -1 ignored). For every class the
ignored images are dropped, then scikit-learn gives:
  ap         average_precision_score (tie-aware; 0 for a class without
             positives, None when every entry is ignored: sklearn cannot run)
  curves     precision_recall_curve: precision, recall, thresholds
  asl_ap     ASL's helper (the reference's mAP), reimplemented below, with
             ties ranked as numpy's argsort(kind="stable")[::-1] ranks them
and at threshold 0.5 (prediction p > t):
  per_class  precision_score / recall_score per class (zero_division=0),
             CP/CR their means, CF1 = 2 CP CR / (CP + CR)
  overall    precision_score / recall_score / f1_score on all entries (micro)
  per_image  the reference's row loop (each 0 when tp = 0), checked against
             sklearn average="samples" where nothing is ignored.
The "tune" case tunes per-class thresholds on train scores (argmax of F1 over
the PR points, lowest threshold among ties, classes without a positive keep
0.5) and evaluates them on val, placing each threshold halfway between the
winning score and the next lower train score (the Go package's rule).
"""
import json
import os
import warnings

import numpy as np
from sklearn.metrics import (average_precision_score, f1_score,
                             precision_recall_curve, precision_score,
                             recall_score)

warnings.filterwarnings("ignore")  # sklearn warns on classes without positives
rng = np.random.default_rng(477)


def asl_ap(scores, targets, stable=True):
    """ASL helper_functions.average_precision, verbatim math (1e-8 kept)."""
    idx = np.argsort(scores, kind="stable" if stable else None)[::-1]
    t = targets[idx]
    ind = t == 1
    pos = np.cumsum(ind)
    total = pos[-1] if len(pos) else 0
    pp = np.where(ind, pos, 0) / np.arange(1, len(t) + 1)
    return float(pp.sum() / (total + 1e-8))


def prf(y, pred):
    kw = dict(zero_division=0)
    return (precision_score(y, pred, **kw), recall_score(y, pred, **kw))


def threshold_metrics(s, y, t):
    """Threshold metrics with per-class thresholds t ([C]), ignored dropped."""
    n, c = s.shape
    pred = (s.astype(np.float64) > t[None, :]).astype(np.int8)
    mask = y >= 0
    cp, cr, counts = [], [], []
    for j in range(c):
        m = mask[:, j]
        yj, pj = y[m, j], pred[m, j]
        p, r = prf(yj, pj) if m.any() else (0.0, 0.0)
        cp.append(p)
        cr.append(r)
        counts.append([int(((pj == 1) & (yj == 1)).sum()), int(((pj == 1) & (yj == 0)).sum()),
                       int(((pj == 0) & (yj == 1)).sum())])
    CP, CR = float(np.mean(cp)), float(np.mean(cr))
    yo, po = y[mask], pred[mask]
    OP, OR = prf(yo, po)
    OF1 = f1_score(yo, po, zero_division=0)
    # The reference's per-image loop, ignored entries excluded.
    ip, ir, iff = [], [], []
    for i in range(n):
        m = mask[i]
        tp = int(((pred[i] == 1) & (y[i] == 1) & m).sum())
        fp = int(((pred[i] == 1) & (y[i] == 0) & m).sum())
        fn = int(((pred[i] == 0) & (y[i] == 1) & m).sum())
        p = tp / (tp + fp) if tp > 0 else 0.0
        r = tp / (tp + fn) if tp > 0 else 0.0
        ip.append(p)
        ir.append(r)
        iff.append(2 * p * r / (p + r) if tp > 0 else 0.0)
    if mask.all():
        kw = dict(average="samples", zero_division=0)
        assert np.isclose(np.mean(ip), precision_score(y, pred, **kw))
        assert np.isclose(np.mean(ir), recall_score(y, pred, **kw))
        assert np.isclose(np.mean(iff), f1_score(y, pred, **kw))
    return {
        "per_class": {"cp": CP, "cr": CR, "cf1": 2 * CP * CR / (CP + CR) if CP + CR > 0 else 0.0},
        "overall": {"op": float(OP), "or": float(OR), "of1": float(OF1)},
        "per_image": {"cp": float(np.mean(ip)), "cr": float(np.mean(ir)), "cf1": float(np.mean(iff))},
        "counts": counts,
    }


def class_metrics(s, y):
    n, c = s.shape
    ap, asl, asl_np, curves, npos = [], [], [], [], []
    for j in range(c):
        m = y[:, j] >= 0
        sj, yj = s[m, j], y[m, j]
        npos.append(int((yj == 1).sum()))
        if not m.any():
            ap.append(None)
            asl.append(0.0)
            asl_np.append(0.0)
            curves.append(None)
            continue
        a = float(average_precision_score(yj, sj))
        if npos[-1] == 0:
            assert a == 0.0, a
        ap.append(a)
        asl.append(asl_ap(sj, yj))
        asl_np.append(asl_ap(sj, yj, stable=False))
        p, r, t = precision_recall_curve(yj, sj)
        curves.append({"precision": p.tolist(), "recall": r.tolist(),
                       "thresholds": [float(v) for v in t]})
    return {"ap": ap, "positives": npos, "asl_ap": asl, "curves": curves,
            "map": float(np.mean([a or 0.0 for a in ap])),
            "asl_map": float(np.mean(asl)), "asl_map_numpy_default": float(np.mean(asl_np))}


def case(name, s, y, note):
    s = s.astype(np.float32)
    y = y.astype(np.int8)
    out = {"name": name, "note": note, "n": s.shape[0], "c": s.shape[1],
           "scores": [float(v) for v in s.ravel()], "targets": y.ravel().tolist()}
    out.update(class_metrics(s, y))
    out["at_half"] = threshold_metrics(s, y, np.full(s.shape[1], 0.5))
    return out


def labels(n, c, prev):
    return (rng.random((n, c)) < prev).astype(np.int8)


def informative(y, noise):
    """Scores correlated with the labels, squashed to (0, 1)."""
    z = 1.5 * (2.0 * y - 1) + noise * rng.standard_normal(y.shape)
    return 1 / (1 + np.exp(-z))


def tune(train_s, train_y, val_s, val_y):
    c = train_s.shape[1]
    t = np.full(c, 0.5)
    score, f1, fallback = [], [], []
    for j in range(c):
        m = train_y[:, j] >= 0
        yj, sj = train_y[m, j], train_s[m, j]
        P = int((yj == 1).sum())
        if P == 0:
            score.append(None)
            f1.append(0.0)
            fallback.append(True)
            continue
        p, r, thr = precision_recall_curve(yj, sj)
        with np.errstate(invalid="ignore", divide="ignore"):
            f = np.nan_to_num(2 * p * r / (p + r))[:-1]
        k = int(np.argmax(f >= f.max() - 1e-12))  # first (lowest threshold) maximum
        s_star = float(thr[k])
        below = np.unique(sj[sj < thr[k]])
        t[j] = s_star / 2 + float(below[-1]) / 2 if len(below) else np.nextafter(s_star, -np.inf)
        score.append(s_star)
        f1.append(float(f[k]))
        fallback.append(False)
    return {"thresholds": t.tolist(), "score": score, "f1": f1, "fallback": fallback,
            "val_metrics": threshold_metrics(val_s, val_y, t)}


def main():
    cases = []
    n, c = 60, 5
    y = labels(n, c, 0.3)
    cases.append(case("random", rng.random((n, c)), y, "uniform scores, no ties"))

    y = labels(n, c, 0.35)
    cases.append(case("informative", informative(y, 1.5), y, "scores correlated with labels"))

    y = labels(n, c, 0.3)
    cases.append(case("quantized", np.round(informative(y, 2.0) * 10) / 10, y,
                      "scores rounded to 0.1: many ties"))

    # A collapsed model: almost every score is the same value, a few images
    # differ. Positives sit at high image indices, so ranking ties by
    # descending index (ASL's helper with a stable sort) puts them first.
    n, c = 80, 4
    y = np.zeros((n, c), np.int8)
    y[n - 20:, :] = 1
    s = np.full((n, c), 0.5)
    s[:5, :] = rng.random((5, c))
    cases.append(case("near_constant", s, y, "near-constant scores: ASL helper >> tie-aware"))

    n, c = 40, 5
    y = labels(n, c, 0.4)
    y[:, 1] = 0  # no positives
    y[:, 2] = 1  # no negatives
    y[:, 3] = -1  # all ignored
    s = informative(np.maximum(y, 0), 1.0)
    s[:, 4] = np.round(s[:, 4] * 4) / 4
    cases.append(case("empty_classes", s, y, "class 1 no positive, 2 all positive, 3 all ignored"))

    n, c = 70, 6
    y = labels(n, c, 0.3)
    y[rng.random((n, c)) < 0.2] = -1
    cases.append(case("ignored", np.round(informative(np.maximum(y, 0), 1.5) * 20) / 20, y,
                      "20% ignored (-1) entries, scores quantized to 0.05"))

    n, c = 90, 6
    ytr = labels(n, c, 0.3)
    ytr[:, 5] = 0  # no training positive: fallback
    ytr[rng.random((n, c)) < 0.1] = -1
    yva = labels(n, c, 0.3)
    str_ = np.round(informative(np.maximum(ytr, 0), 1.8) * 50) / 50
    sva = np.round(informative(yva, 1.8) * 50) / 50
    tr = case("tune_train", str_, ytr, "training scores for threshold tuning")
    va = case("tune_val", sva, yva, "validation scores for threshold tuning")
    tuned = tune(str_.astype(np.float32), ytr, sva.astype(np.float32), yva)

    out = {"sklearn": __import__("sklearn").__version__, "cases": cases,
           "tune": {"train": tr, "val": va, **tuned}}
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "metrics.json")
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))
    for cs in cases:
        print(f"{cs['name']:14s} mAP tie-aware {100 * cs['map']:6.2f}  ASL helper (stable) "
              f"{100 * cs['asl_map']:6.2f}  (numpy default sort {100 * cs['asl_map_numpy_default']:6.2f})")
    print("wrote", path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()
