"""Stratified k-fold over train+val. Resampling and training happen inside each training fold only; the
held-out fold is scored as it is. Keeps every fold's out-of-fold logits (for threshold fitting).

With train.ensemble_size N each fold trains N members (training.member_seed of the fold seed) and its out-of-fold
logits are the ensemble's, so thresholds fitted on them match the kind of model that scores the test split."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from imbalance_lab.config import Params
from imbalance_lab.errors import DataError
from imbalance_lab.evaluation.label_metrics import label_counts, predict, rare_labels
from imbalance_lab.evaluation.metric_registry import metric_names
from imbalance_lab.evaluation.metrics import confusion_counts, decisions_metrics, div, macro_f1_from_confusion
from imbalance_lab.features.scaling import fit_scaler
from imbalance_lab.models.modelfile import ensemble_logits, member_weights
from imbalance_lab.models.training import member_seed, train_mlp
from imbalance_lab.strategies.resampling import Resampled, resample
from imbalance_lab.strategies.text_augment import Texts
from imbalance_lab.task import MULTICLASS, MULTILABEL, Task


@dataclass
class CvResult:
    oof_logits: np.ndarray  # (n, K): row i scored by the fold model that never saw it
    fold_of_row: np.ndarray  # (n,) fold number of each row
    per_fold: dict[str, list[float]]
    pooled_macro_f1: float  # macro-F1 of all folds' held-out decisions pooled (Forman & Scholz)
    fitted_rows: list[int]  # per fold, rows used to fit (before resampling): the Nadeau-Bengio correction
    held_out_rows: list[int]


def _disjoint_or_fail(fold: int, held_idx: np.ndarray, *fitting: np.ndarray) -> None:
    """Cheap leakage guard: nothing the fold model is resampled, trained or early-stopped on is held out."""
    for rows in fitting:
        if np.intersect1d(rows, held_idx).size:
            raise RuntimeError(f"cross-validation fold {fold + 1}: held-out rows reached fitting (a bug)")


class ClassScores:
    """Fold scores and the pooled confusion of multiclass folds."""

    def __init__(self, y, K: int, ordinal: bool):
        self.K = K
        self.names = metric_names("per_fold", MULTICLASS, ordinal=ordinal)
        self.pooled = np.zeros((K, K), dtype=np.int64)
        self.minority = int(np.argmin(np.bincount(y, minlength=K)))

    def score(self, y, logits) -> dict:
        predictions = logits.argmax(1)
        cm = confusion_counts(y, predictions, self.K)
        self.pooled += cm
        scores = {
            **decisions_metrics(y, predictions, self.K),
            "minority_recall": cm[self.minority, self.minority] / cm[self.minority].sum(),
            "mae_class": np.abs(y - predictions).mean(),
        }
        return {name: scores[name] for name in self.names}

    def pooled_macro_f1(self) -> float:
        return macro_f1_from_confusion(self.pooled)


class LabelScores:
    """Fold scores and pooled per-label counts of multi-label folds (labels predicted at p > 0.5)."""

    def __init__(self, Y, K: int):
        self.names = metric_names("per_fold", MULTILABEL)
        self.rare = rare_labels(Y.sum(0))
        self.tp, self.fp, self.fn = np.zeros(K), np.zeros(K), np.zeros(K)

    def score(self, Y, logits) -> dict:
        tp, fp, fn = label_counts(Y, predict(logits))
        self.tp, self.fp, self.fn = self.tp + tp, self.fp + fp, self.fn + fn
        micro = div(2 * tp.sum(), 2 * tp.sum() + fp.sum() + fn.sum())
        rare = div(tp[self.rare].sum(), (tp + fn)[self.rare].sum())
        return {"macro_f1": div(2 * tp, 2 * tp + fp + fn).mean(), "micro_f1": micro, "rare_label_recall": rare}

    def pooled_macro_f1(self) -> float:
        return float(div(2 * self.tp, 2 * self.tp + self.fp + self.fn).mean())


@dataclass(frozen=True)
class Fold:
    """One fold's rows (indices into cross-validate's rows) and its resampled fitting rows."""

    number: int
    task: Task
    fit: np.ndarray  # the fitting rows, before resampling
    stop: np.ndarray  # early-stopping rows carved from the training fold
    held: np.ndarray  # the held-out rows the fold's model scores
    X_fit: np.ndarray  # the fitting rows' features as resampling saw them (scaled when the data wants it)
    balanced: Resampled
    counts: np.ndarray  # class counts of the fitting rows before resampling
    prepare: Callable[[np.ndarray], np.ndarray]  # features -> as the fold's model sees them (its own scaler)


def mlp_fold_logits(X: np.ndarray, y: np.ndarray, params: Params) -> Callable[[Fold], np.ndarray]:
    """The frozen encoder's fold model: the MLP head (a seed ensemble of them) -> the held-out rows' logits."""

    def logits(fold: Fold) -> np.ndarray:
        members = []
        for member in range(params.train.ensemble_size):
            result = train_mlp(
                fold.balanced.X,
                fold.balanced.y,
                fold.prepare(X[fold.stop]),
                y[fold.stop],
                n_classes=len(fold.counts),
                original_counts=fold.counts,
                params=params.train,
                seed=member_seed(params.seed + fold.number, member),
                task=fold.task,
                original_rows=len(fold.fit),
            )
            members.append(member_weights(result.model))
        return ensemble_logits(members, fold.prepare(X[fold.held]), fold.task)

    return logits


def _carve_out(task: Task, y: np.ndarray, fit_idx: np.ndarray, size: float, seed: int, where: str):
    """Early stopping inside a fold needs its own validation rows: (fitting, early-stopping) rows of the training
    fold, stratified."""
    try:
        return task.holdout(fit_idx, y[fit_idx], size, seed)
    except ValueError as exc:  # too few rows for a stratified early-stopping carve-out
        if "cannot hold all" in str(exc):  # more classes than carve-out rows: fewer folds cannot help
            fix = "raise split.val_size (the share each training fold keeps for early stopping) or merge rare classes"
        else:
            fix = "lower cv.folds or add rows of the smallest class"
        raise DataError(f"{where}: early-stopping carve-out: {exc}; {fix}") from None


def cross_validate(
    X: np.ndarray,
    y: np.ndarray,
    classes: list[str],
    params: Params,
    task: Task,
    progress=None,
    texts: Texts | None = None,
    scale: bool = False,
    fold_logits: Callable[[Fold], np.ndarray] | None = None,
) -> CvResult:
    """y: class codes, or a multi-label (n, L) 0/1 matrix (iteratively stratified folds).
    texts: the rows' texts and embedder, for balance methods that make new texts (each fold uses its own).
    scale: standardise features with a scaler fitted on each fold's fitting rows (scaling.py).
    fold_logits: the fold's model (default: the MLP head on X; a fine-tuned encoder passes its own)."""
    K, folds = len(classes), params.cv.folds
    task.check_folds(y, classes, folds)
    oof = np.zeros((len(y), K))
    fold_of_row = np.full(len(y), -1)
    scorer = task.fold_scorer(y, K)
    per_fold: dict[str, list[float]] = {name: [] for name in scorer.names}
    inner_val = params.split.val_size / (1 - params.split.test_size)
    model = fold_logits or mlp_fold_logits(X, y, params)
    fitted_rows, held_out_rows = [], []
    for fold, (fit_idx, held_idx) in enumerate(task.folds(y, folds, params.seed)):
        fit_idx, stop_idx = _carve_out(task, y, fit_idx, inner_val, params.seed + fold, f"cv fold {fold + 1}/{folds}")
        _disjoint_or_fail(fold, held_idx, fit_idx, stop_idx)
        counts = task.counts(y[fit_idx], K)
        prepare = fit_scaler(X[fit_idx]).apply if scale else np.asarray  # a fold's scaler sees its fitting rows only
        X_fit = prepare(X[fit_idx])
        try:
            fold_texts = texts.subset(fit_idx) if texts is not None else None
            balanced = resample(
                X_fit,
                y[fit_idx],
                params.balance,
                seed=params.seed + fold,
                class_names=classes,
                texts=fold_texts,
                task=task.name,
            )
        except DataError as exc:
            raise DataError(f"cv fold {fold + 1}/{folds}: {exc}") from None
        logits = model(Fold(fold, task, fit_idx, stop_idx, held_idx, X_fit, balanced, counts, prepare))
        oof[held_idx], fold_of_row[held_idx] = logits, fold
        scores = scorer.score(y[held_idx], logits)
        for name in scorer.names:
            per_fold[name].append(round(float(scores[name]), 6))
        fitted_rows.append(len(fit_idx) + len(stop_idx))
        held_out_rows.append(len(held_idx))
        if progress is not None:
            progress(fold, scores)
    return CvResult(
        oof_logits=oof,
        fold_of_row=fold_of_row,
        per_fold=per_fold,
        pooled_macro_f1=scorer.pooled_macro_f1(),
        fitted_rows=fitted_rows,
        held_out_rows=held_out_rows,
    )


def summarize_cv(result: CvResult) -> dict:
    """metrics/cv.json: the headline numbers `dvc exp show` lists, and per-fold lists it leaves out (DVC shows no
    lists): every metric per fold (compare's paired tests; mean and std of any of them) and the fold sizes."""
    values = result.per_fold["macro_f1"]
    return {
        "pooled_macro_f1": round(result.pooled_macro_f1, 6),
        "macro_f1_mean": round(float(np.mean(values)), 6),
        "macro_f1_std": round(float(np.std(values, ddof=1)), 6),
        "per_fold": result.per_fold,
        "fold_rows": {"fitted": result.fitted_rows, "held_out": result.held_out_rows},
    }
