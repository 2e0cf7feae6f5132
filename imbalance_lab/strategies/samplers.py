"""train.sampler: mini-batch index schedules for one training epoch.

Each sampler returns a list of int64 index tensors; callers index their (on-device) tensors with them,
which avoids a DataLoader's per-batch overhead. Same generator state -> identical batches.
torch is imported inside the samplers: config imports this registry in stages that never train.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from imbalance_lab.errors import ConfigError, DataError
from imbalance_lab.strategies.registry import Registry
from imbalance_lab.task import MULTICLASS, MULTILABEL

if TYPE_CHECKING:
    import torch

    from imbalance_lab.config import TrainParams

SAMPLERS = Registry("train.sampler")
SAMPLER = "batch sampler"
UNIFORM_PRIOR = "uniform_prior"  # trait: batches are class-balanced, so the model learns a uniform prior


def _chunk(order, batch_size: int) -> list:
    import torch

    return list(torch.split(order.to(torch.int64), batch_size))


@SAMPLERS.register("shuffle", kind=SAMPLER, summary="each row once per epoch, shuffled", tasks=(MULTICLASS,))
def _shuffle(y: np.ndarray, batch_size: int, generator: torch.Generator) -> list:
    import torch

    return _chunk(torch.randperm(len(y), generator=generator), batch_size)


@SAMPLERS.register(
    "weighted",
    kind=SAMPLER,
    summary="rows drawn with replacement, weight 1 / class count (torch WeightedRandomSampler)",
    traits={UNIFORM_PRIOR},
    tasks=(MULTICLASS,),
)
def _weighted(y: np.ndarray, batch_size: int, generator: torch.Generator) -> list:
    """Each class is drawn equally often on average."""
    import torch
    from torch.utils.data import WeightedRandomSampler

    row_weights = torch.as_tensor(1.0 / np.bincount(y)[y], dtype=torch.float64)
    sampler = WeightedRandomSampler(row_weights, num_samples=len(y), replacement=True, generator=generator)
    return _chunk(torch.as_tensor(list(sampler)), batch_size)


@SAMPLERS.register(
    "class_balanced",
    kind=SAMPLER,
    summary="every batch holds batch_size // K rows of each class",
    traits={UNIFORM_PRIOR},
    tasks=(MULTICLASS,),
)
def _class_balanced(y: np.ndarray, batch_size: int, generator: torch.Generator) -> list:
    """Each class walks through its own permutation of its rows and starts a fresh one when exhausted, so
    small classes repeat (sampling with replacement across passes) while large ones are sub-sampled."""
    import torch

    classes = np.unique(y)
    if batch_size < len(classes):
        raise ConfigError(
            f"train.batch_size: {batch_size} is below the number of classes K={len(classes)}; "
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


LABELS = {MULTICLASS: (1, "1-D class codes"), MULTILABEL: (2, "an (n, L) 0/1 label matrix")}


def epoch_batches(y: np.ndarray, train: TrainParams, generator: torch.Generator, task: str = MULTICLASS) -> list:
    """One epoch of int64 index batches over the rows of y (class codes; multi-label: the 0/1 matrix)."""
    y = np.asarray(y)
    ndim, what = LABELS[task]
    if y.ndim != ndim or y.size == 0 or not np.issubdtype(y.dtype, np.integer) or y.min() < 0:
        raise DataError(f"epoch_batches: y must be non-empty {what}, got {y.dtype} {y.shape}")
    return SAMPLERS[train.sampler].for_task(task)(y, train.batch_size, generator)
