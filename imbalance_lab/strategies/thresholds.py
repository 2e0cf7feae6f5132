"""threshold.method: decision adjustments as an additive per-class bias on the logits, argmax(logits + b).

A binary threshold t on p(class 1) is the bias [0, -logit(t)]: class 1 is predicted iff p(class 1) > t.
Methods (THRESHOLD_METHODS) are fitted on validation or out-of-fold logits and scored with an objective
from OBJECTIVES (threshold.metric). A new method = one function (logits, y, fit: _Fit) + one registry entry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from imbalance_lab.errors import ConfigError, DataError
from imbalance_lab.evaluation import metrics
from imbalance_lab.strategies.registry import Registry
from imbalance_lab.task import MULTICLASS

if TYPE_CHECKING:
    from imbalance_lab.config import ThresholdParams

MAX_ROUNDS = 10  # coordinate-ascent sweeps over the classes for per_class_bias
CELL_BUDGET = 2**20  # max confusion cells (candidates * K * K) scored at once per class scan


@dataclass(frozen=True)
class Objective:
    """A decision metric: callable as f(y_true, y_pred, K) -> float, and vectorised on (..., K, K)."""

    from_confusion: Callable[[np.ndarray], np.ndarray]

    def __call__(self, y_true, y_pred, K) -> float:
        return float(self.from_confusion(metrics.confusion_counts(y_true, y_pred, K)))


OBJECTIVES = Registry("threshold.metric")
BINARY = "binary"  # trait of an objective about one positive class: its entry builds it for (positive, target)
FLOOR_PENALTY = 10.0  # objective units lost per unit of recall below a threshold.recall_floor
for _name in metrics.DECISION_METRICS:
    _metric = metrics.CONFUSION_METRICS[_name]
    _summary = _metric.__doc__.split(";")[0].split(" (")[0]
    OBJECTIVES.register(_name, kind="objective", summary=_summary, tasks=(MULTICLASS,))(Objective(_metric))


def _positive_rates(cm, positive: int) -> tuple[np.ndarray, np.ndarray]:
    """(precision, recall) of the positive class from one confusion matrix or a stack (..., K, K)."""
    cm = np.asarray(cm, dtype=np.float64)
    tp = cm[..., positive, positive]
    return metrics.div(tp, cm[..., :, positive].sum(-1)), metrics.div(tp, cm[..., positive, :].sum(-1))


@OBJECTIVES.register(
    "f1", kind="objective", summary="F1 of threshold.positive_class (binary)", traits={BINARY}, tasks=(MULTICLASS,)
)
def _positive_f1(positive: int, target: float) -> Objective:
    def value(cm):
        precision, recall = _positive_rates(cm, positive)
        return metrics.div(2 * precision * recall, precision + recall)

    return Objective(value)


@OBJECTIVES.register(
    "recall_at_precision",
    kind="objective",
    summary="the best recall of threshold.positive_class with precision >= threshold.target (binary)",
    reads=("threshold.target", "threshold.positive_class"),
    traits={BINARY},
    tasks=(MULTICLASS,),
)
def _recall_at_precision(positive: int, target: float) -> Objective:
    return _best_subject_to(positive, target, floor_on="precision")


@OBJECTIVES.register(
    "precision_at_recall",
    kind="objective",
    summary="the best precision of threshold.positive_class with recall >= threshold.target (binary)",
    reads=("threshold.target", "threshold.positive_class"),
    traits={BINARY},
    tasks=(MULTICLASS,),
)
def _precision_at_recall(positive: int, target: float) -> Objective:
    return _best_subject_to(positive, target, floor_on="recall")


#: The binary objectives with a target: (the metric maximised, the metric kept >= threshold.target). The leaderboard
#: ranks by the first and judges the second against the target.
TARGETED = {"recall_at_precision": ("recall", "precision"), "precision_at_recall": ("precision", "recall")}


def _best_subject_to(positive: int, target: float, floor_on: str) -> Objective:
    """Maximise the positive class's recall (floor_on="precision") or precision (floor_on="recall") while the
    other stays >= target; infeasible thresholds score below every feasible one, higher the closer they get."""

    def value(cm):
        precision, recall = _positive_rates(cm, positive)
        floored, maximised = (precision, recall) if floor_on == "precision" else (recall, precision)
        return np.where(floored >= target, maximised, floored - 2.0)

    return Objective(value)


def with_recall_floors(objective: Objective, floors: dict[int, float]) -> Objective:
    """The objective minus FLOOR_PENALTY per unit of recall missing below each class's floor."""
    if not floors:
        return objective

    def value(cm):
        cm = np.asarray(cm, dtype=np.float64)
        recall = metrics.div(np.diagonal(cm, axis1=-2, axis2=-1), cm.sum(-1))
        shortfall = sum(np.maximum(0.0, floor - recall[..., k]) for k, floor in floors.items())
        return objective.from_confusion(cm) - FLOOR_PENALTY * shortfall

    return Objective(value)


THRESHOLD_METHODS = Registry("threshold.method")
ADJUSTMENT = "decision adjustment"


