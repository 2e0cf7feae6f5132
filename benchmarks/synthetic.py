"""Synthetic sentence-embedding-like data: imbalanced Gaussian classes on the unit sphere, float32."""

from __future__ import annotations

import numpy as np

# 6 classes, minority 3% (imbalance ratio ~13): TREC-6-like shape, a bit more skewed
PROPORTIONS = (0.40, 0.25, 0.15, 0.10, 0.07, 0.03)
SEPARATION = 0.12  # norm of class means vs unit noise: a linear model scores macro-F1 ~0.7, not 1.0


def make_embeddings(rows: int, dim: int = 384, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """X (rows, dim) float32 with unit-norm rows, y int64 codes 0..5 (class 0 the majority)."""
    rng = np.random.default_rng(seed)
    counts = np.floor(np.asarray(PROPORTIONS) * rows).astype(int)
    counts[0] += rows - counts.sum()
    y = np.repeat(np.arange(len(counts)), counts)
    rng.shuffle(y)
    means = rng.standard_normal((len(counts), dim)).astype(np.float32)
    means *= SEPARATION / np.linalg.norm(means, axis=1, keepdims=True)
    X = rng.standard_normal((rows, dim), dtype=np.float32) / np.float32(np.sqrt(dim))
    X += means[y]
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    return X, y.astype(np.int64)


def write_features_table(path, rows: int, dim: int = 384, seed: int = 0) -> None:
    """A parquet file for the features backend: columns f0..f{dim-1} (float32) and label (c0..c5)."""
    import pandas as pd

    X, y = make_embeddings(rows, dim, seed)
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(dim)])
    frame["label"] = np.array([f"c{code}" for code in range(len(PROPORTIONS))])[y]
    frame.to_parquet(path, index=False)
