"""Stage threshold-tune: per-class logit biases (or a binary threshold) fitted on validation AND on
out-of-fold logits, never on test. The shrinkage, and whether to keep any biases at all, are chosen by
cross-fitting on the fitting rows (imbalance_lab/thresholds/threshold_fit.py): by default tuning never makes the
headline worse in expectation. The configured `threshold.fit_on` result is `after`; both fits are reported."""

from dataclasses import replace

import numpy as np

from imbalance_lab.config import FIT_ON, load_params
from imbalance_lab.evaluation.split_report import TUNED, headline, interval, shown
from imbalance_lab.pipeline import paths
from imbalance_lab.pipeline.artifacts import read_npz, write_json, write_metrics
from imbalance_lab.pipeline.guards import check_oof_coverage
from imbalance_lab.pipeline.predictions import SplitLogits, load_split_logits
from imbalance_lab.pipeline.stage import log, run_stage
from imbalance_lab.pipeline.workspace import load_workspace
from imbalance_lab.strategies.thresholds import decision_objective, positive_class, probability_threshold
from imbalance_lab.task import MULTICLASS, MULTILABEL
from imbalance_lab.thresholds.label_thresholds import (
    degenerate_labels,
    fit_label_thresholds,
    fixed_grid_biases,
    probability_thresholds,
    without_degenerate,
)
from imbalance_lab.thresholds.threshold_fit import VAL_FOLDS, fit_thresholds, positive_class_report, predicts_one_class

STAGE = "threshold-tune"
DECISION_KEYS = ("precision", "recall")  # the positive class's, at a binary decision


