"""Inputs the in-process benchmarks share: TREC-6 embeddings from a project copy, or a synthetic stand-in."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks.synthetic import make_embeddings


@dataclass
class Embedded:
    X: np.ndarray
    y: np.ndarray
    classes: list[str]
    source: str


def load_embedded(project: str | None) -> Embedded:
    """data/embeddings of a project where `dvc repro` ran (TREC-6 + MiniLM), else synthetic data of
    TREC-6's size (5381 x 384) so the section still runs on its own."""
    if project and (Path(project) / "data/embeddings/features.npy").exists():
        import json

        folder = Path(project) / "data/embeddings"
        meta = json.loads((folder / "meta.json").read_text())
        X, y = np.load(folder / "features.npy"), np.load(folder / "labels.npy")
        return Embedded(X, y, meta["classes"], f"TREC-6 ({meta['model']})")
    X, y = make_embeddings(5381)
    return Embedded(X, y, [f"c{i}" for i in range(int(y.max()) + 1)], "synthetic 5381 x 384 (no TREC-6 run found)")
