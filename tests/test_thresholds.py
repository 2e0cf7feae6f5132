import numpy as np
import pytest
import scipy.special

from imbalance_lab.errors import ConfigError, DataError
from imbalance_lab.evaluation.metrics import decisions_metrics
from imbalance_lab.strategies.thresholds import BINARY, OBJECTIVES, THRESHOLD_METHODS, apply_biases
from tests.helpers import fit_biases

MULTICLASS_OBJECTIVES = sorted(name for name, entry in OBJECTIVES.items() if BINARY not in entry.traits)


def make_task(seed, n=300, priors=(0.6, 0.25, 0.1, 0.05), signal=1.2, minority_shift=0.0):
    """Imbalanced logits; the last class's logit is shifted by minority_shift (negative = too low)."""
    rng = np.random.default_rng(seed)
    k = len(priors)
    y = rng.choice(k, size=n, p=priors).astype(np.int64)
    logits = rng.normal(size=(n, k)) + signal * np.eye(k)[y]
    logits[:, -1] += minority_shift
    return logits, y, np.asarray(priors)


def score(metric, logits, y, b):
    return OBJECTIVES[metric](y, apply_biases(logits, b), logits.shape[1])


@pytest.mark.parametrize("metric", MULTICLASS_OBJECTIVES)
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize(
    ("method", "priors"), [("per_class_bias", (0.6, 0.25, 0.1, 0.05)), ("threshold_sweep", (0.85, 0.15))]
)
def test_fitted_biases_never_lower_the_objective(method, priors, metric, seed):
    logits, y, p = make_task(seed, priors=priors, minority_shift=-0.5 * seed)
    zero = score(metric, logits, y, np.zeros(len(p)))
    for regularization in (0.0, 0.01):
        b = fit_biases(method, logits, y, priors=p, metric=metric, regularization=regularization)
        assert b.shape == (len(p),) and b.dtype == np.float64
        assert score(metric, logits, y, b) >= zero - 1e-12


def test_none_returns_zeros():
    logits, y, p = make_task(0)
    assert np.array_equal(fit_biases("none", logits, y, priors=p), np.zeros(4))


def test_posthoc_tau_zero_changes_nothing():
    logits, y, p = make_task(1)
    b = fit_biases("posthoc_logit_adjustment", logits, y, priors=p, tau=0.0)
    assert np.array_equal(b, np.zeros(4)) and not np.signbit(b).any()
    assert np.array_equal(apply_biases(logits, b), logits.argmax(axis=1))


@pytest.mark.parametrize("tau", [0.5, 1.0, 2.0])
def test_posthoc_equals_minus_tau_log_prior(tau):
    logits, y, p = make_task(2)
    b = fit_biases("posthoc_logit_adjustment", logits, y, priors=p, tau=tau)
    assert np.allclose(b, -tau * np.log(p))


def test_posthoc_rejects_zero_prior():
    logits, y, _ = make_task(2)
    with pytest.raises(DataError, match="positive training class priors"):
        fit_biases("posthoc_logit_adjustment", logits, y, priors=np.array([0.5, 0.5, 0.0, 0.0]))


def test_per_class_bias_fixes_underpredicted_minority():
    logits, y, p = make_task(3, n=1000, signal=2.5, minority_shift=-3.0)
    before = decisions_metrics(y, logits.argmax(axis=1), 4)["macro_f1"]
    b = fit_biases("per_class_bias", logits, y, priors=p)
    after = decisions_metrics(y, apply_biases(logits, b), 4)["macro_f1"]
    assert after > before + 0.05
    assert b[3] - b[0] > 1.0  # minority pushed up relative to the majority class


def brute_force_best(metric, p1, y):
    """Best objective over every distinct split 'p1 >= t' of a binary score (plus 'predict none')."""
    splits = [np.zeros_like(y)] + [(p1 >= t).astype(np.int64) for t in np.unique(p1)]
    return max(OBJECTIVES[metric](y, pred, 2) for pred in splits)


@pytest.mark.parametrize("metric", MULTICLASS_OBJECTIVES)
@pytest.mark.parametrize("seed", [4, 5])
def test_threshold_sweep_matches_brute_force(metric, seed):
    logits, y, p = make_task(seed, n=40, priors=(0.75, 0.25), signal=0.8)
    b = fit_biases("threshold_sweep", logits, y, priors=p, metric=metric)
    assert b[0] == 0.0
    p1 = scipy.special.softmax(logits, axis=1)[:, 1]
    assert score(metric, logits, y, b) == pytest.approx(brute_force_best(metric, p1, y), abs=1e-12)


