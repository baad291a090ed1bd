// Package metrics evaluates a multilabel classifier the way the paper reports
// it (Prokofiev & Sovrasov 2022, docs/method.md §6): mAP, the threshold metrics
// CP, CR, CF1 (per class) and OP, OR, OF1 (overall), per-class thresholds
// tuned for F1 on the training set ("-adapt" columns of the paper's Table 10),
// and per-class precision-recall curves for plotting.
//
// Inputs are plain slices: N images x C classes of scores (float32, row-major
// [N*C]; probabilities p = σ(s·logit) where a threshold is applied) and
// targets (1 positive, 0 negative, negative = ignored). A Set checks them once
// and every metric reads from it.
//
// Two decisions differ from the reference code on purpose, both documented
// where they are made:
//   - mAP treats tied scores as one threshold, as scikit-learn's
//     average_precision_score does, so the value never depends on the sort
//     order (ASL's helper, used by the reference, ranks ties arbitrarily:
//     a model emitting near-constant scores can look far better than it is).
//     The ASL value is kept as RankedAP for comparison with old logs.
//   - Ignored targets are left out of every count; the reference counts an
//     ignored entry predicted negative as a false positive.
//
// The checks against scikit-learn 1.2 (average_precision_score,
// precision_recall_curve, precision_score, recall_score) run on fixtures
// written by testdata/gen_metrics.py; Go tests need no Python.
package metrics
