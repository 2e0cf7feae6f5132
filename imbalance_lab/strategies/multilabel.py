"""The multi-label implementations of every strategy axis (Y: (n, L) 0/1 label matrix), registered on the same
registries as the multiclass ones, so `dvc exp run -S balance.method=random_over` means ML-ROS on multi-label
data and the valid names per task come from the registries.

Imbalance per label is Charte et al.'s IRLbl = (positives of the most frequent label) / (positives of this
label); a label is a minority label when its IRLbl is above the mean (MeanIR).
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

import numpy as np

from imbalance_lab.data.rows import rows_not_in
from imbalance_lab.errors import ConfigError, DataError
from imbalance_lab.strategies.class_weights import CLASS_WEIGHTS
from imbalance_lab.strategies.losses import LOSS, LOSSES
from imbalance_lab.strategies.neighbours import PARAM, Neighbours
from imbalance_lab.strategies.resampling import NEEDS_TEXT, RESAMPLERS, Resampled
from imbalance_lab.strategies.samplers import SAMPLERS, _chunk, _shuffle
from imbalance_lab.strategies.text_augment import Texts, augment_class
from imbalance_lab.strategies.thresholds import OBJECTIVES, THRESHOLD_METHODS
from imbalance_lab.task import MULTILABEL

if TYPE_CHECKING:
    from torch import nn

    from imbalance_lab.config import BalanceParams, TrainParams

DEFAULT_SHARE = 0.25  # ML-ROS / ML-RUS: rows added / removed, as a share of the training rows (Charte et al.)
CHARTE_2015 = "Charte et al. 2015"


def imbalance_ratios(Y: np.ndarray) -> np.ndarray:
    """IRLbl per label: the largest label's positives / this label's (inf for a label with none)."""
    counts = Y.sum(0).astype(np.float64)
    return np.divide(counts.max(), counts, out=np.full(len(counts), np.inf), where=counts > 0)


def minority_labels(Y: np.ndarray) -> tuple[np.ndarray, float]:
    ratios = imbalance_ratios(Y)
    mean_ir = float(ratios[np.isfinite(ratios)].mean())
    return np.flatnonzero(np.isfinite(ratios) & (ratios > mean_ir)), mean_ir


def _share(balance: BalanceParams, method: str) -> float:
    strategy = balance.sampling_strategy
    if strategy == "auto":
        return DEFAULT_SHARE
    if isinstance(strategy, float):
        return strategy
    raise ConfigError(
        f"balance.sampling_strategy: {method} on multi-label data takes auto ({DEFAULT_SHARE:g} of the rows) or a "
        f"share of the training rows in (0, 1], not per-class targets {strategy!r}"
    )


def _ml_ros_picks(Y, balance: BalanceParams, seed: int, method: str) -> tuple[list[tuple[int, int]], str]:
    """ML-ROS's draws: (minority label, row) pairs, a random row of each minority label in turn, until share x n
    rows are drawn; a label leaves the rotation once its IRLbl reaches MeanIR. And a line for the log."""
    rng = np.random.default_rng(seed)
    minority, mean_ir = minority_labels(Y)
    to_add = int(round(_share(balance, method) * len(Y)))
    counts = Y.sum(0).astype(np.float64)
    bags = {label: np.flatnonzero(Y[:, label]) for label in minority}
    active, picks = list(minority), []
    while active and len(picks) < to_add:
        for label in list(active):
            row = int(rng.choice(bags[label]))
            picks.append((int(label), row))
            counts += Y[row]
            if counts.max() / counts[label] <= mean_ir:
                active.remove(label)
            if len(picks) >= to_add:
                break
    return picks, f"{len(minority)} minority labels (IRLbl > MeanIR {mean_ir:.2f})"


def _ml_ros(X, Y, balance: BalanceParams, seed: int, notes: list[str], texts=None):
    """ML-ROS: clone random rows of each minority label in turn until share x n rows are added; a label leaves
    the rotation once its IRLbl reaches MeanIR. Rows are only copied, never removed."""
    picks, minority = _ml_ros_picks(Y, balance, seed, "random_over")
    notes.append(f"ML-ROS: {minority}; {len(picks)} rows cloned")
    rows = np.concatenate([np.arange(len(Y)), np.asarray([row for _, row in picks], dtype=np.int64)])
    return X[rows], Y[rows], np.zeros(len(rows), dtype=bool)


def _ml_text_augment(X, Y, balance: BalanceParams, seed: int, notes: list[str], texts=None):
    """ML-ROS's choice of how many rows each minority label gets, but each new row is a new TEXT (word dropout,
    swap, or insertion of a word from that label's training texts) of a random row of the label, with that row's
    whole label set, embedded by the embed stage's embedder: word-dropout augmentation, a common recipe."""
    picks, minority = _ml_ros_picks(Y, balance, seed, "text_augment")
    rng = np.random.default_rng(seed)
    per_label = Counter(label for label, _ in picks)
    new_texts, new_Y = [], []
    for label in sorted(per_label):
        bag = np.flatnonzero(Y[:, label])
        made, sources = augment_class(
            texts.subset(bag).texts, per_label[label], balance.augment_operations, balance.augment_rate, rng
        )
        new_texts += made
        new_Y.append(Y[bag[sources]])
    notes.append(f"text_augment (ML-ROS's counts): {minority}; {len(new_texts)} new texts")
    if not new_texts:
        return X, Y, np.zeros(len(Y), dtype=bool)
    vectors = np.asarray(texts.embed(new_texts), dtype=np.float32)
    X_out, Y_out = np.concatenate([X, vectors]), np.concatenate([Y, *new_Y])
    return X_out, Y_out, rows_not_in(X_out, X)