def test_threshold_sweep_ties_prefer_threshold_closest_to_half():
    y = np.array([0, 0, 1, 1])
    logit = scipy.special.logit
    separable = np.column_stack([np.zeros(4), logit([0.1, 0.2, 0.8, 0.9])])
    assert np.array_equal(fit_biases("threshold_sweep", separable, y, priors=None), [0.0, 0.0])
    low = np.column_stack([np.zeros(4), logit([0.1, 0.2, 0.3, 0.4])])
    b = fit_biases("threshold_sweep", low, y, priors=None)
    assert np.array_equal(apply_biases(low, b), y)
    assert b[1] == pytest.approx(-logit(0.3) + (logit(0.3) - logit(0.2)) / 2)  # midpoint nearest 0.5


def test_binary_threshold_is_a_bias():
    logits, _, _ = make_task(6, priors=(0.8, 0.2))
    p1 = scipy.special.softmax(logits, axis=1)[:, 1]
    for t in (0.2, 0.5, 0.7):
        pred = apply_biases(logits, [0.0, -scipy.special.logit(t)])
        assert np.array_equal(pred, (p1 > t).astype(np.int64))


def test_threshold_sweep_rejects_multiclass():
    logits, y, p = make_task(7)
    with pytest.raises(ConfigError, match="binary.*per_class_bias"):
        fit_biases("threshold_sweep", logits, y, priors=p)


def test_regularization_shrinks_biases():
    logits, y, p = make_task(8, n=600, signal=2.0, minority_shift=-2.0)
    free = fit_biases("per_class_bias", logits, y, priors=p, regularization=0.0)
    shrunk = fit_biases("per_class_bias", logits, y, priors=p, regularization=0.02)
    assert np.linalg.norm(free) > 0
    assert np.linalg.norm(shrunk) < np.linalg.norm(free)
    assert np.array_equal(fit_biases("per_class_bias", logits, y, priors=p, regularization=1e3), np.zeros(4))


def test_unknown_method_or_metric_lists_valid_names():
    logits, y, p = make_task(9)
    with pytest.raises(ConfigError, match="threshold.method") as err:
        fit_biases("platt", logits, y, priors=p)
    assert all(name in str(err.value) for name in THRESHOLD_METHODS)
    with pytest.raises(ConfigError, match="threshold.metric") as err:
        fit_biases("per_class_bias", logits, y, priors=p, metric="f2")
    assert all(name in str(err.value) for name in OBJECTIVES)


def test_bad_logits_and_params():
    logits, y, p = make_task(10)
    logits[5, 2] = np.nan
    with pytest.raises(DataError, match="NaN"):
        fit_biases("per_class_bias", logits, y, priors=p)
    with pytest.raises(ConfigError, match="tau"):
        fit_biases("posthoc_logit_adjustment", logits[:5], y[:5], priors=p, tau=-1.0)
    with pytest.raises(DataError, match="biases"):
        apply_biases(logits, [0.0, 1.0])


def test_deterministic():
    logits, y, p = make_task(11, minority_shift=-1.0)
    runs = [fit_biases("per_class_bias", logits, y, priors=p, metric="mcc", seed=s) for s in (0, 0, 1)]
    assert np.array_equal(runs[0], runs[1]) and np.array_equal(runs[0], runs[2])


def test_objectives_match_decisions_metrics():
    logits, y, _ = make_task(12)
    pred = logits.argmax(axis=1)
    d = decisions_metrics(y, pred, 4)
    assert {name: OBJECTIVES[name].run(y, pred, 4) for name in MULTICLASS_OBJECTIVES} == pytest.approx(d)


def test_class_scan_is_optimal_over_a_dense_grid():
    from imbalance_lab.strategies.thresholds import _scan

    logits, y, _ = make_task(13, n=200)
    b = np.random.default_rng(13).normal(size=4) * 0.3
    for k in range(4):
        best = b.copy()
        best[k] = _scan(logits, y, b, k, OBJECTIVES["macro_f1"].run, 0.0)
        grid = max(score("macro_f1", logits, y, np.where(np.arange(4) == k, v, b)) for v in np.linspace(-4, 4, 801))
        assert score("macro_f1", logits, y, best) >= grid - 1e-12


def test_candidate_cap_keeps_guarantee(monkeypatch):
    monkeypatch.setattr("imbalance_lab.strategies.thresholds.CELL_BUDGET", 16 * 16)  # 16 candidates per scan
    logits, y, p = make_task(14, n=500, minority_shift=-1.5)
    b = fit_biases("per_class_bias", logits, y, priors=p)
    assert score("macro_f1", logits, y, b) > score("macro_f1", logits, y, np.zeros(4))
