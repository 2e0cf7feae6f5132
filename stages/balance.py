"""Stage balance: resample the TRAINING split only. Validation and test rows never reach this stage."""

from imbalance_lab.config import load_params
from imbalance_lab.pipeline import paths
from imbalance_lab.pipeline.artifacts import by_class, write_json, write_npz
from imbalance_lab.pipeline.stage import log, run_stage
from imbalance_lab.pipeline.stage_texts import texts_for
from imbalance_lab.pipeline.workspace import load_workspace
from imbalance_lab.strategies.resampling import resample

STAGE = "balance"


def main() -> None:
    params = load_params()
    ws = load_workspace(params)
    X_train, y_train = ws.part("train")
    texts = texts_for(params.balance.method, ws, ws.split.train)
    result = resample(
        X_train, y_train, params.balance, seed=params.seed, class_names=ws.classes, texts=texts, task=ws.task.name
    )
    for note in result.notes:
        log(STAGE, note)
    after = ws.task.counts(result.y, ws.n_classes)
    write_npz(paths.BALANCED_TRAIN, X=result.X, y=result.y, synthetic=result.synthetic)
    if result.texts is not None:
        write_json(paths.BALANCED_TEXTS, list(result.texts))
    else:  # run outside DVC (which clears a stage's outputs first): no texts of an earlier method left behind
        paths.BALANCED_TEXTS.unlink(missing_ok=True)
    write_json(
        paths.BALANCE_SUMMARY,
        {
            "method": params.balance.method,
            "seed": params.seed,
            "train_rows_before": int(len(y_train)),
            "train_rows_after": int(len(result.y)),
            "synthetic_rows": int(result.synthetic.sum()),
            "class_counts_before": by_class(ws.classes, ws.train_counts()),
            "class_counts_after": by_class(ws.classes, after),
        },
    )
    log(
        STAGE,
        f"{params.balance.method}: {len(y_train)} -> {len(result.y)} training rows "
        f"({int(result.synthetic.sum())} synthetic); counts {by_class(ws.classes, after)}",
    )


if __name__ == "__main__":
    run_stage(STAGE, main)
