"""The balance stage touches only the training split: val/test and every upstream file stay byte-identical."""

import hashlib
import json

import numpy as np
import pytest

from tests.helpers import run

pytestmark = pytest.mark.slow

METHODS = ["smote_enn", "mixup"]  # SMOTE then cleaning (synthetic + removed rows); convex combinations


def file_hashes(project, *folders) -> dict[str, str]:
    return {
        str(path.relative_to(project)): hashlib.sha256(path.read_bytes()).hexdigest()
        for folder in folders
        for path in sorted((project / folder).rglob("*"))
        if path.is_file()
    }


def row_bytes(X: np.ndarray) -> set[bytes]:
    return {row.tobytes() for row in np.ascontiguousarray(X, dtype=np.float32)}


def split_rows(project) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    X = np.load(project / "data/embeddings/features.npy")
    y = np.load(project / "data/embeddings/labels.npy")
    indices = np.load(project / "data/split/indices.npz")
    return {part: (X[indices[part]], y[indices[part]]) for part in ("train", "val", "test")}


def test_balance_stage_leaves_val_and_test_untouched(text_project):
    run(["dvc", "repro", "balance"], text_project)
    upstream = file_hashes(text_project, "data/embeddings", "data/split")
    parts = split_rows(text_project)
    held_out = {part: (X.tobytes(), y.tobytes()) for part, (X, y) in parts.items() if part != "train"}
    train_rows = row_bytes(parts["train"][0])
    # a held-out row whose embedding also occurs in train (same words) may legitimately be copied
    held_out_only = (row_bytes(parts["val"][0]) | row_bytes(parts["test"][0])) - train_rows
    train_label_of = {row.tobytes(): label for row, label in zip(*parts["train"])}

    for method in METHODS:
        run(["dvc", "exp", "run", "-S", f"balance.method={method}", "balance"], text_project)
        summary = json.loads((text_project / "data/balanced/summary.json").read_text())
        assert summary["method"] == method
        assert file_hashes(text_project, "data/embeddings", "data/split") == upstream, method
        after = split_rows(text_project)
        assert {part: (X.tobytes(), y.tobytes()) for part, (X, y) in after.items() if part != "train"} == held_out

        balanced = np.load(text_project / "data/balanced/train.npz")
        X, y, synthetic = balanced["X"], balanced["y"], balanced["synthetic"]
        assert synthetic.any(), f"{method} should create rows on this imbalanced fixture"
        real = np.ascontiguousarray(X[~synthetic], dtype=np.float32)
        assert row_bytes(real) <= train_rows, f"{method}: a non-synthetic row is not a training row"
        assert all(train_label_of[row.tobytes()] == label for row, label in zip(real, y[~synthetic]))
        leaked = len(row_bytes(X) & held_out_only)
        assert leaked == 0, f"{method}: {leaked} validation or test rows reached the balanced split"
