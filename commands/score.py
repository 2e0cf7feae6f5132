"""Command score (not a DVC stage: its input is optional and changes per call): the trained model and its
tuned thresholds on a new file.

    python -m commands.score [--source FILE] [--prior-correction | --no-prior-correction]

FILE defaults to score.source in params.yaml.
Embeds the file exactly as the training data was (settings from models/model.safetensors; tfidf re-applies the
pipeline fitted in the embed stage), then writes reports/score/predictions.csv and reports/score/shift.json;
with labels also metrics/score.json and plots/score/. Labels the model never saw are an error.
"""

import argparse
import json
import shutil
import sys

import numpy as np

from imbalance_lab.config import load_params
from imbalance_lab.data.label_sets import encode_known_label_sets
from imbalance_lab.errors import ConfigError
from imbalance_lab.evaluation.label_metrics import predict, sigmoid
from imbalance_lab.evaluation.metrics import classification_metrics, softmax
from imbalance_lab.evaluation.split_report import (
    headline,
    interval,
    label_test_report,
    test_report,
    write_label_plots,
    write_test_plots,
)
from imbalance_lab.models.model_kinds import load_for_new_rows
from imbalance_lab.models.scoring import (
    class_shift,
    distribution,
    em_priors,
    encode_known_labels,
    load_thresholds,
    model_embedding,
    prediction_rows,
    read_new_rows,
    reweight_posteriors,
    rows_seen_in_training,
    source_priors,
)
from imbalance_lab.pipeline import paths
from imbalance_lab.pipeline.artifacts import REPORT_DECIMALS, by_class, write_csv, write_json, write_metrics
from imbalance_lab.pipeline.stage import log, run_stage
from imbalance_lab.strategies.thresholds import apply_biases
from imbalance_lab.thresholds.threshold_fit import positive_class_report

STAGE = "score"
OUTPUTS = [paths.SCORE_METRICS, paths.SCORE_PLOTS, paths.SCORE_REPORTS]
DIGITS = 6


def remove_earlier_results() -> None:
    """Results of an earlier call describe another file: never leave them next to this call's."""
    for path in OUTPUTS:
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)


def warn_training_rows(frame, X, backend: str) -> None:
    seen = rows_seen_in_training(frame, X, backend)
    if seen:
        what = "feature rows" if backend == "features" else "texts"
        log(
            STAGE,
            f"warning: {seen} of {len(frame)} rows repeat {what} of the training split; the model has seen them, "
            "so scores on them flatter it (score a file held out from data.source)",
        )


def shares(classes: list[str], values: np.ndarray) -> dict:
    return by_class(classes, values, digits=DIGITS)


