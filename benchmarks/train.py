"""train: samples/s of imbalance_lab.models.training.train_mlp vs a bare torch loop over the same tensors.

    python -m benchmarks.train --project DIR --out FILE [--epochs 30] [--repeats 5]

DIR: a project where `dvc repro` ran (its TREC-6 embeddings and split). Same model (build_mlp), batch size,
AdamW, gradient clipping and epochs (patience > epochs, so early stopping never ends a run sooner). The bare
loop is a hand-written one: shuffle, slice, forward, loss, backward, clip, step. Runs alternate project / bare,
at the stage's train.threads, then at every core.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

from benchmarks.common import interleaved, median

BUDGET_S = 60  # per thread setting: more threads than free cores can be ~50x slower under load


def bare_loop(X, y, *, n_classes: int, params, epochs: int) -> None:
    import torch
    from torch import nn

    from imbalance_lab.models.training import build_mlp

    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(0)
    model = build_mlp(X.shape[1], params.hidden_dims, n_classes, params.dropout)
    optimizer = torch.optim.AdamW(model.parameters(), lr=params.lr, weight_decay=params.weight_decay)
    loss_fn = nn.CrossEntropyLoss()
    X_t, y_t = torch.from_numpy(X), torch.from_numpy(y)
    model.train()
    for _ in range(epochs):
        for idx in torch.randperm(len(y), generator=generator).split(params.batch_size):
            optimizer.zero_grad(set_to_none=True)
            loss_fn(model(X_t[idx]), y_t[idx]).backward()
            if params.grad_clip > 0:
                nn.utils.clip_grad_norm_(model.parameters(), params.grad_clip)
            optimizer.step()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--project", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()

    import numpy as np
    import torch

    from imbalance_lab.config import load_params
    from imbalance_lab.models.training import set_threads, train_mlp
    from imbalance_lab.task import Multiclass

    project = Path(args.project)
    params = load_params(project / "params.yaml").train
    params = dataclasses.replace(params, max_epochs=args.epochs, patience=args.epochs + 1)
    X_all, y_all = np.load(project / "data/embeddings/features.npy"), np.load(project / "data/embeddings/labels.npy")
    split = np.load(project / "data/split/indices.npz")
    X, y = np.ascontiguousarray(X_all[split["train"]]), y_all[split["train"]]
    X_val, y_val = X_all[split["val"]], y_all[split["val"]]
    K = int(y_all.max()) + 1
    counts = np.bincount(y, minlength=K)

    def project_run():
        result = train_mlp(
            X, y, X_val, y_val, n_classes=K, original_counts=counts, params=params, seed=0, task=Multiclass()
        )
        assert len(result.history) == args.epochs, "early stopping ended a run early"

    def bare():
        bare_loop(X, y, n_classes=K, params=params, epochs=args.epochs)

    runs = {}
    for threads in dict.fromkeys((params.threads, 0)):  # the stage's setting, then every core
        set_threads(threads)
        interleaved({"project": project_run, "bare": bare}, 1, budget_s=0)  # warm-up: first calls pay lazy init
        times = interleaved({"project": project_run, "bare": bare}, args.repeats, budget_s=BUDGET_S)
        samples = args.epochs * len(y)
        runs[str(torch.get_num_threads())] = {
            "train.threads": threads,
            "times_s": times,
            "project_samples_per_s": samples / median(times["project"]),
            "bare_samples_per_s": samples / median(times["bare"]),
            "ratio_project_vs_bare": median(times["bare"]) / median(times["project"]),
        }
    record = {"train_rows": len(y), "epochs": args.epochs, "batch_size": params.batch_size, "threads": runs}
    record["stage_threads"] = params.threads
    Path(args.out).write_text(json.dumps(record, indent=1))


if __name__ == "__main__":
    main()