@dataclass(frozen=True)
class _Fit:
    """What every threshold method receives besides the logits and labels."""

    settings: ThresholdParams
    objective: Objective
    priors: np.ndarray | None
    regularization: float
    positive: int  # the class a binary threshold is fitted for
    seed: int
    rounds: int = MAX_ROUNDS  # coordinate-ascent sweeps (cross-fitting uses fewer)


def apply_biases(logits, biases) -> np.ndarray:
    """Predicted codes argmax(logits + biases); ties go to the lower class code."""
    logits = np.asarray(logits, dtype=np.float64)
    biases = np.asarray(biases, dtype=np.float64)
    if biases.shape != logits.shape[-1:]:
        raise DataError(f"biases has shape {biases.shape} but logits have {logits.shape[-1]} classes")
    return np.argmax(logits + biases, axis=-1)


def _penalised(objective, logits, y, b, regularization) -> float:
    """Exact objective of argmax(logits + b) minus the shrinkage penalty."""
    return objective(y, apply_biases(logits, b), logits.shape[1]) - regularization * float(b @ b)


def _scan(logits, y, b, k, objective, regularization) -> float:
    """Best value for b[k] with the other biases fixed, scoring every candidate at once.

    Row i predicts k iff b[k] > margin_i = max_{j != k}(logits + b)_ij - logits_ik, otherwise its
    runner-up. Candidates are midpoints between distinct margins, both ends, 0 and the current b[k];
    each row's confusion cell moves from (y, runner-up) to (y, k) from the first candidate above its
    margin, so cumulative bincounts give all candidates' confusion matrices. Ties -> smaller |b[k]|.
    """
    n, K = logits.shape
    others = logits + b
    others[:, k] = -np.inf
    runner = others.argmax(axis=1)
    margin = others[np.arange(n), runner] - logits[:, k]
    u = np.unique(margin)
    cap = max(16, CELL_BUDGET // (K * K))
    if len(u) > cap:  # keep evenly spaced distinct margins (quantiles) to bound memory
        u = u[np.unique(np.linspace(0, len(u) - 1, cap).round().astype(int))]
    cand = np.unique(np.concatenate([[u[0] - 1.0], (u[:-1] + u[1:]) / 2, [u[-1] + 1.0, 0.0, b[k]]]))
    first = np.searchsorted(cand, margin, side="right")  # first candidate index that switches row to k
    kk, size = K * K, (len(cand) + 1) * K * K
    moved = np.bincount(first * kk + y * K + k, minlength=size) - np.bincount(
        first * kk + y * K + runner, minlength=size
    )
    cm = metrics.confusion_counts(y, runner, K) + moved.reshape(-1, K, K)[: len(cand)].cumsum(axis=0)
    penalty = regularization * (float(b @ b) - b[k] ** 2 + cand**2)
    score = np.round(objective.from_confusion(cm) - penalty, 12)
    return float(cand[np.lexsort((cand, np.abs(cand), -score))[0]])


def _coordinate_ascent(logits, y, objective, regularization, classes, max_rounds) -> np.ndarray:
    """Start at b = 0; accept a class's best scan value only if the exact penalised objective rises."""
    b = np.zeros(logits.shape[1])
    best = _penalised(objective, logits, y, b, regularization)
    for _ in range(max_rounds):
        improved = False
        for k in classes:
            trial = b.copy()
            trial[k] = _scan(logits, y, b, k, objective, regularization)
            score = _penalised(objective, logits, y, trial, regularization)
            if score > best + 1e-12:
                b, best, improved = trial, score, True
        if not improved:
            break
    return b


@THRESHOLD_METHODS.register("none", kind=ADJUSTMENT, summary="plain argmax", tasks=(MULTICLASS,))
def no_adjustment(logits, y, fit: _Fit) -> np.ndarray:
    """Plain argmax."""
    return np.zeros(logits.shape[1])


@THRESHOLD_METHODS.register(
    "posthoc_logit_adjustment",
    kind=ADJUSTMENT,
    summary="b = -tau * log(training prior): no fitting",
    reads=("threshold.tau",),
    reference="Menon et al. 2021",
    tasks=(MULTICLASS,),
)
def posthoc_logit_adjustment(logits, y, fit: _Fit) -> np.ndarray:
    """priors = original training class frequencies."""
    K, priors, tau = logits.shape[1], fit.priors, fit.settings.tau
    p = np.asarray(priors, dtype=np.float64) if priors is not None else None
    if p is None or p.shape != (K,) or not np.isfinite(p).all() or (p <= 0).any():
        raise DataError(
            f"posthoc_logit_adjustment needs {K} positive training class priors, got {priors!r}; "
            "every class must occur in the training data"
        )
    return -tau * np.log(p / p.sum())


@THRESHOLD_METHODS.register(
    "per_class_bias",
    kind=ADJUSTMENT,
    summary="coordinate ascent on one logit bias per class, maximising threshold.metric",
    reads=("threshold.metric", "threshold.regularization"),
    reference="Elor & Averbuch-Elor 2022 (tuned thresholds vs SMOTE)",
    tasks=(MULTICLASS,),
)
def per_class_bias(logits, y, fit: _Fit) -> np.ndarray:
    """Maximises objective - regularization * ||b||^2."""
    classes = range(logits.shape[1])
    return _coordinate_ascent(logits, y, fit.objective, fit.regularization, classes, fit.rounds)


@THRESHOLD_METHODS.register(
    "threshold_sweep",
    kind=ADJUSTMENT,
    summary="binary: the best threshold on p(threshold.positive_class) over all distinct scores",
    reads=("threshold.metric", "threshold.regularization", "threshold.positive_class"),
    tasks=(MULTICLASS,),
)
def threshold_sweep(logits, y, fit: _Fit) -> np.ndarray:
    """Binary: best threshold over all distinct scores (ties -> closest to 0.5), as a bias on the positive class
    only: predict it iff p(positive) > sigmoid(-b) (probability_threshold)."""
    K = logits.shape[1]
    if K != 2:
        raise ConfigError(
            f"threshold.method: threshold_sweep is for binary tasks but this task has {K} classes; use per_class_bias"
        )
    return _coordinate_ascent(logits, y, fit.objective, fit.regularization, (fit.positive,), max_rounds=1)


def _check(logits, y) -> tuple[np.ndarray, np.ndarray]:
    logits = np.asarray(logits, dtype=np.float64)
    y = np.asarray(y)
    if logits.ndim != 2 or logits.shape[0] == 0 or logits.shape[1] < 2:
        raise DataError(f"logits must be a non-empty (n, K>=2) array, got shape {logits.shape}")
    n, K = logits.shape
    bad = int((~np.isfinite(logits)).any(axis=1).sum())
    if bad:
        raise DataError(f"logits contain NaN or inf in {bad} of {n} rows; fix the model outputs upstream")
    if y.shape != (n,) or not np.issubdtype(y.dtype, np.integer) or y.min() < 0 or y.max() >= K:
        raise DataError(f"y must be {n} integer class codes in 0..{K - 1} to match logits, got {y.shape}")
    return logits, y.astype(np.int64)


def decision_objective(settings: ThresholdParams, classes: list[str], positive: int | None) -> Objective:
    """settings.metric as an Objective over this task's classes, with the recall floors applied."""
    entry = OBJECTIVES[settings.metric]
    if BINARY in entry.traits:
        if positive is None or len(classes) != 2:
            raise ConfigError(
                f"threshold.metric: {settings.metric} is about one positive class of a binary task, but this task has "
                f"{len(classes)} classes; use macro_f1, balanced_accuracy or mcc"
            )
        objective = entry.run(positive, settings.target)
    else:
        objective = entry.run
    floors = {}
    for name, floor in settings.recall_floor.items():
        if name not in classes:
            raise ConfigError(f"threshold.recall_floor: unknown class {name!r}; classes are: {', '.join(classes)}")
        floors[classes.index(name)] = floor
    return with_recall_floors(objective, floors)


def positive_class(settings: ThresholdParams, classes: list[str], train_counts) -> int | None:
    """The positive class code of a binary task: threshold.positive_class, else the smaller training class."""
    if len(classes) != 2:
        return None
    if settings.positive_class:
        if settings.positive_class not in classes:
            raise ConfigError(
                f"threshold.positive_class: {settings.positive_class!r} is not a class; "
                f"classes are: {', '.join(classes)}"
            )
        return classes.index(settings.positive_class)
    return int(np.argmin(train_counts))


def probability_threshold(biases: np.ndarray, positive: int) -> float:
    """The p(positive) above which argmax(logits + biases) predicts the positive class (binary)."""
    margin = float(biases[positive] - biases[1 - positive])
    return float(1.0 / (1.0 + np.exp(margin)))


def fit_biases(
    logits: np.ndarray,
    y: np.ndarray,
    settings: ThresholdParams,
    *,
    priors,
    objective: Objective | None = None,
    regularization: float = 0.0,
    positive: int = 1,
    seed: int = 0,
    rounds: int = MAX_ROUNDS,
) -> np.ndarray:
    """Fit a (K,) float64 bias vector with settings.method; apply it with apply_biases(logits, b).

    objective: default settings.metric (multiclass metrics only; see decision_objective). Never lowers the
    objective on the fitting set relative to b = 0 (per_class_bias, threshold_sweep). On two classes
    per_class_bias is the same single threshold as threshold_sweep, fitted for `positive`.
    `seed` is there for stochastic methods; the current methods are deterministic and ignore it.
    """
    method = settings.method
    logits, y = _check(logits, y)
    if method == "per_class_bias" and logits.shape[1] == 2:
        method = "threshold_sweep"
    entry = THRESHOLD_METHODS[method]
    objective = objective if objective is not None else OBJECTIVES[settings.metric].run
    fit = _Fit(settings, objective, priors, float(regularization), positive, seed, rounds)
    return np.asarray(entry(logits, y, fit), dtype=np.float64) + 0.0  # + 0.0 turns -0.0 into 0.0
