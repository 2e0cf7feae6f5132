"""Imbalance-aware classification losses (torch).

Every loss is an nn.Module with forward(logits, targets) -> scalar mean loss and set_epoch(epoch), a
no-op except for LDAM's deferred re-weighting. Priors and margins come from `class_counts`, the ORIGINAL
(pre-resampling) training counts. Class weights, when given, apply to every loss (as alpha for focal;
from drw_epoch on for LDAM). Constants are buffers, so they follow .to(device).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from imbalance_lab.errors import ConfigError, DataError, lookup
from imbalance_lab.weights import class_weights as compute_class_weights

LDAM_DRW_BETA = 0.9999  # Cao et al. 2019 use effective-number weights with this beta for DRW


class EpochLoss(nn.Module):
    """Base: losses that do not change over training ignore the epoch."""

    def set_epoch(self, epoch: int) -> None:
        pass


def _as_buffer(values) -> torch.Tensor | None:
    return None if values is None else torch.as_tensor(np.asarray(values), dtype=torch.float32)


def _cast(buffer: torch.Tensor | None, logits: torch.Tensor) -> torch.Tensor | None:
    return None if buffer is None else buffer.to(logits.dtype)  # also lets float64 models work


class OffsetCrossEntropy(EpochLoss):
    """Cross-entropy on logits + offset: plain CE (no offset), logit adjustment, balanced softmax."""

    def __init__(self, offset: np.ndarray | None, weight: np.ndarray | None):
        super().__init__()
        self.register_buffer("offset", _as_buffer(offset))
        self.register_buffer("weight", _as_buffer(weight))

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        if self.offset is not None:
            logits = logits + _cast(self.offset, logits)
        return F.cross_entropy(logits, targets, weight=_cast(self.weight, logits))


class FocalLoss(EpochLoss):
    """Focal loss (Lin et al. 2017): -alpha_y (1 - p_y)^gamma log p_y; class weights act as alpha.

    Weighted mean = sum(w_i loss_i) / sum(w_i), as F.cross_entropy(weight=...), so gamma 0 is exactly CE.
    """

    def __init__(self, gamma: float, weight: np.ndarray | None):
        super().__init__()
        self.gamma = gamma
        self.register_buffer("weight", _as_buffer(weight))

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        log_p = F.log_softmax(logits, dim=1).gather(1, targets.unsqueeze(1)).squeeze(1)
        # clamp: (1 - p)^gamma has an infinite gradient at p = 1 when gamma < 1; values barely move
        focus = (1.0 - log_p.exp()).clamp_min(1e-12) ** self.gamma
        per_row = -focus * log_p
        if self.weight is None:
            return per_row.mean()
        w = _cast(self.weight, logits)[targets]
        return (w * per_row).sum() / w.sum()


class LDAMLoss(EpochLoss):
    """LDAM with deferred re-weighting (Cao et al. 2019).

    The true-class logit is lowered by m_y = C / n_y^(1/4) (C sets the largest margin to max_margin),
    then logits are multiplied by `scale`. The paper uses normalised (cosine) logits with scale 30; for
    raw logits a scale near 1 is more sensible. Unweighted before drw_epoch, weighted from it on.
    """

    def __init__(self, counts: np.ndarray, drw_weight, max_margin: float, scale: float, drw_epoch: int):
        super().__init__()
        margins = 1.0 / np.power(counts, 0.25)
        self.register_buffer("margins", _as_buffer(margins * (max_margin / margins.max())))
        self.register_buffer("drw_weight", _as_buffer(drw_weight))
        self.scale, self.drw_epoch = scale, drw_epoch
        self.reweight = drw_epoch <= 0  # set_epoch updates it

    def set_epoch(self, epoch: int) -> None:
        self.reweight = epoch >= self.drw_epoch

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        true_class = F.one_hot(targets, logits.shape[1]).to(logits.dtype)
        adjusted = logits - true_class * _cast(self.margins, logits)[targets].unsqueeze(1)
        weight = _cast(self.drw_weight, logits) if self.reweight else None
        return F.cross_entropy(self.scale * adjusted, targets, weight=weight)


def _cross_entropy(*, class_weights, **_) -> nn.Module:
    return OffsetCrossEntropy(None, class_weights)


def _focal(*, class_weights, focal_gamma, **_) -> nn.Module:
    return FocalLoss(focal_gamma, class_weights)


def _logit_adjusted(*, class_counts, class_weights, la_tau, **_) -> nn.Module:
    # Menon et al. 2021: training on logits + tau * log(prior) makes the plain argmax balance-aware
    return OffsetCrossEntropy(la_tau * np.log(class_counts / class_counts.sum()), class_weights)


def _balanced_softmax(*, class_counts, class_weights, **_) -> nn.Module:
    # Ren et al. 2020: softmax re-weighted by the prior, i.e. logit adjustment with tau fixed at 1
    return OffsetCrossEntropy(np.log(class_counts / class_counts.sum()), class_weights)


def _ldam(*, class_counts, class_weights, ldam_max_margin, ldam_scale, drw_epoch, **_) -> nn.Module:
    # DRW weights: the configured class weights if any, else the paper's effective-number(0.9999) weights
    if class_weights is None:
        class_weights = compute_class_weights(class_counts, "effective_number", beta=LDAM_DRW_BETA)
    return LDAMLoss(class_counts, class_weights, ldam_max_margin, ldam_scale, drw_epoch)


LOSSES: dict[str, Callable[..., nn.Module]] = {
    "cross_entropy": _cross_entropy,
    "focal": _focal,
    "logit_adjusted": _logit_adjusted,
    "balanced_softmax": _balanced_softmax,
    "ldam": _ldam,
}


def make_loss(
    name: str,
    *,
    class_counts: np.ndarray,
    class_weights: np.ndarray | None,
    focal_gamma: float = 2.0,
    la_tau: float = 1.0,
    ldam_max_margin: float = 0.5,
    ldam_scale: float = 30.0,
    drw_epoch: int = 10,
) -> nn.Module:
    """Build loss `name`; class_counts are the original training counts per class code."""
    build = lookup(LOSSES, "train.loss", name)
    counts = np.asarray(class_counts, dtype=np.float64)
    if counts.ndim != 1 or counts.size < 2 or not np.all(counts > 0):
        raise DataError(f"make_loss: class_counts must be >= 1 for 2+ classes, got {counts.tolist()}")
    if class_weights is not None:
        class_weights = np.asarray(class_weights, dtype=np.float64)
        positive = np.isfinite(class_weights) & (class_weights > 0)
        if class_weights.shape != counts.shape or not positive.all():
            raise DataError(f"make_loss: need {counts.size} finite weights > 0, got {class_weights.tolist()}")
    _check_number("train.focal_gamma", focal_gamma, low=0.0)
    _check_number("train.la_tau", la_tau)
    _check_number("train.ldam_max_margin", ldam_max_margin, low=0.0, strict=True)
    _check_number("train.ldam_scale", ldam_scale, low=0.0, strict=True)
    if isinstance(drw_epoch, bool) or not isinstance(drw_epoch, (int, np.integer)) or drw_epoch < 0:
        raise ConfigError(f"train.drw_epoch: must be an integer >= 0, got {drw_epoch!r}")
    return build(
        class_counts=counts,
        class_weights=class_weights,
        focal_gamma=float(focal_gamma),
        la_tau=float(la_tau),
        ldam_max_margin=float(ldam_max_margin),
        ldam_scale=float(ldam_scale),
        drw_epoch=int(drw_epoch),
    )


def _check_number(param: str, value, low: float | None = None, strict: bool = False) -> None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if ok and low is not None:
        ok = value > low if strict else value >= low
    if not ok:
        bound = "" if low is None else f" {'>' if strict else '>='} {low:g}"
        raise ConfigError(f"{param}: must be a finite number{bound}, got {value!r}")
