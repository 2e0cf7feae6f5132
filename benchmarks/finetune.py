"""finetune: one epoch of train.encoder finetune on TREC-6 vs a bare sentence-transformers training loop.

    python -m benchmarks.finetune --project DIR --out FILE [--rows 0] [--threads 0] [--reuters-batches 4]

DIR: a project where `dvc repro` ran (its TREC-6 texts and split). Both train the packaged MiniLM with a linear
head for one epoch over the training split's texts, on the same batches (train.sampler shuffle, the same seed),
AdamW at the same learning rates, cross-entropy, gradient clipping. The project's path is
imbalance_lab.models.finetune.finetune_encoder (loading the model and the training steps; the epoch's validation pass
is timed apart);
the bare loop is hand-written: tokenize, forward, loss, backward, clip, step. --rows N trains on the first N
training texts only (0: all). Peak RSS of each child process.

Multi-label Reuters-21578 is a GPU job: its CPU cost per epoch is estimated from --reuters-batches timed training
steps (after one untimed) on its articles, for every layer vs only the top one (train.finetune_layers 1) and
256 vs 128 tokens (embed.max_seq_length), scaled to an epoch over 70% of the articles.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from pathlib import Path

import numpy as np


def _inputs(project: Path, rows: int):
    texts = json.loads((project / "data/embeddings/texts.json").read_text())
    split = np.load(project / "data/split/indices.npz")
    train = split["train"][:rows] if rows else split["train"]
    labels = split["labels"]
    return (
        [texts[i] for i in train],
        labels[train].astype(np.int64),
        [texts[i] for i in split["val"]],
        labels[split["val"]],
    )


def _params():
    from imbalance_lab.config import parse_section

    return parse_section("train", {"encoder": "finetune", "finetune_epochs": 1, "batch_size": 32})


def bare_loop(texts, y, n_classes: int) -> float:
    """Seconds for one epoch of a plain loop: the same model, head, batches, optimiser and loss."""
    import torch
    from torch import nn

    from imbalance_lab.features.embedding import load_sentence_model
    from imbalance_lab.strategies.samplers import epoch_batches

    params = _params()
    started = time.perf_counter()  # as for the project: loading the model and the epoch's training steps
    torch.manual_seed(0)
    encoder, _ = load_sentence_model("all-MiniLM-L6-v2")
    head = nn.Linear(encoder.get_embedding_dimension(), n_classes)
    optimizer = torch.optim.AdamW(
        [{"params": encoder.parameters(), "lr": params.encoder_lr}, {"params": head.parameters(), "lr": params.lr}],
        weight_decay=params.weight_decay,
    )
    target = torch.from_numpy(y)
    batches = epoch_batches(y, params, torch.Generator().manual_seed(0))
    encoder.train()
    for idx in batches:
        optimizer.zero_grad(set_to_none=True)
        features = encoder.preprocess([texts[i] for i in idx])
        logits = head(encoder(features)["sentence_embedding"])
        nn.functional.cross_entropy(logits, target[idx]).backward()
        nn.utils.clip_grad_norm_([*encoder.parameters(), *head.parameters()], params.grad_clip)
        optimizer.step()
    return time.perf_counter() - started


def project_epoch(texts, y, val_texts, y_val, n_classes: int) -> dict:
    from imbalance_lab.models.finetune import finetune_encoder
    from imbalance_lab.task import Multiclass

    started = time.perf_counter()
    trained = []
    result = finetune_encoder(
        texts,
        y,
        val_texts,
        y_val,
        n_classes=n_classes,
        original_counts=np.bincount(y, minlength=n_classes),
        original_rows=len(y),
        params=_params(),
        model="all-MiniLM-L6-v2",
        max_seq_length=0,
        seed=0,
        task=Multiclass(),
        batch_done=lambda n: trained.append((n, time.perf_counter())),
    )
    training_s = trained[-1][1] - started
    return {
        "training_s": training_s,
        "epoch_with_val_s": time.perf_counter() - started,
        "val_f1": result.best_val_macro_f1,
    }


REUTERS_SETTINGS = ((0, 256), (1, 256), (0, 128), (1, 128))  # (finetune_layers, max_seq_length)


def reuters_steps(batches: int) -> dict:
    """Seconds per training step on Reuters articles (batch 32, BCE over the topics) for each setting."""
    import torch
    from torch import nn

    from imbalance_lab.data.datasets import load_builtin
    from imbalance_lab.models.finetune import forward, freeze_below, load_encoder

    frame, _ = load_builtin(Path("datasets/reuters21578.yaml"))
    texts = list(frame["text"])
    rng = np.random.default_rng(0)
    out = {"articles": len(texts), "epoch_texts": int(0.7 * len(texts))}
    for layers, tokens in REUTERS_SETTINGS:
        torch.manual_seed(0)
        encoder, _ = load_encoder("all-MiniLM-L6-v2", tokens, torch.device("cpu"))
        freeze_below(encoder, layers)
        head = nn.Linear(encoder.get_embedding_dimension(), 90)
        trainable = [p for p in encoder.parameters() if p.requires_grad] + list(head.parameters())
        optimizer = torch.optim.AdamW(trainable, lr=5.0e-5)
        times = []
        for step in range(batches + 1):
            batch = [texts[i] for i in rng.choice(len(texts), 32, replace=False)]
            started = time.perf_counter()
            optimizer.zero_grad(set_to_none=True)
            logits = forward(encoder, head, batch, torch.device("cpu"))
            nn.functional.binary_cross_entropy_with_logits(logits, torch.zeros_like(logits)).backward()
            optimizer.step()
            if step:  # the first step warms up
                times.append(time.perf_counter() - started)
        per_step = float(np.median(times))
        out[f"layers{layers}_tokens{tokens}"] = {
            "s_per_step": round(per_step, 3),
            "epoch_min": round(per_step * out["epoch_texts"] / 32 / 60, 1),
        }
    return out


def _child(work, *args) -> dict:
    read, write = os.pipe()
    if (pid := os.fork()) == 0:
        os.close(read)
        out = work(*args)
        record = out if isinstance(out, dict) else {"training_s": out}
        record["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        os.write(write, json.dumps(record).encode())
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    with os.fdopen(read) as pipe:
        return json.loads(pipe.read())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--project", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--rows", type=int, default=0)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: every core)")
    ap.add_argument("--reuters-batches", type=int, default=4, help="timed Reuters steps per setting (0: skip)")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(args.threads or os.cpu_count() or 1)
    import sentence_transformers  # noqa: F401

    import imbalance_lab.models.finetune  # noqa: F401 - imported before forking: neither child pays for imports

    texts, y, val_texts, y_val = _inputs(Path(args.project), args.rows)
    n_classes = int(max(y.max(), y_val.max()) + 1)
    bare = _child(bare_loop, texts, y, n_classes)
    ours = _child(project_epoch, texts, y, val_texts, y_val, n_classes)
    record = {
        "texts": len(texts),
        "threads": torch.get_num_threads(),
        "batch_size": 32,
        "bare": bare,
        "project": ours,
        "ratio_project_vs_bare": round(ours["training_s"] / bare["training_s"], 3),
    }
    if args.reuters_batches:
        record["reuters"] = _child(reuters_steps, args.reuters_batches)
    Path(args.out).write_text(json.dumps(record, indent=1))
    print(json.dumps(record))


if __name__ == "__main__":
    main()
