"""Stage threshold-tune: per-class logit biases (or a binary threshold) fitted on validation AND on
out-of-fold logits, never on test. The configured `threshold.fit_on` result is `after`; both are reported
(`after_val`, `after_oof`) so their stability across seeds can be compared."""

import hashlib

import numpy as np

from imbalance_lab import paths
from imbalance_lab.artifacts import read_npz, write_json
from imbalance_lab.config import FIT_ON, load_params
from imbalance_lab.guards import check_oof_coverage
from imbalance_lab.modelfile import check_compatible, ensemble_logits, load_model
from imbalance_lab.reporting import HEADLINE, test_report, write_test_plots
from imbalance_lab.stage import log, run_stage
from imbalance_lab.strategies.thresholds import OBJECTIVES, apply_biases, fit_biases
from imbalance_lab.workspace import load_workspace

STAGE = "threshold-tune"


def fitting_sets(ws, members) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Logits and labels biases can be fitted on: the validation split (scored by the final model) and the
    out-of-fold train+val logits (each row scored by the fold model that never saw it)."""
    X_val, y_val = ws.part("val")
    oof = read_npz(paths.OOF)
    check_oof_coverage(oof["rows"], oof["fold"], ws.split.train, ws.split.val, ws.split.test)
    return {"val": (ensemble_logits(members, X_val), y_val), "oof": (oof["logits"], ws.y[oof["rows"]])}


def main() -> None:
    params = load_params()
    settings = params.threshold
    ws = load_workspace()
    members, meta = load_model(paths.MODEL)
    check_compatible(meta, ws.classes, ws.X.shape[1], paths.MODEL)
    priors = ws.train_counts() / ws.train_counts().sum()
    objective = OBJECTIVES[settings.metric]
    X_test, y_test = ws.part("test")
    test_logits = ensemble_logits(members, X_test)
    before = test_report(y_test, test_logits, ws.classes, ordinal=params.data.ordinal, seed=params.seed)

    biases, fitted, reports = {}, {}, {}
    for fit_on, (fit_logits, fit_y) in fitting_sets(ws, members).items():
        b = fit_biases(fit_logits, fit_y, settings, priors=priors, seed=params.seed)
        biases[fit_on] = b
        fitted[fit_on] = {
            "rows": int(len(fit_y)),
            "objective_before": round(objective(fit_y, fit_logits.argmax(1), ws.n_classes), 6),
            "objective_after": round(objective(fit_y, apply_biases(fit_logits, b), ws.n_classes), 6),
        }
        reports[fit_on] = test_report(
            y_test, test_logits + b, ws.classes, ordinal=params.data.ordinal, seed=params.seed
        )
    chosen, after = biases[settings.fit_on], reports[settings.fit_on]
    write_test_plots(paths.THRESHOLD_PLOTS, y_test, test_logits + chosen, ws.classes, curves=False)
    write_json(
        paths.THRESHOLDS,
        {
            "method": settings.method,
            "metric": settings.metric,
            "fit_on": settings.fit_on,
            "classes": ws.classes,
            "biases": [round(float(b), 6) for b in chosen],
            **{f"biases_{name}": [round(float(b), 6) for b in biases[name]] for name in FIT_ON},
            # score checks this: thresholds are only valid for the model they were fitted for
            "model_sha256": hashlib.sha256(paths.MODEL.read_bytes()).hexdigest(),
        },
    )
    headline = {name: {k: reports[name][k] for k in HEADLINE if k in reports[name]} for name in FIT_ON}
    write_json(
        paths.THRESHOLD_METRICS,
        {
            "method": settings.method,
            "metric": settings.metric,
            "fit_on": settings.fit_on,
            "seed": params.seed,
            "fit_objective_before": fitted[settings.fit_on]["objective_before"],
            "fit_objective_after": fitted[settings.fit_on]["objective_after"],
            "before": {k: before[k] for k in HEADLINE if k in before},
            "after": headline[settings.fit_on],
            "after_ci95": after["ci95"],
            "after_per_class": after["per_class"],
            **{f"after_{name}": headline[name] for name in FIT_ON},
            **{f"fit_{name}": fitted[name] for name in FIT_ON},
        },
    )
    for name in FIT_ON:
        log(
            STAGE,
            f"{settings.method} fitted on {name} ({fitted[name]['rows']} rows): {settings.metric} "
            f"{fitted[name]['objective_before']:.4f} -> {fitted[name]['objective_after']:.4f} there; "
            f"test macro-F1 {before['macro_f1']:.4f} -> {reports[name]['macro_f1']:.4f}"
            + ("  (used: threshold.fit_on)" if name == settings.fit_on else ""),
        )


if __name__ == "__main__":
    run_stage(STAGE, main, outputs=[paths.THRESHOLDS, paths.THRESHOLD_METRICS, paths.THRESHOLD_PLOTS])
