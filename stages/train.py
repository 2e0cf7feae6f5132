"""Stage train: the MLP (or a seed ensemble of them) on the balanced training split, early-stopped on val."""

import numpy as np
from tqdm import tqdm

from imbalance_lab import paths
from imbalance_lab.artifacts import by_class, file_sha256, read_npz, write_metrics
from imbalance_lab.config import load_params
from imbalance_lab.guards import check_balanced_rows
from imbalance_lab.live import EpochLog
from imbalance_lab.modelfile import ensemble_logits, load_model, member_weights, save_model
from imbalance_lab.predictions import PARTS, SplitLogits, write_split_logits
from imbalance_lab.splitting import class_counts
from imbalance_lab.stage import log, run_stage, stop_if_interrupted
from imbalance_lab.strategies.registry import MULTILABEL
from imbalance_lab.training import member_seed, set_threads, train_mlp
from imbalance_lab.workspace import load_workspace

STAGE = "train"


def write_logits(ws) -> None:
    """The saved model's logits for the val and test rows: what evaluate and threshold-tune read."""
    saved, _ = load_model(paths.MODEL)  # the file, as score would load it: no in-memory difference carried on
    multilabel = ws.task == MULTILABEL
    val, test = (ensemble_logits(saved, ws.part(part)[0], multilabel) for part in PARTS)
    write_split_logits(paths.SPLIT_LOGITS, SplitLogits(val, test, file_sha256(paths.MODEL)), ws)


def main() -> None:
    params = load_params()
    set_threads(params.train.threads)
    ws = load_workspace(params)
    balanced = read_npz(paths.BALANCED_TRAIN)
    check_balanced_rows(balanced["X"], balanced["synthetic"], ws.part("train")[0], paths.BALANCED_TRAIN)
    X_val, y_val = ws.part("val")
    counts = ws.train_counts()
    members, results = [], []
    curves = EpochLog(paths.TRAIN_LIVE)  # member 0's epochs: the curves dvc plots draws
    for member in range(params.train.ensemble_size):
        bar = tqdm(
            total=params.train.max_epochs, desc=f"train member {member}", unit="epoch", leave=False, disable=None
        )

        def show(row, bar=bar, member=member):
            stop_if_interrupted()
            bar.update(1)
            if member == 0:
                curves(row)
            bar.set_postfix(loss=f"{row['train_loss']:.4f}", val_macro_f1=f"{row['val_macro_f1']:.4f}")

        result = train_mlp(
            balanced["X"],
            balanced["y"],
            X_val,
            y_val,
            n_classes=ws.n_classes,
            original_counts=counts,
            params=params.train,
            seed=member_seed(params.seed, member),
            progress=show,
            original_rows=len(ws.split.train),
        )
        bar.close()
        log(STAGE, f"member {member}: best epoch {result.best_epoch}, val macro-F1 {result.best_val_macro_f1:.4f}")
        members.append(member_weights(result.model))
        results.append(result)
    meta = {
        "task": ws.task,
        "classes": ws.classes,
        "rare_classes": ws.rare_classes,  # what split.min_class_count dropped or merged: score maps new labels alike
        "input_dim": int(balanced["X"].shape[1]),
        "hidden_dims": list(params.train.hidden_dims),
        "dropout": params.train.dropout,
        "seed": params.seed,
        "member_seeds": [member_seed(params.seed, m) for m in range(params.train.ensemble_size)],
        "train_class_counts": counts.tolist(),
        # what the model was fitted on after resampling: the source prior for score's prior-shift correction
        "fit_class_counts": class_counts(balanced["y"], ws.n_classes).tolist(),
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
    weights = results[0].class_weights
    save_model(paths.MODEL, members, meta)
    write_logits(ws)
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
            "class_weights_from": "original training counts (before resampling)"
            + ("; multi-label: BCE pos_weight per label" if ws.task == "multilabel" else ""),
        },
    )


if __name__ == "__main__":
    run_stage(STAGE, main, outputs=[paths.MODEL, paths.SPLIT_LOGITS, paths.TRAIN_REPORT, paths.TRAIN_LIVE])
