"""Classification metrics for imbalanced tasks: headline numbers, bootstrap CIs and plot rows.

Inputs are int64 class codes `y_true` (n,) and probabilities `proba` (n, K); predictions are
argmax(proba) and every count uses labels 0..K-1, so absent classes never shift indices.
The `*_from_confusion` functions accept one (K, K) matrix or a stack (..., K, K), which lets bootstrap
resamples and threshold candidates be scored in a single vectorised call. Report outputs are plain
Python types rounded to 6 decimals (byte-stable files); undefined values are None (JSON null).
"""

from __future__ import annotations

import numpy as np

from imbalance_lab.errors import ConfigError, DataError, lookup
from imbalance_lab.evaluation.metric_registry import OBJECTIVE_METRICS, metric_names
from imbalance_lab.evaluation.ranking import average_precision, precision_recall_curve, roc_auc
from imbalance_lab.task import MULTICLASS

DECIMALS = 6
ECE_BINS = 15
DECISION_METRICS = OBJECTIVE_METRICS  # the metric registry's threshold objectives
CI_METRICS = metric_names("ci", MULTICLASS)


def softmax(logits) -> np.ndarray:
    """Row-wise softmax, stable for large logits."""
    z = np.asarray(logits, dtype=np.float64)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _num(x):
    """Rounded plain float (never -0.0), or None when undefined."""
    x = float(x)
    return round(x, DECIMALS) + 0.0 if np.isfinite(x) else None


def _scalar(x):
    return float(x) if np.ndim(x) == 0 else x