def parse_args(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m commands.score", description=__doc__.splitlines()[0])
    ap.add_argument("--source", metavar="FILE", help="the .csv / .parquet / .jsonl to score (default: score.source)")
    ap.add_argument(
        "--prior-correction",
        action=argparse.BooleanOptionalAction,
        help="also re-weight posteriors to the file's estimated class priors (default: score.prior_correction)",
    )
    return ap.parse_args(argv)


def main(args: argparse.Namespace) -> None:
    params = load_params()
    source = args.source or params.score.source
    prior_correction = params.score.prior_correction if args.prior_correction is None else args.prior_correction
    remove_earlier_results()
    model = load_for_new_rows(paths.MODEL)
    meta, classes = model.meta, model.classes
    biases, thresholds = load_thresholds(classes)
    if "probability_threshold" in thresholds:  # binary: the decision as models/thresholds.json states it
        positive = thresholds["positive_class"]
        log(STAGE, f"flagging {positive} when P({positive}) >= {thresholds['probability_threshold']}")
    settings, feature_columns = model_embedding(meta)
    if settings != params.embed:
        log(STAGE, f"note: params.yaml embed differs from the model's; embedding with the model's: {settings}")
    task = model.task
    if task.label_sets and prior_correction:
        raise ConfigError("score.prior_correction: prior-shift correction needs one label per row; turn it off")
    rows = read_new_rows(
        source,
        params.data,
        backend=settings.backend,
        feature_columns=feature_columns,
        label_column=params.data.label_column,
        label_sets=task.label_sets,
    )
    for note in rows.notes:
        log(STAGE, note)
    if task.label_sets:
        return score_label_sets(params, source, rows, model, biases, settings.backend)
    score_classes(params, source, rows, model, (biases, thresholds), settings.backend, prior_correction)


def score_classes(params, source, rows, model, tuned: tuple, backend: str, prior_correction: bool) -> None:
    """One class per row: predictions at the tuned thresholds, the file's class shift (EM), optionally
    prior-corrected posteriors; with labels, the metrics before and after the tuned thresholds."""
    (biases, thresholds), classes = tuned, model.classes
    y = None
    if rows.labelled:
        y, label_notes = encode_known_labels(rows.frame["label"], classes, source, model.meta.get("rare_classes"))
        for note in label_notes:
            log(STAGE, note)
    log(STAGE, f"{len(rows.frame)} rows from {source}; embedding with {backend}")
    logits = logits_of_new_rows(model, rows.frame, backend)
    proba, predicted = softmax(logits), apply_biases(logits, biases)
    src_prior, warnings = source_priors(model.meta)
    em_prior, em_iterations = em_priors(proba, src_prior)
    train_counts = np.asarray(model.meta["train_class_counts"], dtype=np.float64)
    shift = {
        "source": source,
        "rows": int(len(rows.frame)),
        **class_shift(classes, train_counts / train_counts.sum(), predicted, (em_prior, em_iterations), y),
        "em_warnings": warnings,
    }
    corrected = None
    if prior_correction:
        for warning in warnings:
            log(STAGE, f"warning: {warning}")
        corrected = reweight_posteriors(proba, src_prior, em_prior)
    predictions = prediction_rows(rows.frame.index, classes, predicted, proba, y, corrected)
    write_csv(paths.SCORE_PREDICTIONS, predictions, decimals=REPORT_DECIMALS)
    write_json(paths.SCORE_SHIFT, shift)
    log(STAGE, f"class shares: training {shift['training_split']}")
    log(STAGE, f"              EM estimate for the new file {shift['em_estimate']} (TV {shift['tv_em_vs_training']})")
    if y is None:
        log(STAGE, f"wrote {paths.SCORE_PREDICTIONS} and {paths.SCORE_SHIFT} (no labels: no metrics)")
        return
    report = labelled_report(params, source, y, logits, classes, tuned, shift)
    if corrected is not None:
        oracle = reweight_posteriors(proba, src_prior, distribution(y, len(classes)))
        ordinal = params.data.ordinal
        report["prior_correction"] = {
            "source_prior": shares(classes, src_prior),
            "warnings": warnings,
            # EM: what you get without labels; labels: the file's true priors (an upper bound, uses its labels)
            "em": headline_of(y, corrected, classes, ordinal),
            "labels": headline_of(y, oracle, classes, ordinal),
        }
    if "probability_threshold" in thresholds:  # the binary decision: what the user tuned for, on this file
        report["binary"] = binary_report(y, predicted, classes, thresholds, params.seed)
    write_test_plots(paths.SCORE_PLOTS, y, logits + biases, classes, curves=False)
    write_metrics(paths.SCORE_METRICS, report)
    log_scores(report)


def labelled_report(params, source, y, logits, classes, tuned: tuple, shift: dict) -> dict:
    """metrics/score.json of a labelled file: the headline before and after the tuned thresholds."""
    biases, thresholds = tuned
    before = test_report(y, logits, classes, ordinal=params.data.ordinal, seed=params.seed)
    after = test_report(y, logits + biases, classes, ordinal=params.data.ordinal, seed=params.seed)
    report = {
        "source": source,
        "rows": int(len(y)),
        "thresholds": {"method": thresholds["method"], "fit_on": thresholds["fit_on"]},
        "before": headline(before),
        "after": headline(after),
        "after_ci95": after["ci95"],
        "after_per_class": after["per_class"],
        "shift": shift,
    }
    if paths.THRESHOLD_REPORT.exists():  # the same model on its own test split, for comparison
        test_after = json.loads(paths.THRESHOLD_REPORT.read_text())["after"]
        report["test_split_after"] = {k: test_after[k] for k in ("macro_f1", "balanced_accuracy") if k in test_after}
    return report


def binary_report(y, predicted, classes: list[str], thresholds: dict, seed: int) -> dict:
    """The positive class's recall and precision on this file at the decision models/thresholds.json states."""
    positive = classes.index(thresholds["positive_class"])
    decided = positive_class_report(y, predicted, positive, seed=seed)
    log(
        STAGE,
        f"{thresholds['positive_class']} at P >= {thresholds['probability_threshold']:.4f}: recall "
        f"{decided['recall']:.3f} {interval(decided['recall_ci95'])}, precision {decided['precision']:.3f} "
        f"{interval(decided['precision_ci95'])}",
    )
    return {k: thresholds[k] for k in ("positive_class", "probability_threshold")} | decided


def log_scores(report: dict) -> None:
    before, after = report["before"], report["after"]
    log(
        STAGE,
        f"macro-F1 {before['macro_f1']:.4f} (argmax) -> {after['macro_f1']:.4f} (tuned thresholds); "
        f"on its test split {report.get('test_split_after', {}).get('macro_f1', float('nan')):.4f}",
    )
    if "prior_correction" in report:
        pc = report["prior_correction"]
        log(
            STAGE,
            f"prior-corrected (argmax) macro-F1: EM priors {pc['em']['macro_f1']:.4f}, "
            f"true priors {pc['labels']['macro_f1']:.4f}",
        )


def logits_of_new_rows(model, frame, backend: str) -> np.ndarray:
    inputs = model.inputs(frame)
    warn_training_rows(frame, inputs, backend)
    return model.logits(inputs)


def score_label_sets(params, source, rows, model, biases, backend: str) -> None:
    """Multi-label: per-label probabilities and the predicted label set per row; with labels, the metrics before
    and after the tuned per-label thresholds. (Prior-shift correction is for one label per row.)"""
    meta, classes = model.meta, model.classes
    Y = None
    if rows.labelled:
        Y, notes = encode_known_label_sets(rows.frame["label"], classes, meta.get("rare_classes"), source)
        for note in notes:
            log(STAGE, note)
    logits = logits_of_new_rows(model, rows.frame, backend)
    proba, predicted = sigmoid(logits), predict(logits, biases)
    separator = params.data.label_separator
    columns = {"row_id": rows.frame.index.tolist()}
    if Y is not None:
        columns["labels"] = [separator.join(c for c, y in zip(classes, row, strict=True) if y) for row in Y]
    columns["predicted"] = [separator.join(c for c, p in zip(classes, row, strict=True) if p) for row in predicted]
    columns.update({f"p_{name}": proba[:, j].tolist() for j, name in enumerate(classes)})
    write_csv(
        paths.SCORE_PREDICTIONS, [dict(zip(columns, v)) for v in zip(*columns.values())], decimals=REPORT_DECIMALS
    )
    if Y is None:
        log(STAGE, f"wrote {paths.SCORE_PREDICTIONS} (no labels: no metrics)")
        return
    counts = np.asarray(meta["train_class_counts"])
    before = label_test_report(Y, logits, classes, train_counts=counts, seed=params.seed)
    after = label_test_report(Y, logits, classes, train_counts=counts, seed=params.seed, biases=biases)
    write_label_plots(paths.SCORE_PLOTS, Y, logits, classes, counts, biases=biases, curves=False)
    write_metrics(
        paths.SCORE_METRICS,
        {
            "source": source,
            "rows": int(len(Y)),
            "before": headline(before),
            "after": headline(after),
            "after_ci95": after["ci95"],
            "after_per_class": after["per_class"],
        },
    )
    log(STAGE, f"macro-F1 {before['macro_f1']:.4f} (p > 0.5) -> {after['macro_f1']:.4f} (tuned per-label thresholds)")


def headline_of(y, proba, classes, ordinal) -> dict:
    return headline(classification_metrics(y, proba, classes, ordinal=ordinal))


if __name__ == "__main__":
    arguments = parse_args(sys.argv[1:])  # -h / --help print and exit here, before anything is read or removed
    run_stage(STAGE, lambda: main(arguments), outputs=OUTPUTS)
