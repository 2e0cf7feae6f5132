"""Stage train: the model on the balanced training split, early-stopped on val, by its kind (train.encoder,
imbalance_lab/models/model_kinds.py): frozen, the MLP head (or a seed ensemble of them) on the embed stage's
vectors; finetune, the sentence model trained end to end with a linear head on the rows' texts. Then the saved
model's logits for the val and test rows, from the file as score would load it: what evaluate and threshold-tune
read."""

import numpy as np

from imbalance_lab.config import load_params
from imbalance_lab.models.model_kinds import MODEL_KINDS
from imbalance_lab.models.modelfile import save_tensors
from imbalance_lab.models.training import member_seed, set_threads
from imbalance_lab.pipeline import paths
from imbalance_lab.pipeline.artifacts import by_class, file_sha256, read_npz, write_metrics
from imbalance_lab.pipeline.guards import check_balanced_rows
from imbalance_lab.pipeline.live import EpochLog
from imbalance_lab.pipeline.predictions import SplitLogits, write_split_logits
from imbalance_lab.pipeline.stage import log, run_stage
from imbalance_lab.pipeline.workspace import load_workspace

STAGE = "train"


def main() -> None:
    params = load_params()
    set_threads(params.train.threads)
    ws = load_workspace(params)
    balanced = read_npz(paths.BALANCED_TRAIN)
    check_balanced_rows(balanced["X"], balanced["synthetic"], ws.part("train")[0], paths.BALANCED_TRAIN)
    counts = ws.train_counts()
    curves = EpochLog(paths.TRAIN_LIVE)  # member 0's epochs: the curves dvc plots draws
    kind = MODEL_KINDS[params.train.encoder]
    model, results = kind.train(params, ws, balanced, counts, curves, lambda line: log(STAGE, line))
    meta = {
        "kind": model["kind"],
        "task": ws.task.name,
        "classes": ws.classes,
        "rare_classes": ws.rare_classes,  # what split.min_class_count dropped or merged: score maps new labels alike
        "input_dim": int(balanced["X"].shape[1]),
        "hidden_dims": model["hidden_dims"],
        "dropout": params.train.dropout,
        "seed": params.seed,
        "member_seeds": [member_seed(params.seed, m) for m in range(params.train.ensemble_size)],
        "train_class_counts": counts.tolist(),
        # what the model was fitted on after resampling: the source prior for score's prior-shift correction
        "fit_class_counts": ws.task.counts(balanced["y"], ws.n_classes).tolist(),
        "embedding": {
            k: ws.meta.get(k)
            for k in ("source", "backend", "model", "embedder", "dim", "embed_params", "feature_columns")
        },
        "params": {
            "balance": vars(params.balance),
            "train": {**vars(params.train), "hidden_dims": list(params.train.hidden_dims)},
        },
    }
    if ws.scaler is not None:  # score standardises a new file's columns as the training rows were
        meta["scaler"] = ws.scaler.to_meta()
    if model.get("base_model"):  # a fine-tuned encoder: the sentence model its weights start from
        meta["base_model"] = model["base_model"]
    weights = results[0].class_weights
    save_tensors(paths.MODEL, model["tensors"], meta)
    val, test = kind.split_logits(paths.MODEL, ws)
    write_split_logits(paths.SPLIT_LOGITS, SplitLogits(val, test, file_sha256(paths.MODEL)), ws)
    headline = {
        "best_epoch": results[0].best_epoch,
        "best_val_macro_f1": round(float(np.mean([r.best_val_macro_f1 for r in results])), 4),
    }
    curves.finish(headline)
    write_metrics(
        paths.TRAIN_REPORT,
        {
            **headline,
            "seed": params.seed,
            "epochs_run": [len(r.history) for r in results] if len(results) > 1 else len(results[0].history),
            "train_rows": int(len(balanced["y"])),
            "synthetic_rows": int(balanced["synthetic"].sum()),
            "class_weights": None if weights is None else by_class(ws.classes, weights, digits=6),
            "class_weights_from": ws.task.weights_from,
        },
    )


if __name__ == "__main__":
    run_stage(STAGE, main)
