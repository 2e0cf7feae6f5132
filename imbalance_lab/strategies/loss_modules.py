"""The torch modules behind train.loss (registry and builders: losses.py).

Every loss is an nn.Module with forward(logits, targets) -> scalar mean loss and set_epoch(epoch), a
no-op except for LDAM's deferred re-weighting. Constants are buffers, so they follow .to(device).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


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


class AsymmetricLoss(EpochLoss):
    """Multi-label loss on (n, L) logits and 0/1 targets, mean over every (row, label) cell:
    -[w y (1 - p)^gamma_pos log p + (1 - y) p_m^gamma_neg log(1 - p_m)], p = sigmoid(logit), p_m = max(p - clip, 0)
    (ASL, Ridnik et al. 2021). gamma_pos = gamma_neg = gamma, clip 0 is the sigmoid focal loss (Lin et al. 2017);
    all 0 is BCEWithLogitsLoss(pos_weight=w) exactly."""

    def __init__(self, gamma_pos: float, gamma_neg: float, clip: float, pos_weight: np.ndarray | None):
        super().__init__()
        self.gamma_pos, self.gamma_neg, self.clip = gamma_pos, gamma_neg, clip
        self.register_buffer("pos_weight", _as_buffer(pos_weight))

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        targets = targets.to(logits.dtype)
        log_p = F.logsigmoid(logits)
        if self.clip > 0:
            p_m = (log_p.exp() - self.clip).clamp_min(0.0)
            log_not_p = torch.log((1.0 - p_m).clamp_min(1e-12))
        else:
            p_m, log_not_p = None, F.logsigmoid(-logits)
        positive, negative = log_p, log_not_p
        if self.gamma_pos:
            positive = positive * (1.0 - log_p.exp()).clamp_min(1e-12) ** self.gamma_pos
        if self.gamma_neg:
            negative = negative * (p_m if p_m is not None else log_p.exp()).clamp_min(1e-12) ** self.gamma_neg
        if self.pos_weight is not None:
            positive = positive * _cast(self.pos_weight, logits)
        return -(targets * positive + (1.0 - targets) * negative).mean()
