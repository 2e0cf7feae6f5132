"""Standardised feature columns for the features backend (embed.scale: standard).

Numeric columns used raw (one reaching 197,000 beside one in [0, 1]) leave the model little to learn and the
tuned thresholds degenerate. The scaler is fitted on TRAINING rows only: the training split for balance, train,
evaluate and threshold-tune (workspace), each fold's fitting rows in cross-validate; the model file records the
training split's scaler, which score applies to a new file.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SCALE_WARNING_RATIO = 1e3  # embed.scale none: warn when column spreads differ by this factor or more


@dataclass(frozen=True)
class Scaler:
    mean: np.ndarray  # float64 (d,)
    scale: np.ndarray  # float64 (d,), 1 where a column is constant

    def apply(self, X) -> np.ndarray:
        return ((np.asarray(X, dtype=np.float64) - self.mean) / self.scale).astype(np.float32)

    def to_meta(self) -> dict:
        return {"mean": self.mean.tolist(), "scale": self.scale.tolist()}

    @classmethod
    def from_meta(cls, meta: dict) -> Scaler:
        return cls(np.asarray(meta["mean"], dtype=np.float64), np.asarray(meta["scale"], dtype=np.float64))


def fit_scaler(X) -> Scaler:
    X = np.asarray(X, dtype=np.float64)
    std = X.std(axis=0)
    return Scaler(X.mean(axis=0), np.where(std > 0, std, 1.0))


def scales(embed_params: dict) -> bool:
    """Whether an embedding's features are standardised downstream (embed meta's embed_params)."""
    return embed_params.get("backend") == "features" and embed_params.get("scale", "standard") == "standard"


def spread_ratio(X) -> float:
    """Largest over smallest non-zero column standard deviation (1.0 for fewer than two such columns)."""
    std = np.asarray(X, dtype=np.float64).std(axis=0)
    std = std[std > 0]
    return float(std.max() / std.min()) if std.size > 1 else 1.0