def _ml_rus(X, Y, balance: BalanceParams, seed: int, notes: list[str], texts=None):
    """ML-RUS: remove random rows of each majority label (IRLbl below MeanIR) in turn until share x n rows are gone
    or no majority label is left; rows carrying a minority label are never removed."""
    rng = np.random.default_rng(seed)
    ratios = imbalance_ratios(Y)
    minority, mean_ir = minority_labels(Y)
    majority = list(np.flatnonzero(np.isfinite(ratios) & (ratios < mean_ir)))
    protected = Y[:, minority].any(1) if len(minority) else np.zeros(len(Y), dtype=bool)
    to_remove = int(round(_share(balance, "random_under") * len(Y)))
    counts = Y.sum(0).astype(np.float64)
    removed = np.zeros(len(Y), dtype=bool)
    active = list(majority)
    while active and removed.sum() < to_remove:
        for label in list(active):
            candidates = np.flatnonzero(Y[:, label].astype(bool) & ~protected & ~removed)
            if not len(candidates):
                active.remove(label)
                continue
            row = int(rng.choice(candidates))
            removed[row] = True
            counts -= Y[row]
            if counts[label] == 0 or counts.max() / counts[label] >= mean_ir:
                active.remove(label)
            if removed.sum() >= to_remove:
                break
    notes.append(
        f"ML-RUS: {len(majority)} majority labels (IRLbl < MeanIR {mean_ir:.2f}); {int(removed.sum())} rows removed"
    )
    keep = np.flatnonzero(~removed)
    return X[keep], Y[keep], np.zeros(len(keep), dtype=bool)


def _mlsmote(X, Y, balance: BalanceParams, seed: int, notes: list[str], texts=None):
    """MLSMOTE: for every row of every minority label, one new row on the segment to one of its k nearest
    neighbours among that label's rows; its labels are those carried by more than half of the row and its k
    neighbours (Charte et al.'s ranking), so it always keeps the minority label."""
    rng = np.random.default_rng(seed)
    minority, mean_ir = minority_labels(Y)
    new_X, new_Y, skipped = [X], [Y], []
    for label in minority:
        bag = np.flatnonzero(Y[:, label])
        if len(bag) < 2:
            skipped.append(int(label))
            continue
        k = min(balance.k_neighbors, len(bag) - 1)
        search = Neighbours(k + 1, balance.neighbors, seed)
        neighbours = search.fit(X[bag]).kneighbors(X[bag], return_distance=False)
        neighbours = bag[neighbours[:, 1:]]  # (m, k) rows, the row itself left out
        partner = neighbours[np.arange(len(bag)), rng.integers(k, size=len(bag))]
        gap = rng.random((len(bag), 1)).astype(np.float32)
        new_X.append(X[bag] + gap * (X[partner] - X[bag]))
        votes = Y[bag].astype(np.int64) + Y[neighbours].sum(1)
        new_Y.append((2 * votes > k + 1).astype(np.uint8))
    made = sum(len(part) for part in new_Y[1:])
    notes.append(f"MLSMOTE: {len(minority)} minority labels (IRLbl > MeanIR {mean_ir:.2f}); {made} synthetic rows")
    if skipped:
        notes.append(f"MLSMOTE: {len(skipped)} minority labels with one training row had no neighbour to use")
    X_out, Y_out = np.concatenate(new_X), np.concatenate(new_Y)
    return X_out, Y_out, rows_not_in(X_out, X)


