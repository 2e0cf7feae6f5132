"""The model file: every ensemble member's weights plus what is needed to use them safely later
(architecture, class order, the params and seed they were trained with)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import torch

from imbalance_lab.artifacts import write_bytes
from imbalance_lab.errors import DataError
from imbalance_lab.label_metrics import sigmoid
from imbalance_lab.metrics import softmax
from imbalance_lab.training import build_mlp, predict_logits


def save_model(path: str | Path, members: list[torch.nn.Module], meta: dict) -> None:
    buffer = io.BytesIO()
    torch.save({"members": [m.state_dict() for m in members], "meta": meta}, buffer)
    write_bytes(path, buffer.getvalue())


def load_model(path: str | Path) -> tuple[list[torch.nn.Module], dict]:
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: not found; run the train stage first (dvc repro train)")
    try:
        saved = torch.load(path, map_location="cpu", weights_only=True)
        meta = saved["meta"]
    except Exception as exc:  # truncated or foreign file: torch/pickle raise many types
        reason = " ".join(str(exc).split())[:160] or type(exc).__name__
        raise DataError(f"{path}: not a model file written by train ({reason}); run dvc repro train") from None
    members = []
    for state in saved["members"]:
        model = build_mlp(meta["input_dim"], tuple(meta["hidden_dims"]), len(meta["classes"]), meta["dropout"])
        model.load_state_dict(state)
        model.eval()
        members.append(model)
    return members, meta


def check_compatible(
    meta: dict, classes: list[str], input_dim: int, model_path: str | Path, embedder: str | None = None
) -> None:
    """Refuse to score data whose label order, feature width or embedder differs from what the model learned."""
    trained_on = (meta.get("embedding") or {}).get("embedder")
    if embedder and trained_on and embedder != trained_on:
        raise DataError(
            f"{model_path} was trained on features from another embedder (fingerprint {trained_on}; these are "
            f"{embedder}): re-run train on them (dvc repro), or restore the embeddings it was trained with "
            "(dvc checkout)"
        )
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


def mean_probability_logits(member_logits: list[np.ndarray], multilabel: bool = False) -> np.ndarray:
    """One member: its logits. Several: log of the mean member probability (so biases still apply); multi-label:
    the logit of each label's mean member probability."""
    if len(member_logits) == 1:
        return member_logits[0]
    if multilabel:
        mean_proba = np.clip(np.mean([sigmoid(logits) for logits in member_logits], axis=0), 1e-12, 1 - 1e-12)
        return np.log(mean_proba) - np.log1p(-mean_proba)
    mean_proba = np.mean([softmax(logits) for logits in member_logits], axis=0)
    return np.log(np.clip(mean_proba, 1e-12, None))


def ensemble_logits(members: list[torch.nn.Module], X: np.ndarray, multilabel: bool = False) -> np.ndarray:
    """The ensemble's logits: log of the mean member probability (one member: its own logits)."""
    return mean_probability_logits([predict_logits(m, X) for m in members], multilabel)
