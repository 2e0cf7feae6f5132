"""Threshold-free ranking metrics, computed as scikit-learn 1.9 computes them (same sort, same sums, so the same
floats: tests/test_ranking.py compares them exactly), without importing scikit-learn: its import costs more
CPU than evaluate's and threshold-tune's work."""

from __future__ import annotations

import numpy as np


def _counts_at_thresholds(positive, score) -> tuple[np.ndarray, np.ndarray]:
    """False and true positives (float64) at each distinct score, highest first."""
    score = np.asarray(score)
    order = np.argsort(-score, kind="stable")
    score, truth = score[order], np.asarray(positive, dtype=np.float64)[order]
    last_of_each = np.r_[np.flatnonzero(np.diff(score)), len(score) - 1]
    tps = np.cumsum(truth, dtype=np.float64)[last_of_each]
    return 1 + last_of_each.astype(np.float64) - tps, tps


def precision_recall_curve(positive, score) -> tuple[np.ndarray, np.ndarray]:
    """(precision, recall) with recall decreasing, ending at (1, 0); positive must hold a positive."""
    fps, tps = _counts_at_thresholds(positive, score)
    precision = tps / (tps + fps)  # at least one row scores >= each threshold
    recall = tps / tps[-1]
    return np.r_[precision[::-1], 1.0], np.r_[recall[::-1], 0.0]


def average_precision(positive, score) -> float:
    """Step-wise area under the precision-recall curve (no interpolation)."""
    precision, recall = precision_recall_curve(positive, score)
    return float(max(0.0, -np.sum(np.diff(recall) * precision[:-1])))


def roc_auc(positive, score) -> float:
    """Area under the ROC curve; positive must hold both positives and negatives."""
    fps, tps = _counts_at_thresholds(positive, score)
    if len(fps) > 2:  # collinear points dropped, as roc_curve(drop_intermediate=True) does
        corner = np.r_[True, np.logical_or(np.diff(fps, 2), np.diff(tps, 2)), True]
        fps, tps = fps[corner], tps[corner]
    fpr, tpr = np.r_[0.0, fps] / fps[-1], np.r_[0.0, tps] / tps[-1]
    return float((np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2.0).sum())


def label_ranking_average_precision(Y, scores) -> float:
    """Mean over rows of the precision at each true label's rank; a row with no or every label counts 1."""
    Y, scores = np.asarray(Y), np.asarray(scores)
    total = 0.0
    for truth, row in zip(Y, -scores, strict=True):
        relevant = np.flatnonzero(truth)
        if relevant.size in (0, len(row)):
            total += 1.0
            continue
        rank = np.searchsorted(np.sort(row), row[relevant], side="right")  # scipy's rankdata(method="max")
        rank_among_relevant = np.searchsorted(np.sort(row[relevant]), row[relevant], side="right")
        total += (rank_among_relevant / rank).mean()
    return float(total / len(Y))
