"""The torch MLP and its training loop: AdamW, ReduceLROnPlateau, gradient clipping, early stopping on
validation macro-F1 with the best weights restored. Seeded and deterministic on CPU."""

from __future__ import annotations

import copy
import os
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from imbalance_lab.config import TrainParams
from imbalance_lab.strategies.losses import make_loss
from imbalance_lab.strategies.samplers import epoch_batches
from imbalance_lab.task import Task


def member_seed(seed: int, member: int) -> int:
    """Ensemble member m trains with seed + 1000 m; member 0 uses the seed itself, so ensemble_size 1 is
    exactly the single model (train stage; cross-validate passes its fold seed)."""
    return seed + 1000 * member


def set_threads(threads: int) -> None:
    torch.set_num_threads(threads or os.cpu_count() or 1)


def build_mlp(input_dim: int, hidden_dims: tuple[int, ...], n_classes: int, dropout: float) -> nn.Sequential:
    layers: list[nn.Module] = []
    width = input_dim
    for hidden in hidden_dims:
        layers += [nn.Linear(width, hidden), nn.ReLU(), nn.Dropout(dropout)]
        width = hidden
    layers.append(nn.Linear(width, n_classes))
    return nn.Sequential(*layers)


class LrSchedule:
    """train.schedule: `plateau` (ReduceLROnPlateau on val macro-F1, after each epoch), `warmup_linear` (per step:
    linear from 0 to train.lr over warmup_fraction of max_epochs' steps, then linear to 0 at the last step;
    early stopping may end before it reaches 0) or `constant`."""

    def __init__(self, optimizer, params: TrainParams, steps_per_epoch: int):
        self.plateau = self.per_step = None
        if params.schedule == "plateau":
            self.plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(
                optimizer, mode="max", factor=params.lr_factor, patience=params.lr_patience
            )
        elif params.schedule == "warmup_linear":
            total = max(1, steps_per_epoch * params.max_epochs)
            warmup = max(1, round(total * params.warmup_fraction))

            def factor(step: int) -> float:  # step = optimizer steps taken so far
                if step < warmup:
                    return (step + 1) / warmup
                return max(0.0, (total - step) / max(1, total - warmup))

            self.per_step = torch.optim.lr_scheduler.LambdaLR(optimizer, factor)

    def after_step(self) -> None:
        if self.per_step is not None:
            self.per_step.step()

    def after_epoch(self, val_macro_f1: float) -> None:
        if self.plateau is not None:
            self.plateau.step(val_macro_f1)


@dataclass
class TrainResult:
    model: nn.Sequential
    best_epoch: int
    best_val_macro_f1: float
    history: list[dict] = field(default_factory=list)  # one row per epoch, for the training-curve plot
    class_weights: np.ndarray | None = None


def _val_scores(model, loss_fn, X_val: torch.Tensor, y_val: torch.Tensor, task: Task, n_classes: int):
    """Validation loss and macro-F1 (multi-label: each label predicted at p > 0.5)."""
    model.eval()
    with torch.inference_mode():
        logits = model(X_val)
        loss = float(loss_fn(logits, y_val))
    return loss, task.macro_f1(logits.numpy(), y_val.numpy(), n_classes)


def training_loss(params: TrainParams, counts: np.ndarray, n_rows: int, task: Task):
    """train.loss with its class weights, from the ORIGINAL training counts (multi-label: positives per label of
    n_rows rows, the weights being BCE's pos_weight)."""
    weights = task.loss_weights(counts, n_rows, params)
    return make_loss(params, class_counts=counts, class_weights=weights, task=task.name), weights


def _train_epoch(model, loss_fn, optimizer, scheduler, data, batches, grad_clip: float) -> torch.Tensor:
    """One pass over the batches; the summed loss (summed as a tensor: no per-step .item() sync)."""
    X_t, y_t = data
    loss_sum = torch.zeros(())
    for idx in batches:
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(X_t[idx]), y_t[idx])
        loss.backward()
        if grad_clip > 0:
            nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
        optimizer.step()
        scheduler.after_step()
        loss_sum += loss.detach()
    return loss_sum


def train_mlp(
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_val: np.ndarray,
    y_val: np.ndarray,
    *,
    n_classes: int,
    original_counts: np.ndarray,
    params: TrainParams,
    seed: int,
    task: Task,
    progress=None,
    original_rows: int = 0,
) -> TrainResult:
    """Train one MLP. original_counts: class counts of the training split BEFORE resampling (multi-label, y_train
    an (n, L) 0/1 matrix: positives per label, of original_rows rows); class weights, loss priors and margins come
    from them, so resampling and re-weighting are measured as separate fixes."""
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    loss_fn, weights = training_loss(params, original_counts, original_rows, task)
    model = build_mlp(X_train.shape[1], params.hidden_dims, n_classes, params.dropout)
    optimizer = torch.optim.AdamW(model.parameters(), lr=params.lr, weight_decay=params.weight_decay)
    steps_per_epoch = len(epoch_batches(y_train, params, torch.Generator().manual_seed(seed), task.name))
    scheduler = LrSchedule(optimizer, params, steps_per_epoch)
    target = task.target_dtype
    X_t, y_t = (
        torch.from_numpy(np.ascontiguousarray(X_train, dtype=np.float32)),
        torch.from_numpy(y_train.astype(target)),
    )
    X_v, y_v = torch.from_numpy(np.ascontiguousarray(X_val, dtype=np.float32)), torch.from_numpy(y_val.astype(target))

    best_f1, best_epoch, best_state, history = -1.0, 0, None, []
    for epoch in range(1, params.max_epochs + 1):
        loss_fn.set_epoch(epoch)
        model.train()
        batches = epoch_batches(y_train, params, generator, task.name)
        loss_sum = _train_epoch(model, loss_fn, optimizer, scheduler, (X_t, y_t), batches, params.grad_clip)
        val_loss, val_f1 = _val_scores(model, loss_fn, X_v, y_v, task, n_classes)
        lr = optimizer.param_groups[0]["lr"]
        history.append(
            {
                "epoch": epoch,
                "train_loss": float(loss_sum) / max(len(batches), 1),
                "val_loss": val_loss,
                "val_macro_f1": val_f1,
                "lr": lr,
            }
        )
        scheduler.after_epoch(val_f1)
        if progress is not None:
            progress(history[-1])
        if val_f1 > best_f1:
            best_f1, best_epoch, best_state = val_f1, epoch, copy.deepcopy(model.state_dict())
        elif epoch - best_epoch >= params.patience:
            break
    model.load_state_dict(best_state)
    model.eval()
    return TrainResult(
        model=model, best_epoch=best_epoch, best_val_macro_f1=best_f1, history=history, class_weights=weights
    )


def train_members(params, ws, balanced, counts, curves, say: Callable[[str], None]) -> tuple[dict, list]:
    """train.encoder frozen, the train stage's model: the MLP head (a seed ensemble of them) on the embed stage's
    vectors; the model file's content and each member's result."""
    from tqdm import tqdm

    from imbalance_lab.models.modelfile import MLP, member_tensors, member_weights
    from imbalance_lab.pipeline.live import member_progress

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
        say(f"member {member}: best epoch {result.best_epoch}, val macro-F1 {result.best_val_macro_f1:.4f}")
        members.append(member_weights(result.model))
        results.append(result)
    return {"kind": MLP, "hidden_dims": list(params.train.hidden_dims), "tensors": member_tensors(members)}, results
