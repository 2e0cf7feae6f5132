"""Cheap runtime leakage guards the stages run on every call. (Split disjointness: splitting.assert_disjoint;
held-out folds: crossval; OOF rows vs test: threshold-tune.)"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from imbalance_lab.data.rows import rows_not_in
from imbalance_lab.errors import DataError


def check_balanced_rows(X_balanced: np.ndarray, synthetic: np.ndarray, X_train: np.ndarray, path: Path) -> None:
    """Every non-synthetic row the model trains on must be a row of the current training split: anything else
    is a stale balanced file (made from another split) or validation/test rows that leaked into training."""
    foreign = rows_not_in(X_balanced, X_train) & ~np.asarray(synthetic, dtype=bool)
    if foreign.any():
        raise DataError(
            f"{path}: {int(foreign.sum())} rows are neither synthetic nor rows of the current training split; "
            "it is stale: run dvc repro (or python -m stages.balance) before train"
        )


def check_oof_coverage(rows: np.ndarray, fold_of_row: np.ndarray, train: np.ndarray, val: np.ndarray, test: np.ndarray):
    """Out-of-fold logits must cover every train+val row exactly once, each from a real fold, and no test row
    (thresholds fitted on them would otherwise see test labels or miss rows)."""
    if np.intersect1d(rows, test).size:
        raise DataError("data/cv/oof.npz holds test rows; delete it and run dvc repro cross-validate")
    expected = np.sort(np.concatenate([train, val]))
    if len(rows) != len(expected) or not np.array_equal(np.sort(rows), expected) or (fold_of_row < 0).any():
        raise DataError(
            "data/cv/oof.npz does not cover the current train+val rows exactly once (stale after a new split?); "
            "run dvc repro cross-validate"
        )
