"""Honest threshold fitting (cross-fitted keep-or-drop and shrinkage) and binary decisions."""

import numpy as np
import pytest
from scipy.special import logit

from imbalance_lab.config import parse_section
from imbalance_lab.data.splitting import stratified_fold_ids
from imbalance_lab.errors import ConfigError
from imbalance_lab.strategies.thresholds import (
    apply_biases,
    decision_objective,
    fit_biases,
    positive_class,
    probability_threshold,
)
from imbalance_lab.thresholds.threshold_fit import fit_thresholds

CLASSES4 = ["a", "b", "c", "d"]


def settings(**values):
    return parse_section("threshold", values)


def noise_task(seed, n=240, k=4):
    """Logits that carry no signal beyond a weak one: in-sample tuning finds gains that are not there."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, size=n)
    logits = rng.normal(size=(n, k)) + 0.3 * np.eye(k)[y]
    return logits, y, stratified_fold_ids(y, 5, seed)


@pytest.mark.parametrize("seed", range(6))
def test_kept_biases_always_have_a_positive_cross_fitted_gain(seed):
    logits, y, folds = noise_task(seed)
    s = settings()
    fit = fit_thresholds(logits, y, folds, s, decision_objective(s, CLASSES4, None), priors=None, positive=0)
    if fit.kept:
        assert fit.cross_fitted > fit.before and np.any(fit.biases != 0)
    else:
        assert np.array_equal(fit.biases, np.zeros(4)) and fit.cross_fitted <= fit.before + 1e-12
    assert fit.regularization in fit.candidates and fit.candidates[fit.regularization] == max(fit.candidates.values())


def test_biases_whose_cross_fitted_gain_is_negative_are_dropped():
    """Two folds that want opposite thresholds: each fold's fit, applied to the other fold, makes it worse."""
    # margins logit(positive) - logit(negative), 10 rows each: fold 0 wants the threshold up, fold 1 down
    fold0 = [(0.2, 1), (0.1, 0), (-0.05, 0)]
    fold1 = [(-0.1, 1), (-0.2, 0), (0.05, 1)]
    rows = [(m, label, fold) for fold, part in enumerate((fold0, fold1)) for m, label in part for _ in range(10)]
    margin, y, folds = (np.array(v) for v in zip(*rows, strict=True))
    logits = np.column_stack([np.zeros(len(y)), margin])
    s = settings(regularization=0.0)
    fit = fit_thresholds(
        logits, y.astype(np.int64), folds, s, decision_objective(s, ["n", "p"], 1), priors=None, positive=1
    )
    assert fit.cross_fitted < fit.before
    assert not fit.kept and "kept the untuned model" in fit.reason
    assert np.array_equal(fit.biases, np.zeros(2))


def test_a_real_miscalibration_is_kept():
    rng = np.random.default_rng(0)
    y = rng.choice(3, size=900, p=[0.7, 0.2, 0.1])
    logits = rng.normal(size=(900, 3)) + 2.0 * np.eye(3)[y] - np.array([0.0, 0.0, 1.5])  # class 2 under-predicted
    s = settings()
    fit = fit_thresholds(
        logits,
        y,
        stratified_fold_ids(y, 5, 0),
        s,
        decision_objective(s, ["x", "y", "z"], None),
        priors=None,
        positive=0,
    )
    assert fit.kept and fit.cross_fitted > fit.before and fit.biases[2] > 0


# ---------------------------------------------------------------------------------------------- binary
def binary_scores(seed=0, n=400):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.2).astype(np.int64)
    p = np.clip(rng.beta(2, 5, n) + 0.35 * y, 0.001, 0.999)  # p(class 1)
    return np.column_stack([np.zeros(n), logit(p)]), y, p


def brute_force(y, p, score):
    """The best value of score(y, decisions) over every threshold between distinct p values."""
    cuts = np.unique(np.concatenate([[0.0, 1.0], (np.sort(p)[1:] + np.sort(p)[:-1]) / 2]))
    return max(score(y, (p > t).astype(np.int64)) for t in cuts)


def positive_f1(y, pred):
    tp = np.sum((pred == 1) & (y == 1))
    return 2 * tp / (np.sum(pred == 1) + np.sum(y == 1))