def div(a, b):
    """a / b, 0 where b == 0 (sklearn's zero_division=0)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return np.divide(a, b, out=np.zeros(np.broadcast_shapes(a.shape, b.shape)), where=b > 0)


def _check(y_true, proba, classes=None) -> tuple[np.ndarray, np.ndarray]:
    proba = np.asarray(proba, dtype=np.float64)
    y = np.asarray(y_true)
    if proba.ndim != 2 or proba.shape[0] == 0 or proba.shape[1] < 2:
        raise DataError(f"proba must be a non-empty (n, K>=2) array, got shape {proba.shape}")
    n, k = proba.shape
    if y.shape != (n,) or not np.issubdtype(y.dtype, np.integer):
        raise DataError(f"y_true must be {n} integer class codes to match proba, got {y.dtype} {y.shape}")
    if y.min() < 0 or y.max() >= k:
        raise DataError(f"y_true codes must lie in 0..{k - 1} for {k} classes, found {y.min()}..{y.max()}")
    if classes is not None and len(classes) != k:
        raise DataError(f"classes has {len(classes)} names but proba has {k} columns; pass one per column")
    if not np.isfinite(proba).all() or np.abs(proba.sum(axis=1) - 1).max() > 1e-3:
        raise DataError("proba rows must be finite and sum to 1; pass probabilities, e.g. softmax(logits)")
    return y.astype(np.int64), proba


def confusion_counts(y_true, y_pred, K) -> np.ndarray:
    """(K, K) int64 counts, rows = true class, columns = predicted class."""
    code = np.asarray(y_true, dtype=np.int64) * K + np.asarray(y_pred, dtype=np.int64)
    if code.size and (code.min() < 0 or code.max() >= K * K):
        raise DataError(f"class codes must lie in 0..{K - 1}; check y_true/y_pred against K={K}")
    return np.bincount(code, minlength=K * K).reshape(K, K)


def _parts(cm):
    """(true positives, true counts, predicted counts) along the last axis."""
    cm = np.asarray(cm, dtype=np.float64)
    return np.diagonal(cm, axis1=-2, axis2=-1), cm.sum(-1), cm.sum(-2)


def accuracy_from_confusion(cm):
    """Accuracy: the share of rows predicted right."""
    tp, t, _ = _parts(cm)
    return _scalar(div(tp.sum(-1), t.sum(-1)))


def macro_f1_from_confusion(cm):
    """Macro F1 over all K labels; summing fold matrices first gives the pooled F1 (Forman & Scholz)."""
    tp, t, p = _parts(cm)
    return _scalar(div(2 * tp, t + p).mean(-1))


def balanced_accuracy_from_confusion(cm):
    """Mean recall over classes present in y_true (as sklearn)."""
    tp, t, _ = _parts(cm)
    return _scalar(div(div(tp, t).sum(-1), (t > 0).sum(-1)))


def mcc_from_confusion(cm):
    """Multiclass Matthews correlation (Gorodkin); 0 when undefined, as sklearn."""
    tp, t, p = _parts(cm)
    s = t.sum(-1)
    num = tp.sum(-1) * s - (t * p).sum(-1)
    den = np.sqrt(np.maximum(s * s - (p * p).sum(-1), 0) * np.maximum(s * s - (t * t).sum(-1), 0))
    return _scalar(div(num, den))


def qwk_from_confusion(cm):
    """Quadratic weighted kappa on class codes; 0 when undefined (sklearn gives NaN)."""
    cm = np.asarray(cm, dtype=np.float64)
    _, t, p = _parts(cm)
    k = cm.shape[-1]
    w = (np.arange(k)[:, None] - np.arange(k)[None, :]) ** 2.0
    observed = (w * cm).sum((-2, -1))
    expected = div((w * t[..., :, None] * p[..., None, :]).sum((-2, -1)), t.sum(-1))
    return _scalar(np.where(expected > 0, 1 - div(observed, expected), 0.0))


CONFUSION_METRICS = {
    "accuracy": accuracy_from_confusion,
    "balanced_accuracy": balanced_accuracy_from_confusion,
    "macro_f1": macro_f1_from_confusion,
    "mcc": mcc_from_confusion,
    "qwk": qwk_from_confusion,
}


def decisions_metrics(y_true, y_pred, K) -> dict:
    """The tuning objectives (unrounded floats) from one confusion matrix."""
    cm = confusion_counts(y_true, y_pred, K)
    return {name: float(CONFUSION_METRICS[name](cm)) for name in DECISION_METRICS}


def _ovr_mean(score_fn, y, proba) -> float:
    """Mean one-vs-rest score over classes with both positives and negatives; binary: class 1 only."""
    cols = [1] if proba.shape[1] == 2 else range(proba.shape[1])
    vals = [score_fn(y == c, proba[:, c]) for c in cols if 0 < np.count_nonzero(y == c) < len(y)]
    return float(np.mean(vals)) if vals else float("nan")


def _confidence_bins(y, proba, n_bins):
    """Equal-width (lo, hi] bins of top-class confidence: edges, counts, sum confidence, sum correct."""
    conf = proba.max(axis=1)
    correct = (proba.argmax(axis=1) == y).astype(np.float64)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    b = np.searchsorted(edges[1:-1], conf, side="left")
    count = np.bincount(b, minlength=n_bins)
    return edges, count, np.bincount(b, conf, n_bins), np.bincount(b, correct, n_bins)


def expected_calibration_error(y_true, proba, n_bins: int = ECE_BINS) -> float:
    """sum_b (n_b / n) |accuracy_b - confidence_b| over top-class confidence bins."""
    y, proba = _check(y_true, proba)
    _, count, conf, correct = _confidence_bins(y, proba, n_bins)
    return float(np.abs(correct - conf).sum() / count.sum())


def classification_metrics(y_true, proba, classes, *, ordinal: bool = False) -> dict:
    """Flat headline metrics plus "per_class"; JSON-ready (plain types, 6 decimals, None if undefined)."""
    y, proba = _check(y_true, proba, classes)
    n, k = proba.shape
    pred = proba.argmax(axis=1)
    cm = confusion_counts(y, pred, k)
    tp, support, predicted = _parts(cm)
    precision, recall, f1 = div(tp, predicted), div(tp, support), div(2 * tp, support + predicted)
    present = support > 0
    minority = int(np.argmin(np.where(present, support, np.inf)))
    p_true = np.clip(proba[np.arange(n), y], np.finfo(np.float64).eps, 1 - np.finfo(np.float64).eps)
    out = {
        "accuracy": accuracy_from_confusion(cm),
        "balanced_accuracy": balanced_accuracy_from_confusion(cm),
        "macro_f1": macro_f1_from_confusion(cm),
        "weighted_f1": float((f1 * support).sum() / n),
        "mcc": mcc_from_confusion(cm),
        "g_mean": float(np.prod(recall[present]) ** (1.0 / present.sum())),
        "minority_recall": float(recall[minority]),
        "minority_class": str(classes[minority]),
        "roc_auc_macro": _ovr_mean(roc_auc, y, proba),
        "pr_auc_macro": _ovr_mean(average_precision, y, proba),
        "brier": float(((proba - np.eye(k)[y]) ** 2).sum(axis=1).mean()),
        "log_loss": float(-np.log(p_true).mean()),
        "ece": expected_calibration_error(y, proba),
    }
    if ordinal:
        out["qwk"] = qwk_from_confusion(cm)
        out["mae_class"] = float(np.abs(y - pred).mean())
    out = {key: v if isinstance(v, str) else _num(v) for key, v in out.items()}
    rows = zip(classes, precision, recall, f1, support, strict=True)
    out["per_class"] = {
        str(c): {"precision": _num(p), "recall": _num(r), "f1": _num(f), "support": int(s)} for c, p, r, f, s in rows
    }
    return out


def bootstrap_ci(
    y_true, proba, *, metrics=CI_METRICS, n_boot: int = 1000, seed: int = 0, level: float = 0.95
) -> dict[str, list[float]]:
    """Percentile bootstrap interval [lo, hi] per metric; all resamples scored as stacked confusions."""
    y, proba = _check(y_true, proba)
    fns = {m: lookup(CONFUSION_METRICS, "bootstrap.metrics", m) for m in metrics}
    if not isinstance(n_boot, (int, np.integer)) or n_boot < 1:
        raise ConfigError(f"bootstrap.n_boot must be a positive integer, got {n_boot!r}")
    if not 0 < level < 1:
        raise ConfigError(f"bootstrap.level must lie strictly between 0 and 1, e.g. 0.95; got {level!r}")
    n, k = proba.shape
    code = y * k + proba.argmax(axis=1)
    rng = np.random.default_rng(seed)
    chunk = max(1, 2**22 // n)  # bounds the (resamples, n) index matrix to ~32 MB
    cms = []
    for start in range(0, n_boot, chunk):
        b = min(chunk, n_boot - start)
        flat = (np.arange(b)[:, None] * (k * k) + code[rng.integers(0, n, size=(b, n))]).ravel()
        cms.append(np.bincount(flat, minlength=b * k * k).reshape(b, k, k))
    cm = np.concatenate(cms)
    alpha = (1 - level) / 2
    return {m: [_num(q) for q in np.quantile(fn(cm), [alpha, 1 - alpha])] for m, fn in fns.items()}


PR_PANELS = 8  # PR curves drawn (one small panel each): with more classes or labels, the rarest in training


def rarest(train_counts, n: int = PR_PANELS) -> list[int]:
    """Indices of the n classes (labels) with the fewest training rows, rarest first (all when at most n)."""
    return [int(i) for i in np.argsort(np.asarray(train_counts), kind="stable")[:n]]


def pr_curve_rows(y_true, proba, classes, max_points: int = 200, only=None) -> list[dict]:
    """One-vs-rest precision/recall rows per class present in y_true (those in `only`, if given), at most
    max_points per class."""
    y, proba = _check(y_true, proba, classes)
    rows = []
    for c, name in enumerate(classes):
        if (only is not None and c not in only) or not 0 < np.count_nonzero(y == c) < len(y):
            continue
        precision, recall = precision_recall_curve(y == c, proba[:, c])
        keep = np.unique(np.linspace(0, len(recall) - 1, min(max_points, len(recall))).round().astype(int))
        rows += [
            {"class": str(name), "precision": _num(p), "recall": _num(r)}
            for p, r in zip(precision[keep], recall[keep], strict=True)
        ]
    return rows


def calibration_rows(y_true, proba, n_bins: int = 10) -> list[dict]:
    """Reliability diagram of top-class confidence; empty bins are omitted."""
    y, proba = _check(y_true, proba)
    edges, count, conf, correct = _confidence_bins(y, proba, n_bins)
    centers = (edges[:-1] + edges[1:]) / 2
    return [
        {
            "bin_center": _num(centers[i]),
            "mean_confidence": _num(conf[i] / count[i]),
            "accuracy": _num(correct[i] / count[i]),
            "count": int(count[i]),
        }
        for i in np.flatnonzero(count)
    ]


def per_class_recall_rows(y_true, y_pred, classes) -> list[dict]:
    """{class, recall, support} per class; recall 0 for classes with no support."""
    tp, support, _ = _parts(confusion_counts(y_true, y_pred, len(classes)))
    rows = zip(classes, div(tp, support), support, strict=True)
    return [{"class": str(c), "recall": _num(r), "support": int(s)} for c, r, s in rows]


def f1_rows(names, f1, support, train_counts) -> list[dict]:
    """Per-class (per-label) F1 bars and the frequency-vs-F1 scatter: does F1 follow the training count?"""
    rows = zip(names, f1, support, train_counts, strict=True)
    return [{"class": c, "f1": f, "support": int(s), "train_rows": int(t)} for c, f, s, t in rows]
