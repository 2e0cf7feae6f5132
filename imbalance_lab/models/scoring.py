"""Scoring a new file with a trained model: reading it, matching its labels to the model's classes, the
class-distribution shift, and prior-shift correction (Saerens, Latinne & Decaestecker 2002).

Prior shift: p(x|y) stays, p(y) changes. A model whose posteriors are calibrated to source priors s gives,
for new priors t, p_t(y|x) proportional to p_s(y|x) * t(y) / s(y). Without labels t is estimated by EM:
E-step re-weights the posteriors with the current t, M-step sets t to their mean; this maximises the
likelihood of the new (unlabelled) rows over t.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from imbalance_lab.config import DataParams, EmbedParams
from imbalance_lab.data.datasets import USER_FORMATS, drop_invalid_rows, label_names, read_user_table, strip_labels
from imbalance_lab.data.label_sets import sets_from_columns, sets_from_text
from imbalance_lab.data.rows import text_hashes
from imbalance_lab.data.splitting import OTHER
from imbalance_lab.errors import ConfigError, DataError
from imbalance_lab.features.embedding import load_fitted, reembed_table
from imbalance_lab.features.scaling import Scaler
from imbalance_lab.pipeline import paths
from imbalance_lab.pipeline.artifacts import file_sha256, read_json, read_npy, read_npz
from imbalance_lab.strategies.samplers import SAMPLERS, UNIFORM_PRIOR

EM_TOLERANCE = 1e-8  # stop when no prior moves by more than this
EM_MAX_ITER = 10_000


@dataclass(frozen=True)
class NewRows:
    frame: pd.DataFrame  # "text" (text backends) or the feature columns, plus "label" when labelled
    labelled: bool
    notes: tuple[str, ...]


def read_new_rows(
    source: str, data: DataParams, *, backend: str, feature_columns: list[str], label_column: str, label_sets=False
) -> NewRows:
    """The rows of score.source. The label column is optional: without it the file is scored unlabelled.
    label_sets (multi-label): "label" holds each row's label set (from data.label_column or data.label_columns); a row
    without labels is a row with none, not a gap."""
    if not source:
        raise ConfigError(
            "no file to score: pass --source FILE or set score.source in params.yaml (a .csv/.parquet/.jsonl file "
            "with the same columns as data.source)"
        )
    path = Path(source)
    if path.suffix.lower() not in USER_FORMATS:
        raise ConfigError(f"score.source: '{path}' is not one of {', '.join(USER_FORMATS)}; give your own new file")
    if not path.exists():
        raise DataError(f"score.source: file '{path}' not found")
    frame = read_user_table(path)
    needed = feature_columns if backend == "features" else [data.text_column]
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        what = "feature columns the model was trained on" if backend == "features" else "data.text_column"
        raise DataError(
            f"{path}: no column {', '.join(map(repr, missing))} ({what}); the file has: "
            f"{', '.join(map(str, frame.columns))}"
        )
    label_columns = list(data.label_columns) if label_sets else []
    labelled = all(c in frame.columns for c in label_columns) if label_columns else label_column in frame.columns
    if labelled and label_sets:
        sets = (
            sets_from_columns(frame, label_columns, path)
            if label_columns
            else sets_from_text(frame[label_column], data.label_separator, check=False)
        )
        frame = frame.assign(**{"\0sets": sets})
        label_column = "\0sets"
    columns = {data.text_column: "text"} if backend != "features" else {c: c for c in feature_columns}
    if labelled:
        columns[label_column] = "label"
    frame = frame[list(columns)].rename(columns=columns)
    notes = [] if labelled else [f"no '{label_column}' column: scoring without labels (predictions only)"]
    if backend == "features":
        invalid = frame[feature_columns].isna().any(axis=1)
        what = "missing feature values"
    else:
        invalid = frame["text"].isna() | (frame["text"].astype(str).str.strip() == "")
        what = "empty text"
    if labelled and not label_sets:
        invalid |= frame["label"].isna()
        what += " or missing label"
    frame = drop_invalid_rows(frame, invalid, what, data.drop_invalid, path, notes)
    if frame.empty:
        raise DataError(f"{path}: no usable rows")
    if labelled and not label_sets:  # the same normalisation as training labels, so 'fraud ' is scored as 'fraud'
        frame = frame.assign(label=strip_labels(frame["label"], notes))
    return NewRows(frame=frame, labelled=labelled, notes=tuple(notes))


def encode_known_labels(
    labels: pd.Series, classes: list[str], source: str, rare_classes: dict | None = None
) -> tuple[np.ndarray, list[str]]:
    """Class codes in the model's order, and notes for the log. Labels of classes that split.min_class_count merged
    into 'other' when the model was trained become 'other' (said); any other label the model never saw is an
    error naming it (it cannot be predicted, so every metric would silently count it as a miss), and says when
    split.min_class_count dropped it."""
    names = label_names(labels)
    rare_classes = rare_classes or {}
    rare = rare_classes.get("classes") or {}
    notes = []
    if rare_classes.get("action") == "merge_into_other":
        merged = [n for n in names if n in rare]
        if merged:
            names = np.array([OTHER if n in rare else n for n in names], dtype=object)
            notes.append(f"{len(merged)} rows of classes merged into '{OTHER}' at training (split.min_class_count)")
    unseen = sorted(set(names) - set(classes))
    dropped = [n for n in unseen if n in rare]
    if dropped:
        raise DataError(
            f"{source}: the model was trained without classes split.min_class_count dropped: "
            f"{_with_row_counts(names, dropped)}; drop those rows, or retrain with split.rare_class_action: "
            "merge_into_other"
        )
    if unseen:
        raise DataError(
            f"{source}: labels the model never saw: {_with_row_counts(names, unseen)}; the model knows "
            f"{', '.join(classes)}; drop or map those rows, or retrain with them in data.source"
        )
    index = {name: code for code, name in enumerate(classes)}
    return np.array([index[n] for n in names], dtype=np.int64), notes


def _with_row_counts(names: np.ndarray, listed: list[str]) -> str:
    """ "'y' (1 rows), 'z' (2 rows)": the first 10 of these labels with their row counts among names."""
    counts = pd.Series(names).value_counts()
    return ", ".join(f"{name!r} ({counts[name]} rows)" for name in listed[:10])


def source_priors(meta: dict) -> tuple[np.ndarray, list[str]]:
    """The class prior the model's posteriors are calibrated to, and warnings when that is only approximate.

    The rows it was fitted on after resampling; uniform for class-balanced batch samplers. Re-weighting losses
    and class weights distort the posteriors away from any prior, so the correction is then approximate."""
    train = meta["params"]["train"]
    counts = np.asarray(meta.get("fit_class_counts") or meta["train_class_counts"], dtype=np.float64)
    priors = (
        np.full(len(counts), 1.0 / len(counts))
        if train["sampler"] in SAMPLERS.having(UNIFORM_PRIOR)
        else counts / counts.sum()
    )
    warnings = []
    if train["loss"] != "cross_entropy" or train["class_weight"] != "none":
        warnings.append(
            f"train.loss={train['loss']}, train.class_weight={train['class_weight']}: the posteriors are not "
            "calibrated to a training prior, so prior-shift correction is approximate"
        )
    return priors, warnings


def reweight_posteriors(proba: np.ndarray, source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """p_t(y|x) proportional to p_s(y|x) * t(y) / s(y), renormalised per row."""
    weighted = np.asarray(proba, dtype=np.float64) * (np.asarray(target) / np.asarray(source))
    return weighted / np.clip(weighted.sum(axis=1, keepdims=True), 1e-300, None)


def em_priors(proba: np.ndarray, source: np.ndarray, *, tol: float = EM_TOLERANCE, max_iter: int = EM_MAX_ITER):
    """EM estimate of the new class priors from unlabelled posteriors (Saerens et al. 2002).
    Returns (priors, iterations run)."""
    source = np.asarray(source, dtype=np.float64) / np.sum(source)
    if (source <= 0).any():
        raise DataError("prior correction needs a positive training prior for every class")
    target, iterations = source.copy(), 0
    while iterations < max_iter:
        iterations += 1
        updated = reweight_posteriors(proba, source, target).mean(axis=0)
        converged = np.abs(updated - target).max() < tol
        target = updated
        if converged:
            break
    return target, iterations


def distribution(codes: np.ndarray, n_classes: int) -> np.ndarray:
    return np.bincount(codes, minlength=n_classes) / max(len(codes), 1)


def total_variation(p: np.ndarray, q: np.ndarray) -> float:
    """Half the L1 distance between two class distributions: the share of mass that moved (0 = same)."""
    return 0.5 * float(np.abs(np.asarray(p) - np.asarray(q)).sum())


def class_shift(classes: list[str], training: np.ndarray, predicted: np.ndarray, em: tuple[np.ndarray, int], y=None):
    """Class shares of the training split, the predictions, the EM estimate and (if labelled) the new labels,
    with total-variation distances between them."""
    K, digits = len(classes), 6
    em_prior, em_iterations = em

    def shares(values):
        return {c: round(float(v), digits) for c, v in zip(classes, values)}

    shift = {
        "training_split": shares(training),
        "predicted": shares(distribution(predicted, K)),
        "em_estimate": shares(em_prior),
        "em_iterations": int(em_iterations),
        "tv_em_vs_training": round(total_variation(em_prior, training), digits),
    }
    if y is not None:
        labels = distribution(y, K)
        shift["labels"] = shares(labels)
        shift["tv_labels_vs_training"] = round(total_variation(labels, training), digits)
        shift["tv_em_vs_labels"] = round(total_variation(em_prior, labels), digits)
    return shift


def prediction_rows(row_ids, classes: list[str], predicted, proba, y=None, corrected=None) -> list[dict]:
    """One dict per row: row_id, [label], predicted, [predicted_prior_corrected], p_<class>..."""
    columns = {"row_id": np.asarray(row_ids).tolist()}
    if y is not None:
        columns["label"] = [classes[c] for c in y]
    columns["predicted"] = [classes[c] for c in predicted]
    if corrected is not None:
        columns["predicted_prior_corrected"] = [classes[c] for c in np.asarray(corrected).argmax(axis=1)]
    for code, name in enumerate(classes):
        columns[f"p_{name}"] = np.asarray(proba)[:, code].tolist()
    return [dict(zip(columns, values)) for values in zip(*columns.values())]


def model_embedding(meta: dict) -> tuple[EmbedParams, list[str]]:
    """The embedding settings the model was trained with (params.yaml may have changed since)."""
    embedding = meta["embedding"]
    if "embed_params" not in embedding:
        raise DataError(f"{paths.MODEL} predates score support (no embedding settings); run dvc repro to retrain it")
    settings = EmbedParams(**embedding["embed_params"])
    return settings, list(embedding["feature_columns"])


def load_thresholds(classes: list[str]) -> tuple[np.ndarray, dict]:
    thresholds = read_json(paths.THRESHOLDS)
    if thresholds.get("model_sha256") != file_sha256(paths.MODEL):
        raise DataError(f"{paths.THRESHOLDS} was fitted for another {paths.MODEL}; run dvc repro threshold-tune")
    if thresholds["classes"] != classes:
        raise DataError(f"{paths.THRESHOLDS} has classes {thresholds['classes']}, the model {classes}; run dvc repro")
    return np.asarray(thresholds["biases"], dtype=np.float64), thresholds


def embed_new(frame, settings: EmbedParams, feature_columns: list[str], meta: dict) -> np.ndarray:
    fitted = None
    if settings.backend == "tfidf":
        embedded_meta = read_json(paths.EMBED_META)
        trained_on = meta["embedding"].get("embedder") or meta["embedding"]["model"]
        if (embedded_meta.get("embedder") or embedded_meta["model"]) != trained_on:
            raise DataError(
                f"data/embeddings/tfidf.npz was refitted since {paths.MODEL} was trained (another embedder): "
                "run dvc repro so the model is trained on it, or restore the embeddings it was trained with "
                "(dvc checkout)"
            )
        fitted = load_fitted(paths.TFIDF_PIPELINE)
    embedded = reembed_table(frame, settings, fitted, feature_columns)
    if embedded.description and embedded.description != meta["embedding"]["model"]:
        raise DataError(
            f"the embedding model is now {embedded.description} but {paths.MODEL} was trained on "
            f"{meta['embedding']['model']}; install that version or retrain"
        )
    return embedded.features


def rows_seen_in_training(frame, X: np.ndarray, backend: str) -> int:
    """How many rows of a scored file repeat a row of the training split (the same stripped text, or the same
    feature values): scores on them flatter the model. 0 when the workspace has no split to compare with."""
    if not (paths.TEXT_HASHES.exists() and paths.SPLIT_INDICES.exists()):
        return 0
    keys = [row.tobytes() for row in np.ascontiguousarray(X, np.float32)] if backend == "features" else frame["text"]
    trained = read_npy(paths.TEXT_HASHES)[read_npz(paths.SPLIT_INDICES)["train"]]
    return int(np.isin(text_hashes(list(keys)), trained).sum())


def model_inputs(X: np.ndarray, meta: dict) -> np.ndarray:
    """A new file's features as the model was trained on them: standardised with the training split's scaler
    when the model file records one (features backend, embed.scale standard)."""
    return Scaler.from_meta(meta["scaler"]).apply(X) if meta.get("scaler") else X
