"""Load what embed and split wrote, as one object the later stages share."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from imbalance_lab.data.splitting import Split, assert_disjoint
from imbalance_lab.errors import DataError
from imbalance_lab.features.scaling import Scaler, fit_scaler, scales
from imbalance_lab.pipeline import paths
from imbalance_lab.pipeline.artifacts import read_json, read_npy, read_npz
from imbalance_lab.task import Task, task_named


@dataclass(frozen=True)
class Workspace:
    X: np.ndarray  # memory-mapped features, all rows, as embed wrote them (part() applies the scaler)
    y: np.ndarray
    classes: list[str]
    split: Split
    meta: dict
    rare_classes: dict  # split.min_class_count: {"action": ..., "classes": {name: rows}}, or {}
    task: Task  # as embed decided it (meta.json), ordinal from data.ordinal
    scaler: Scaler | None = None  # features backend, embed.scale standard: fitted on the training split

    @property
    def scales(self) -> bool:
        """Whether features are standardised before use (cross-validate fits its own scaler per fold)."""
        return scales(self.meta.get("embed_params") or {})

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    def part(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """One split's features (standardised with the training split's scaler where the data wants it)."""
        idx = getattr(self.split, name)
        X = np.asarray(self.X[idx], dtype=np.float32)
        return (self.scaler.apply(X) if self.scaler else X), self.y[idx]

    def train_counts(self) -> np.ndarray:
        """Class counts (multi-label: positive rows per label) of the ORIGINAL training split: the basis of every
        weight, prior and margin."""
        return self.task.counts(self.y[self.split.train], self.n_classes)


def load_workspace(params=None) -> Workspace:
    """Labels and classes come from split, which applies split.min_class_count (a dropped row is -1 and in no
    split); features and the embedding meta from embed. With params, a configured strategy the data's task
    (multiclass / multilabel) cannot use is refused here, naming those it can."""
    meta = read_json(paths.EMBED_META)
    indices = read_npz(paths.SPLIT_INDICES)
    if "labels" not in indices:
        raise DataError(f"{paths.SPLIT_INDICES}: written by an older split stage (it holds no labels); run dvc repro")
    split = Split(train=indices["train"], val=indices["val"], test=indices["test"])
    assert_disjoint(split)
    summary = read_json(paths.SPLIT_SUMMARY)
    classes, rare = summary["classes"], summary.get("rare_classes") or {}
    X = read_npy(paths.FEATURES, mmap=True)
    scaler = fit_scaler(X[split.train]) if scales(meta.get("embed_params") or {}) else None
    task = task_named(meta.get("task", ""), ordinal=bool(params and params.data.ordinal))
    workspace = Workspace(
        X=X, y=indices["labels"], classes=classes, split=split, meta=meta, rare_classes=rare, task=task, scaler=scaler
    )
    if params is not None:
        from imbalance_lab.strategies import check_task

        check_task(params, task.name)
    return workspace