@RESAMPLERS.implement("none", MULTILABEL, "no resampling (the baseline)")
def _none(X, Y, balance, seed, notes, texts=None):
    return X, Y, np.zeros(len(Y), dtype=bool)


RESAMPLERS.implement(
    "random_over", MULTILABEL, f"ML-ROS: clones rows of minority labels (IRLbl > MeanIR), {CHARTE_2015}"
)(_ml_ros)
RESAMPLERS.implement(
    "random_under",
    MULTILABEL,
    f"ML-RUS: removes rows of majority labels, never one with a minority label; {CHARTE_2015}",
)(_ml_rus)
RESAMPLERS.implement(
    "text_augment", MULTILABEL, "ML-ROS's counts as new TEXTS (word dropout, swap, insertion) with their label sets"
)(_ml_text_augment)
RESAMPLERS.register(
    "mlsmote",
    kind="over-sampling",
    summary="multi-label SMOTE: new rows between minority-label neighbours, labels by neighbourhood vote",
    reads=("balance.k_neighbors", PARAM),
    reference="Charte et al. 2015 (MLSMOTE)",
    tasks=(MULTILABEL,),
)(_mlsmote)


def resample_labels(X, Y, balance: BalanceParams, *, seed: int, texts: Texts | None = None) -> Resampled:
    """Multi-label balance.method on training rows X (n, d), Y (n, L); deterministic for a given seed. texts: the
    rows' texts and embedder, for methods that make new texts (text_augment)."""
    RESAMPLERS.check_task(balance.method, MULTILABEL)
    if NEEDS_TEXT in RESAMPLERS[balance.method].traits and (texts is None or len(texts.texts) != len(Y)):
        raise DataError(f"{balance.method}: needs the texts of the {len(Y)} rows; they were not passed")
    X = np.ascontiguousarray(X, dtype=np.float32)
    Y = np.asarray(Y, dtype=np.uint8)
    if X.ndim != 2 or Y.ndim != 2 or len(X) != len(Y):
        raise DataError(f"resample: need X (n, d) and Y (n, L), got X {X.shape} and Y {Y.shape}")
    notes: list[str] = []
    X_out, Y_out, synthetic = RESAMPLERS[balance.method].for_task(MULTILABEL)(X, Y, balance, int(seed), notes, texts)
    return Resampled(np.asarray(X_out, dtype=np.float32), np.asarray(Y_out, dtype=np.uint8), synthetic, tuple(notes))


# ---------------------------------------------------------------------------------- class weights: pos_weight
# A multi-label class weight is BCE's pos_weight per label (negatives weigh 1), from the ORIGINAL training counts.


@CLASS_WEIGHTS.implement("none", MULTILABEL, "pos_weight 1")
def _no_pos_weight(positives: np.ndarray, negatives: np.ndarray) -> np.ndarray:
    return np.ones_like(positives, dtype=np.float64)


@CLASS_WEIGHTS.implement("inverse", MULTILABEL, "pos_weight = negatives / positives per label")
def _inverse_pos_weight(positives: np.ndarray, negatives: np.ndarray) -> np.ndarray:
    return negatives / positives


@CLASS_WEIGHTS.implement("sqrt_inverse", MULTILABEL, "pos_weight = sqrt(negatives / positives) per label")
def _sqrt_inverse_pos_weight(positives: np.ndarray, negatives: np.ndarray) -> np.ndarray:
    return np.sqrt(negatives / positives)


def pos_weight(positives: np.ndarray, n_rows: int, train: TrainParams) -> np.ndarray | None:
    """train.class_weight on multi-label data: BCE's pos_weight per label, or None for none."""
    CLASS_WEIGHTS.check_task(train.class_weight, MULTILABEL)
    positives = np.asarray(positives, dtype=np.float64)
    if (positives <= 0).any() or (positives >= n_rows).any():
        raise DataError("class weights: every label needs positive and negative training rows")
    if train.class_weight == "none":
        return None
    return CLASS_WEIGHTS[train.class_weight].for_task(MULTILABEL)(positives, n_rows - positives)


# ---------------------------------------------------------------------------------- losses


@LOSSES.implement("cross_entropy", MULTILABEL, "binary cross-entropy per label (BCEWithLogitsLoss, pos_weight)")
def _bce(counts: np.ndarray, weights: np.ndarray | None, train: TrainParams) -> nn.Module:
    from imbalance_lab.strategies.loss_modules import AsymmetricLoss

    return AsymmetricLoss(0.0, 0.0, 0.0, weights)


