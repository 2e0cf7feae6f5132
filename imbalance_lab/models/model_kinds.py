"""Model kinds: one registry entry per kind of model (train.encoder names it), with everything that differs
between kinds: how the train stage trains it, how cross-validate fits it in a fold, how its file gives the val and
test logits, and how score turns a new file's rows into logits.

Everything after the model reads logits: evaluate and threshold-tune read models/logits.npz (train writes it with
the kind's split_logits), score asks the loaded kind. A new kind is its module plus one entry in MODEL_KINDS
(CONTRIBUTING.md); the stages, evaluate, threshold-tune, compare and score do not change. The entries' functions
import their modules when called: config reads this registry in every stage, and score loads an MLP file without
torch. The model file's meta names its file kind ("kind"; files written before kinds existed hold an MLP).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from imbalance_lab.config import FINETUNE, FROZEN
from imbalance_lab.errors import DataError
from imbalance_lab.models.modelfile import MLP, check_compatible, ensemble_logits, load_model, read_meta, read_tensors
from imbalance_lab.pipeline.predictions import PARTS
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
    from imbalance_lab.models.scoring import embed_new, model_embedding, model_inputs  # pandas: score only

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


def _mlp_split_logits(path: Path, ws) -> tuple[np.ndarray, np.ndarray]:
    members, _ = load_model(path)
    val, test = (ensemble_logits(members, ws.part(part)[0], ws.task) for part in PARTS)
    return val, test


def _finetuned_split_logits(path: Path, ws) -> tuple[np.ndarray, np.ndarray]:
    from imbalance_lab.pipeline import paths
    from imbalance_lab.pipeline.artifacts import read_json

    model, texts = _finetuned(path), read_json(paths.TEXTS)
    val, test = (model.logits([texts[i] for i in getattr(ws.split, part)]) for part in PARTS)
    return val, test


def _mlp_train(*args, **kwargs):
    from imbalance_lab.models.training import train_members

    return train_members(*args, **kwargs)


def _mlp_fold_model(params, ws, rows: np.ndarray, X: np.ndarray, y: np.ndarray):
    from imbalance_lab.models.crossval import mlp_fold_logits

    return mlp_fold_logits(X, y, params)


def _finetuned_train(*args, **kwargs):
    from imbalance_lab.models.finetune import train_members

    return train_members(*args, **kwargs)


def _finetuned_fold_model(*args, **kwargs):
    from imbalance_lab.models.finetune import fold_model

    return fold_model(*args, **kwargs)


@dataclass(frozen=True)
class ModelKind:
    encoder: str  # the train.encoder value that picks it
    file_kind: str  # the model file's meta "kind"
    summary: str
    # (params, ws, balanced rows, original training counts, curves, say) -> (model file content, member results)
    train: Callable
    fold_model: Callable  # (params, ws, rows, X, y) -> (crossval.Fold -> the held-out rows' logits)
    split_logits: Callable  # (model file, ws) -> (val logits, test logits), from the saved file
    load: Callable[[Path], NewRowsModel]  # score
    reads_texts: bool = False  # trains on the rows' texts: a sentence model, and no resampler that makes vectors


MODEL_KINDS: dict[str, ModelKind] = {
    kind.encoder: kind
    for kind in (
        ModelKind(
            FROZEN,
            MLP,
            "the MLP head (or a seed ensemble) on the embed stage's vectors",
            _mlp_train,
            _mlp_fold_model,
            _mlp_split_logits,
            _mlp,
        ),
        ModelKind(
            FINETUNE,
            FINETUNED,
            "the sentence model trained end to end with a linear head on the rows' texts",
            _finetuned_train,
            _finetuned_fold_model,
            _finetuned_split_logits,
            _finetuned,
            reads_texts=True,
        ),
    )
}
LOADERS: dict[str, Callable[[Path], NewRowsModel]] = {kind.file_kind: kind.load for kind in MODEL_KINDS.values()}


def load_for_new_rows(path: str | Path) -> NewRowsModel:
    """The model file at `path`, loaded by its kind's loader."""
    path = Path(path)
    kind = read_meta(path).get("kind", MLP)
    if kind not in LOADERS:
        raise DataError(f"{path}: a model of kind {kind!r}, which this version cannot load ({', '.join(LOADERS)})")
    return LOADERS[kind](path)
