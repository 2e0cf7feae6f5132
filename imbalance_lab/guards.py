"""Cheap runtime leakage guards the stages run on every call. (Split disjointness: splitting.assert_disjoint;
held-out folds: crossval; OOF rows vs test: threshold-tune.)"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from imbalance_lab.errors import DataError


def _row_keys(X: np.ndarray) -> np.ndarray:
    """One opaque scalar per row, so np.isin compares whole rows byte for byte."""
    X = np.ascontiguousarray(X, dtype=np.float32)
    return X.view(np.dtype((np.void, X.shape[1] * X.itemsize))).ravel()


def check_balanced_rows(X_balanced: np.ndarray, synthetic: np.ndarray, X_train: np.ndarray, path: Path) -> None:
    """Every non-synthetic row the model trains on must be a row of the current training split: anything else
    is a stale balanced file (made from another split) or validation/test rows that leaked into training."""
    foreign = ~np.isin(_row_keys(X_balanced), _row_keys(X_train)) & ~np.asarray(synthetic, dtype=bool)
    if foreign.any():
        raise DataError(
            f"{path}: {int(foreign.sum())} rows are neither synthetic nor rows of the current training split; "
            "it is stale: run dvc repro (or python -m stages.balance) before train"
        )
