import numpy as np
import pytest

from imbalance_lab.data.splitting import (
    cross_split_duplicates,
    duplicate_groups,
    stratified_folds,
    stratified_holdout,
    stratified_split,
)
from imbalance_lab.errors import DataError


def labels(counts):
    return np.repeat(np.arange(len(counts)), counts)


def test_split_is_stratified_disjoint_and_complete():
    y = labels([500, 100, 20])
    split = stratified_split(y, ["a", "b", "c"], test_size=0.2, val_size=0.1, seed=0)
    parts = [split.train, split.val, split.test]
    assert sum(len(p) for p in parts) == len(y)
    assert len(np.unique(np.concatenate(parts))) == len(y)
    assert np.bincount(y[split.test]).tolist() == [100, 20, 4]
    for part in parts:
        assert (np.bincount(y[part], minlength=3) > 0).all()


def test_same_seed_same_split_other_seed_other_split():
    y = labels([200, 50, 10])
    a = stratified_split(y, list("abc"), test_size=0.2, val_size=0.1, seed=1)
    b = stratified_split(y, list("abc"), test_size=0.2, val_size=0.1, seed=1)
    c = stratified_split(y, list("abc"), test_size=0.2, val_size=0.1, seed=2)
    assert np.array_equal(a.test, b.test) and not np.array_equal(a.test, c.test)


def test_class_too_small_for_every_split_is_named():
    with pytest.raises(DataError, match=r"class 'rare' has 5 rows; it needs at least 10"):
        stratified_split(labels([100, 5]), ["common", "rare"], test_size=0.2, val_size=0.1, seed=0)


def test_duplicates_are_found_across_splits():
    hashes = np.array([1, 2, 3, 1, 5, 6], dtype=np.uint64)
    assert duplicate_groups(hashes).tolist() == [True, True, True, False, True, True]
    from imbalance_lab.data.splitting import Split

    split = Split(train=np.array([0, 1]), val=np.array([2]), test=np.array([3, 4, 5]))
    assert cross_split_duplicates(hashes, split) == 1


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_stratified_holdout_draws_what_scikit_learn_draws(seed):
    from sklearn.model_selection import train_test_split

    rng = np.random.default_rng(seed)
    for n, k, size in [(50, 2, 0.2), (333, 6, 0.1), (1000, 9, 0.37), (77, 3, 0.5)]:
        y = rng.integers(0, k, size=n)
        y[:k] = np.arange(k)  # every class has rows
        y[k : 2 * k] = np.arange(k)
        positions = np.arange(100, 100 + n)
        ours = stratified_holdout(positions, y, size, seed)
        theirs = train_test_split(positions, test_size=size, stratify=y, random_state=seed)
        assert all(np.array_equal(a, b) for a, b in zip(ours, theirs, strict=True))


@pytest.mark.parametrize("seed", [0, 3])
@pytest.mark.parametrize("folds", [2, 5])
def test_stratified_folds_are_scikit_learns(seed, folds):
    from sklearn.model_selection import StratifiedKFold

    y = np.random.default_rng(seed).choice([4, 0, 2, 9], size=203, p=[0.5, 0.3, 0.15, 0.05])
    y[:20] = np.repeat([4, 0, 2, 9], 5)  # every class in every fold
    ours = stratified_folds(y, folds, seed)
    theirs = list(StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed).split(np.zeros(len(y)), y))
    assert len(ours) == len(theirs)
    for (fit_a, held_a), (fit_b, held_b) in zip(ours, theirs, strict=True):
        assert np.array_equal(fit_a, fit_b) and np.array_equal(held_a, held_b)


def test_stratified_holdout_refuses_what_scikit_learn_refuses():
    with pytest.raises(ValueError, match="least populated class has 1 member"):
        stratified_holdout(np.arange(6), np.array([0, 0, 0, 0, 0, 1]), 0.3, 0)
    with pytest.raises(ValueError, match="cannot hold all 3 classes"):
        stratified_holdout(np.arange(9), np.repeat([0, 1, 2], 3), 0.1, 0)
