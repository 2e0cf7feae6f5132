"""Per-label thresholds for multi-label models, fitted the honest way threshold_fit.py fits multiclass biases:
the shrinkage, and whether to keep any thresholds at all, are chosen by cross-fitting on the fitting rows.
A threshold is a bias b on a label's logit (predicted when logit + b > 0, i.e. p > sigmoid(-b)).

Also a common recipe for comparison: each label's probability threshold picked from a fixed grid
0.30, 0.35, ..., 0.80 on the validation split, without cross-fitting or shrinkage."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from imbalance_lab.config import ThresholdParams
from imbalance_lab.evaluation.label_metrics import macro_f1_labels, predict
from imbalance_lab.evaluation.ranking import average_precision
from imbalance_lab.strategies.thresholds import THRESHOLD_METHODS
from imbalance_lab.task import MULTILABEL
from imbalance_lab.thresholds.threshold_fit import PREDICT_ALL_SHARE, ThresholdFit, choose_fit, regularization_grid

FIXED_GRID = tuple(round(0.3 + 0.05 * i, 2) for i in range(11))  # a common recipe: 0.3-0.8 in steps of 0.05
NULL_PERMUTATIONS = 20  # no signal: the label's AP is not above the 95th percentile of AP under shuffled scores


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


def degenerate_labels(logits, Y, biases, classes: list[str], seed: int = 0) -> dict[str, str]:
    """Labels whose tuned threshold is no decision: the model has no signal for them (average precision on the
    fitting rows within noise of the label's prevalence, judged against shuffled scores), or the threshold predicts
    the label for (nearly) every row. F1 optimisation does this for a label without signal (Lipton, Elkan &
    Naryanaswamy 2014): predicting every row scores F1 = 2p/(1+p) > 0 where the model scored 0, a "gain" that is
    no skill. Returns {label: why}."""
    logits, Y = np.asarray(logits, dtype=np.float64), np.asarray(Y, dtype=np.uint8)
    rng = np.random.default_rng(seed)
    out = {}
    for j, name in enumerate(classes):
        truth, score = Y[:, j], logits[:, j]
        prevalence = float(truth.mean())
        if prevalence in (0.0, 1.0):
            continue
        why = []
        ap = average_precision(truth, score)
        null = [average_precision(truth, rng.permutation(score)) for _ in range(NULL_PERMUTATIONS)]
        if ap <= float(np.quantile(null, 0.95)):
            why.append(f"no signal (AP {ap:.2f} vs prevalence {prevalence:.2f})")
        share = float((score + biases[j] > 0).mean())
        if share >= PREDICT_ALL_SHARE and prevalence < PREDICT_ALL_SHARE:
            why.append(f"tuned to predict {share:.0%} of rows")
        if why:
            out[name] = "; ".join(why)
    return out


def without_degenerate(fit: ThresholdFit, degenerate: dict[str, str], classes: list[str]) -> ThresholdFit:
    """The fit with those labels back at the untuned threshold (bias 0): their 'gain' is never counted."""
    biases = np.array([0.0 if name in degenerate else b for name, b in zip(classes, fit.biases, strict=True)])
    return replace(fit, biases=biases)


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
