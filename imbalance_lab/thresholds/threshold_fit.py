"""Honest threshold fitting: the shrinkage, and whether to tune at all, are chosen by cross-fitting on the
fitting rows (fit on some folds, score the held-out fold, pool), so a fit that only looks good on the rows it
was fitted on is dropped and the untuned model kept. Binary tasks also get their probability threshold and the
positive class's precision and recall on test with bootstrap intervals."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from imbalance_lab.config import ThresholdParams
from imbalance_lab.evaluation.metrics import confusion_counts, div
from imbalance_lab.strategies.thresholds import Objective, apply_biases, fit_biases

VAL_FOLDS = 5  # cross-fitting folds of the validation rows (out-of-fold rows keep cross-validate's folds)

REGULARIZATION_GRID = (0.0, 3.0e-3, 3.0e-2)  # threshold.regularization: auto
CROSS_FIT_ROUNDS = 3  # coordinate-ascent sweeps per cross-fitting fit (the final fit uses MAX_ROUNDS)
TIE = 1e-12


@dataclass(frozen=True)
class ThresholdFit:
    biases: np.ndarray
    kept: bool  # False: the cross-fitted gain was not positive, so biases are 0 (the untuned model)
    regularization: float
    before: float  # the objective of the untuned model on the fitting rows
    in_sample: float  # the objective with biases fitted on all fitting rows, scored on the same rows
    cross_fitted: float  # each fold scored with biases fitted on the other folds, pooled
    candidates: dict  # regularization -> cross-fitted objective
    reason: str
    rows: int

    def summary(self) -> dict:
        """For metrics/threshold.json: the in-sample and the cross-fitted objective, and what was kept."""
        return {
            "rows": self.rows,
            "objective_before": round(self.before, 6),
            "objective_after": round(self.in_sample, 6),
            "objective_cross_fitted": round(self.cross_fitted, 6),
            "kept": self.kept,
            "regularization": self.regularization,
            "cross_fitted_by_regularization": {f"{r:g}": round(v, 6) for r, v in self.candidates.items()},
        }


def cross_fitted_objective(logits, y, folds, settings, objective: Objective, *, priors, regularization, positive):
    """The objective of pooled held-out decisions, each fold decided by biases fitted on the other folds."""
    predictions = np.empty(len(y), dtype=np.int64)
    for fold in np.unique(folds):
        held = folds == fold
        b = fit_biases(
            logits[~held],
            y[~held],
            settings,
            priors=priors,
            objective=objective,
            regularization=regularization,
            positive=positive,
            rounds=CROSS_FIT_ROUNDS,
        )
        predictions[held] = apply_biases(logits[held], b)
    return float(objective(y, predictions, logits.shape[1]))


def regularization_grid(settings: ThresholdParams) -> tuple[float, ...]:
    """The shrinkages cross-fitting chooses from: threshold.regularization, or REGULARIZATION_GRID for auto."""
    return REGULARIZATION_GRID if settings.regularization == "auto" else (float(settings.regularization),)


def choose_fit(before: float, candidates: dict, fit, score, rows: int, untuned: str) -> ThresholdFit:
    """The honest choice both tasks share: the shrinkage with the best cross-fitted objective (ties: the stronger),
    biases fitted with it on every fitting row (fit(r)), kept only when the cross-fitted objective beats the
    untuned one; score(biases) is the objective on the fitting rows."""
    chosen = max(candidates, key=lambda r: (round(candidates[r], 12), r))
    biases = fit(chosen)
    in_sample = score(biases)
    cross = candidates[chosen]
    kept = cross > before + TIE and bool(np.any(biases != 0))
    if kept:
        reason = f"cross-fitted {cross:.4f} > untuned {before:.4f} (regularization {chosen:g})"
    else:
        reason = f"kept {untuned}: cross-fitted {cross:.4f} <= untuned {before:.4f}"
        biases = np.zeros(len(biases))
    return ThresholdFit(biases, kept, chosen, before, in_sample, cross, candidates, reason, rows)


def fit_thresholds(
    logits, y, folds, settings: ThresholdParams, objective: Objective, *, priors, positive: int
) -> ThresholdFit:
    K = logits.shape[1]
    before = float(objective(y, logits.argmax(1), K))
    options = {"priors": priors, "positive": positive}
    candidates = {
        r: cross_fitted_objective(logits, y, folds, settings, objective, regularization=r, **options)
        for r in regularization_grid(settings)
    }
    return choose_fit(
        before,
        candidates,
        lambda r: fit_biases(logits, y, settings, objective=objective, regularization=r, **options),
        lambda biases: float(objective(y, apply_biases(logits, biases), K)),
        len(y),
        "the untuned model",
    )


def positive_class_report(y, predictions, positive: int, *, seed: int, n_boot: int = 1000, level: float = 0.95):
    """Precision and recall of the positive class with percentile bootstrap intervals (rows resampled)."""
    cm = confusion_counts(y, predictions, 2)
    tp = cm[positive, positive]
    precision, recall = float(div(tp, cm[:, positive].sum())), float(div(tp, cm[positive].sum()))
    rng = np.random.default_rng(seed)
    hit = (predictions == positive).astype(np.int64)
    actual = (y == positive).astype(np.int64)
    rows = rng.integers(0, len(y), size=(n_boot, len(y)))
    tp_b = (hit[rows] & actual[rows]).sum(1)
    precision_b, recall_b = div(tp_b, hit[rows].sum(1)), div(tp_b, actual[rows].sum(1))
    q = [(1 - level) / 2, (1 + level) / 2]
    return {
        "precision": round(precision, 6),
        "recall": round(recall, 6),
        "precision_ci95": [round(float(v), 6) for v in np.quantile(precision_b, q)],
        "recall_ci95": [round(float(v), 6) for v in np.quantile(recall_b, q)],
    }


# tuned biases that give one minority class (multi-label: one label) this share of the fitting rows or more
# predict "every row": no decision, never a gain
PREDICT_ALL_SHARE = 0.95


def predicts_one_class(logits, y, biases, classes: list[str]) -> str | None:
    """Why tuned biases are no decision: they predict a class that is not the majority for (nearly) every fitting
    row, which F1-type objectives reward when the model has little signal. None when they are a decision."""
    predicted = np.asarray(logits, dtype=np.float64) + np.asarray(biases, dtype=np.float64)
    shares = np.bincount(predicted.argmax(1), minlength=len(classes)) / len(predicted)
    prevalence = np.bincount(np.asarray(y), minlength=len(classes)) / len(y)
    top = int(shares.argmax())
    if shares[top] >= PREDICT_ALL_SHARE and prevalence[top] < 0.5:
        return f"tuned to predict {classes[top]} for {shares[top]:.0%} of rows ({prevalence[top]:.0%} are)"
    return None
