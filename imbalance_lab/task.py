"""The task: multiclass (one class per row; ordinal is a property of it) or multilabel (a row carries a set of
labels, an (n, L) 0/1 matrix).

Decided once where the data comes in (datasets.load_table, from data.task or the built-in manifest), written in
embed's meta.json, carried by the workspace and the model file. Everything that differs between the two tasks is a
method here, so no other code asks the labels' shape or a metric's name what the task is. The methods import
their implementations when called: those modules import this one for the task names, and a stage that never
trains (split, evaluate) does not load the training code.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from imbalance_lab.errors import DataError

MULTICLASS = "multiclass"
MULTILABEL = "multilabel"
TASKS = (MULTICLASS, MULTILABEL)


@dataclass(frozen=True)
class Task:
    """What both tasks offer; `Multiclass` and `Multilabel` implement it."""

    name = ""
    ordinal: bool = False

    def __str__(self) -> str:
        return self.name

    def metric_names(self, role: str) -> tuple[str, ...]:
        from imbalance_lab.evaluation.metric_registry import metric_names

        return metric_names(role, self.name, ordinal=self.ordinal)


@dataclass(frozen=True)
class Multiclass(Task):
    name = MULTICLASS
    unit = "rows"  # what a class count counts
    label_sets = False  # a row's label is one class name
    target_dtype = np.int64  # the loss's targets: class codes
    weights_from = "original training counts (before resampling)"

    # ------------------------------------------------------------------ labels and splits
    def encode(self, labels, label_order) -> tuple[np.ndarray, list[str]]:
        from imbalance_lab.data.datasets import encode_labels

        return encode_labels(labels, label_order)

    def label_summary(self, y: np.ndarray) -> str:
        return ""  # the class counts are logged with the rows

    def counts(self, y: np.ndarray, n_classes: int) -> np.ndarray:
        """Rows per class."""
        return np.bincount(y, minlength=n_classes)

    def relabel_rare(self, y: np.ndarray, classes: list[str], split):
        """split.min_class_count applied; a dropped row is -1 (in no split)."""
        from imbalance_lab.data.splitting import handle_rare_classes

        return handle_rare_classes(y, classes, split, self.ordinal)

    def eligible(self, y: np.ndarray) -> np.ndarray:
        """The rows a split may place: those split.min_class_count kept."""
        return np.flatnonzero(y >= 0)

    def check_split_counts(self, y: np.ndarray, classes: list[str], test_size: float, val_size: float) -> None:
        from imbalance_lab.data.splitting import check_class_sizes

        check_class_sizes(y, classes, test_size, val_size)

    def split(self, y: np.ndarray, classes: list[str], *, test_size: float, val_size: float, seed: int):
        from imbalance_lab.data.splitting import stratified_split

        return stratified_split(y, classes, test_size=test_size, val_size=val_size, seed=seed)

    def holdout(self, positions: np.ndarray, y: np.ndarray, size: float, seed: int):
        from imbalance_lab.data.splitting import stratified_holdout

        return stratified_holdout(positions, y, size, seed)

    def check_folds(self, y: np.ndarray, classes: list[str], folds: int) -> None:
        from imbalance_lab.data.splitting import check_folds

        check_folds(y, classes, folds)

    def folds(self, y: np.ndarray, folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
        from imbalance_lab.data.splitting import stratified_folds

        return stratified_folds(y, folds, seed)

    def fold_ids(self, y: np.ndarray, folds: int, seed: int) -> np.ndarray:
        from imbalance_lab.data.splitting import stratified_fold_ids

        return stratified_fold_ids(y, folds, seed)

    # ------------------------------------------------------------------ models
    def loss_weights(self, counts: np.ndarray, n_rows: int, train) -> np.ndarray | None:
        """train.class_weight's per-class loss weights (None: unweighted), from the ORIGINAL training counts."""
        from imbalance_lab.strategies.class_weights import class_weights

        return class_weights(counts, train)

    def mean_logits(self, member_logits: list[np.ndarray]) -> np.ndarray:
        """An ensemble's logits: log of the mean member probability (one member: its own logits)."""
        from imbalance_lab.evaluation.metrics import softmax

        if len(member_logits) == 1:
            return member_logits[0]
        mean_proba = np.mean([softmax(logits) for logits in member_logits], axis=0)
        return np.log(np.clip(mean_proba, 1e-12, None))

    def macro_f1(self, logits: np.ndarray, y: np.ndarray, n_classes: int) -> float:
        """Early stopping's score: macro-F1 of the argmax."""
        from imbalance_lab.evaluation.metrics import confusion_counts, macro_f1_from_confusion

        return macro_f1_from_confusion(confusion_counts(y, logits.argmax(1), n_classes))

    # ------------------------------------------------------------------ reports
    def test_report(self, y, logits, classes: list[str], *, train_counts, seed: int, biases=None) -> dict:
        """Headline metrics flat, per-class detail and bootstrap CIs under their keys; biases added to the logits."""
        from imbalance_lab.evaluation.split_report import test_report

        shifted = logits if biases is None else logits + biases
        return test_report(y, shifted, classes, ordinal=self.ordinal, seed=seed)

    def write_plots(self, folder, y, logits, classes: list[str], train_counts, *, biases=None, curves=True) -> None:
        from imbalance_lab.evaluation.split_report import write_test_plots

        shifted = logits if biases is None else logits + biases
        write_test_plots(folder, y, shifted, classes, curves=curves, train_counts=train_counts)

    def fold_scorer(self, y: np.ndarray, n_classes: int):
        """Scores each cross-validation fold and pools them (crossval.py)."""
        from imbalance_lab.models.crossval import ClassScores

        return ClassScores(y, n_classes, self.ordinal)


