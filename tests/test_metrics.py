import json

import numpy as np
import pandas as pd
import pytest
import scipy.special
from sklearn import metrics as skm

from imbalance_lab.errors import ConfigError, DataError
from imbalance_lab.evaluation.metrics import (
    bootstrap_ci,
    calibration_rows,
    classification_metrics,
    confusion_counts,
    decisions_metrics,
    expected_calibration_error,
    macro_f1_from_confusion,
    per_class_recall_rows,
    pr_curve_rows,
    softmax,
)


def make_task(seed, n=400, priors=(0.6, 0.25, 0.1, 0.05), signal=1.5):
    rng = np.random.default_rng(seed)
    k = len(priors)
    y = rng.choice(k, size=n, p=priors).astype(np.int64)
    logits = rng.normal(size=(n, k)) + signal * np.eye(k)[y]
    return y, softmax(logits), [f"c{i}" for i in range(k)]


def proba_from_pred(pred, k):
    """Confident one-hot-ish probabilities whose argmax is pred."""
    proba = np.full((len(pred), k), 0.1 / (k - 1))
    proba[np.arange(len(pred)), pred] = 0.9
    return proba


def assert_json_plain(obj):
    if isinstance(obj, dict):
        assert all(isinstance(k, str) for k in obj)
        for v in obj.values():
            assert_json_plain(v)
    elif isinstance(obj, list):
        for v in obj:
            assert_json_plain(v)
    else:
        assert obj is None or type(obj) in (float, int, str), type(obj)


def test_softmax_is_stable_and_matches_scipy():
    logits = np.array([[1000.0, 0.0, -1000.0], [1.0, 2.0, 3.0]])
    p = softmax(logits)
    assert np.all(np.isfinite(p)) and np.allclose(p.sum(axis=1), 1)
    assert np.allclose(p, scipy.special.softmax(logits, axis=1))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_headline_metrics_match_sklearn(seed):
    y, proba, classes = make_task(seed)
    pred = proba.argmax(axis=1)
    labels = list(range(4))
    m = classification_metrics(y, proba, classes)
    expected = {
        "accuracy": skm.accuracy_score(y, pred),
        "balanced_accuracy": skm.balanced_accuracy_score(y, pred),
        "macro_f1": skm.f1_score(y, pred, labels=labels, average="macro", zero_division=0),
        "weighted_f1": skm.f1_score(y, pred, labels=labels, average="weighted", zero_division=0),
        "mcc": skm.matthews_corrcoef(y, pred),
        "roc_auc_macro": skm.roc_auc_score(y, proba, multi_class="ovr", average="macro", labels=labels),
        "pr_auc_macro": skm.average_precision_score(np.eye(4)[y], proba, average="macro"),
        "log_loss": skm.log_loss(y, proba, labels=labels),
    }
    for key, value in expected.items():
        assert m[key] == pytest.approx(value, abs=2e-6), key
    p, r, f, s = skm.precision_recall_fscore_support(y, pred, labels=labels, zero_division=0)
    for i, name in enumerate(classes):
        row = m["per_class"][name]
        assert (row["precision"], row["recall"], row["f1"]) == pytest.approx((p[i], r[i], f[i]), abs=2e-6)
        assert row["support"] == s[i]
    assert m["minority_class"] == "c3"
    assert m["minority_recall"] == pytest.approx(r[3], abs=2e-6)
    assert "qwk" not in m


def test_binary_uses_positive_class_for_auc():
    y, proba, classes = make_task(3, priors=(0.9, 0.1))
    m = classification_metrics(y, proba, classes)
    assert m["roc_auc_macro"] == pytest.approx(skm.roc_auc_score(y, proba[:, 1]), abs=2e-6)
    assert m["pr_auc_macro"] == pytest.approx(skm.average_precision_score(y, proba[:, 1]), abs=2e-6)


def test_ordinal_qwk_and_mae_match_sklearn():
    y, proba, classes = make_task(4, priors=(0.1, 0.3, 0.4, 0.15, 0.05), signal=1.0)
    pred = proba.argmax(axis=1)
    m = classification_metrics(y, proba, classes, ordinal=True)
    assert m["qwk"] == pytest.approx(skm.cohen_kappa_score(y, pred, weights="quadratic"), abs=2e-6)
    assert m["mae_class"] == pytest.approx(np.abs(y - pred).mean(), abs=2e-6)


