"""The training texts and the embed stage's embedder, for resamplers that make new texts (text_augment). Its own
module: only balance and cross-validate import it, so only they depend on the embedding code."""

from __future__ import annotations

import numpy as np

from imbalance_lab.pipeline import paths
from imbalance_lab.pipeline.artifacts import read_json
from imbalance_lab.pipeline.workspace import Workspace
from imbalance_lab.strategies.resampling import NEEDS_TEXT, RESAMPLERS
from imbalance_lab.strategies.text_augment import Texts


def texts_for(method: str, ws: Workspace, rows: np.ndarray) -> Texts | None:
    """The texts of these rows and the embedder when balance.method needs them, else None."""
    if NEEDS_TEXT not in RESAMPLERS[method].traits:
        return None
    from imbalance_lab.features.embedding import stage_embedder  # pandas and the sentence model: only when needed

    texts = read_json(paths.TEXTS)
    return Texts([texts[i] for i in rows], stage_embedder(ws.meta, paths.TFIDF_PIPELINE))
