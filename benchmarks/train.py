"""train: samples/s of imbalance_lab.training.train_mlp vs a bare torch loop over the same tensors.

    python -m benchmarks.train --out FILE [--project DIR] [--epochs 20] [--repeats 3]

Same model (build_mlp), batch size, AdamW settings, gradient clipping and number of epochs (patience >
epochs, so early stopping never ends the project's run sooner). The bare loop is what a hand-written
training loop does: shuffle, slice, forward, loss, backward, clip, step. Runs alternate project / bare,
at the thread count the train stage sets (params.yaml train.threads), then at 1 thread and at every core.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

from benchmarks.common import ROOT, interleaved, load, median, rate
from benchmarks.data import load_embedded

BUDGET_S = 60  # per thread setting: more threads than free cores can be ~50x slower under load


def bare_loop(X, y, *, n_classes: int, params, seed: int, epochs: int):
    import torch
    from torch import nn

    from imbalance_lab.training import build_mlp

    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    model = build_mlp(X.shape[1], params.hidden_dims, n_classes, params.dropout)
    optimizer = torch.optim.AdamW(model.parameters(), lr=params.lr, weight_decay=params.weight_decay)
    loss_fn = nn.CrossEntropyLoss()
    X_t, y_t = torch.from_numpy(X), torch.from_numpy(y)
    model.train()
    for _ in range(epochs):
        for idx in torch.randperm(len(y), generator=generator).split(params.batch_size):
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(X_t[idx]), y_t[idx])
            loss.backward()
            if params.grad_clip > 0:
                nn.utils.clip_grad_norm_(model.parameters(), params.grad_clip)
            optimizer.step()
    return model


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--project", default=None)
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()

    import numpy as np
    import torch
    from sklearn.model_selection import train_test_split

    from imbalance_lab.config import TrainParams, load_params
    from imbalance_lab.training import set_threads, train_mlp

    data = load_embedded(args.project)
    train_idx, val_idx = train_test_split(np.arange(len(data.y)), test_size=0.125, stratify=data.y, random_state=0)
    X, y = np.ascontiguousarray(data.X[train_idx], dtype=np.float32), data.y[train_idx]
    X_val, y_val = data.X[val_idx], data.y[val_idx]
    K = len(data.classes)
    params = dataclasses.replace(TrainParams(), max_epochs=args.epochs, patience=args.epochs + 1)
    counts = np.bincount(y, minlength=K)
    epochs_run = []

    def project():
        result = train_mlp(X, y, X_val, y_val, n_classes=K, original_counts=counts, params=params, seed=0)
        epochs_run.append(len(result.history))

    def bare():
        bare_loop(X, y, n_classes=K, params=params, seed=0, epochs=args.epochs)

    runs = {}
    load_start = load()
    stage_threads = load_params(ROOT / "params.yaml").train.threads
    for threads in dict.fromkeys((stage_threads, 1, 0)):  # what the stage sets first, then 1 and all cores
        set_threads(threads)
        interleaved({"project": project, "bare": bare}, 1, budget_s=0)  # warm-up: first calls pay lazy init
        times = interleaved({"project": project, "bare": bare}, args.repeats, budget_s=BUDGET_S)
        samples = args.epochs * len(y)
        runs[str(torch.get_num_threads())] = {
            "train.threads": threads,
            "times_s": times,
            "project_samples_per_s": rate(samples, median(times["project"])),
            "bare_samples_per_s": rate(samples, median(times["bare"])),
            "ratio_project_vs_bare": median(times["bare"]) / median(times["project"]),
        }
    assert set(epochs_run) == {args.epochs}, f"early stopping ended a run early: {epochs_run}"
    record = {
        "data": data.source,
        "train_rows": int(len(y)),
        "val_rows": int(len(y_val)),
        "epochs": args.epochs,
        "batch_size": params.batch_size,
        "hidden_dims": list(params.hidden_dims),
        "grad_clip": params.grad_clip,
        "repeats": args.repeats,
        "threads": runs,
        "stage_threads": stage_threads,
        "load_start": load_start,
        "load_end": load(),
    }
    Path(args.out).write_text(json.dumps(record, indent=1))


if __name__ == "__main__":
    main()