def test_brier_hand_computed():
    proba = np.array([[0.7, 0.2, 0.1], [0.2, 0.5, 0.3]])
    m = classification_metrics(np.array([0, 2]), proba, ["a", "b", "c"])
    assert m["brier"] == pytest.approx(((0.09 + 0.04 + 0.01) + (0.04 + 0.25 + 0.49)) / 2)


def test_ece_zero_when_calibrated_and_hand_value():
    y = np.array([0] * 7 + [1] * 3)  # confidence 0.7 on class 0, right 70% of the time
    proba = np.tile([0.7, 0.3], (10, 1))
    assert expected_calibration_error(y, proba) == pytest.approx(0.0, abs=1e-12)
    proba = np.array([[0.9, 0.1], [0.9, 0.1], [0.35, 0.65], [0.35, 0.65]])
    y = np.array([0, 1, 1, 1])  # bin 0.9: acc 0.5 -> 0.4 gap; bin 0.65: acc 1 -> 0.35 gap; halves
    assert expected_calibration_error(y, proba) == pytest.approx(0.5 * 0.4 + 0.5 * 0.35)
    assert classification_metrics(y, proba, ["a", "b"])["ece"] == pytest.approx(0.375)


def test_g_mean_and_minority_hand_values():
    y = np.array([0, 0, 0, 0, 1, 1, 2])
    pred = np.array([0, 0, 1, 2, 1, 0, 2])  # recalls 0.5, 0.5, 1.0
    m = classification_metrics(y, proba_from_pred(pred, 3), ["a", "b", "c"])
    assert m["g_mean"] == pytest.approx(0.25 ** (1 / 3), abs=1e-6)
    assert (m["minority_class"], m["minority_recall"]) == ("c", 1.0)


def test_decisions_metrics_match_sklearn():
    rng = np.random.default_rng(5)
    y, pred = rng.integers(0, 5, 300), rng.integers(0, 5, 300)
    pred[:150] = y[:150]
    d = decisions_metrics(y, pred, 5)
    labels = list(range(5))
    assert d["macro_f1"] == pytest.approx(skm.f1_score(y, pred, labels=labels, average="macro"))
    assert d["balanced_accuracy"] == pytest.approx(skm.balanced_accuracy_score(y, pred))
    assert d["mcc"] == pytest.approx(skm.matthews_corrcoef(y, pred))
    assert d["qwk"] == pytest.approx(skm.cohen_kappa_score(y, pred, weights="quadratic", labels=labels))
    assert np.array_equal(confusion_counts(y, pred, 5), skm.confusion_matrix(y, pred, labels=labels))


def test_pooled_macro_f1_equals_f1_on_concatenated_folds():
    rng = np.random.default_rng(6)
    folds = [(rng.integers(0, 4, n), rng.integers(0, 4, n)) for n in (50, 70, 90)]
    pooled = sum(confusion_counts(y, p, 4) for y, p in folds)
    y_all, p_all = (np.concatenate(a) for a in zip(*folds, strict=True))
    expected = skm.f1_score(y_all, p_all, labels=range(4), average="macro", zero_division=0)
    assert isinstance(macro_f1_from_confusion(pooled), float)
    assert macro_f1_from_confusion(pooled) == pytest.approx(expected)


def test_bootstrap_ci_contains_point_is_deterministic_and_narrows():
    y, proba, _ = make_task(7, n=600)
    pred = proba.argmax(axis=1)
    ci = bootstrap_ci(y, proba, seed=1)
    assert set(ci) == {"macro_f1", "balanced_accuracy", "mcc"}
    point = decisions_metrics(y, pred, 4)
    for name, (lo, hi) in ci.items():
        assert lo <= point[name] <= hi and type(lo) is float
    assert bootstrap_ci(y, proba, seed=1) == ci
    assert bootstrap_ci(y, proba, seed=2) != ci
    y_big, proba_big, _ = make_task(7, n=6000)
    small = bootstrap_ci(y, proba, metrics=("accuracy",), n_boot=300)["accuracy"]
    big = bootstrap_ci(y_big, proba_big, metrics=("accuracy",), n_boot=300)["accuracy"]
    assert big[1] - big[0] < small[1] - small[0]


def test_bootstrap_ci_rejects_bad_params():
    y, proba, _ = make_task(8, n=50)
    with pytest.raises(ConfigError, match="macro_f1"):
        bootstrap_ci(y, proba, metrics=("f2",))
    with pytest.raises(ConfigError, match="level"):
        bootstrap_ci(y, proba, level=95)


