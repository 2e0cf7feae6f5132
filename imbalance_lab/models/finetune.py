"""train.encoder finetune: the sentence model named by embed.model trained end to end with a linear head, on the
training split's TEXTS. Everything on the logits side is the frozen head's: the loss with its class weights
(train.loss, train.class_weight), the batches (train.sampler), the schedule (train.schedule, warmup_linear
recommended), early stopping on validation macro-F1 with the best weights restored. The encoder learns at
train.encoder_lr, the head at train.lr; train.finetune_layers N > 0 trains only the top N transformer layers.
Deterministic on CPU for a given seed.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import torch
from torch import nn

from imbalance_lab.config import TrainParams
from imbalance_lab.data.rows import first_source_rows
from imbalance_lab.errors import ConfigError, DataError
from imbalance_lab.features.embedding import load_sentence_model, torch_device
from imbalance_lab.models.training import LrSchedule, member_seed, training_loss
from imbalance_lab.pipeline import paths
from imbalance_lab.pipeline.artifacts import read_json
from imbalance_lab.strategies.samplers import epoch_batches
from imbalance_lab.task import Task

SCORING_BATCH = 128  # texts per forward pass when only predicting


@dataclass
class Finetuned:
    encoder: nn.Module  # the sentence-transformers model (its modules: transformer, pooling, ...)
    head: nn.Linear
    best_epoch: int = 0
    best_val_macro_f1: float = -1.0
    history: list[dict] = field(default_factory=list)
    class_weights: np.ndarray | None = None
    base_model: str = ""  # the sentence model the weights started from, as embed describes it (name, version)

    def state(self) -> dict[str, np.ndarray]:
        """Every weight as float32 arrays (the model file's tensors): encoder.<name> and head.<name>."""
        tensors = {f"encoder.{k}": v for k, v in self.encoder.state_dict().items()}
        tensors |= {f"head.{k}": v for k, v in self.head.state_dict().items()}
        return {k: v.detach().cpu().numpy().copy() for k, v in tensors.items()}


def pick_device(device: str) -> torch.device:
    return torch.device(torch_device(device, "train.device"))


def load_encoder(model: str, max_seq_length: int, device: torch.device) -> tuple[nn.Module, str]:
    encoder, description = load_sentence_model(model)
    if max_seq_length:
        encoder.max_seq_length = max_seq_length
    return encoder.to(device), description


def transformer_layers(encoder) -> list[nn.Module]:
    """The transformer's layer stack (BERT-like models: encoder.layer)."""
    auto_model = encoder[0].auto_model
    stack = getattr(getattr(auto_model, "encoder", None), "layer", None)
    if stack is None:
        raise ConfigError("train.finetune_layers: this model has no BERT-like layer stack; use 0 (train every layer)")
    return list(stack)


def freeze_below(encoder, top_layers: int) -> None:
    """finetune_layers N: only the top N transformer layers (and the head) train; 0: every weight trains."""
    if top_layers == 0:
        return
    layers = transformer_layers(encoder)
    for parameter in encoder.parameters():
        parameter.requires_grad_(False)
    for layer in layers[-top_layers:]:
        for parameter in layer.parameters():
            parameter.requires_grad_(True)


def forward(encoder, head, texts: Sequence[str], device: torch.device) -> torch.Tensor:
    features = encoder.preprocess(list(texts))  # token ids, mask, and what the modules read besides (modality)
    features = {name: v.to(device) if isinstance(v, torch.Tensor) else v for name, v in features.items()}
    return head(encoder(features)["sentence_embedding"])


def predict_logits(encoder, head, texts: Sequence[str], device: torch.device) -> np.ndarray:
    """(n, classes) float64 logits, in eval mode, batches of similar length (less padding; order restored)."""
    encoder.eval()
    head.eval()
    order = np.argsort([len(t) for t in texts], kind="stable")
    out = np.zeros((len(texts), head.out_features))
    with torch.inference_mode():
        for start in range(0, len(texts), SCORING_BATCH):
            rows = order[start : start + SCORING_BATCH]
            out[rows] = forward(encoder, head, [texts[i] for i in rows], device).double().cpu().numpy()
    return out


def _optimizer(encoder, head, params: TrainParams) -> torch.optim.Optimizer:
    """AdamW: the encoder's trainable layers at train.encoder_lr, the new head at train.lr."""
    return torch.optim.AdamW(
        [
            {"params": [p for p in encoder.parameters() if p.requires_grad], "lr": params.encoder_lr},
            {"params": head.parameters(), "lr": params.lr},
        ],
        weight_decay=params.weight_decay,
    )


def _train_epoch(modules, loss_fn, stepping, texts, target, batches, params: TrainParams, batch_done) -> torch.Tensor:
    """One pass over the batches; the summed loss, kept on the device (no per-step sync)."""
    (encoder, head), (optimizer, scheduler) = modules, stepping
    device = target.device
    loss_sum = torch.zeros((), device=device)
    for idx in batches:
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(forward(encoder, head, [texts[i] for i in idx], device), target[idx])
        loss.backward()
        if params.grad_clip > 0:
            nn.utils.clip_grad_norm_([p for g in optimizer.param_groups for p in g["params"]], params.grad_clip)
        optimizer.step()
        scheduler.after_step()
        loss_sum += loss.detach()
        if batch_done is not None:
            batch_done(len(idx))
    return loss_sum


def finetune_encoder(
    texts: Sequence[str],
    y: np.ndarray,
    val_texts: Sequence[str],
    y_val: np.ndarray,
    *,
    n_classes: int,
    original_counts: np.ndarray,
    original_rows: int,
    params: TrainParams,
    model: str,
    max_seq_length: int,
    seed: int,
    task: Task,
    progress: Callable[[dict], None] | None = None,
    batch_done: Callable[[int], None] | None = None,
) -> Finetuned:
    """One fine-tuned encoder + head. y: class codes (multi-label: an (n, L) 0/1 matrix); original_counts: class
    counts of the training split BEFORE resampling, as for the frozen head."""
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    device = pick_device(params.device)
    loss_fn, weights = training_loss(params, original_counts, original_rows, task)
    encoder, base_model = load_encoder(model, max_seq_length, device)
    freeze_below(encoder, params.finetune_layers)
    head = nn.Linear(encoder.get_embedding_dimension(), n_classes).to(device)
    optimizer = _optimizer(encoder, head, params)
    schedule_params = replace(params, max_epochs=params.finetune_epochs)
    steps_per_epoch = len(epoch_batches(y, schedule_params, torch.Generator().manual_seed(seed), task.name))
    scheduler = LrSchedule(optimizer, schedule_params, steps_per_epoch)
    target = torch.from_numpy(np.asarray(y, dtype=task.target_dtype)).to(device)
    y_val = np.asarray(y_val)
    val_target = torch.from_numpy(y_val.astype(task.target_dtype))
    result = Finetuned(encoder, head, class_weights=weights, base_model=base_model)
    best_state = None
    for epoch in range(1, params.finetune_epochs + 1):
        loss_fn.set_epoch(epoch)
        encoder.train()
        head.train()
        started = time.perf_counter()
        batches = epoch_batches(y, schedule_params, generator, task.name)
        loss_sum = _train_epoch(
            (encoder, head), loss_fn, (optimizer, scheduler), texts, target, batches, params, batch_done
        )
        val_logits = predict_logits(encoder, head, val_texts, device)
        val_f1 = task.macro_f1(val_logits, y_val, n_classes)
        val_loss = float(loss_fn(torch.from_numpy(val_logits).float().to(device), val_target.to(device)))
        result.history.append(
            {
                "epoch": epoch,
                "train_loss": float(loss_sum) / max(len(batches), 1),
                "val_loss": val_loss,
                "val_macro_f1": val_f1,
                "lr": optimizer.param_groups[1]["lr"],
                "texts_per_s": round(len(y) / (time.perf_counter() - started), 1),
            }
        )
        scheduler.after_epoch(val_f1)
        if progress is not None:
            progress(result.history[-1])
        if val_f1 > result.best_val_macro_f1:
            result.best_val_macro_f1, result.best_epoch = val_f1, epoch
            best_state = copy.deepcopy((encoder.state_dict(), head.state_dict()))
        elif epoch - result.best_epoch >= params.patience:
            break
    encoder.load_state_dict(best_state[0])
    head.load_state_dict(best_state[1])
    encoder.eval()
    head.eval()
    return result


def base_encoder(embed_params: dict) -> tuple[str, int]:
    """The sentence model a fine-tuned encoder starts from, as the embed stage recorded it: embed.model and
    embed.max_seq_length (0: the model's own limit)."""
    return embed_params["model"], embed_params.get("max_seq_length") or 0


def member_modules(tensors: dict[str, np.ndarray], member: int, meta: dict, device: torch.device):
    """Member m of a fine-tuned model file: the base encoder (embed.model) with the file's weights, and the head."""
    name, max_seq_length = base_encoder(meta["embedding"]["embed_params"])
    encoder, base_model = load_encoder(name, max_seq_length, device)
    if base_model != meta["base_model"]:
        raise DataError(
            f"the model file's encoder was fine-tuned from {meta['base_model']}, but {name} is now "
            f"{base_model}; install that version, or retrain (dvc repro)"
        )
    prefix = f"member{member}."
    state = {k[len(prefix) :]: torch.from_numpy(v) for k, v in tensors.items() if k.startswith(prefix)}
    encoder.load_state_dict({k[len("encoder.") :]: v for k, v in state.items() if k.startswith("encoder.")})
    head = nn.Linear(state["head.weight"].shape[1], state["head.weight"].shape[0])
    head.load_state_dict({"weight": state["head.weight"], "bias": state["head.bias"]})
    return encoder.eval(), head.to(device).eval()


def balanced_texts(X_balanced: np.ndarray, X_source: np.ndarray, source_texts: Sequence[str]) -> list[str]:
    """The text of each resampled row when the resampler kept training rows only (config allows no other with a
    fine-tuned encoder except those that write every row's text): each row is byte for byte a source row."""
    found = first_source_rows(X_balanced, X_source)
    if (found < 0).any():
        raise DataError(
            "resampled rows that are not training rows: a fine-tuned encoder has no text for them; re-run the "
            "balance stage (dvc repro)"
        )
    return [source_texts[i] for i in found]


def fold_logits(row_texts: Sequence[str], y: np.ndarray, params, model: str, max_seq_length: int):
    """cross-validate's fold model, fine-tuned: a crossval.Fold -> its held-out rows' logits. row_texts: the text of
    every row cross-validate sees (its index space)."""
    device = pick_device(params.train.device)

    def logits(fold) -> np.ndarray:
        texts = list(fold.balanced.texts) if fold.balanced.texts is not None else None
        if texts is None:
            texts = balanced_texts(fold.balanced.X, fold.X_fit, [row_texts[i] for i in fold.fit])
        held = [row_texts[i] for i in fold.held]
        members = []
        for member in range(params.train.ensemble_size):
            trained = finetune_encoder(
                texts,
                fold.balanced.y,
                [row_texts[i] for i in fold.stop],
                y[fold.stop],
                n_classes=len(fold.counts),
                original_counts=fold.counts,
                original_rows=len(fold.fit),
                params=params.train,
                model=model,
                max_seq_length=max_seq_length,
                seed=member_seed(params.seed + fold.number, member),
                task=fold.task,
            )
            members.append(predict_logits(trained.encoder, trained.head, held, device))
        return fold.task.mean_logits(members)

    return logits


def train_members(params, ws, balanced, counts, curves, say: Callable[[str], None]) -> tuple[dict, list]:
    """train.encoder finetune, the train stage's model: the sentence model fine-tuned end to end with a linear head
    on the balanced rows' texts; the model file's content and each member's result."""
    from tqdm import tqdm

    from imbalance_lab.models.model_kinds import FINETUNED
    from imbalance_lab.pipeline.live import member_progress
    from imbalance_lab.pipeline.stage import stop_if_interrupted

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
            batch_done=lambda done, bar=bar: (bar.update(done), stop_if_interrupted()),  # Ctrl-C within an epoch
        )
        bar.close()
        say(
            f"member {member}: fine-tuned, best epoch {result.best_epoch}, val macro-F1 "
            f"{result.best_val_macro_f1:.4f}, {result.history[-1]['texts_per_s']:.0f} texts/s",
        )
        tensors |= {f"member{member}.{name}": array for name, array in result.state().items()}
        results.append(result)
    return {"kind": FINETUNED, "hidden_dims": [], "tensors": tensors, "base_model": results[0].base_model}, results


def training_texts(ws, X_balanced: np.ndarray, texts: list[str]) -> list[str]:
    """The text of each balanced row: a method that made new texts wrote every row's (BALANCED_TEXTS); the others
    allowed with a fine-tuned encoder keep training rows, found by their bytes."""
    if paths.BALANCED_TEXTS.exists():
        written = read_json(paths.BALANCED_TEXTS)
        if len(written) != len(X_balanced):
            raise DataError(f"{paths.BALANCED_TEXTS} does not match {paths.BALANCED_TRAIN}; run dvc repro balance")
        return written
    return balanced_texts(X_balanced, ws.part("train")[0], [texts[i] for i in ws.split.train])


def fold_model(params, ws, rows: np.ndarray, X: np.ndarray, y: np.ndarray):
    """Each fold fine-tunes the sentence model (train.encoder finetune) on its rows' texts."""
    texts = read_json(paths.TEXTS)
    return fold_logits([texts[i] for i in rows], y, params, *base_encoder(ws.meta["embed_params"]))
