"""Multi-label metrics: Y (n, L) 0/1 truth, logits (n, L); a label is predicted when logit + bias > 0 (p > 0.5
untuned). Averages follow scikit-learn with zero_division=0 (tests/test_multilabel.py compares)."""

from __future__ import annotations

import numpy as np

from imbalance_lab.evaluation.metric_registry import metric_names
from imbalance_lab.evaluation.metrics import ECE_BINS, _num, div, f1_rows, pr_curve_rows, rarest
from imbalance_lab.evaluation.ranking import average_precision, label_ranking_average_precision
from imbalance_lab.task import MULTILABEL

RARE_SHARE = 0.25  # rare_label_recall: recall pooled over this share of labels with the fewest training positives
LABEL_CI_METRICS = metric_names("ci", MULTILABEL)


def sigmoid(logits) -> np.ndarray:
    z = np.asarray(logits, dtype=np.float64)
    return np.exp(-np.logaddexp(0.0, -z))


def predict(logits, biases=None) -> np.ndarray:
    logits = np.asarray(logits, dtype=np.float64)
    return (logits + (0.0 if biases is None else np.asarray(biases)) > 0).astype(np.uint8)


def label_counts(Y, P) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """True positives, false positives, false negatives per label, for truth Y and decisions P (n, L)."""
    Y, P = np.asarray(Y, dtype=bool), np.asarray(P, dtype=bool)
    return (Y & P).sum(0), (~Y & P).sum(0), (Y & ~P).sum(0)


def macro_f1_labels(Y, P) -> float:
    tp, fp, fn = label_counts(Y, P)
    return float(div(2 * tp, 2 * tp + fp + fn).mean())


def _ece_per_label(Y, proba, n_bins: int = ECE_BINS) -> float:
    """Binary calibration error of each label's probability, averaged over labels."""
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    errors = []
    for j in range(Y.shape[1]):
        b = np.searchsorted(edges[1:-1], proba[:, j], side="left")
        count = np.bincount(b, minlength=n_bins)
        gap = np.bincount(b, proba[:, j], n_bins) - np.bincount(b, Y[:, j].astype(np.float64), n_bins)
        errors.append(np.abs(gap).sum() / count.sum())
    return float(np.mean(errors))


def rare_labels(train_counts: np.ndarray) -> np.ndarray:
    """The label indices in the rarest RARE_SHARE by training positives (at least one)."""
    n = max(1, int(round(RARE_SHARE * len(train_counts))))
    return np.argsort(train_counts, kind="stable")[:n]


def label_report(Y, logits, classes: list[str], *, train_counts, seed: int, biases=None) -> dict:
    """Headline metrics flat, per-label detail under per_class, bootstrap CIs under ci95; JSON-ready."""
    Y = np.asarray(Y, dtype=np.uint8)
    proba = sigmoid(logits)
    P = predict(logits, biases)
    tp, fp, fn = label_counts(Y, P)
    support = Y.sum(0)
    precision, recall, f1 = div(tp, tp + fp), div(tp, tp + fn), div(2 * tp, 2 * tp + fp + fn)
    row_tp, row_true, row_pred = (Y & P).sum(1), Y.sum(1), P.sum(1)
    present = np.flatnonzero((support > 0) & (support < len(Y)))
    ap = np.full(Y.shape[1], np.nan)
    ap[present] = [average_precision(Y[:, j], proba[:, j]) for j in present]
    rare = rare_labels(np.asarray(train_counts))
    minority = int(np.argmin(np.where(support > 0, support, np.inf)))
    out = {
        "macro_f1": f1.mean(),
        "micro_f1": div(2 * tp.sum(), 2 * tp.sum() + fp.sum() + fn.sum()),
        "weighted_f1": div((f1 * support).sum(), support.sum()),
        "samples_f1": div(2 * row_tp, row_true + row_pred).mean(),
        "hamming_loss": float((Y != P).mean()),
        "subset_accuracy": float((Y == P).all(1).mean()),
        "minority_recall": recall[minority],
        "minority_class": str(classes[minority]),
        "rare_label_recall": div(tp[rare].sum(), (tp + fn)[rare].sum()),
        "pr_auc_macro": float(np.nanmean(ap)) if len(present) else float("nan"),
        "lrap": label_ranking_average_precision(Y, proba) if Y.any() else float("nan"),
        "ece": _ece_per_label(Y, proba),
    }
    out = {key: v if isinstance(v, str) else _num(v) for key, v in out.items()}
    rows = zip(classes, precision, recall, f1, support, ap, strict=True)
    out["per_class"] = {
        str(c): {
            "precision": _num(p),
            "recall": _num(r),
            "f1": _num(f),
            "support": int(s),
            "average_precision": _num(a),
        }
        for c, p, r, f, s, a in rows
    }
    out["ci95"] = label_bootstrap_ci(Y, P, seed=seed)
    return out


