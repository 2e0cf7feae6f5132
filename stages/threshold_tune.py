"""Stage threshold-tune: per-class logit biases (or a binary threshold) fitted on validation or on
out-of-fold logits, never on test; test metrics reported before and after."""

import numpy as np

from imbalance_lab import paths
from imbalance_lab.artifacts import read_npz, write_json
from imbalance_lab.config import load_params
from imbalance_lab.errors import DataError
from imbalance_lab.modelfile import check_compatible, ensemble_logits, load_model
from imbalance_lab.reporting import HEADLINE, test_report, write_test_plots
from imbalance_lab.stage import log, run_stage
from imbalance_lab.thresholds import OBJECTIVES, apply_biases, fit_biases
from imbalance_lab.workspace import load_workspace

STAGE = "threshold-tune"


def fitting_logits(fit_on: str, ws, members) -> tuple[np.ndarray, np.ndarray]:
    """Logits and labels the biases are fitted on: the validation split, or out-of-fold train+val logits."""
    if fit_on == "val":
        X_val, y_val = ws.part("val")
        return ensemble_logits(members, X_val), y_val
    oof = read_npz(paths.OOF)
    if np.intersect1d(oof["rows"], ws.split.test).size:
        raise DataError(f"{paths.OOF} holds test rows; delete it and run dvc repro cross-validate")
    return oof["logits"], ws.y[oof["rows"]]


def main() -> None:
    params = load_params()
    settings = params.threshold
    ws = load_workspace()
    members, meta = load_model(paths.MODEL)
    check_compatible(meta, ws.classes, ws.X.shape[1], paths.MODEL)
    fit_logits, fit_y = fitting_logits(settings.fit_on, ws, members)
    priors = ws.train_counts() / ws.train_counts().sum()
    biases = fit_biases(
        settings.method,
        fit_logits,
        fit_y,
        priors=priors,
        metric=settings.metric,
        tau=settings.tau,
        regularization=settings.regularization,
        seed=params.seed,
    )
    objective = OBJECTIVES[settings.metric]
    fit_before = objective(fit_y, fit_logits.argmax(1), ws.n_classes)
    fit_after = objective(fit_y, apply_biases(fit_logits, biases), ws.n_classes)

    X_test, y_test = ws.part("test")
    test_logits = ensemble_logits(members, X_test)
    before = test_report(y_test, test_logits, ws.classes, ordinal=params.data.ordinal, seed=params.seed)
    after = test_report(y_test, test_logits + biases, ws.classes, ordinal=params.data.ordinal, seed=params.seed)
    write_test_plots(paths.THRESHOLD_PLOTS, y_test, test_logits + biases, ws.classes, curves=False)
    write_json(
        paths.THRESHOLDS,
        {
            "method": settings.method,
            "metric": settings.metric,
            "fit_on": settings.fit_on,
            "classes": ws.classes,
            "biases": [round(float(b), 6) for b in biases],
        },
    )
    write_json(
        paths.THRESHOLD_METRICS,
        {
            "method": settings.method,
            "metric": settings.metric,
            "fit_on": settings.fit_on,
            "seed": params.seed,
            "fit_objective_before": round(float(fit_before), 6),
            "fit_objective_after": round(float(fit_after), 6),
            "before": {k: before[k] for k in HEADLINE if k in before},
            "after": {k: after[k] for k in HEADLINE if k in after},
            "after_ci95": after["ci95"],
            "after_per_class": after["per_class"],
        },
    )
    log(
        STAGE,
        f"{settings.method} fitted on {settings.fit_on}: {settings.metric} {fit_before:.4f} -> {fit_after:.4f}"
        f" there; test macro-F1 {before['macro_f1']:.4f} -> {after['macro_f1']:.4f}",
    )


if __name__ == "__main__":
    run_stage(STAGE, main, outputs=[paths.THRESHOLDS, paths.THRESHOLD_METRICS, paths.THRESHOLD_PLOTS])
