"""Per-class loss weights from training class counts.

Weights are always computed from the ORIGINAL (pre-resampling) training counts, which the caller
passes: after resampling the counts are (near) equal and every scheme would collapse to uniform.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from imbalance_lab.errors import ConfigError, DataError, lookup

BETA_PARAM = "train.cb_beta"


def _none(counts: np.ndarray, beta: float) -> np.ndarray:
    return np.ones_like(counts)


def _inverse(counts: np.ndarray, beta: float) -> np.ndarray:
    return 1.0 / counts


def _sqrt_inverse(counts: np.ndarray, beta: float) -> np.ndarray:
    return 1.0 / np.sqrt(counts)


def _effective_number(counts: np.ndarray, beta: float) -> np.ndarray:
    """Class-balanced weights (Cui et al. 2019): 1 / effective number, E_n = (1 - beta^n) / (1 - beta).

    beta -> 0 gives uniform weights, beta -> 1 approaches inverse frequency.
    """
    return (1.0 - beta) / (1.0 - np.power(beta, counts))


CLASS_WEIGHTS: dict[str, Callable[[np.ndarray, float], np.ndarray]] = {
    "none": _none,
    "inverse": _inverse,
    "sqrt_inverse": _sqrt_inverse,
    "effective_number": _effective_number,
}


def class_weights(counts: np.ndarray, method: str, *, beta: float = 0.999) -> np.ndarray:
    """float64 weights (K,) for the K class counts, scaled so they average to 1 over classes.

    Averaging to 1 keeps the loss scale (and so the learning rate) comparable across methods.
    """
    weigh = lookup(CLASS_WEIGHTS, "train.class_weight", method)
    if isinstance(beta, bool) or not isinstance(beta, (int, float)) or not 0.0 <= beta < 1.0:
        raise ConfigError(f"{BETA_PARAM}: must be a number in [0, 1), got {beta!r}")
    counts = np.asarray(counts, dtype=np.float64)
    if counts.ndim != 1 or counts.size == 0:
        raise DataError(f"class_weights: need a 1-D array of class counts, got shape {counts.shape}")
    empty = np.flatnonzero(~(counts > 0))  # also catches NaN
    if empty.size:
        raise DataError(
            f"class_weights: class index {int(empty[0])} has {counts[empty[0]]:g} training rows; "
            f"every class needs at least 1 (drop the class or add data)"
        )
    weights = weigh(counts, float(beta))
    return weights / weights.mean()
