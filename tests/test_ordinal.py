"""Ordinal labels: params checks, class order in plot files, and the qwk tuning objective."""

import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score

from imbalance_lab.config import parse_params
from imbalance_lab.errors import ConfigError
from imbalance_lab.evaluation.split_report import plot_class_names
from imbalance_lab.strategies.thresholds import OBJECTIVES, apply_biases
from tests.helpers import fit_biases
from tests.test_config import raw_params


def test_qwk_objective_needs_ordinal_data():
    raw = raw_params()
    raw["threshold"]["metric"] = "qwk"
    with pytest.raises(ConfigError) as error:
        parse_params(raw)
    message = str(error.value)
    assert "threshold.metric: qwk" in message and "data.ordinal: true" in message
    assert "balanced_accuracy, macro_f1, mcc" in message and "\n" not in message
    raw["data"].update(ordinal=True, label_order=["low", "mid", "high"])
    params = parse_params(raw)
    assert params.threshold.metric == "qwk" and params.data.label_order == ("low", "mid", "high")


def test_score_section_is_validated():
    raw = raw_params()
    raw["score"] = {"source": None}
    assert parse_params(raw).score.source == ""
    raw["score"] = {"source": "new.csv", "prior_correction": "yes"}
    with pytest.raises(ConfigError, match="score.prior_correction: expected true or false"):
        parse_params(raw)
    raw["score"] = {"sourse": "new.csv"}
    with pytest.raises(ConfigError, match="unknown key 'score.sourse'; did you mean 'score.source'"):
        parse_params(raw)


def test_plot_names_sort_in_class_order_because_dvc_templates_sort_alphabetically():
    ordered = ["toddler", "preschool", "elementary", "teen"]
    names = plot_class_names(ordered)
    assert names == ["1. toddler", "2. preschool", "3. elementary", "4. teen"]
    assert sorted(names) == names
    many = [f"grade {c}" for c in "kjihgfedcba"]  # 11 classes: zero-padded ranks still sort
    assert sorted(plot_class_names(many)) == plot_class_names(many)
    assert plot_class_names(["ABBR", "DESC", "HUM"]) == ["ABBR", "DESC", "HUM"]  # already sorted: unchanged


def test_qwk_tuning_raises_qwk_on_the_fitting_rows_and_matches_sklearn():
    rng = np.random.default_rng(0)
    y = rng.choice(4, size=600, p=[0.5, 0.3, 0.15, 0.05])
    logits = rng.normal(size=(600, 4)) + 1.5 * np.eye(4)[y] + np.array([1.0, 0.5, 0.0, -0.5])
    biases = fit_biases("per_class_bias", logits, y, priors=None, metric="qwk")
    before, after = logits.argmax(1), apply_biases(logits, biases)
    assert OBJECTIVES["qwk"](y, after, 4) > OBJECTIVES["qwk"](y, before, 4)
    assert OBJECTIVES["qwk"](y, after, 4) == pytest.approx(cohen_kappa_score(y, after, weights="quadratic"))
