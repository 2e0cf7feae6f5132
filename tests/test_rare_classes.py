"""split.min_class_count: classes below it are dropped or merged into 'other' AFTER embedding (changing it never
re-embeds), logged and recorded in the split summary; the too-small-class refusal names it as the fix."""

import json

import numpy as np
import pytest

from imbalance_lab.config import parse_params, parse_section
from imbalance_lab.data.splitting import check_counts_before_embedding, handle_rare_classes
from imbalance_lab.errors import DataError
from imbalance_lab.models.modelfile import load_model
from imbalance_lab.task import Multiclass, Multilabel
from tests.helpers import copy_project, make_texts, run, set_params

CLASSES = ["a", "b", "c", "d"]
LABELS = np.repeat([0, 1, 2, 3], [50, 20, 3, 3])


def split_params(**values):
    return parse_section("split", values)


def test_drop_marks_rare_rows_minus_one_and_keeps_the_other_classes_in_order():
    out = handle_rare_classes(LABELS, CLASSES, split_params(min_class_count=5), ordinal=False)
    assert out.classes == ["a", "b"] and out.rare == {"c": 3, "d": 3}
    assert (out.labels == -1).sum() == 6 and np.bincount(out.labels[out.labels >= 0]).tolist() == [50, 20]
    assert out.note == "split.min_class_count 5: 2 classes with 6 rows dropped: 'c' (3), 'd' (3)"


def test_merge_puts_rare_rows_in_other_or_joins_an_existing_other():
    merged = handle_rare_classes(
        LABELS, CLASSES, split_params(min_class_count=5, rare_class_action="merge_into_other"), ordinal=False
    )
    assert merged.classes == ["a", "b", "other"] and np.bincount(merged.labels).tolist() == [50, 20, 6]
    joined = handle_rare_classes(
        LABELS, ["a", "other", "c", "d"], split_params(min_class_count=5, rare_class_action="merge_into_other"), False
    )
    assert joined.classes == ["a", "other"] and np.bincount(joined.labels).tolist() == [50, 26]
    assert "already has a class 'other'" in joined.note


def test_zero_keeps_everything_and_merging_ordinal_levels_or_leaving_one_class_is_refused():
    assert handle_rare_classes(LABELS, CLASSES, split_params(), ordinal=False).labels is LABELS
    with pytest.raises(DataError, match="merge_into_other on ordinal classes"):
        handle_rare_classes(
            LABELS, CLASSES, split_params(min_class_count=5, rare_class_action="merge_into_other"), ordinal=True
        )
    with pytest.raises(DataError, match="split.min_class_count: 30 leaves fewer than 2 classes"):
        handle_rare_classes(LABELS, CLASSES, split_params(min_class_count=30), ordinal=False)
    with pytest.raises(DataError, match="the 2 classes below split.min_class_count 10 hold 6 rows together"):
        merge = split_params(min_class_count=10, rare_class_action="merge_into_other")
        handle_rare_classes(LABELS, CLASSES, merge, ordinal=False)


def test_tiny_classes_are_refused_from_the_labels_alone_naming_min_class_count():
    """What embed checks before its embedding pass (split and cross-validate would refuse the same later)."""
    classes = ["finance", "health-a", "health-b", "health-c", "sports", "weather"]
    labels = np.repeat(np.arange(6), [30, 4, 4, 4, 60, 150])
    with pytest.raises(DataError, match="3 classes are too small") as refused:
        check_counts_before_embedding(labels, classes, parse_params({}), Multiclass())
    assert "'health-a' (4), 'health-b' (4), 'health-c' (4); add rows, or set split.min_class_count: 10" in str(
        refused.value
    )
    check_counts_before_embedding(labels, classes, parse_params({"split": {"min_class_count": 10}}), Multiclass())
    Y = np.zeros((120, 3), dtype=np.uint8)
    Y[:60, 0], Y[60:, 1], Y[:3, 2] = 1, 1, 1  # label z: 3 positive rows
    with pytest.raises(DataError, match="'z'"):
        check_counts_before_embedding(Y, ["x", "y", "z"], parse_params({}), Multilabel())


@pytest.mark.slow
def test_a_tiny_class_is_dropped_then_merged_without_re_embedding(tmp_path):
    project = copy_project(tmp_path / "project")
    frame = make_texts({"weather": 150, "sports": 60, "finance": 30, "health": 12})
    health = frame.index[frame["label"] == "health"]
    frame.loc[health, "label"] = ["health-a", "health-b", "health-c"] * 4  # three classes of 4 rows
    frame.to_csv(project / "texts.csv", index=False)
    fast = {"train": {"max_epochs": 3, "patience": 2}, "cv": {"folds": 2}}
    set_params(project, data={"source": "texts.csv"}, embed={"backend": "tfidf", "dim": 16}, **fast)
    set_params(project, split={"min_class_count": 10})
    run(["dvc", "repro"], project)
    summary = json.loads((project / "data/split/summary.json").read_text())
    assert summary["classes"] == ["finance", "sports", "weather"]
    assert summary["rare_classes"] == {"action": "drop", "classes": {"health-a": 4, "health-b": 4, "health-c": 4}}
    test_metrics = json.loads((project / "metrics/full/test.json").read_text())
    assert set(test_metrics["per_class"]) == {"finance", "sports", "weather"}
    set_params(project, split={"min_class_count": 10, "rare_class_action": "merge_into_other"})
    again = run(["dvc", "repro"], project)
    assert "Stage 'embed' didn't change, skipping" in again.stdout
    assert "3 classes with 12 rows merged into 'other'" in again.stderr
    assert "other" in json.loads((project / "metrics/full/test.json").read_text())["per_class"]
    _, meta = load_model(project / "models/model.safetensors")
    assert meta["rare_classes"] == {
        "action": "merge_into_other",
        "classes": {"health-a": 4, "health-b": 4, "health-c": 4},
    }
