"""Stage train: the model on the balanced training split, early-stopped on val: train.encoder frozen, the MLP head
(or a seed ensemble of them) on the embed stage's vectors; finetune, the sentence model trained end to end with a
linear head on the rows' texts (imbalance_lab/models/finetune.py)."""

from collections.abc import Callable

import numpy as np
from tqdm import tqdm

from imbalance_lab.config import FINETUNE, FROZEN, load_params
from imbalance_lab.errors import DataError
from imbalance_lab.models.modelfile import MLP, ensemble_logits, load_model, member_weights, save_model, save_tensors
from imbalance_lab.models.training import member_seed, set_threads, train_mlp
from imbalance_lab.pipeline import paths
from imbalance_lab.pipeline.artifacts import by_class, file_sha256, read_json, read_npz, write_metrics
from imbalance_lab.pipeline.guards import check_balanced_rows
from imbalance_lab.pipeline.live import EpochLog
from imbalance_lab.pipeline.predictions import PARTS, SplitLogits, write_split_logits
from imbalance_lab.pipeline.stage import log, run_stage, stop_if_interrupted
from imbalance_lab.pipeline.workspace import load_workspace

STAGE = "train"


def write_logits(ws, encoder: str) -> None:
    """The saved model's logits for the val and test rows: what evaluate and threshold-tune read. From the file,
    as score would load it: no in-memory difference carried on."""
    if encoder == FINETUNE:
        from imbalance_lab.models.model_kinds import load_for_new_rows  # pandas, sentence-transformers: only here

        model, texts = load_for_new_rows(paths.MODEL), read_json(paths.TEXTS)
        val, test = (model.logits([texts[i] for i in getattr(ws.split, part)]) for part in PARTS)
    else:
        saved, _ = load_model(paths.MODEL)
        val, test = (ensemble_logits(saved, ws.part(part)[0], ws.task) for part in PARTS)
    write_split_logits(paths.SPLIT_LOGITS, SplitLogits(val, test, file_sha256(paths.MODEL)), ws)


def member_progress(member: int, curves: EpochLog, bar) -> Callable[[dict], None]:
    def show(row):
        stop_if_interrupted()
        if member == 0:
            curves(row)
        bar.set_postfix(loss=f"{row['train_loss']:.4f}", val_macro_f1=f"{row['val_macro_f1']:.4f}")

    return show


def train_frozen(params, ws, balanced, counts, curves) -> tuple[dict, list]:
    """The MLP head (a seed ensemble of them) on the embed stage's vectors: the model file's tensors, the results."""
    members, results = [], []
    X_val, y_val = ws.part("val")
    for member in range(params.train.ensemble_size):
        bar = tqdm(
            total=params.train.max_epochs, desc=f"train member {member}", unit="epoch", leave=False, disable=None
        )
        show = member_progress(member, curves, bar)
        result = train_mlp(
            balanced["X"],
            balanced["y"],
            X_val,
            y_val,
            n_classes=ws.n_classes,
            original_counts=counts,
            params=params.train,
            seed=member_seed(params.seed, member),
            task=ws.task,
            progress=lambda row, show=show, bar=bar: (bar.update(1), show(row)),
            original_rows=len(ws.split.train),
        )
        bar.close()
        log(STAGE, f"member {member}: best epoch {result.best_epoch}, val macro-F1 {result.best_val_macro_f1:.4f}")
        members.append(member_weights(result.model))
        results.append(result)
    return {"kind": MLP, "hidden_dims": list(params.train.hidden_dims), "members": members}, results


def train_finetuned(params, ws, balanced, counts, curves) -> tuple[dict, list]:
    """The sentence model fine-tuned end to end with a linear head, on the balanced rows' texts."""
    from imbalance_lab.models.finetune import base_encoder, finetune_encoder
    from imbalance_lab.models.model_kinds import FINETUNED

    all_texts = read_json(paths.TEXTS)
    texts = training_texts(ws, balanced["X"], all_texts)
    val_texts = [all_texts[i] for i in ws.split.val]
    model, max_seq_length = base_encoder(ws.meta["embed_params"])
    tensors, results = {}, []
    for member in range(params.train.ensemble_size):
        total = params.train.finetune_epochs * len(texts)
        bar = tqdm(total=total, desc=f"finetune member {member}", unit="text", leave=False, disable=None)
        result = finetune_encoder(
            texts,
            balanced["y"],
            val_texts,
            ws.y[ws.split.val],
            n_classes=ws.n_classes,
            original_counts=counts,
            original_rows=len(ws.split.train),
            params=params.train,
            model=model,
            max_seq_length=max_seq_length,
            seed=member_seed(params.seed, member),
            task=ws.task,
            progress=member_progress(member, curves, bar),
            batch_done=lambda texts, bar=bar: (bar.update(texts), stop_if_interrupted()),  # Ctrl-C within an epoch
        )
        bar.close()
        log(
            STAGE,
            f"member {member}: fine-tuned, best epoch {result.best_epoch}, val macro-F1 "
            f"{result.best_val_macro_f1:.4f}, {result.history[-1]['texts_per_s']:.0f} texts/s",
        )
        tensors |= {f"member{member}.{name}": array for name, array in result.state().items()}
        results.append(result)
    return {"kind": FINETUNED, "hidden_dims": [], "tensors": tensors, "base_model": results[0].base_model}, results


def training_texts(ws, X_balanced: np.ndarray, texts: list[str]) -> list[str]:
    """The text of each balanced row: a method that made new texts wrote every row's (BALANCED_TEXTS); the others
    allowed with a fine-tuned encoder keep training rows, found by their bytes."""
    from imbalance_lab.models.finetune import balanced_texts

    if paths.BALANCED_TEXTS.exists():
        written = read_json(paths.BALANCED_TEXTS)
        if len(written) != len(X_balanced):
            raise DataError(f"{paths.BALANCED_TEXTS} does not match {paths.BALANCED_TRAIN}; run dvc repro balance")
        return written
    return balanced_texts(X_balanced, ws.part("train")[0], [texts[i] for i in ws.split.train])


TRAINERS = {FROZEN: train_frozen, FINETUNE: train_finetuned}


def main() -> None:
    params = load_params()
    set_threads(params.train.threads)
    ws = load_workspace(params)
    balanced = read_npz(paths.BALANCED_TRAIN)
    check_balanced_rows(balanced["X"], balanced["synthetic"], ws.part("train")[0], paths.BALANCED_TRAIN)
    counts = ws.train_counts()
    curves = EpochLog(paths.TRAIN_LIVE)  # member 0's epochs: the curves dvc plots draws
    model, results = TRAINERS[params.train.encoder](params, ws, balanced, counts, curves)
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
    if "members" in model:
        save_model(paths.MODEL, model["members"], meta)
    else:
        save_tensors(paths.MODEL, model["tensors"], meta)
    write_logits(ws, params.train.encoder)
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
