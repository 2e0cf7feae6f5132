"""Mini-batch index schedules for one training epoch.

Each sampler returns a list of int64 index tensors; callers index their (on-device) tensors with them,
which avoids a DataLoader's per-batch overhead. Same generator state -> identical batches.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import WeightedRandomSampler

from imbalance_lab.errors import ConfigError, DataError, lookup

BATCH_PARAM = "train.batch_size"


def _chunk(order: Tensor, batch_size: int) -> list[Tensor]:
    return list(torch.split(order.to(torch.int64), batch_size))


def _shuffle(y: np.ndarray, batch_size: int, generator: torch.Generator) -> list[Tensor]:
    return _chunk(torch.randperm(len(y), generator=generator), batch_size)


def _weighted(y: np.ndarray, batch_size: int, generator: torch.Generator) -> list[Tensor]:
    """Rows drawn with replacement, weight 1/count(class): each class is drawn equally often on average."""
    row_weights = torch.as_tensor(1.0 / np.bincount(y)[y], dtype=torch.float64)
    sampler = WeightedRandomSampler(row_weights, num_samples=len(y), replacement=True, generator=generator)
    return _chunk(torch.as_tensor(list(sampler)), batch_size)


def _class_balanced(y: np.ndarray, batch_size: int, generator: torch.Generator) -> list[Tensor]:
    """Every batch holds batch_size // K rows of each of the K classes.

    Each class walks through its own permutation of its rows and starts a fresh one when exhausted, so
    small classes repeat (sampling with replacement across passes) while large ones are sub-sampled.
    """
    classes = np.unique(y)
    if batch_size < len(classes):
        raise ConfigError(
            f"{BATCH_PARAM}: {batch_size} is below the number of classes K={len(classes)}; "
            f"class_balanced batches need room for every class (use >= {len(classes)})"
        )
    per_class = batch_size // len(classes)
    n_batches = -(-len(y) // batch_size)  # ceil: about one pass over the data, as for shuffle
    streams = []
    for code in classes:
        rows = torch.as_tensor(np.flatnonzero(y == code))
        passes = -(-n_batches * per_class // len(rows))
        order = torch.cat([rows[torch.randperm(len(rows), generator=generator)] for _ in range(passes)])
        streams.append(order[: n_batches * per_class].view(n_batches, per_class))
    # batch b = rows b of every class stream; rows stay grouped by class, which a mean loss ignores
    return list(torch.cat(streams, dim=1).to(torch.int64).unbind(0))


SAMPLERS: dict[str, Callable[[np.ndarray, int, torch.Generator], list[Tensor]]] = {
    "shuffle": _shuffle,
    "weighted": _weighted,
    "class_balanced": _class_balanced,
}


def epoch_batches(name: str, y: np.ndarray, batch_size: int, generator: torch.Generator) -> list[Tensor]:
    """One epoch of int64 index batches over the rows of y (class codes) for sampler `name`."""
    make_batches = lookup(SAMPLERS, "train.sampler", name)
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ConfigError(f"{BATCH_PARAM}: must be an integer >= 1, got {batch_size!r}")
    y = np.asarray(y)
    if y.ndim != 1 or y.size == 0 or not np.issubdtype(y.dtype, np.integer) or y.min() < 0:
        raise DataError(f"epoch_batches: y must be non-empty 1-D class codes, got {y.dtype} {y.shape}")
    return make_batches(y, int(batch_size), generator)
