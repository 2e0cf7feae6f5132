"""Out-of-fold logits for threshold fitting, and seed ensembles (train stage and cross-validation)."""

import numpy as np
import pytest
import torch

from imbalance_lab.config import EmbedParams, TrainParams, parse_params
from imbalance_lab.data.splitting import stratified_split
from imbalance_lab.errors import DataError
from imbalance_lab.evaluation.metrics import softmax
from imbalance_lab.models.crossval import cross_validate
from imbalance_lab.models.modelfile import ensemble_logits, member_logits, member_weights
from imbalance_lab.models.training import train_mlp
from imbalance_lab.pipeline.guards import check_oof_coverage
from imbalance_lab.task import Multiclass
from stages.train import member_seed
from tests.helpers import make_texts
from tests.test_config import raw_params

SMALL_TRAIN = TrainParams(hidden_dims=(16,), lr=0.01, batch_size=16, max_epochs=15, patience=4, threads=1)


@pytest.fixture(scope="module")
def task():
    """tfidf embeddings of the small text fixture, split like the pipeline splits it."""
    from imbalance_lab.data.datasets import encode_labels
    from imbalance_lab.features.embedding import embed_tfidf

    frame = make_texts({"weather": 150, "sports": 60, "finance": 20}, seed=3)
    y, classes = encode_labels(frame["label"], ())
    X = embed_tfidf(frame["text"].tolist(), EmbedParams(backend="tfidf", dim=16)).features
    split = stratified_split(y, classes, test_size=0.2, val_size=0.1, seed=0)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield X, y, classes, split
    torch.set_num_threads(threads)


def params_with(**sections):
    raw = raw_params()
    for section, values in sections.items():
        raw[section].update(values)
    return parse_params(raw)


def test_fit_on_defaults_to_out_of_fold():
    raw = raw_params()
    assert "fit_on" not in raw["threshold"]  # params.yaml leaves it at its default
    assert parse_params(raw).threshold.fit_on == "oof"


def test_oof_logits_cover_every_train_val_row_once_and_no_test_row(task):
    X, y, classes, split = task
    rows = np.sort(np.concatenate([split.train, split.val]))
    params = params_with(train={**vars(SMALL_TRAIN), "hidden_dims": [16]}, cv={"folds": 3})
    result = cross_validate(X[rows], y[rows], classes, params, task=Multiclass())
    assert result.oof_logits.shape == (len(rows), len(classes))
    assert set(result.fold_of_row.tolist()) == {0, 1, 2}
    assert (result.fold_of_row >= 0).all() and np.abs(result.oof_logits).sum(axis=1).min() > 0  # every row scored
    assert np.intersect1d(rows, split.test).size == 0
    check_oof_coverage(rows, result.fold_of_row, split.train, split.val, split.test)  # does not raise


def test_oof_coverage_check_refuses_test_rows_missing_and_repeated_rows(task):
    _, _, _, split = task
    rows = np.sort(np.concatenate([split.train, split.val]))
    folds = np.zeros(len(rows), dtype=int)
    with pytest.raises(DataError, match="holds test rows"):
        check_oof_coverage(np.append(rows, split.test[0]), np.append(folds, 0), split.train, split.val, split.test)
    with pytest.raises(DataError, match="exactly once"):
        check_oof_coverage(rows[1:], folds[1:], split.train, split.val, split.test)
    with pytest.raises(DataError, match="exactly once"):
        repeated = rows.copy()
        repeated[-1] = repeated[0]
        check_oof_coverage(repeated, folds, split.train, split.val, split.test)
    with pytest.raises(DataError, match="exactly once"):
        check_oof_coverage(rows, np.full(len(rows), -1), split.train, split.val, split.test)


def test_ensemble_log_loss_is_not_worse_than_the_mean_members(task):
    X, y, classes, split = task
    counts = np.bincount(y[split.train], minlength=len(classes))
    members = [
        member_weights(
            train_mlp(
                X[split.train],
                y[split.train],
                X[split.val],
                y[split.val],
                n_classes=len(classes),
                original_counts=counts,
                params=SMALL_TRAIN,
                seed=member_seed(0, m),
                task=Multiclass(),
            ).model
        )
        for m in range(3)
    ]
    X_test, y_test = X[split.test], y[split.test]
    logits = [member_logits(m, X_test) for m in members]
    assert not np.allclose(logits[0], logits[1]), "members with different seeds must differ"

    def log_loss(logits):
        return float(-np.log(softmax(logits)[np.arange(len(y_test)), y_test]).mean())

    ensemble = ensemble_logits(members, X_test, Multiclass())
    assert log_loss(ensemble) <= np.mean([log_loss(m) for m in logits]) + 1e-12
    np.testing.assert_allclose(softmax(ensemble), np.mean([softmax(m) for m in logits], axis=0), atol=1e-9)
    np.testing.assert_array_equal(ensemble_logits(members[:1], X_test, Multiclass()), logits[0])  # size 1 = that model


def test_cross_validation_trains_the_ensemble_in_every_fold(task):
    X, y, classes, split = task
    rows = np.sort(np.concatenate([split.train, split.val]))
    single = params_with(train={**vars(SMALL_TRAIN), "hidden_dims": [16]}, cv={"folds": 2})
    double = params_with(train={**vars(SMALL_TRAIN), "hidden_dims": [16], "ensemble_size": 2}, cv={"folds": 2})
    one = cross_validate(X[rows], y[rows], classes, single, task=Multiclass())
    two = cross_validate(X[rows], y[rows], classes, double, task=Multiclass())
    np.testing.assert_array_equal(one.fold_of_row, two.fold_of_row)  # same folds, member 0 = the single model
    assert not np.allclose(one.oof_logits, two.oof_logits)
    # ensemble OOF logits are log mean probabilities: rows sum to 1 after exp
    np.testing.assert_allclose(np.exp(two.oof_logits).sum(axis=1), 1.0, atol=1e-6)
    assert Multiclass().mean_logits([one.oof_logits]) is one.oof_logits


def test_ordinal_cv_reports_qwk_and_mae_per_fold(task):
    X, y, classes, split = task
    rows = np.sort(np.concatenate([split.train, split.val]))
    params = params_with(train={**vars(SMALL_TRAIN), "hidden_dims": [16]}, cv={"folds": 2}, data={"ordinal": True})
    result = cross_validate(X[rows], y[rows], classes, params, task=Multiclass(ordinal=True))
    assert len(result.per_fold["qwk"]) == 2 and len(result.per_fold["mae_class"]) == 2
    assert all(-1 <= v <= 1 for v in result.per_fold["qwk"])
    nominal = params_with(train={**vars(SMALL_TRAIN), "hidden_dims": [16], "max_epochs": 2}, cv={"folds": 2})
    assert "qwk" not in cross_validate(X[rows], y[rows], classes, nominal, task=Multiclass()).per_fold