def test_binary_f1_threshold_is_the_sweeps_argmax():
    logits, y, p = binary_scores()
    s = settings(method="threshold_sweep", metric="f1", positive_class="spam")
    positive = positive_class(s, ["ham", "spam"], np.bincount(y))
    b = fit_biases(
        logits, y, s, priors=None, objective=decision_objective(s, ["ham", "spam"], positive), positive=positive
    )
    assert positive_f1(y, apply_biases(logits, b)) == pytest.approx(brute_force(y, p, positive_f1))


def test_recall_target_is_met_with_the_best_precision():
    logits, y, p = binary_scores(1)
    s = settings(method="threshold_sweep", metric="precision_at_recall", target=0.95)
    positive = positive_class(s, ["ham", "spam"], np.bincount(y))
    assert positive == 1  # the smaller training class by default
    b = fit_biases(
        logits, y, s, priors=None, objective=decision_objective(s, ["ham", "spam"], positive), positive=positive
    )
    pred = apply_biases(logits, b)
    recall = np.sum((pred == 1) & (y == 1)) / np.sum(y == 1)
    precision = np.sum((pred == 1) & (y == 1)) / np.sum(pred == 1)
    assert recall >= 0.95

    def precision_if_target_met(y, pred):
        hit = np.sum((pred == 1) & (y == 1))
        return hit / max(np.sum(pred == 1), 1) if hit / np.sum(y == 1) >= 0.95 else -1.0

    assert precision == pytest.approx(brute_force(y, p, precision_if_target_met))


def test_probability_threshold_and_logit_bias_decide_alike():
    logits, y, p = binary_scores(2)
    for positive in (0, 1):
        for bias in (-1.3, 0.0, 0.4, 2.2):
            b = np.zeros(2)
            b[positive] = bias
            t = probability_threshold(b, positive)
            p_positive = p if positive == 1 else 1 - p
            assert np.array_equal(apply_biases(logits, b) == positive, p_positive > t)


def test_recall_floor_is_kept_on_the_fitting_rows():
    rng = np.random.default_rng(4)
    y = rng.choice(3, size=600, p=[0.6, 0.3, 0.1])
    logits = rng.normal(size=(600, 3)) + 1.2 * np.eye(3)[y]
    s = settings(recall_floor={"rare": 0.9})
    objective = decision_objective(s, ["common", "mid", "rare"], None)
    b = fit_biases(logits, y, s, priors=None, objective=objective)
    pred = apply_biases(logits, b)
    assert np.mean(pred[y == 2] == 2) >= 0.9 > np.mean(logits.argmax(1)[y == 2] == 2)


def test_binary_objectives_and_floors_are_checked_against_the_classes():
    with pytest.raises(ConfigError, match="threshold.metric: f1 is about one positive class of a binary task"):
        decision_objective(settings(metric="f1"), CLASSES4, None)
    with pytest.raises(ConfigError, match="threshold.recall_floor: unknown class 'zz'"):
        decision_objective(settings(recall_floor={"zz": 0.9}), CLASSES4, None)
    with pytest.raises(ConfigError, match="threshold.positive_class: 'spam' is not a class"):
        positive_class(settings(positive_class="spam"), ["a", "b"], [5, 3])
    with pytest.raises(ConfigError, match="threshold.regularization: expected auto or a number >= 0"):
        settings(regularization=-1)
    with pytest.raises(ConfigError, match="must be a recall in"):
        settings(recall_floor={"a": 1.5})


def test_biases_that_predict_one_minority_class_everywhere_are_no_decision():
    from imbalance_lab.thresholds.threshold_fit import predicts_one_class

    rng = np.random.default_rng(0)
    y = rng.choice(3, 400, p=[0.6, 0.3, 0.1])
    logits = rng.normal(size=(400, 3))
    assert predicts_one_class(logits, y, np.zeros(3), ["a", "b", "c"]) is None
    why = predicts_one_class(logits, y, np.array([0.0, 0.0, 10.0]), ["a", "b", "c"])
    assert why.startswith("tuned to predict c for 100% of rows")
    assert predicts_one_class(logits, y, np.array([10.0, 0.0, 0.0]), ["a", "b", "c"]) is None  # the majority
