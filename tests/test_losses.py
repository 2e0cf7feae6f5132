import numpy as np
import pytest
import torch
import torch.nn.functional as F

from imbalance_lab.config import parse_section
from imbalance_lab.errors import ConfigError, DataError
from imbalance_lab.strategies.class_weights import weigh
from imbalance_lab.strategies.losses import LOSSES, make_loss
from imbalance_lab.task import MULTICLASS

COUNTS = np.array([100, 10, 1])
WEIGHTS = np.array([0.2, 0.8, 2.0])
PRIOR_LOG = torch.log(torch.tensor(COUNTS / COUNTS.sum(), dtype=torch.float32))


@pytest.fixture
def batch():
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(32, 3, generator=generator) * 3
    targets = torch.randint(0, 3, (32,), generator=generator)
    return logits, targets


def loss(name, weights=None, **kwargs):
    """make_loss with its train section read the way the stages read it (config validates)."""
    return make_loss(parse_section("train", {"loss": name, **kwargs}), class_counts=COUNTS, class_weights=weights)


@pytest.mark.parametrize("weights", [None, WEIGHTS])
def test_cross_entropy_matches_torch(batch, weights):
    w = None if weights is None else torch.tensor(weights, dtype=torch.float32)
    expected = F.cross_entropy(*batch, weight=w)
    torch.testing.assert_close(loss("cross_entropy", weights)(*batch), expected)


@pytest.mark.parametrize("weights", [None, WEIGHTS])
def test_focal_with_gamma_zero_is_cross_entropy(batch, weights):
    w = None if weights is None else torch.tensor(weights, dtype=torch.float32)
    expected = F.cross_entropy(*batch, weight=w)
    torch.testing.assert_close(loss("focal", weights, focal_gamma=0.0)(*batch), expected)


def test_focal_down_weights_easy_rows(batch):
    assert loss("focal", focal_gamma=2.0)(*batch) < loss("focal", focal_gamma=0.0)(*batch)


def test_logit_adjusted_with_tau_zero_is_cross_entropy(batch):
    torch.testing.assert_close(loss("logit_adjusted", la_tau=0.0)(*batch), F.cross_entropy(*batch))


def test_logit_adjusted_scales_the_log_prior(batch):
    logits, targets = batch
    expected = F.cross_entropy(logits + 0.5 * PRIOR_LOG, targets)
    torch.testing.assert_close(loss("logit_adjusted", la_tau=0.5)(*batch), expected)


def test_balanced_softmax_is_cross_entropy_on_logits_plus_log_prior(batch):
    logits, targets = batch
    expected = F.cross_entropy(logits + PRIOR_LOG, targets)
    torch.testing.assert_close(loss("balanced_softmax")(*batch), expected)


def test_ldam_margins_grow_as_classes_shrink():
    margins = loss("ldam", ldam_max_margin=0.5).margins
    assert margins[0] < margins[1] < margins[2]
    assert margins.max().item() == pytest.approx(0.5)
    # m_j proportional to n_j^(-1/4)
    torch.testing.assert_close(margins[1] / margins[0], torch.tensor(10**0.25, dtype=torch.float32))


def test_ldam_subtracts_the_margin_from_the_true_logit_then_scales(batch):
    logits, targets = batch
    module = loss("ldam", ldam_scale=2.0)
    adjusted = logits.clone()
    adjusted[torch.arange(len(targets)), targets] -= module.margins[targets]
    torch.testing.assert_close(module(*batch), F.cross_entropy(2.0 * adjusted, targets))


def test_ldam_defers_reweighting_until_drw_epoch(batch):
    module = loss("ldam", drw_epoch=5)
    before = module(*batch)
    module.set_epoch(4)
    torch.testing.assert_close(module(*batch), before)
    module.set_epoch(5)
    after = module(*batch)
    assert not torch.isclose(after, before)
    # default DRW weights: effective number with beta 0.9999 from the original counts
    expected_weights = weigh(COUNTS, "effective_number", 0.9999)
    torch.testing.assert_close(module.drw_weight, torch.tensor(expected_weights, dtype=torch.float32))


def test_ldam_uses_given_class_weights_for_drw():
    module = loss("ldam", WEIGHTS)
    torch.testing.assert_close(module.drw_weight, torch.tensor(WEIGHTS, dtype=torch.float32))


@pytest.mark.parametrize("weights", [None, WEIGHTS])
@pytest.mark.parametrize("name", LOSSES.for_task(MULTICLASS))
def test_gradients_finite_on_extreme_logits(name, weights):
    logits = torch.tensor([[1e4, -1e4, 0.0], [-1e4, 1e4, -1e4], [1e4, 1e4, -1e4], [-1e4, -1e4, 1e4]])
    logits.requires_grad_(True)
    targets = torch.tensor([0, 0, 2, 2])
    for gamma in (0.5, 2.0) if name == "focal" else (2.0,):
        module = loss(name, weights, focal_gamma=gamma, drw_epoch=1)
        for epoch in (0, 1):  # before and after LDAM's re-weighting
            module.set_epoch(epoch)
            logits.grad = None
            value = module(logits, targets)
            value.backward()
            assert value.ndim == 0 and torch.isfinite(value)
            assert torch.isfinite(logits.grad).all()


@pytest.mark.parametrize("name", LOSSES.for_task(MULTICLASS))
def test_constants_are_buffers_that_follow_to(name, batch):
    module = loss(name, WEIGHTS).to(torch.float64)
    assert all(buffer.dtype == torch.float64 for buffer in module.buffers())
    logits, targets = batch
    value = module(logits.double(), targets)
    assert value.dtype == torch.float64


def test_unknown_loss_lists_choices():
    choices = "balanced_softmax, cross_entropy, focal, ldam, logit_adjusted"
    with pytest.raises(ConfigError, match=f"train.loss.*{choices}"):
        loss("hinge")


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"focal_gamma": -1.0}, "train.focal_gamma"),
        ({"ldam_max_margin": 0.0}, "train.ldam_max_margin"),
        ({"ldam_scale": float("nan")}, "train.ldam_scale"),
        ({"drw_epoch": -1}, "train.drw_epoch"),
    ],
)
def test_bad_params_are_config_errors(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        loss("ldam", **kwargs)


def test_bad_counts_or_weights_are_data_errors():
    with pytest.raises(DataError, match="class_counts"):
        make_loss(parse_section("train", None), class_counts=np.array([5, 0, 2]), class_weights=None)
    with pytest.raises(DataError, match="need 3 finite weights > 0"):
        loss("cross_entropy", np.array([1.0, 1.0]))


def test_ldam_with_drw_epoch_zero_reweights_from_the_start(batch):
    module = loss("ldam", WEIGHTS, drw_epoch=0, ldam_scale=1.0)
    logits, targets = batch
    adjusted = logits.clone()
    adjusted[torch.arange(len(targets)), targets] -= module.margins[targets]
    expected = F.cross_entropy(adjusted, targets, weight=torch.tensor(WEIGHTS, dtype=torch.float32))
    torch.testing.assert_close(module(*batch), expected)
