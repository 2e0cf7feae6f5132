"""cross-validate: time per fold vs one train run, on the same embeddings and default params.

    python -m benchmarks.crossval --out FILE [--project DIR] [--repeats 3]

Folds are timed by wrapping the resample / train_mlp / predict calls that imbalance_lab.crossval makes
(the library itself is unchanged), so each fold's time splits into resampling, training and scoring, and
its epoch count is known: early stopping makes folds and train runs differ in epochs, so time per epoch is
reported too.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

from benchmarks.common import load, median, timed
from benchmarks.data import load_embedded


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--project", default=None)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()

    import numpy as np

    import imbalance_lab.crossval as crossval
    from imbalance_lab.config import load_params
    from imbalance_lab.splitting import stratified_split
    from imbalance_lab.training import set_threads, train_mlp

    params = load_params(Path(__file__).resolve().parents[1] / "params.yaml")
    set_threads(params.train.threads)
    data = load_embedded(args.project)
    K = len(data.classes)
    split = stratified_split(data.y, data.classes, test_size=0.2, val_size=0.1, seed=params.seed)
    X_train, y_train = data.X[split.train], data.y[split.train]
    X_val, y_val = data.X[split.val], data.y[split.val]
    counts = np.bincount(y_train, minlength=K)
    load_start = load()

    warm_up = dataclasses.replace(params.train, max_epochs=1)  # first calls pay lazy init; not timed
    train_mlp(X_train, y_train, X_val, y_val, n_classes=K, original_counts=counts, params=warm_up, seed=0)
    train_runs = []
    for _ in range(args.repeats):
        wall, _, result = timed(
            lambda: train_mlp(
                X_train, y_train, X_val, y_val, n_classes=K, original_counts=counts, params=params.train, seed=0
            )
        )
        train_runs.append({"wall_s": wall, "epochs": len(result.history), "rows": int(len(y_train))})

    folds: list[dict] = []
    originals = {name: getattr(crossval, name) for name in ("resample", "train_mlp", "predict_logits")}

    def wrap(name):
        def timed_call(*a, **kw):
            start = time.perf_counter()
            out = originals[name](*a, **kw)
            if name == "resample":
                folds.append({"rows": int(len(a[1]))})
            folds[-1][f"{name}_s"] = time.perf_counter() - start
            if name == "train_mlp":
                folds[-1]["epochs"] = len(out.history)
            return out

        return timed_call

    for name in originals:
        setattr(crossval, name, wrap(name))
    rows = np.sort(np.concatenate([split.train, split.val]))
    cv_wall, _, _ = timed(lambda: crossval.cross_validate(data.X[rows], data.y[rows], data.classes, params))
    for name, fn in originals.items():
        setattr(crossval, name, fn)

    for fold in folds:
        fold["wall_s"] = fold["resample_s"] + fold["train_mlp_s"] + fold["predict_logits_s"]
        fold["s_per_epoch"] = fold["train_mlp_s"] / fold["epochs"]
    train_s = median([r["wall_s"] for r in train_runs])
    train_epoch_s = median([r["wall_s"] / r["epochs"] for r in train_runs])
    fold_s = median([f["wall_s"] for f in folds])
    record = {
        "data": data.source,
        "folds": params.cv.folds,
        "method": params.balance.method,
        "train_runs": train_runs,
        "fold_runs": folds,
        "cv_wall_s": cv_wall,
        "train_s": train_s,
        "fold_s": fold_s,
        "ratio_fold_vs_train": fold_s / train_s,
        "train_s_per_epoch": train_epoch_s,
        "fold_s_per_epoch": median([f["s_per_epoch"] for f in folds]),
        "ratio_epoch_fold_vs_train": median([f["s_per_epoch"] for f in folds]) / train_epoch_s,
        "cv_outside_folds_s": cv_wall - sum(f["wall_s"] for f in folds),
        "load_start": load_start,
        "load_end": load(),
    }
    Path(args.out).write_text(json.dumps(record, indent=1))


if __name__ == "__main__":
    main()
