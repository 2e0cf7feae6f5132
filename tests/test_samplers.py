import numpy as np
import pytest
import torch

from imbalance_lab.config import parse_section
from imbalance_lab.errors import ConfigError, DataError
from imbalance_lab.strategies.samplers import SAMPLERS, epoch_batches
from imbalance_lab.task import MULTICLASS

Y = np.repeat(np.arange(3), [90, 9, 1])  # 90/9/1


def train_section(name, batch_size=16):
    return parse_section("train", {"sampler": name, "batch_size": batch_size})


def batches(name, y=Y, batch_size=16, seed=0):
    return epoch_batches(y, train_section(name, batch_size), torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("name", SAMPLERS.for_task(MULTICLASS))
def test_batches_are_int64_indices_in_range(name):
    out = batches(name)
    assert out and all(b.dtype == torch.int64 and b.ndim == 1 and len(b) <= 16 for b in out)
    flat = torch.cat(out)
    assert flat.min() >= 0 and flat.max() < len(Y)


@pytest.mark.parametrize("name", SAMPLERS.for_task(MULTICLASS))
def test_same_seed_same_batches_other_seed_differs(name):
    first, again, other = batches(name, seed=3), batches(name, seed=3), batches(name, seed=4)
    assert len(first) == len(again) and all(torch.equal(a, b) for a, b in zip(first, again, strict=True))
    assert not torch.equal(torch.cat(first), torch.cat(other))


def test_shuffle_epoch_is_a_permutation_in_full_batches():
    out = batches("shuffle")
    assert [len(b) for b in out] == [16] * 6 + [4]
    assert sorted(torch.cat(out).tolist()) == list(range(len(Y)))


def test_weighted_sampler_draws_classes_uniformly_over_many_epochs():
    generator = torch.Generator().manual_seed(0)
    drawn = [torch.cat(epoch_batches(Y, train_section("weighted", 16), generator)) for _ in range(200)]
    labels = Y[torch.cat(drawn).numpy()]
    assert len(labels) == 200 * len(Y)  # num_samples = len(y) per epoch
    frequencies = np.bincount(labels, minlength=3) / len(labels)
    np.testing.assert_allclose(frequencies, [1 / 3] * 3, atol=0.03)


def test_class_balanced_batches_hold_every_class_equally():
    out = batches("class_balanced", batch_size=16)
    assert len(out) == 7  # ceil(100 / 16)
    for batch in out:
        assert np.bincount(Y[batch.numpy()], minlength=3).tolist() == [5, 5, 5]  # 16 // 3 each


def test_class_balanced_cycles_through_each_class_before_repeating():
    y = np.repeat(np.arange(2), [50, 10])
    flat = torch.cat(batches("class_balanced", y=y, batch_size=10)).numpy()
    small = flat[y[flat] == 1]  # 6 batches x 5 rows = 30 draws of the 10-row class
    for start in range(0, 30, 10):
        assert sorted(small[start : start + 10].tolist()) == list(range(50, 60))


def test_class_balanced_needs_a_batch_per_class():
    with pytest.raises(ConfigError, match="train.batch_size: 2 is below the number of classes K=3"):
        batches("class_balanced", batch_size=2)


def test_bad_inputs():
    with pytest.raises(ConfigError, match="train.sampler.*class_balanced, shuffle, weighted"):
        batches("random")
    with pytest.raises(ConfigError, match="train.batch_size"):
        batches("shuffle", batch_size=0)
    with pytest.raises(DataError, match="class codes"):
        batches("shuffle", y=np.array([], dtype=np.int64))
