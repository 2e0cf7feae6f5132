"""models/logits.npz, the interface between a model and the stages after it: what train writes is what evaluate and
threshold-tune read, and logits predicted for other rows, classes or features are refused with one line."""

from dataclasses import replace

import numpy as np
import pytest

from imbalance_lab.data.splitting import Split
from imbalance_lab.errors import DataError
from imbalance_lab.pipeline.predictions import SplitLogits, load_split_logits, write_split_logits
from imbalance_lab.pipeline.workspace import Workspace
from imbalance_lab.task import Multiclass


def workspace(embedder="tfidf:abc", classes=("a", "b", "c"), test=(5, 6, 7)) -> Workspace:
    split = Split(np.arange(0, 3), np.array([3, 4]), np.array(test))
    return Workspace(
        np.zeros((8, 2), np.float32), np.arange(8) % 3, list(classes), split, {"embedder": embedder}, {}, Multiclass()
    )


def test_logits_round_trip_exactly(tmp_path):
    rng = np.random.default_rng(0)
    logits = SplitLogits(rng.normal(size=(2, 3)), rng.normal(size=(3, 3)).astype(np.float32), "f" * 64)
    write_split_logits(tmp_path / "logits.npz", logits, workspace())
    back = load_split_logits(tmp_path / "logits.npz", workspace())
    assert np.array_equal(back.val, logits.val) and back.val.dtype == logits.val.dtype
    assert np.array_equal(back.test, logits.test) and back.test.dtype == np.float32
    assert back.model_sha256 == "f" * 64


@pytest.mark.parametrize(
    "now, message",
    [
        (workspace(embedder="tfidf:xyz"), "the model was trained on features from another embedder"),
        (workspace(classes=("c", "b", "a")), "predicted for classes ['a', 'b', 'c'] but the data has ['c', 'b', 'a']"),
        (workspace(test=(5, 6, 1)), "predicted for another test split than data/split holds; re-run train"),
    ],
)
def test_logits_for_other_rows_classes_or_features_are_refused(tmp_path, now, message):
    logits = SplitLogits(np.zeros((2, 3)), np.zeros((3, 3)), "0" * 64)
    write_split_logits(tmp_path / "logits.npz", logits, workspace())
    with pytest.raises(DataError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_split_logits(tmp_path / "logits.npz", now)
    assert load_split_logits(tmp_path / "logits.npz", replace(workspace(), meta={})).test.shape == (3, 3)
