"""Stage cross-validate: k-fold over train+val with balancing inside each fold; the test split is untouched."""

import numpy as np

from imbalance_lab.config import load_params
from imbalance_lab.models.crossval import cross_validate, summarize_cv
from imbalance_lab.models.model_kinds import MODEL_KINDS
from imbalance_lab.models.training import set_threads
from imbalance_lab.pipeline import paths
from imbalance_lab.pipeline.artifacts import write_json, write_metrics, write_npz
from imbalance_lab.pipeline.guards import check_oof_coverage
from imbalance_lab.pipeline.stage import log, run_stage
from imbalance_lab.pipeline.stage_texts import texts_for
from imbalance_lab.pipeline.workspace import load_workspace

STAGE = "cross-validate"


def main() -> None:
    params = load_params()
    if params.cv.folds == 0:
        return skip()
    set_threads(params.train.threads)
    ws = load_workspace(params)
    rows = np.sort(np.concatenate([ws.split.train, ws.split.val]))  # never the test split
    X, y = np.asarray(ws.X[rows], dtype=np.float32), ws.y[rows]

    def show(fold, scores):
        log(STAGE, f"fold {fold + 1}/{params.cv.folds}: macro-F1 {scores['macro_f1']:.4f}")

    texts = texts_for(params.balance.method, ws, rows)
    model = MODEL_KINDS[params.train.encoder].fold_model(params, ws, rows, X, y)
    result = cross_validate(
        X, y, ws.classes, params, task=ws.task, progress=show, texts=texts, scale=ws.scales, fold_logits=model
    )
    summary = summarize_cv(result)
    check_oof_coverage(rows, result.fold_of_row, ws.split.train, ws.split.val, ws.split.test)
    write_npz(paths.OOF, rows=rows, logits=result.oof_logits, fold=result.fold_of_row)
    write_metrics(paths.CV_METRICS, summary)
    log(
        STAGE,
        f"macro-F1 {summary['macro_f1_mean']:.4f} ± {summary['macro_f1_std']:.4f} over folds; "
        f"pooled {summary['pooled_macro_f1']:.4f}",
    )


def skip() -> None:
    """cv.folds 0: no fold models (a fine-tuned encoder would train once per fold); thresholds fit on val."""
    write_json(paths.CV_SKIPPED, {"folds": 0, "why": "cv.folds is 0: no cross-validation, no out-of-fold logits"})
    write_metrics(paths.CV_METRICS, {"folds": 0})
    log(STAGE, "cv.folds is 0: skipped (no cross-validated estimate; threshold-tune fits on the validation split)")


if __name__ == "__main__":
    run_stage(STAGE, main)
