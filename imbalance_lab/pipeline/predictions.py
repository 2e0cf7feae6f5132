"""The logits a trained model hands to everything after it: train writes them for the validation and test rows
(models/logits.npz), evaluate and threshold-tune read them with the labels and never load the model, so a second
kind of model only has to write this file."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from imbalance_lab.errors import DataError
from imbalance_lab.models.modelfile import check_same_embedder
from imbalance_lab.pipeline.artifacts import read_npz, write_npz
from imbalance_lab.pipeline.workspace import Workspace

PARTS = ("val", "test")


@dataclass(frozen=True)
class SplitLogits:
    val: np.ndarray  # (n_val, K)
    test: np.ndarray  # (n_test, K)
    model_sha256: str  # the model file that predicted them (thresholds fitted on them record it, score checks it)


def write_split_logits(path: str | Path, logits: SplitLogits, ws: Workspace) -> None:
    """The logits with the rows they score and what they were predicted from and by."""
    meta = {"classes": ws.classes, "embedder": ws.meta.get("embedder"), "model_sha256": logits.model_sha256}
    rows = {f"{part}_rows": np.asarray(getattr(ws.split, part), dtype=np.int64) for part in PARTS}
    arrays = {part: getattr(logits, part) for part in PARTS}
    write_npz(path, **arrays, **rows, meta=np.array(json.dumps(meta, sort_keys=True)))


def load_split_logits(path: str | Path, ws: Workspace) -> SplitLogits:
    """The model's logits for this workspace's val and test rows, refused when they were predicted for other
    rows, classes or features (the embeddings or the split changed after train ran)."""
    stored = read_npz(path)
    meta = json.loads(str(stored["meta"]))
    check_same_embedder(f"{path}: the model", meta.get("embedder"), ws.meta.get("embedder"))
    if list(meta["classes"]) != list(ws.classes):
        raise DataError(
            f"{path}: predicted for classes {meta['classes']} but the data has {ws.classes}; re-run train (dvc repro)"
        )
    for part in PARTS:
        if not np.array_equal(stored[f"{part}_rows"], getattr(ws.split, part)):
            raise DataError(
                f"{path}: predicted for another {part} split than data/split holds; re-run train (dvc repro)"
            )
    return SplitLogits(stored["val"], stored["test"], meta["model_sha256"])
