import numpy as np
import pytest

from imbalance_lab.errors import ConfigError, DataError
from imbalance_lab.weights import CLASS_WEIGHTS, class_weights

COUNTS = np.array([100, 10, 1])


def normalised(values) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    return values / values.mean()


@pytest.mark.parametrize(
    "method, expected",
    [
        ("none", [1.0, 1.0, 1.0]),
        ("inverse", normalised([1 / 100, 1 / 10, 1.0])),
        ("sqrt_inverse", normalised([1 / 10, 1 / np.sqrt(10), 1.0])),
        # (1 - 0.999) / (1 - 0.999**n) by hand: n=100 -> 0.001/0.0952, n=10 -> 0.001/0.00996, n=1 -> 1
        ("effective_number", normalised([0.001 / (1 - 0.999**100), 0.001 / (1 - 0.999**10), 1.0])),
    ],
)
def test_formulas_on_hand_computed_counts(method, expected):
    weights = class_weights(COUNTS, method, beta=0.999)
    assert weights.dtype == np.float64 and weights.shape == (3,)
    np.testing.assert_allclose(weights, expected, rtol=1e-12)


def test_effective_number_hand_values():
    weights = class_weights(COUNTS, "effective_number", beta=0.999)
    raw = np.array([0.001 / 0.09520785, 0.001 / 0.00995512, 1.0])
    np.testing.assert_allclose(weights, raw / raw.mean(), rtol=1e-6)


def test_effective_number_limits():
    near_one = class_weights(COUNTS, "effective_number", beta=0.999999)
    np.testing.assert_allclose(near_one, class_weights(COUNTS, "inverse"), rtol=1e-3)
    np.testing.assert_allclose(class_weights(COUNTS, "effective_number", beta=0.0), [1.0, 1.0, 1.0])


@pytest.mark.parametrize("method", sorted(CLASS_WEIGHTS))
def test_weights_average_to_one_and_favour_small_classes(method):
    weights = class_weights(np.array([500, 37, 4, 4]), method)
    assert weights.mean() == pytest.approx(1.0)
    assert np.all(np.diff(weights) >= 0)  # never smaller for a smaller class


@pytest.mark.parametrize("beta", [1.0, -0.1, 1.5, "0.9"])
def test_beta_outside_unit_interval_is_a_config_error(beta):
    with pytest.raises(ConfigError, match=r"train.cb_beta: must be a number in \[0, 1\)"):
        class_weights(COUNTS, "effective_number", beta=beta)


def test_empty_class_is_a_data_error_naming_its_index():
    with pytest.raises(DataError, match="class index 1 has 0 training rows") as err:
        class_weights(np.array([5, 0, 3]), "inverse")
    assert "\n" not in str(err.value)


def test_unknown_method_lists_choices():
    choices = "effective_number, inverse, none, sqrt_inverse"
    with pytest.raises(ConfigError, match=f"train.class_weight.*{choices}"):
        class_weights(COUNTS, "balanced")
