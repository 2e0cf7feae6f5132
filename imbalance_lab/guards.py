"""Cheap runtime leakage guards the stages run on every call. (Split disjointness: splitting.assert_disjoint;
held-out folds: crossval; OOF rows vs test: threshold-tune.)"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from imbalance_lab.errors import DataError
from imbalance_lab.rows import rows_not_in


def check_balanced_rows(X_balanced: np.ndarray, synthetic: np.ndarray, X_train: np.ndarray, path: Path) -> None:
    """Every non-synthetic row the model trains on must be a row of the current training split: anything else
    is a stale balanced file (made from another split) or validation/test rows that leaked into training."""
    foreign = rows_not_in(X_balanced, X_train) & ~np.asarray(synthetic, dtype=bool)
    if foreign.any():
        raise DataError(
            f"{path}: {int(foreign.sum())} rows are neither synthetic nor rows of the current training split; "
            "it is stale: run dvc repro (or python -m stages.balance) before train"
        )
