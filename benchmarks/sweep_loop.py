"""The no-DVC limit of a sweep: one Python process, embeddings read once, the stages' library calls in a loop.

    python -m benchmarks.sweep_loop --project DIR --grid small|full --out FILE

Each experiment does what the stages do (split, resample, train, cross-validate, evaluate, threshold-tune,
plot files written to a temp folder) with the same params and seeds, but without processes, imports per
stage, artifact files or DVC. Like DVC's run-cache, a split or resampled set already computed for the
same params is reused. Metrics are returned at the metrics files' rounding, so the caller can check that both
paths agree.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

from benchmarks.grid import experiments
from imbalance_lab.artifacts import METRIC_DECIMALS
from imbalance_lab.config import parse_params, set_dotted
from imbalance_lab.crossval import cross_validate, summarize_cv
from imbalance_lab.modelfile import ensemble_logits
from imbalance_lab.reporting import test_report, write_test_plots
from imbalance_lab.splitting import stratified_fold_ids, stratified_split
from imbalance_lab.strategies.resampling import resample
from imbalance_lab.strategies.thresholds import decision_objective, positive_class
from imbalance_lab.threshold_fit import VAL_FOLDS, fit_thresholds
from imbalance_lab.training import member_seed, set_threads, train_mlp


def with_overrides(raw: dict, seed: int, overrides: dict[str, str]):
    raw = json.loads(json.dumps(raw))
    raw["seed"] = seed
    for key, value in overrides.items():
        set_dotted(raw, key, value)
    return parse_params(raw)


def run_one(X, y, classes, params, cache: dict, plots: Path) -> dict:
    K, seed = len(classes), params.seed
    split_key = ("split", seed, params.split)
    if split_key not in cache:
        cache[split_key] = stratified_split(
            y, classes, test_size=params.split.test_size, val_size=params.split.val_size, seed=seed
        )
    split = cache[split_key]
    balance_key = ("balance", seed, params.balance, split_key)
    if balance_key not in cache:
        cache[balance_key] = resample(X[split.train], y[split.train], params.balance, seed=seed, class_names=classes)
    balanced = cache[balance_key]
    X_val, y_val = X[split.val], y[split.val]
    counts = np.bincount(y[split.train], minlength=K)
    set_threads(params.train.threads)
    members = [
        train_mlp(
            balanced.X,
            balanced.y,
            X_val,
            y_val,
            n_classes=K,
            original_counts=counts,
            params=params.train,
            seed=member_seed(seed, m),
        ).model
        for m in range(params.train.ensemble_size)
    ]
    rows = np.sort(np.concatenate([split.train, split.val]))
    result = cross_validate(X[rows], y[rows], classes, params)
    cv = summarize_cv(result)
    X_test, y_test = X[split.test], y[split.test]
    test_logits = ensemble_logits(members, X_test)
    report = test_report(y_test, test_logits, classes, ordinal=params.data.ordinal, seed=seed)
    write_test_plots(plots / "test", y_test, test_logits, classes)
    t = params.threshold
    # what stages/threshold_tune.py fits on (its VAL_FOLDS cross-fitting folds of the validation rows, or the
    # out-of-fold logits with their CV folds), with the same cross-fitted choice of shrinkage and keep-or-not
    fit_sets = {
        "val": (ensemble_logits(members, X_val), y_val, stratified_fold_ids(y_val, VAL_FOLDS, seed)),
        "oof": (result.oof_logits, y[rows], result.fold_of_row),
    }
    positive = positive_class(t, classes, counts)
    fit = fit_thresholds(
        *fit_sets[t.fit_on],
        t,
        decision_objective(t, classes, positive),
        priors=counts / counts.sum(),
        positive=positive or 0,
    )
    after = test_report(y_test, test_logits + fit.biases, classes, ordinal=params.data.ordinal, seed=seed)
    write_test_plots(plots / "threshold", y_test, test_logits + fit.biases, classes, curves=False)
    values = {
        "test_macro_f1": report["macro_f1"],
        "threshold_macro_f1": after["macro_f1"],
        "cv_macro_f1_mean": cv["macro_f1_mean"],
    }
    return {k: round(v, METRIC_DECIMALS) for k, v in values.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--project", required=True)
    ap.add_argument("--grid", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    project = Path(args.project)
    started = time.perf_counter()
    raw = yaml.safe_load((project / "params.yaml").read_text())
    folder = project / "data/embeddings"
    X = np.load(folder / "features.npy")  # the embeddings, computed once (by the baseline run)
    y = np.load(folder / "labels.npy")
    classes = json.loads((folder / "meta.json").read_text())["classes"]
    cache: dict = {}
    results, times = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, seed, overrides in experiments(args.grid):
            wall = time.perf_counter()
            results[name] = run_one(X, y, classes, with_overrides(raw, seed, overrides), cache, Path(tmp))
            times[name] = round(time.perf_counter() - wall, 3)
            print(f"loop {name}: {times[name]:.1f}s {results[name]}", flush=True)
    record = {"metrics": results, "seconds": times, "in_process_s": round(time.perf_counter() - started, 2)}
    Path(args.out).write_text(json.dumps(record, indent=1))


if __name__ == "__main__":
    main()