def fitting_sets(
    ws, logits: SplitLogits, seed: int, cross_validated: bool
) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Logits, labels and cross-fitting folds biases can be fitted on: the validation split (scored by the
    final model) and, unless cv.folds is 0, the out-of-fold train+val logits (each row scored by the fold model
    that never saw it)."""
    y_val = ws.y[ws.split.val]
    sets = {"val": (logits.val, y_val, ws.task.fold_ids(y_val, VAL_FOLDS, seed))}
    if cross_validated:
        oof = read_npz(paths.OOF)
        check_oof_coverage(oof["rows"], oof["fold"], ws.split.train, ws.split.val, ws.split.test)
        sets["oof"] = (oof["logits"], ws.y[oof["rows"]], oof["fold"])
    return sets


def rounded(values) -> list[float]:
    return [round(float(v), 6) for v in values]


def write_thresholds(settings, classes: list[str], fits: dict, model_sha256: str, **extra) -> None:
    """models/thresholds.json: the biases of threshold.fit_on (and of each fit), what score applies."""
    chosen = fits[settings.fit_on]
    write_json(
        paths.THRESHOLDS,
        {
            "method": settings.method,
            "metric": settings.metric,
            "fit_on": settings.fit_on,
            "classes": classes,
            "biases": rounded(chosen.biases),
            **{f"biases_{name}": rounded(fits[name].biases) for name in FIT_ON if name in fits},
            "kept": chosen.kept,
            "regularization": chosen.regularization,
            **extra,
            # score checks this: thresholds are only valid for the model they were fitted for
            "model_sha256": model_sha256,
        },
    )


def write_threshold_metrics(params, fits: dict, before: dict, reports: dict, decision=None, **extra) -> None:
    """metrics/full/threshold.json: the test split before and after (the configured fit), every fit's test
    headline (`after_<name>` for each report) and what each fit did on its fitting rows; metrics/threshold.json:
    the shown numbers after, and for a binary decision the threshold with the positive class's precision and
    recall at it (what `dvc exp show` and `dvc metrics diff` list)."""
    settings = params.threshold
    chosen, after = fits[settings.fit_on], reports[settings.fit_on]
    fitted = {name: fits[name].summary() for name in FIT_ON if name in fits}
    decided, untuned = {}, {}
    if decision:  # the positive class's precision and recall beside the headline, before and after
        decided = {"threshold": decision["probability_threshold"], **{k: decision["test"][k] for k in DECISION_KEYS}}
        untuned = decision["before"]
    write_metrics(paths.THRESHOLD_METRICS, {**shown(after, TUNED), **{TUNED + k: v for k, v in decided.items()}})
    write_metrics(
        paths.THRESHOLD_REPORT,
        {
            "method": settings.method,
            "metric": settings.metric,
            "fit_on": settings.fit_on,
            "seed": params.seed,
            "kept": chosen.kept,
            "regularization": chosen.regularization,
            "fit_objective_before": fitted[settings.fit_on]["objective_before"],
            "fit_objective_after": fitted[settings.fit_on]["objective_after"],
            "fit_objective_cross_fitted": fitted[settings.fit_on]["objective_cross_fitted"],
            "before": {**headline(before), **untuned},
            "after": {**headline(after), **{k: v for k, v in decided.items() if k in DECISION_KEYS}},
            "after_ci95": after["ci95"],
            "after_per_class": after["per_class"],
            **extra,
            **({"binary": decision} if decision else {}),
            **{f"after_{name}": headline(report) for name, report in reports.items()},
            **{f"fit_{name}": fitted[name] for name in fitted},
        },
    )


def log_fits(fits: dict, before: dict, reports: dict, fit_on: str, what: str, metric: str) -> None:
    for name in [name for name in FIT_ON if name in fits]:
        fit = fits[name]
        log(
            STAGE,
            f"{what} fitted on {name}: {metric} {fit.before:.4f} -> {fit.in_sample:.4f} on the fitting rows, "
            f"cross-fitted {fit.cross_fitted:.4f}; {fit.reason}; test macro-F1 {before['macro_f1']:.4f} -> "
            f"{reports[name]['macro_f1']:.4f}" + ("  (used: threshold.fit_on)" if name == fit_on else ""),
        )


def main() -> None:
    params = load_params()
    ws = load_workspace(params)
    logits = load_split_logits(paths.SPLIT_LOGITS, ws)
    TUNERS[ws.task.name](params, ws, logits)


def tune_class_biases(params, ws, logits: SplitLogits) -> None:
    """Multiclass: per-class logit biases (two classes: one threshold) fitted on OOF and on val."""
    settings = params.threshold
    counts = ws.train_counts()
    priors = counts / counts.sum()
    positive = positive_class(settings, ws.classes, counts)
    objective = decision_objective(settings, ws.classes, positive)
    if positive is not None and settings.method == "per_class_bias":
        log(STAGE, f"two classes: per_class_bias is one threshold on p({ws.classes[positive]}) (threshold_sweep)")
    y_test, test_logits = ws.y[ws.split.test], logits.test

    def report(biases=None):
        return ws.task.test_report(
            y_test, test_logits, ws.classes, train_counts=counts, seed=params.seed, biases=biases
        )

    before = report()

    fits, reports = {}, {}
    for fit_on, (fit_logits, fit_y, folds) in fitting_sets(ws, logits, params.seed, params.cv.folds > 0).items():
        fit = fit_thresholds(fit_logits, fit_y, folds, settings, objective, priors=priors, positive=positive or 0)
        if why := predicts_one_class(fit_logits, fit_y, fit.biases, ws.classes):  # no decision: not kept
            log(STAGE, f"{fit_on} fit: {why}; kept the untuned decision, its tuning is not a gain")
            fit = replace(fit, biases=np.zeros_like(fit.biases), kept=False, reason=why)
        fits[fit_on] = fit
        reports[fit_on] = report(fit.biases)
    chosen = fits[settings.fit_on]
    ws.task.write_plots(
        paths.THRESHOLD_PLOTS, y_test, test_logits, ws.classes, counts, biases=chosen.biases, curves=False
    )
    decision, binary = {}, {}
    if positive is not None:
        decision = {
            "positive_class": ws.classes[positive],
            "probability_threshold": round(probability_threshold(chosen.biases, positive), 6),
        }
        predictions = (test_logits + chosen.biases).argmax(1)
        report = positive_class_report(y_test, predictions, positive, seed=params.seed)
        untuned = positive_class_report(y_test, test_logits.argmax(1), positive, seed=params.seed)
        binary = {
            **decision,
            "objective": settings.metric,
            "target": settings.target,
            "test": report,
            "before": {k: untuned[k] for k in DECISION_KEYS},  # the same class at the untuned decision (argmax)
        }
    write_thresholds(settings, ws.classes, fits, logits.model_sha256, **decision)
    write_threshold_metrics(params, fits, before, reports, decision=binary or None)
    log_fits(fits, before, reports, settings.fit_on, settings.method, settings.metric)
    if binary:
        t = binary["test"]
        log(
            STAGE,
            f"flag {binary['positive_class']} when P({binary['positive_class']}) >= "
            f"{binary['probability_threshold']:.4f}: test recall {t['recall']:.3f} {interval(t['recall_ci95'])}, "
            f"precision {t['precision']:.3f} {interval(t['precision_ci95'])}",
        )


def tune_label_thresholds(params, ws, logits: SplitLogits) -> None:
    """Multi-label: one threshold per label fitted on OOF and on val (label_thresholds.py), and the common
    fixed 0.3-0.8 grid on val beside them; the configured fit_on is `after`."""
    settings = params.threshold
    counts = ws.train_counts()
    sets = fitting_sets(ws, logits, params.seed, params.cv.folds > 0)
    Y_test, test_logits = ws.y[ws.split.test], logits.test

    def report(biases=None):
        return ws.task.test_report(
            Y_test, test_logits, ws.classes, train_counts=counts, seed=params.seed, biases=biases
        )

    before = report()
    fits, degenerate = {}, {}
    for name, (fit_logits, Y, folds) in sets.items():
        fit = fit_label_thresholds(fit_logits, Y, folds, settings)
        degenerate[name] = degenerate_labels(fit_logits, Y, fit.biases, ws.classes, seed=params.seed)
        fits[name] = without_degenerate(fit, degenerate[name], ws.classes)
    for label, why in degenerate[settings.fit_on].items():
        log(STAGE, f"label {label}: {why}; kept at the untuned threshold (0.5), its tuning is not a gain")
    reports = {name: report(fit.biases) for name, fit in fits.items()}
    val_logits, Y_val, _ = sets["val"]
    grid = fixed_grid_biases(val_logits, Y_val)
    reports["val_grid"] = report(grid)
    chosen = fits[settings.fit_on]
    ws.task.write_plots(
        paths.THRESHOLD_PLOTS, Y_test, test_logits, ws.classes, counts, biases=chosen.biases, curves=False
    )
    write_thresholds(
        settings,
        ws.classes,
        fits,
        logits.model_sha256,
        task=ws.task.name,
        probability_thresholds=rounded(probability_thresholds(chosen.biases)),
        biases_val_grid=rounded(grid),
    )
    write_threshold_metrics(params, fits, before, reports, degenerate_labels=degenerate[settings.fit_on])
    log_fits(fits, before, reports, settings.fit_on, "per-label thresholds", "macro-F1")
    log(STAGE, f"the fixed 0.3-0.8 grid on val: test macro-F1 {reports['val_grid']['macro_f1']:.4f}")


TUNERS = {MULTICLASS: tune_class_biases, MULTILABEL: tune_label_thresholds}


if __name__ == "__main__":
    run_stage(STAGE, main)
