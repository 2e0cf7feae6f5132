"""train.loss: imbalance-aware classification losses.

A builder gets the ORIGINAL (pre-resampling) training class counts, the class weights (or None) and the
train section, and returns a torch module (loss_modules.py, imported inside the builders so config can
read this registry without torch). Class weights, when given, apply to every loss (as alpha for focal;
from drw_epoch on for LDAM).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from imbalance_lab.errors import DataError
from imbalance_lab.strategies.class_weights import weigh
from imbalance_lab.strategies.registry import Registry
from imbalance_lab.task import MULTICLASS

if TYPE_CHECKING:
    from torch import nn

    from imbalance_lab.config import TrainParams

LOSSES = Registry("train.loss")
LOSS = "loss"
LDAM_DRW_BETA = 0.9999  # Cao et al. 2019 use effective-number weights with this beta for DRW


def _log_prior(counts: np.ndarray) -> np.ndarray:
    return np.log(counts / counts.sum())


@LOSSES.register("cross_entropy", kind=LOSS, summary="softmax cross-entropy", tasks=(MULTICLASS,))
def _cross_entropy(counts: np.ndarray, weights: np.ndarray | None, train: TrainParams) -> nn.Module:
    from imbalance_lab.strategies.loss_modules import OffsetCrossEntropy

    return OffsetCrossEntropy(None, weights)


@LOSSES.register(
    "focal",
    kind=LOSS,
    summary="-(1 - p)^gamma log p: down-weights rows the model already gets right",
    reads=("train.focal_gamma",),
    reference="Lin et al. 2017",
    tasks=(MULTICLASS,),
)
def _focal(counts: np.ndarray, weights: np.ndarray | None, train: TrainParams) -> nn.Module:
    from imbalance_lab.strategies.loss_modules import FocalLoss

    return FocalLoss(train.focal_gamma, weights)


@LOSSES.register(
    "logit_adjusted",
    kind=LOSS,
    summary="cross-entropy on logits + tau * log(prior): the plain argmax becomes balance-aware",
    reads=("train.la_tau",),
    reference="Menon et al. 2021",
    tasks=(MULTICLASS,),
)
def _logit_adjusted(counts: np.ndarray, weights: np.ndarray | None, train: TrainParams) -> nn.Module:
    from imbalance_lab.strategies.loss_modules import OffsetCrossEntropy

    return OffsetCrossEntropy(train.la_tau * _log_prior(counts), weights)


@LOSSES.register(
    "balanced_softmax",
    kind=LOSS,
    summary="softmax re-weighted by the class prior (logit adjustment with tau 1)",
    reference="Ren et al. 2020",
    tasks=(MULTICLASS,),
)
def _balanced_softmax(counts: np.ndarray, weights: np.ndarray | None, train: TrainParams) -> nn.Module:
    from imbalance_lab.strategies.loss_modules import OffsetCrossEntropy

    return OffsetCrossEntropy(_log_prior(counts), weights)


@LOSSES.register(
    "ldam",
    kind=LOSS,
    summary="label-distribution-aware margins C / n^(1/4), re-weighted from drw_epoch on",
    reads=("train.ldam_max_margin", "train.ldam_scale", "train.drw_epoch"),
    reference="Cao et al. 2019",
    tasks=(MULTICLASS,),
)
def _ldam(counts: np.ndarray, weights: np.ndarray | None, train: TrainParams) -> nn.Module:
    from imbalance_lab.strategies.loss_modules import LDAMLoss

    # DRW weights: the configured class weights if any, else the paper's effective-number(0.9999) weights
    if weights is None:
        weights = weigh(counts, "effective_number", LDAM_DRW_BETA)
    return LDAMLoss(counts, weights, train.ldam_max_margin, train.ldam_scale, train.drw_epoch)


def make_loss(
    train: TrainParams, *, class_counts: np.ndarray, class_weights: np.ndarray | None, task: str = MULTICLASS
) -> nn.Module:
    """Build train.loss for the task; class_counts are the original training counts per class code (multi-label:
    positive rows per label, class_weights BCE's pos_weight)."""
    LOSSES.check_task(train.loss, task)
    entry = LOSSES[train.loss].for_task(task)
    counts = np.asarray(class_counts, dtype=np.float64)
    if counts.ndim != 1 or counts.size < 2 or not np.all(counts > 0):
        raise DataError(f"make_loss: class_counts must be >= 1 for 2+ classes, got {counts.tolist()}")
    if class_weights is not None:
        class_weights = np.asarray(class_weights, dtype=np.float64)
        positive = np.isfinite(class_weights) & (class_weights > 0)
        if class_weights.shape != counts.shape or not positive.all():
            raise DataError(f"make_loss: need {counts.size} finite weights > 0, got {class_weights.tolist()}")
    return entry(counts, class_weights, train)
