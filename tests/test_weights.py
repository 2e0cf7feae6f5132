import numpy as np
import pytest

from imbalance_lab.config import parse_section
from imbalance_lab.errors import ConfigError, DataError
from imbalance_lab.strategies.class_weights import CLASS_WEIGHTS, class_weights, weigh
from imbalance_lab.task import MULTICLASS

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
    weights = weigh(COUNTS, method, 0.999)
    assert weights.dtype == np.float64 and weights.shape == (3,)
    np.testing.assert_allclose(weights, expected, rtol=1e-12)


def test_effective_number_hand_values():
    weights = weigh(COUNTS, "effective_number", 0.999)
    raw = np.array([0.001 / 0.09520785, 0.001 / 0.00995512, 1.0])
    np.testing.assert_allclose(weights, raw / raw.mean(), rtol=1e-6)


def test_effective_number_limits():
    near_one = weigh(COUNTS, "effective_number", 0.999999)
    np.testing.assert_allclose(near_one, weigh(COUNTS, "inverse", 0.999), rtol=1e-3)
    np.testing.assert_allclose(weigh(COUNTS, "effective_number", 0.0), [1.0, 1.0, 1.0])


@pytest.mark.parametrize("method", CLASS_WEIGHTS.for_task(MULTICLASS))
def test_weights_average_to_one_and_favour_small_classes(method):
    weights = weigh(np.array([500, 37, 4, 4]), method, 0.999)
    assert weights.mean() == pytest.approx(1.0)
    assert np.all(np.diff(weights) >= 0)  # never smaller for a smaller class


@pytest.mark.parametrize("beta", [1.0, -0.1, 1.5, "0.9"])
def test_beta_outside_unit_interval_is_a_config_error(beta):
    with pytest.raises(
        ConfigError, match=r"train.cb_beta: (.* out of range; allowed \[0.0, 0.999999999\]|expected a number)"
    ):
        parse_section("train", {"class_weight": "effective_number", "cb_beta": beta})


def test_class_weights_reads_the_train_section():
    assert class_weights(COUNTS, parse_section("train", {"class_weight": "none"})) is None
    train = parse_section("train", {"class_weight": "effective_number", "cb_beta": 0.99})
    np.testing.assert_array_equal(class_weights(COUNTS, train), weigh(COUNTS, "effective_number", 0.99))


def test_empty_class_is_a_data_error_naming_its_index():
    with pytest.raises(DataError, match="class index 1 has 0 training rows") as err:
        weigh(np.array([5, 0, 3]), "inverse", 0.999)
    assert "\n" not in str(err.value)


def test_unknown_method_lists_choices():
    choices = "effective_number, inverse, none, sqrt_inverse"
    with pytest.raises(ConfigError, match=f"train.class_weight.*{choices}"):
        weigh(COUNTS, "balanced", 0.999)
