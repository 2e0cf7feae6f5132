"""Test-split report shared by evaluate and threshold-tune: headline metrics, CIs and plot rows."""

from __future__ import annotations

import numpy as np

from imbalance_lab.evaluation.metric_registry import REPORT_NUMBERS, SHOWN
from imbalance_lab.evaluation.metrics import (
    bootstrap_ci,
    calibration_rows,
    classification_metrics,
    f1_rows,
    per_class_recall_rows,
    pr_curve_rows,
    rarest,
    softmax,
)
from imbalance_lab.pipeline.artifacts import write_csv

# What a report puts flat (its per-class detail and CIs go under their keys), from the metric registry.
HEADLINE = (*REPORT_NUMBERS, "minority_class")
# metrics/test.json (and, prefixed tuned_, metrics/threshold.json) list each task's headline metrics (SHOWN,
# metric_registry) for `dvc exp show` and `dvc metrics diff`.
TUNED = "tuned_"  # metrics/threshold.json: the SHOWN numbers after threshold tuning


def interval(ci) -> str:
    """A 95% interval at the values' precision, for logs: [0.812, 0.930]."""
    return f"[{ci[0]:.3f}, {ci[1]:.3f}]"


def shown(report: dict, prefix: str = "") -> dict:
    """What metrics/<stage>.json lists of a report (its whole content goes to metrics/full/<stage>.json)."""
    return {prefix + k: report[k] for k in SHOWN if k in report}


def headline(report: dict) -> dict:
    """The headline metrics of a report (what metrics files put flat), without its per-class detail and CIs."""
    return {k: report[k] for k in HEADLINE if k in report}


def test_report(y: np.ndarray, logits: np.ndarray, classes: list[str], *, ordinal: bool, seed: int) -> dict:
    """Headline metrics flat (what `dvc exp show` lists), per-class detail and bootstrap CIs under their keys."""
    proba = softmax(logits)
    metrics = classification_metrics(y, proba, classes, ordinal=ordinal)
    report = headline(metrics)
    report["seed"] = seed
    report["per_class"] = metrics["per_class"]
    report["ci95"] = bootstrap_ci(y, proba, seed=seed)
    return report


def plot_class_names(classes: list[str]) -> list[str]:
    """Class names for plot files. DVC's confusion templates sort both axes ascending by name, so when the class
    order (data.label_order) is not already alphabetical the names get a rank prefix ("1. toddler",
    "2. preschool", ...) that sorts in class order."""
    if list(classes) == sorted(classes):
        return list(classes)
    width = len(str(len(classes)))
    return [f"{rank:0{width}d}. {name}" for rank, name in enumerate(classes, start=1)]


def write_test_plots(
    folder, y: np.ndarray, logits: np.ndarray, classes: list[str], *, curves: bool = True, train_counts=None
) -> None:
    """confusion.csv (one row per test example, for DVC's confusion templates), recall bars, per-class F1 with the
    class's training rows (given train_counts), and optionally per-class PR curves and the reliability diagram."""
    predictions = logits.argmax(1)
    names = plot_class_names(classes)
    write_csv(
        folder / "confusion.csv",
        [{"actual": names[a], "predicted": names[p]} for a, p in zip(y.tolist(), predictions.tolist())],
    )
    write_csv(folder / "recall.csv", per_class_recall_rows(y, predictions, names))
    if train_counts is not None:
        f1 = [row["f1"] for row in classification_metrics(y, softmax(logits), classes)["per_class"].values()]
        write_csv(folder / "f1.csv", f1_rows(names, f1, np.bincount(y, minlength=len(classes)), train_counts))
    if curves:
        proba = softmax(logits)
        counts = train_counts if train_counts is not None else np.bincount(y, minlength=len(classes))
        write_csv(folder / "pr.csv", pr_curve_rows(y, proba, classes, only=rarest(counts)))
        write_csv(folder / "calibration.csv", calibration_rows(y, proba))


def label_test_report(Y, logits, classes: list[str], *, train_counts, seed: int, biases=None) -> dict:
    """test_report for multi-label data: the same layout (headline flat, per_class, ci95)."""
    from imbalance_lab.evaluation.label_metrics import label_report

    report = label_report(Y, logits, classes, train_counts=train_counts, seed=seed, biases=biases)
    return {
        **headline(report),
        "seed": seed,
        **{k: report[k] for k in ("per_class", "ci95")},
    }


def write_label_plots(folder, Y, logits, classes: list[str], train_counts, *, biases=None, curves: bool = True) -> None:
    """The multi-label plot files, in the multiclass files' shapes (label_metrics.label_plot_rows) plus f1.csv."""
    from imbalance_lab.evaluation.label_metrics import label_plot_rows

    rows = label_plot_rows(Y, logits, classes, train_counts, biases=biases)
    for name in ("confusion", "recall", "f1") + (("pr", "calibration") if curves else ()):
        write_csv(folder / f"{name}.csv", rows[name])
