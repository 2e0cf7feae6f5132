"""Every number a report writes is a registered metric with a direction
(imbalance_lab/evaluation/metric_registry.py)."""

import numpy as np
import pytest

from imbalance_lab.errors import ConfigError
from imbalance_lab.evaluation.label_metrics import label_report
from imbalance_lab.evaluation.metric_registry import (
    LOWER_IS_BETTER,
    METRICS,
    MULTICLASS,
    MULTILABEL,
    OBJECTIVE_METRICS,
    lower_is_better,
    metric_names,
)
from imbalance_lab.evaluation.metrics import classification_metrics
from imbalance_lab.evaluation.split_report import HEADLINE, SHOWN, label_test_report, shown
from imbalance_lab.evaluation.split_report import test_report as class_test_report
from imbalance_lab.models.crossval import ClassScores, LabelScores
from imbalance_lab.strategies.thresholds import OBJECTIVES
from imbalance_lab.thresholds.threshold_fit import positive_class_report

NOT_METRICS = {"seed", "minority_class"}  # report fields that are not scores


def numbers(report: dict) -> set[str]:
    return {k for k, v in report.items() if isinstance(v, (int, float)) and not isinstance(v, bool)} - NOT_METRICS


def reports() -> dict[str, dict]:
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(4), 25)
    proba = rng.dirichlet(np.ones(4), 100)
    Y = (rng.random((60, 5)) < 0.3).astype(np.uint8)
    Y[0] = 1
    return {
        "multiclass": classification_metrics(y, proba, ["a", "b", "c", "d"]),
        "ordinal": classification_metrics(y, proba, ["a", "b", "c", "d"], ordinal=True),
        "multilabel": label_report(
            Y, rng.normal(size=(60, 5)), list("vwxyz"), train_counts=np.array([50, 40, 30, 20, 2]), seed=0
        ),
        "binary decision": positive_class_report(y[:50] % 2, rng.integers(0, 2, 50), 1, seed=0),
    }


@pytest.mark.parametrize("task", ["multiclass", "ordinal", "multilabel", "binary decision"])
def test_every_number_a_report_writes_is_registered(task):
    written = numbers(reports()[task])
    assert written and written <= set(METRICS), written - set(METRICS)


@pytest.mark.parametrize("task", ["multiclass", "multilabel"])
def test_every_per_class_number_is_registered(task):
    per_class = reports()[task]["per_class"]
    written = set().union(*(numbers(fields) for fields in per_class.values())) - {"support"}
    assert written and written <= set(METRICS), written - set(METRICS)
    assert not lower_is_better("per_class.a.recall")


def test_the_headline_lists_name_registered_metrics():
    assert set(HEADLINE) - NOT_METRICS <= set(METRICS)
    assert set(SHOWN) <= set(METRICS)


def test_directions():
    assert {"hamming_loss", "mae_class", "ece", "brier", "log_loss"} <= LOWER_IS_BETTER
    assert not lower_is_better("macro_f1") and not lower_is_better("qwk")
    with pytest.raises(ConfigError, match="metric: unknown value 'f2'"):
        lower_is_better("f2")  # an unknown metric is refused, never ranked as higher-is-better by default


def test_each_role_of_the_registry_is_what_the_reports_write():
    """Headline (dvc exp show), CI and per-fold lists are derived from the registry; the reports follow them."""
    rng = np.random.default_rng(1)
    y, logits = np.repeat(np.arange(3), 30), rng.normal(size=(90, 3))
    Y, label_logits = (rng.random((80, 4)) < 0.4).astype(np.uint8), rng.normal(size=(80, 4))
    for ordinal in (False, True):
        report = class_test_report(y, logits, list("abc"), ordinal=ordinal, seed=0)
        assert list(shown(report)) == list(metric_names("headline", MULTICLASS, ordinal=ordinal))
        assert set(report["ci95"]) == set(metric_names("ci", MULTICLASS))
        fold = ClassScores(y, 3, ordinal).score(y, logits)
        assert list(fold) == list(metric_names("per_fold", MULTICLASS, ordinal=ordinal))
    report = label_test_report(Y, label_logits, list("wxyz"), train_counts=np.array([40, 30, 20, 5]), seed=0)
    assert set(shown(report)) == set(metric_names("headline", MULTILABEL))
    assert set(report["ci95"]) == set(metric_names("ci", MULTILABEL))
    assert list(LabelScores(Y, 4).score(Y, label_logits)) == list(metric_names("per_fold", MULTILABEL))
    # the leaderboard's columns, in registry order
    assert metric_names("headline", MULTICLASS) == ("macro_f1", "balanced_accuracy", "mcc", "minority_recall",
                                                     "pr_auc_macro", "ece")  # fmt: skip
    assert metric_names("headline", MULTILABEL)[:3] == ("macro_f1", "micro_f1", "rare_label_recall")


def test_threshold_objectives_come_from_the_registry():
    assert OBJECTIVE_METRICS == ("macro_f1", "balanced_accuracy", "mcc", "qwk")
    assert list(OBJECTIVES)[: len(OBJECTIVE_METRICS)] == list(OBJECTIVE_METRICS)
    with pytest.raises(ValueError, match="unknown metric role"):
        metric_names("plotted", MULTICLASS)
