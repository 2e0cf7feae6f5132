"""Per-label thresholds for multi-label models, fitted the honest way threshold_fit.py fits multiclass biases:
the shrinkage, and whether to keep any thresholds at all, are chosen by cross-fitting on the fitting rows.
A threshold is a bias b on a label's logit (predicted when logit + b > 0, i.e. p > sigmoid(-b)).

Also a common recipe for comparison: each label's probability threshold picked from a fixed grid
0.30, 0.35, ..., 0.80 on the validation split, without cross-fitting or shrinkage."""

from __future__ import annotations

import numpy as np

from imbalance_lab.config import ThresholdParams
from imbalance_lab.label_metrics import macro_f1_labels, predict
from imbalance_lab.strategies.registry import MULTILABEL
from imbalance_lab.strategies.thresholds import THRESHOLD_METHODS
from imbalance_lab.threshold_fit import ThresholdFit, choose_fit, regularization_grid

FIXED_GRID = tuple(round(0.3 + 0.05 * i, 2) for i in range(11))  # a common recipe: 0.3-0.8 in steps of 0.05


def _fit(logits, Y, settings: ThresholdParams, regularization: float) -> np.ndarray:
    return THRESHOLD_METHODS[settings.method].for_task(MULTILABEL)(logits, Y, regularization)


def fit_label_thresholds(logits, Y, folds, settings: ThresholdParams) -> ThresholdFit:
    """threshold.method on (n, L) logits; the objective is macro-F1 over labels."""
    candidates = {}
    for r in regularization_grid(settings):
        decisions = np.empty(Y.shape, dtype=np.uint8)
        for fold in np.unique(folds):
            held = folds == fold
            decisions[held] = predict(logits[held], _fit(logits[~held], Y[~held], settings, r))
        candidates[r] = macro_f1_labels(Y, decisions)
    return choose_fit(
        macro_f1_labels(Y, predict(logits)),
        candidates,
        lambda r: _fit(logits, Y, settings, r),
        lambda biases: macro_f1_labels(Y, predict(logits, biases)),
        len(Y),
        "the untuned thresholds (0.5)",
    )


def fixed_grid_biases(logits, Y) -> np.ndarray:
    """Per label, the grid probability threshold with the best F1 on these rows (ties: the first, lowest), as a
    bias; a label without positives keeps 0.5."""
    logits = np.asarray(logits, dtype=np.float64)
    biases = np.zeros(Y.shape[1])
    cut = np.log(np.asarray(FIXED_GRID)) - np.log1p(-np.asarray(FIXED_GRID))  # logit of each grid threshold
    for j in range(Y.shape[1]):
        truth = Y[:, j].astype(bool)
        if not truth.any():
            continue
        predicted = logits[:, j][None, :] > cut[:, None]
        tp = (predicted & truth).sum(1)
        f1 = 2 * tp / (predicted.sum(1) + truth.sum())
        biases[j] = -cut[int(np.argmax(f1))]
    return biases


def probability_thresholds(biases: np.ndarray) -> np.ndarray:
    """The p above which each label is predicted: sigmoid(-b)."""
    return 1.0 / (1.0 + np.exp(np.asarray(biases, dtype=np.float64)))