def label_bootstrap_ci(Y, P, *, n_boot: int = 1000, seed: int = 0, level: float = 0.95) -> dict[str, list]:
    """Percentile bootstrap intervals of macro- and micro-F1, rows resampled (as row weights, one matmul)."""
    Y, P = np.asarray(Y, dtype=bool), np.asarray(P, dtype=bool)
    n = len(Y)
    rng = np.random.default_rng(seed)
    weights = np.stack([np.bincount(rng.integers(0, n, n), minlength=n) for _ in range(n_boot)]).astype(np.float64)
    tp, fp, fn = weights @ (Y & P), weights @ (~Y & P), weights @ (Y & ~P)
    values = {
        "macro_f1": div(2 * tp, 2 * tp + fp + fn).mean(1),
        "micro_f1": div(2 * tp.sum(1), 2 * tp.sum(1) + fp.sum(1) + fn.sum(1)),
    }
    q = [(1 - level) / 2, (1 + level) / 2]
    return {name: [_num(v) for v in np.quantile(values[name], q)] for name in LABEL_CI_METRICS}


def label_plot_rows(Y, logits, classes: list[str], train_counts, *, biases=None) -> dict[str, list]:
    """Rows for the plot files, in the multiclass files' shapes: confusion (actual label -> the same label, or
    '(missed)'; false positives from '(not this label)'), recall bars, PR curves of the PR_PANELS rarest labels,
    reliability over every (row, label) cell; plus f1.csv (per-label F1 with its training frequency)."""
    Y = np.asarray(Y, dtype=np.uint8)
    P = predict(logits, biases)
    proba = sigmoid(logits)
    confusion = []
    for j, name in enumerate(classes):
        hits, missed, false = (
            int((Y[:, j] & P[:, j]).sum()),
            int((Y[:, j] & ~P[:, j]).sum()),
            int((~Y[:, j] & P[:, j]).sum()),
        )
        confusion += [{"actual": name, "predicted": name}] * hits + [{"actual": name, "predicted": "(missed)"}] * missed
        confusion += [{"actual": "(not this label)", "predicted": name}] * false
    tp, fp, fn = label_counts(Y, P)
    support = Y.sum(0)
    recall, f1 = div(tp, tp + fn), div(2 * tp, 2 * tp + fp + fn)
    pr = []
    for j in rarest(train_counts):
        binary = np.column_stack([1 - proba[:, j], proba[:, j]])
        curve = pr_curve_rows(Y[:, j].astype(np.int64), binary, ["rest", classes[j]])
        pr += [row for row in curve if row["class"] == classes[j]]
    cells = np.clip(proba.ravel(), 1e-12, 1 - 1e-12)
    edges = np.linspace(0, 1, 11)
    b = np.searchsorted(edges[1:-1], cells, side="left")
    count = np.bincount(b, minlength=10)
    centers = (edges[:-1] + edges[1:]) / 2
    conf, hit = np.bincount(b, cells, 10), np.bincount(b, Y.ravel().astype(np.float64), 10)
    return {
        "confusion": confusion,
        "recall": [
            {"class": c, "recall": _num(r), "support": int(s)} for c, r, s in zip(classes, recall, support, strict=True)
        ],
        "f1": f1_rows(classes, [_num(f) for f in f1], support, train_counts),
        "pr": pr,
        "calibration": [
            {
                "bin_center": _num(centers[i]),
                "mean_confidence": _num(conf[i] / count[i]),
                "accuracy": _num(hit[i] / count[i]),
                "count": int(count[i]),
            }
            for i in np.flatnonzero(count)
        ],
    }