@dataclass(frozen=True)
class Multilabel(Task):
    name = MULTILABEL
    unit = "positive rows"
    label_sets = True  # a row's label is a set of label names (maybe empty)
    target_dtype = np.float32  # BCE's targets: the 0/1 matrix
    weights_from = "original training counts (before resampling); multi-label: BCE pos_weight per label"

    def __post_init__(self):
        if self.ordinal:
            raise DataError("data.ordinal needs one label per row; multi-label data has label sets")

    def encode(self, labels, label_order) -> tuple[np.ndarray, list[str]]:
        from imbalance_lab.data.datasets import encode_label_sets

        return encode_label_sets(labels, label_order)

    def label_summary(self, y: np.ndarray) -> str:
        from imbalance_lab.data.label_sets import label_summary

        return f"multi-label: {label_summary(y)}"

    def counts(self, y: np.ndarray, n_classes: int) -> np.ndarray:
        """Positive rows per label."""
        return y.sum(0)

    def relabel_rare(self, y: np.ndarray, classes: list[str], split):
        from imbalance_lab.data.label_sets import handle_rare_labels

        return handle_rare_labels(y, classes, split)

    def eligible(self, y: np.ndarray) -> np.ndarray:
        return np.arange(len(y))  # a row left with no label stays: an all-negative example

    def check_split_counts(self, y: np.ndarray, classes: list[str], test_size: float, val_size: float) -> None:
        from imbalance_lab.data.splitting import check_split_counts

        check_split_counts(y.sum(0), classes, test_size, val_size, "positive rows", "label")

    def split(self, y: np.ndarray, classes: list[str], *, test_size: float, val_size: float, seed: int):
        from imbalance_lab.data.label_sets import iterative_split

        return iterative_split(y, classes, test_size=test_size, val_size=val_size, seed=seed)

    def holdout(self, positions: np.ndarray, y: np.ndarray, size: float, seed: int):
        from imbalance_lab.data.label_sets import iterative_holdout

        return iterative_holdout(positions, y, size, seed)

    def check_folds(self, y: np.ndarray, classes: list[str], folds: int) -> None:
        from imbalance_lab.data.splitting import check_fold_counts

        check_fold_counts(y.sum(0), classes, folds)

    def folds(self, y: np.ndarray, folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
        fold_of_row = self.fold_ids(y, folds, seed)
        rows = np.arange(len(y))
        return [(rows[fold_of_row != fold], rows[fold_of_row == fold]) for fold in range(folds)]

    def fold_ids(self, y: np.ndarray, folds: int, seed: int) -> np.ndarray:
        from imbalance_lab.data.label_sets import iterative_fold_ids

        return iterative_fold_ids(y, folds, seed)

    def loss_weights(self, counts: np.ndarray, n_rows: int, train) -> np.ndarray | None:
        """BCE's pos_weight per label from the positives among n_rows ORIGINAL training rows (None: unweighted)."""
        from imbalance_lab.strategies.multilabel import pos_weight

        return pos_weight(counts, n_rows, train)

    def mean_logits(self, member_logits: list[np.ndarray]) -> np.ndarray:
        """An ensemble's logits: the logit of each label's mean member probability."""
        from imbalance_lab.evaluation.label_metrics import sigmoid

        if len(member_logits) == 1:
            return member_logits[0]
        mean_proba = np.clip(np.mean([sigmoid(logits) for logits in member_logits], axis=0), 1e-12, 1 - 1e-12)
        return np.log(mean_proba) - np.log1p(-mean_proba)

    def macro_f1(self, logits: np.ndarray, y: np.ndarray, n_classes: int) -> float:
        """Early stopping's score: macro-F1 with each label predicted at p > 0.5."""
        from imbalance_lab.evaluation.label_metrics import macro_f1_labels, predict

        return macro_f1_labels(y, predict(logits))

    def test_report(self, y, logits, classes: list[str], *, train_counts, seed: int, biases=None) -> dict:
        from imbalance_lab.evaluation.split_report import label_test_report

        return label_test_report(y, logits, classes, train_counts=train_counts, seed=seed, biases=biases)

    def write_plots(self, folder, y, logits, classes: list[str], train_counts, *, biases=None, curves=True) -> None:
        from imbalance_lab.evaluation.split_report import write_label_plots

        write_label_plots(folder, y, logits, classes, train_counts, biases=biases, curves=curves)

    def fold_scorer(self, y: np.ndarray, n_classes: int):
        from imbalance_lab.models.crossval import LabelScores

        return LabelScores(y, n_classes)


_BY_NAME = {MULTICLASS: Multiclass, MULTILABEL: Multilabel}


def task_named(name: str, ordinal: bool = False) -> Task:
    """The task a meta.json or model file names."""
    if name not in _BY_NAME:
        raise DataError(f"unknown task {name!r} (known: {', '.join(TASKS)}); run dvc repro to rewrite the artifacts")
    return _BY_NAME[name](ordinal=ordinal)


def task_of_reported(metric_keys) -> Task:
    """The task of runs from the metric keys they reported ("test.micro_f1"; compare reads experiments, not
    artifacts): a metric only multi-label reports hold marks them."""
    from imbalance_lab.evaluation.metric_registry import METRICS

    names = {key.rsplit(".", 1)[-1] for key in metric_keys}
    only_multilabel = any(METRICS[name].tasks == (MULTILABEL,) for name in names if name in METRICS)
    return task_named(MULTILABEL if only_multilabel else MULTICLASS)
