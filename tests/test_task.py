"""The task (imbalance_lab/task.py): what differs between multiclass and multi-label data, asked of the task the
data carries, never of the labels' shape. Each method on both tasks."""

import numpy as np
import pytest

from imbalance_lab.config import parse_params, parse_section
from imbalance_lab.errors import DataError
from imbalance_lab.task import MULTICLASS, MULTILABEL, Multiclass, Multilabel, task_named, task_of_reported

RNG = np.random.default_rng(0)
CODES = np.repeat([0, 1, 2], [60, 30, 10])
MATRIX = (RNG.random((100, 3)) < [0.5, 0.3, 0.15]).astype(np.uint8)


def test_the_task_is_named_once_and_ordinal_belongs_to_multiclass():
    assert task_named(MULTICLASS) == Multiclass() and task_named(MULTILABEL, False) == Multilabel()
    assert task_named(MULTICLASS, ordinal=True).ordinal
    with pytest.raises(DataError, match="one label per row"):
        Multilabel(ordinal=True)
    with pytest.raises(DataError, match="unknown task 'binary'"):
        task_named("binary")


def test_counts_are_rows_per_class_or_positive_rows_per_label():
    assert Multiclass().counts(CODES, 4).tolist() == [60, 30, 10, 0]
    assert Multilabel().counts(MATRIX, 3).tolist() == MATRIX.sum(0).tolist()


def test_a_row_dropped_by_min_class_count_is_no_longer_eligible_but_a_row_without_labels_is():
    split = parse_section("split", {"min_class_count": 20})
    kept = Multiclass().relabel_rare(CODES, ["a", "b", "c"], split)
    assert kept.classes == ["a", "b"] and len(Multiclass().eligible(kept.labels)) == 90
    empty = MATRIX.copy()
    empty[:5] = 0
    assert len(Multilabel().eligible(empty)) == 100


@pytest.mark.parametrize("task, y", [(Multiclass(), CODES), (Multilabel(), MATRIX)], ids=[MULTICLASS, MULTILABEL])
def test_folds_and_holdouts_partition_the_rows_and_keep_every_class(task, y):
    folds = task.folds(y, 3, seed=0)
    held = np.concatenate([h for _, h in folds])
    assert sorted(held.tolist()) == list(range(len(y)))
    for fit, out in folds:
        assert not set(fit) & set(out) and (task.counts(y[out], 3) > 0).all()
    ids = task.fold_ids(y, 3, seed=0)
    assert set(ids.tolist()) == {0, 1, 2}
    kept, out = task.holdout(np.arange(len(y)), y, 0.2, seed=0)
    assert len(set(kept) | set(out)) == len(y) and (task.counts(y[out], 3) > 0).all()


def test_an_ensemble_of_one_is_that_model_and_of_two_averages_probabilities():
    a, b = RNG.normal(size=(5, 3)), RNG.normal(size=(5, 3))
    for task in (Multiclass(), Multilabel()):
        assert task.mean_logits([a]) is a
    softmax = np.exp(Multiclass().mean_logits([a, b]))
    np.testing.assert_allclose(softmax.sum(1), 1.0)
    sigmoid = 1 / (1 + np.exp(-Multilabel().mean_logits([a, b])))
    np.testing.assert_allclose(sigmoid, (1 / (1 + np.exp(-a)) + 1 / (1 + np.exp(-b))) / 2)


def test_loss_weights_come_from_the_task_class_weights_or_pos_weight():
    train = parse_params({"train": {"class_weight": "inverse"}}).train
    weights = Multiclass().loss_weights(np.array([60.0, 30.0, 10.0]), 100, train)
    assert weights[2] > weights[1] > weights[0] and np.isclose(weights.mean(), 1.0)
    pos = Multilabel().loss_weights(np.array([50.0, 10.0]), 100, train)
    np.testing.assert_allclose(pos, [1.0, 9.0])  # negatives / positives per label


def test_the_test_report_holds_the_task_headline_metrics():
    logits = RNG.normal(size=(100, 3))
    for task, y in ((Multiclass(), CODES), (Multilabel(), MATRIX)):
        report = task.test_report(y, logits, ["a", "b", "c"], train_counts=task.counts(y, 3), seed=0)
        assert set(task.metric_names("headline")) <= set(report)


def test_runs_are_multilabel_when_they_report_a_metric_only_multilabel_reports_hold():
    assert task_of_reported(["test.macro_f1", "test.micro_f1"]) == Multilabel()
    assert task_of_reported(["test.macro_f1", "test.balanced_accuracy", "train.best_epoch"]) == Multiclass()