@pytest.mark.filterwarnings("ignore:y_pred contains classes not in y_true")
def test_absent_class_does_not_crash_and_skips_it():
    y, proba, classes = make_task(9, priors=(0.7, 0.2, 0.1, 0.0))
    m = classification_metrics(y, proba, classes)
    pred = proba.argmax(axis=1)
    present = [0, 1, 2]
    roc = np.mean([skm.roc_auc_score(y == c, proba[:, c]) for c in present])
    ap = np.mean([skm.average_precision_score(y == c, proba[:, c]) for c in present])
    assert m["roc_auc_macro"] == pytest.approx(roc, abs=2e-6)
    assert m["pr_auc_macro"] == pytest.approx(ap, abs=2e-6)
    assert m["balanced_accuracy"] == pytest.approx(skm.balanced_accuracy_score(y, pred), abs=2e-6)
    assert m["per_class"]["c3"]["support"] == 0 and m["minority_class"] == "c2"
    assert {r["class"] for r in pr_curve_rows(y, proba, classes)} == {"c0", "c1", "c2"}


def test_single_class_truth_gives_null_auc():
    proba = softmax(np.random.default_rng(10).normal(size=(20, 3)))
    m = classification_metrics(np.zeros(20, dtype=np.int64), proba, ["a", "b", "c"], ordinal=True)
    assert m["roc_auc_macro"] is None and m["pr_auc_macro"] is None
    json.dumps(m, allow_nan=False)


def test_outputs_are_plain_json():
    y, proba, classes = make_task(11)
    pred = proba.argmax(axis=1)
    outputs = [
        classification_metrics(y, proba, classes, ordinal=True),
        bootstrap_ci(y, proba, n_boot=50),
        pr_curve_rows(y, proba, classes),
        calibration_rows(y, proba),
        per_class_recall_rows(y, pred, classes),
    ]
    for out in outputs:
        assert_json_plain(out)
        json.dumps(out, allow_nan=False)


def test_plot_rows():
    y, proba, classes = make_task(12, n=1000)
    rows = pr_curve_rows(y, proba, classes, max_points=50)
    for c in classes:
        n_rows = sum(r["class"] == c for r in rows)
        assert 2 <= n_rows <= 50
    cal = calibration_rows(y, proba, n_bins=10)
    assert sum(r["count"] for r in cal) == len(y) and all(r["count"] > 0 for r in cal)
    assert all(0 <= r["accuracy"] <= 1 and 0 < r["mean_confidence"] <= 1 for r in cal)
    recall_rows = per_class_recall_rows(np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1]), ["a", "b", "c"])
    assert recall_rows == [
        {"class": "a", "recall": 0.5, "support": 2},
        {"class": "b", "recall": 1.0, "support": 2},
        {"class": "c", "recall": 0.0, "support": 0},
    ]


def test_bad_inputs_raise_data_error():
    y, proba, classes = make_task(13, n=30)
    with pytest.raises(DataError, match="classes"):
        classification_metrics(y, proba, classes[:3])
    with pytest.raises(DataError, match="sum to 1"):
        classification_metrics(y, proba * 2, classes)
    with pytest.raises(DataError, match="0..3"):
        classification_metrics(y + 4, proba, classes)


def test_pr_curves_are_drawn_for_the_rarest_classes_when_there_are_many(tmp_path):
    """One small panel per class stays readable up to PR_PANELS: with more classes, the rarest in training."""
    from imbalance_lab.evaluation.metrics import PR_PANELS
    from imbalance_lab.evaluation.split_report import write_test_plots

    n = PR_PANELS + 4
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(n), 20)
    logits = rng.normal(size=(len(y), n)) + 2 * np.eye(n)[y]
    train_counts = np.arange(n)[::-1] * 10 + 5  # the last classes are the rarest
    classes = [f"c{i:02d}" for i in range(n)]
    write_test_plots(tmp_path, y, logits, classes, train_counts=train_counts)
    drawn = set(pd.read_csv(tmp_path / "pr.csv")["class"])
    assert drawn == set(classes[-PR_PANELS:])
    write_test_plots(tmp_path, y[y < 3], logits[y < 3][:, :3], classes[:3], train_counts=train_counts[:3])
    assert set(pd.read_csv(tmp_path / "pr.csv")["class"]) == set(classes[:3])  # few classes: every one
