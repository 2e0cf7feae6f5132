"""Stage embed: data.source -> feature matrix, class codes, row ids, text hashes, meta."""

import numpy as np

from imbalance_lab.config import load_params
from imbalance_lab.data.datasets import check_distinct_rows, is_number, load_table
from imbalance_lab.data.rows import text_hashes
from imbalance_lab.data.splitting import check_counts_before_embedding
from imbalance_lab.features.embedding import embed_table, fingerprint, fitted_bytes
from imbalance_lab.features.scaling import SCALE_WARNING_RATIO, spread_ratio
from imbalance_lab.pipeline import paths
from imbalance_lab.pipeline.artifacts import by_class, write_bytes, write_json, write_npy
from imbalance_lab.pipeline.stage import log, run_stage
from imbalance_lab.strategies import check_task
from imbalance_lab.task import task_named

STAGE = "embed"


def log_feature_scale(features: np.ndarray, scale: str) -> None:
    ratio = spread_ratio(features)
    if scale == "standard":
        log(STAGE, "feature columns are standardised on the training rows (embed.scale: standard)")
    elif ratio >= SCALE_WARNING_RATIO:
        log(
            STAGE,
            f"warning: embed.scale is none and the feature columns' spreads differ by a factor of {ratio:,.0f}: "
            "the widest columns will dominate the model and the resamplers' distances; set embed.scale: standard",
        )


def cache_line(stats: dict) -> str:
    line = f"{stats['from_cache']} texts from the embedding cache ({stats['cache']}), {stats['new']} embedded"
    if stats["repeats"]:
        line += f" ({stats['repeats']} rows repeat the text of another row)"
    if stats["truncated"]:
        limit = stats["max_seq_length"]
        line += f"; {stats['truncated']} texts longer than {limit} tokens were cut (embed.max_seq_length)"
    return line


def main() -> None:
    params = load_params()
    needs_text = params.embed.backend != "features"
    table = load_table(params.data, needs_text=needs_text)
    for note in table.notes:
        log(STAGE, note)
    frame = table.frame
    task = task_named(table.task, ordinal=params.data.ordinal)
    check_task(params, task.name)  # a strategy the task cannot use fails now, not after embedding
    labels, classes = task.encode(frame["label"], params.data.label_order)
    if summary := task.label_summary(labels):
        log(STAGE, summary)
    check_counts_before_embedding(labels, classes, params, task)
    log(STAGE, f"{len(frame)} rows, {len(classes)} classes; embedding with {params.embed.backend}")
    if params.data.ordinal and not params.data.label_order and not all(is_number(c) for c in classes):
        log(STAGE, f"warning: data.ordinal with alphabetical class order {classes}; set data.label_order if wrong")
    source, n_classes = params.data.source, len(classes)
    if needs_text:  # checked before embedding: a sentence-transformers pass over useless rows takes minutes
        hashes = text_hashes(frame["text"].tolist())
        fix = f"check that data.text_column ('{params.data.text_column}') is the column holding the texts"
        check_distinct_rows(len(np.unique(hashes)), len(hashes), n_classes, source, "text", fix)
    embedded = embed_table(frame, params.embed)
    features = embedded.features
    if embedded.stats:
        log(STAGE, cache_line(embedded.stats))
    if not needs_text:
        hashes = text_hashes([row.tobytes() for row in features])
        fix = "check data.feature_columns"
        check_distinct_rows(len(np.unique(hashes)), len(hashes), n_classes, source, "feature row", fix)
        log_feature_scale(features, params.embed.scale)
    counts = task.counts(labels, len(classes))
    fitted = fitted_bytes(embedded.fitted) if embedded.fitted is not None else None
    meta = {
        "source": params.data.source,
        "backend": params.embed.backend,
        "model": embedded.description,
        "embedder": fingerprint(embedded.description, fitted),
        "embed_params": vars(params.embed),  # what score re-applies to new files
        "feature_columns": [c for c in frame.columns if c not in ("label", "text")],
        "dim": int(features.shape[1]),
        "rows": int(len(frame)),
        "task": task.name,
        "classes": classes,
        "class_counts": by_class(classes, counts),
        "imbalance_ratio": round(float(counts.max() / counts.min()), 3),
        "repeated_texts": int(len(hashes) - len(np.unique(hashes))),
        "notes": list(table.notes),
        "truncated_texts": embedded.stats.get("truncated"),
    }
    write_npy(paths.FEATURES, features)
    write_npy(paths.LABELS, labels)
    write_npy(paths.ROW_IDS, frame.index.to_numpy(dtype=np.int64))
    write_npy(paths.TEXT_HASHES, hashes)
    if needs_text:
        write_json(paths.TEXTS, frame["text"].astype(str).tolist())
    if fitted is not None:
        write_bytes(paths.TFIDF_PIPELINE, fitted)
    write_json(paths.EMBED_META, meta)
    log(STAGE, f"wrote {features.shape[0]}x{features.shape[1]} features; class counts {meta['class_counts']}")


if __name__ == "__main__":
    run_stage(STAGE, main)