@LOSSES.implement("focal", MULTILABEL, "sigmoid focal loss per label, -(1 - p_t)^gamma log p_t")
def _sigmoid_focal(counts: np.ndarray, weights: np.ndarray | None, train: TrainParams) -> nn.Module:
    from imbalance_lab.strategies.loss_modules import AsymmetricLoss

    return AsymmetricLoss(train.focal_gamma, train.focal_gamma, 0.0, weights)


@LOSSES.register(
    "asymmetric",
    kind=LOSS,
    summary="ASL: focusing gamma_pos / gamma_neg, easy negatives below asl_clip discarded",
    reads=("train.asl_gamma_pos", "train.asl_gamma_neg", "train.asl_clip"),
    reference="Ridnik et al. 2021",
    tasks=(MULTILABEL,),
)
def _asymmetric(counts: np.ndarray, weights: np.ndarray | None, train: TrainParams) -> nn.Module:
    from imbalance_lab.strategies.loss_modules import AsymmetricLoss

    return AsymmetricLoss(train.asl_gamma_pos, train.asl_gamma_neg, train.asl_clip, weights)


LOSSES.aliases["bce"] = ("cross_entropy", "BCEWithLogitsLoss on multi-label data")


# ---------------------------------------------------------------------------------- samplers

SAMPLERS.implement("shuffle", MULTILABEL, "each row once per epoch, shuffled")(_shuffle)


@SAMPLERS.implement(
    "weighted", MULTILABEL, "rows drawn with replacement, weight 1 / positives of the row's rarest label"
)
def _weighted_by_rarest_label(Y: np.ndarray, batch_size: int, generator) -> list:
    """Rows without a label form one group of their own."""
    import torch
    from torch.utils.data import WeightedRandomSampler

    counts = Y.sum(0).astype(np.float64)
    unlabelled = Y.sum(1) == 0
    per_row = np.where(Y.astype(bool), counts, np.inf).min(1)
    per_row[unlabelled] = max(int(unlabelled.sum()), 1)
    weights = torch.as_tensor(1.0 / per_row, dtype=torch.float64)
    sampler = WeightedRandomSampler(weights, num_samples=len(Y), replacement=True, generator=generator)
    return _chunk(torch.as_tensor(list(sampler)), batch_size)


# ---------------------------------------------------------------------------------- decisions


@THRESHOLD_METHODS.implement("none", MULTILABEL, "a label is predicted when p > 0.5")
def _no_thresholds(logits, Y, regularization: float) -> np.ndarray:
    return np.zeros(logits.shape[1])


@THRESHOLD_METHODS.implement(
    "per_class_bias", MULTILABEL, "one threshold per label, the best F1 of that label (macro-F1 is their mean)"
)
def per_label_bias(logits, Y, regularization: float) -> np.ndarray:
    """Per label, the bias b maximising F1(logit + b > 0) - regularization * b^2 over every distinct cut (exact:
    macro-F1 is a mean of per-label F1s, so the labels are independent). b = 0 is a candidate and wins ties,
    so the fitted objective is never below the untuned one."""
    biases = np.zeros(logits.shape[1])
    for j in range(logits.shape[1]):
        scores, truth = logits[:, j], Y[:, j].astype(bool)
        order = np.argsort(-scores, kind="stable")
        s, t = scores[order], truth[order]
        tp = np.concatenate([[0], np.cumsum(t)])  # predicting the top i rows positive
        fp = np.concatenate([[0], np.cumsum(~t)])
        f1 = np.divide(2 * tp, tp + fp + t.sum(), out=np.zeros(len(tp)), where=(tp + fp + t.sum()) > 0)
        # cut i (top i rows positive) by bias -midpoint between row i-1 and row i: logit + b > 0
        upper = np.concatenate([[s[0] + 1.0], s])
        lower = np.concatenate([s, [s[-1] - 1.0]])
        bias = -(upper + lower) / 2
        distinct = np.concatenate([[True], s[1:] != s[:-1], [True]])
        score = np.where(distinct, f1 - regularization * bias**2, -np.inf)
        untuned = float(np.divide(2 * (t & (s > 0)).sum(), (s > 0).sum() + t.sum()) if t.sum() else 0.0)
        best = int(np.argmax(score))
        if score[best] > untuned + 1e-12:
            biases[j] = bias[best]
    return biases + 0.0


OBJECTIVES.implement("macro_f1", MULTILABEL, "mean F1 over labels at each label's threshold")(
    OBJECTIVES["macro_f1"].run
)
