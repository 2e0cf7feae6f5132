"""Multi-label: ML-ROS and MLSMOTE at 10k and 50k rows, per-label threshold fitting at 100 labels, and the
Reuters-21578 multi-label run end to end (wall and peak RSS per stage).

    python -m benchmarks.multilabel --workdir DIR --out FILE [--rows 10000,50000]

Synthetic label matrices: 100 labels, label k on 0.3 / k^s of the rows, 384 features: "zipf" (s = 1.35: 0.9
labels per row) and "flat" (s = 0.4: 7.6 labels per row, MLSMOTE's heavy case). The Reuters run is `dvc repro`
in a scratch copy (split.min_class_count 20), embed reading the project's embedding cache.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

from benchmarks.common import ROOT
from benchmarks.pipeline import make_project, repro

LABELS = 100
DIM = 384
REUTERS = {"data": {"source": "datasets/reuters21578.yaml"}, "split": {"min_class_count": 20}}


SHAPES = {"zipf": 1.35, "flat": 0.4}  # label frequency ~ 0.3 / rank^s: few rare labels, or 7.6 labels per row


def label_data(rows: int, seed: int = 0, exponent: float = SHAPES["zipf"]) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    rates = 0.3 / np.arange(1, LABELS + 1) ** exponent
    Y = (rng.random((rows, LABELS)) < rates).astype(np.uint8)
    X = rng.normal(size=(rows, DIM)).astype(np.float32) + Y @ rng.normal(size=(LABELS, DIM)).astype(np.float32)
    return X, Y


def resamplers(sizes: list[int]) -> dict:
    from imbalance_lab.config import parse_section
    from imbalance_lab.strategies.multilabel import minority_labels, resample_labels

    out = {}
    warm_X, warm_Y = label_data(500)
    resample_labels(warm_X, warm_Y, parse_section("balance", {"method": "mlsmote"}), seed=0)  # imports sklearn
    for shape, exponent in SHAPES.items():
        for rows in sizes:
            X, Y = label_data(rows, exponent=exponent)
            minority, _ = minority_labels(Y)
            record = {
                "shape": shape,
                "rows": rows,
                "labels_per_row": round(float(Y.sum(1).mean()), 2),
                "minority_labels": len(minority),
                "minority_rows": int(Y[:, minority].sum()),
            }
            for method in ("random_over", "mlsmote"):
                start = time.perf_counter()
                result = resample_labels(X, Y, parse_section("balance", {"method": method}), seed=0)
                record[method] = {"s": round(time.perf_counter() - start, 2), "rows_after": len(result.y)}
            out[f"{shape}-{rows}"] = record
    return out


def thresholds(rows: int = 10000) -> dict:
    from imbalance_lab.config import parse_section
    from imbalance_lab.data.label_sets import iterative_fold_ids
    from imbalance_lab.thresholds.label_thresholds import fit_label_thresholds

    _, Y = label_data(rows, seed=1)
    rng = np.random.default_rng(1)
    logits = (Y * 2.0 - 1.0) * rng.gamma(1.0, 1.0, Y.shape) + rng.normal(-1.0, 1.5, Y.shape)
    folds = iterative_fold_ids(Y, 5, 0)
    start = time.perf_counter()
    fit_label_thresholds(logits, Y, folds, parse_section("threshold", {}))
    return {
        "rows": rows,
        "labels": LABELS,
        "s": round(time.perf_counter() - start, 2),
        "fits": 1 + 5 * 3,  # the final fit plus 5 folds x 3 regularization candidates
    }


def reuters(workdir: Path, timeout: float) -> dict:
    project = make_project(workdir / "reuters-multilabel", **REUTERS)
    record = repro(project, workdir / "reuters-stages.jsonl", timeout)
    test = json.loads((project / "metrics/test.json").read_text())
    split = json.loads((project / "data/split/summary.json").read_text())
    record["labels"] = len(split["classes"])
    record["metrics"] = {k: test[k] for k in ("macro_f1", "micro_f1", "rare_label_recall")}
    return record


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--rows", default="10000,50000")
    ap.add_argument("--timeout", type=float, default=1500)
    args = ap.parse_args()
    os.environ.setdefault("IMBALANCE_LAB_EMBED_CACHE", str(ROOT / ".cache" / "embeddings"))
    record = {
        "resamplers": resamplers([int(r) for r in args.rows.split(",")]),
        "thresholds": thresholds(),
        "reuters": reuters(Path(args.workdir), args.timeout),
    }
    Path(args.out).write_text(json.dumps(record, indent=1))


if __name__ == "__main__":
    main()
