"""Model kinds: how a trained model file turns the rows of a new file into logits.

The model file's meta names its kind ("kind"; files written before kinds existed hold an MLP). Everything after
the model reads logits: evaluate and threshold-tune read models/logits.npz (train writes it), score asks the
loaded kind for the logits of a new file. A second kind (a fine-tuned encoder that reads texts, say) is one loader
here plus its trainer; evaluate, threshold-tune and score do not change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from imbalance_lab.errors import DataError
from imbalance_lab.models.modelfile import (
    MLP,
    check_compatible,
    ensemble_logits,
    load_model,
    read_meta,
    read_tensors,
)
from imbalance_lab.models.scoring import embed_new, model_embedding, model_inputs
from imbalance_lab.task import MULTICLASS, Task, task_named

FINETUNED = "finetuned_encoder"  # imbalance_lab/models/finetune.py writes it (kept here: finetune imports torch)


@dataclass(frozen=True)
class NewRowsModel:
    """A loaded model, as score uses it: its meta, how it reads a new file's rows, and its logits for them."""

    path: Path
    meta: dict
    inputs: Callable  # the file's rows (a frame with text or feature columns) -> what `logits` takes
    logits: Callable  # inputs -> (n, classes) float64 logits

    @property
    def classes(self) -> list[str]:
        return list(self.meta["classes"])

    @property
    def task(self) -> Task:
        return task_of_model(self.meta)

    @property
    def kind(self) -> str:
        return self.meta.get("kind", MLP)  # files written before kinds existed hold an MLP


def task_of_model(meta: dict) -> Task:
    return task_named(meta.get("task", MULTICLASS))  # files written before the task was recorded: multiclass


def _mlp(path: Path) -> NewRowsModel:
    """The MLP on frozen embeddings: new rows embedded as the training rows were, standardised with the training
    split's scaler if it had one, then every ensemble member's forward pass (numpy only)."""
    members, meta = load_model(path)
    settings, feature_columns = model_embedding(meta)
    task = task_of_model(meta)

    def logits(X: np.ndarray) -> np.ndarray:
        X = model_inputs(X, meta)
        check_compatible(meta, list(meta["classes"]), X.shape[1], path)
        return ensemble_logits(members, X, task)

    return NewRowsModel(path, meta, lambda frame: embed_new(frame, settings, feature_columns, meta), logits)


def _finetuned(path: Path) -> NewRowsModel:
    """A fine-tuned encoder with its linear head: new rows are read as texts and run through every member's
    encoder and head (torch; a GPU when it sees one)."""
    from imbalance_lab.models.finetune import member_modules, pick_device, predict_logits

    tensors, meta = read_tensors(path)
    device = pick_device("auto")
    members = [member_modules(tensors, m, meta, device) for m in range(len(meta["member_seeds"]))]
    task = task_of_model(meta)

    def logits(texts: list[str]) -> np.ndarray:
        return task.mean_logits([predict_logits(e, h, texts, device) for e, h in members])

    return NewRowsModel(path, meta, lambda frame: list(frame["text"]), logits)


LOADERS: dict[str, Callable[[Path], NewRowsModel]] = {MLP: _mlp, FINETUNED: _finetuned}


def load_for_new_rows(path: str | Path) -> NewRowsModel:
    """The model file at `path`, loaded by its kind's loader."""
    path = Path(path)
    kind = read_meta(path).get("kind", MLP)
    if kind not in LOADERS:
        raise DataError(f"{path}: a model of kind {kind!r}, which this version cannot load ({', '.join(LOADERS)})")
    return LOADERS[kind](path)
