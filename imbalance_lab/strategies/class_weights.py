"""train.class_weight: per-class loss weights from training class counts.

Weights are always computed from the ORIGINAL (pre-resampling) training counts, which the caller
passes: after resampling the counts are (near) equal and every scheme would collapse to uniform.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from imbalance_lab.errors import DataError
from imbalance_lab.strategies.registry import Registry
from imbalance_lab.task import MULTICLASS

if TYPE_CHECKING:
    from imbalance_lab.config import TrainParams

CLASS_WEIGHTS = Registry("train.class_weight")
WEIGHT = "class weight"


@CLASS_WEIGHTS.register("none", kind=WEIGHT, summary="every class weighs 1", tasks=(MULTICLASS,))
def _none(counts: np.ndarray, beta: float) -> np.ndarray:
    return np.ones_like(counts)


@CLASS_WEIGHTS.register(
    "inverse",
    kind=WEIGHT,
    summary="weight 1 / class count",
    reference="inverse class frequency (scikit-learn class_weight='balanced')",
    tasks=(MULTICLASS,),
)
def _inverse(counts: np.ndarray, beta: float) -> np.ndarray:
    return 1.0 / counts


@CLASS_WEIGHTS.register(
    "sqrt_inverse",
    kind=WEIGHT,
    summary="weight 1 / sqrt(class count)",
    reference="square-root frequency re-balancing (Mahajan et al. 2018)",
    tasks=(MULTICLASS,),
)
def _sqrt_inverse(counts: np.ndarray, beta: float) -> np.ndarray:
    return 1.0 / np.sqrt(counts)


@CLASS_WEIGHTS.register(
    "effective_number",
    kind=WEIGHT,
    summary="weight 1 / effective number of rows (1 - beta^n) / (1 - beta)",
    reads=("train.cb_beta",),
    reference="Cui et al. 2019",
    tasks=(MULTICLASS,),
)
def _effective_number(counts: np.ndarray, beta: float) -> np.ndarray:
    """beta -> 0 gives uniform weights, beta -> 1 approaches inverse frequency."""
    return (1.0 - beta) / (1.0 - np.power(beta, counts))


def weigh(counts: np.ndarray, method: str, beta: float) -> np.ndarray:
    """float64 weights (K,) for the K class counts, scaled so they average to 1 over classes.

    Averaging to 1 keeps the loss scale (and so the learning rate) comparable across methods.
    """
    entry = CLASS_WEIGHTS[method]
    counts = np.asarray(counts, dtype=np.float64)
    if counts.ndim != 1 or counts.size == 0:
        raise DataError(f"class_weights: need a 1-D array of class counts, got shape {counts.shape}")
    empty = np.flatnonzero(~(counts > 0))  # also catches NaN
    if empty.size:
        raise DataError(
            f"class_weights: class index {int(empty[0])} has {counts[empty[0]]:g} training rows; "
            f"every class needs at least 1 (drop the class or add data)"
        )
    weights = entry(counts, float(beta))
    return weights / weights.mean()


def class_weights(counts: np.ndarray, train: TrainParams) -> np.ndarray | None:
    """The loss weights train.class_weight asks for; None for "none" (the losses' unweighted path)."""
    return None if train.class_weight == "none" else weigh(counts, train.class_weight, train.cb_beta)
