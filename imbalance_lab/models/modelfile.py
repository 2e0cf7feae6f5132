"""The model file (safetensors): every ensemble member's layer weights, plus, as JSON in its metadata, what is
needed to use them safely later (architecture, class order, the params and seed they were trained with).
It is read and applied with numpy alone, so the stages that only predict (evaluate, threshold-tune, score)
never import torch (1.3 s CPU per process)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from imbalance_lab.errors import DataError
from imbalance_lab.pipeline.artifacts import write_bytes
from imbalance_lab.task import Task

MLP = "mlp"  # the kind (meta "kind") of the files this module writes; models/model_kinds.py loads any kind
Member = list[tuple[np.ndarray, np.ndarray]]  # (weight (out, in), bias) of each Linear layer, ReLU between


def member_weights(model) -> Member:
    """A trained torch MLP (training.build_mlp) as arrays: its Linear layers in order."""
    return [
        (layer.weight.detach().numpy().copy(), layer.bias.detach().numpy().copy())
        for layer in model
        if hasattr(layer, "weight")
    ]


def member_logits(member: Member, X: np.ndarray, batch_size: int = 8192) -> np.ndarray:
    """The MLP's forward pass in float32 (dropout is off at inference), as float64 logits."""
    parts = []
    for start in range(0, len(X), batch_size):
        h = np.asarray(X[start : start + batch_size], dtype=np.float32)
        for i, (weight, bias) in enumerate(member):
            h = h @ weight.T + bias
            if i < len(member) - 1:
                np.maximum(h, 0, out=h)
        parts.append(h)
    return np.concatenate(parts).astype(np.float64) if parts else np.zeros((0, len(member[-1][1])))


def member_tensors(members: list[Member]) -> dict[str, np.ndarray]:
    """An MLP ensemble as a model file's named arrays (what _members reads back)."""
    return {
        f"member{m}.layer{i}.{part}": array
        for m, member in enumerate(members)
        for i, layer in enumerate(member)
        for part, array in zip(("weight", "bias"), layer, strict=True)
    }


def save_model(path: str | Path, members: list[Member], meta: dict) -> None:
    save_tensors(path, member_tensors(members), meta)


def save_tensors(path: str | Path, tensors: dict[str, np.ndarray], meta: dict) -> None:
    """Any kind's model file: named arrays, and the meta as JSON in the safetensors header (no pickle)."""
    from safetensors.numpy import save

    write_bytes(path, save(tensors, metadata={"meta": json.dumps(meta)}))


def load_model(path: str | Path) -> tuple[list[Member], dict]:
    """An MLP model file: its members' layers and its meta."""
    tensors, meta = read_tensors(path)
    try:
        return _members(tensors), meta
    except KeyError as exc:
        raise _not_a_model(Path(path), exc) from None


def read_meta(path: str | Path) -> dict:
    """The meta of a model file of any kind, without reading its tensors."""
    return _read(path, tensors=False)[1]


def read_tensors(path: str | Path) -> tuple[dict[str, np.ndarray], dict]:
    """A model file of any kind: its named arrays and its meta."""
    return _read(path, tensors=True)


def _read(path: str | Path, tensors: bool) -> tuple[dict, dict]:
    from safetensors import safe_open

    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: not found; run the train stage first (dvc repro train)")
    try:
        with safe_open(path, framework="numpy") as f:
            meta = json.loads(f.metadata()["meta"])
            arrays = {key: f.get_tensor(key) for key in f.keys()} if tensors else {}  # noqa: SIM118 - not a mapping
    except Exception as exc:  # truncated or foreign file: safetensors, json and KeyError alike
        raise _not_a_model(path, exc) from None
    return arrays, meta


def _not_a_model(path: Path, exc: Exception) -> DataError:
    reason = " ".join(str(exc).split())[:160] or type(exc).__name__
    return DataError(f"{path}: not a model file written by train ({reason}); run dvc repro train")


def _members(tensors: dict[str, np.ndarray]) -> list[Member]:
    members: list[Member] = []
    while f"member{len(members)}.layer0.weight" in tensors:
        m, member = len(members), []
        while f"member{m}.layer{len(member)}.weight" in tensors:
            i = len(member)
            member.append((tensors[f"member{m}.layer{i}.weight"], tensors[f"member{m}.layer{i}.bias"]))
        members.append(member)
    if not members or len(tensors) != 2 * sum(len(member) for member in members):
        raise KeyError(f"unexpected tensors {sorted(tensors)[:4]}")
    return members


def check_same_embedder(subject: str, trained_on: str | None, embedder: str | None) -> None:
    """Refuse features from another embedder than the model's (for tfidf: refitted on other texts)."""
    if embedder and trained_on and embedder != trained_on:
        raise DataError(
            f"{subject} was trained on features from another embedder (fingerprint {trained_on}; these are "
            f"{embedder}): re-run train on them (dvc repro), or restore the embeddings it was trained with "
            "(dvc checkout)"
        )


def check_compatible(
    meta: dict, classes: list[str], input_dim: int, model_path: str | Path, embedder: str | None = None
) -> None:
    """Refuse to score data whose label order, feature width or embedder differs from what the model learned."""
    check_same_embedder(str(model_path), (meta.get("embedding") or {}).get("embedder"), embedder)
    if list(meta["classes"]) != list(classes):
        raise DataError(
            f"{model_path} was trained on classes {meta['classes']} but the data has {classes}; "
            "re-run train on this data (dvc repro) or fix data.label_order"
        )
    if meta["input_dim"] != input_dim:
        raise DataError(
            f"{model_path} expects {meta['input_dim']} features but the data has {input_dim}; "
            "embed with the settings the model was trained with"
        )


def ensemble_logits(members: list[Member], X: np.ndarray, task: Task) -> np.ndarray:
    """The ensemble's logits: the task's mean member probability as logits (one member: its own logits)."""
    return task.mean_logits([member_logits(m, X) for m in members])
