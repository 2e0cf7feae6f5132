"""Scoring a new file: reading it, unseen labels, EM prior estimation and prior-shift correction."""

import numpy as np
import pandas as pd
import pytest

from imbalance_lab.config import DataParams
from imbalance_lab.data.rows import text_hashes
from imbalance_lab.errors import ConfigError, DataError
from imbalance_lab.models.scoring import (
    em_priors,
    encode_known_labels,
    read_new_rows,
    reweight_posteriors,
    rows_seen_in_training,
    source_priors,
    total_variation,
)
from imbalance_lab.pipeline import paths

MEANS = np.array([-2.0, 0.0, 2.0])  # three 1-D Gaussian classes, unit variance: exact posteriors are known


def gaussian_task(priors, n, seed, source_priors):
    """n rows drawn with class priors `priors`; posteriors exact for a model calibrated to `source_priors`."""
    rng = np.random.default_rng(seed)
    y = rng.choice(len(MEANS), size=n, p=priors)
    x = rng.normal(MEANS[y], 1.0)
    likelihood = np.exp(-0.5 * (x[:, None] - MEANS[None, :]) ** 2)
    joint = likelihood * np.asarray(source_priors)
    return y, joint / joint.sum(axis=1, keepdims=True)


SOURCE = np.array([0.6, 0.3, 0.1])


@pytest.mark.parametrize("target", [(0.2, 0.3, 0.5), (0.05, 0.15, 0.8), (0.6, 0.3, 0.1)])
def test_em_recovers_a_known_prior_shift(target):
    _, proba = gaussian_task(target, 20_000, seed=1, source_priors=SOURCE)
    estimate, iterations = em_priors(proba, SOURCE)
    assert np.abs(estimate - np.asarray(target)).max() < 0.02, estimate
    assert estimate.sum() == pytest.approx(1.0)
    assert iterations > 1 or np.allclose(target, SOURCE)
    # the naive estimate (mean posterior, no EM) is visibly worse under a real shift
    if not np.allclose(target, SOURCE):
        assert total_variation(proba.mean(axis=0), target) > 2 * total_variation(estimate, target)


def test_correction_with_true_priors_improves_log_loss_under_shift():
    target = np.array([0.1, 0.2, 0.7])
    y, proba = gaussian_task(target, 20_000, seed=2, source_priors=SOURCE)
    corrected = reweight_posteriors(proba, SOURCE, target)
    idx = np.arange(len(y))
    assert -np.log(corrected[idx, y]).mean() < -np.log(proba[idx, y]).mean() - 0.05
    np.testing.assert_allclose(reweight_posteriors(proba, SOURCE, SOURCE), proba, atol=1e-12)


def test_source_priors_follow_what_the_model_was_fitted_on():
    meta = {
        "train_class_counts": [80, 20],
        "fit_class_counts": [80, 80],  # random oversampling balanced the classes
        "params": {"train": {"sampler": "shuffle", "loss": "cross_entropy", "class_weight": "none"}},
    }
    priors, warnings = source_priors(meta)
    np.testing.assert_allclose(priors, [0.5, 0.5])
    assert warnings == []
    meta["fit_class_counts"] = [80, 20]
    meta["params"]["train"].update(sampler="class_balanced")
    np.testing.assert_allclose(source_priors(meta)[0], [0.5, 0.5])
    meta["params"]["train"].update(sampler="shuffle", loss="focal")
    priors, warnings = source_priors(meta)
    np.testing.assert_allclose(priors, [0.8, 0.2])
    assert "approximate" in warnings[0]


def test_unseen_labels_are_refused_by_name():
    with pytest.raises(DataError) as error:
        encode_known_labels(pd.Series(["a", "b", "z", "z", "y"]), ["a", "b", "c"], "new.csv")
    message = str(error.value)
    assert "labels the model never saw: 'y' (1 rows), 'z' (2 rows)" in message
    assert "the model knows a, b, c" in message and "\n" not in message
    codes, notes = encode_known_labels(pd.Series([2, 0, 2]), ["0", "1", "2"], "new.csv")  # int labels match names
    assert codes.tolist() == [2, 0, 2] and notes == []


def test_labels_of_rare_classes_follow_what_split_did_at_training():
    labels = pd.Series(["a", "tiny", "b", "tiny", "rare2"])
    merged = {"action": "merge_into_other", "classes": {"tiny": 4, "rare2": 3}}
    codes, notes = encode_known_labels(labels, ["a", "b", "other"], "new.csv", merged)
    assert codes.tolist() == [0, 2, 1, 2, 2]
    assert notes == ["3 rows of classes merged into 'other' at training (split.min_class_count)"]
    dropped = {"action": "drop", "classes": {"tiny": 4, "rare2": 3}}
    with pytest.raises(
        DataError,
        match=r"trained without classes split.min_class_count dropped: 'rare2' \(1 rows\), "
        r"'tiny' \(2 rows\); drop those rows",
    ):
        encode_known_labels(labels, ["a", "b"], "new.csv", dropped)


def test_read_new_rows_with_and_without_labels(tmp_path):
    data = DataParams(source="texts.csv", text_column="body", label_column="grade")
    path = tmp_path / "new.csv"
    pd.DataFrame({"body": ["one", "  ", "three"], "grade": ["a", "b", None]}).to_csv(path, index=False)
    rows = read_new_rows(str(path), data, backend="tfidf", feature_columns=[], label_column="grade")
    assert rows.labelled and rows.frame.index.tolist() == [0]  # empty text and missing label dropped
    assert list(rows.frame.columns) == ["text", "label"]
    pd.DataFrame({"body": ["one", "two"]}).to_csv(path, index=False)
    rows = read_new_rows(str(path), data, backend="tfidf", feature_columns=[], label_column="grade")
    assert not rows.labelled and rows.frame["text"].tolist() == ["one", "two"]
    assert "predictions only" in rows.notes[0]
    pd.DataFrame({"text": ["one"]}).to_csv(path, index=False)
    with pytest.raises(DataError, match="no column 'body'"):
        read_new_rows(str(path), data, backend="tfidf", feature_columns=[], label_column="grade")


def test_score_source_must_be_set_and_a_user_file():
    data = DataParams()
    with pytest.raises(ConfigError, match="no file to score: pass --source FILE or set score.source"):
        read_new_rows("", data, backend="tfidf", feature_columns=[], label_column="label")
    with pytest.raises(ConfigError, match="not one of .csv, .parquet, .jsonl"):
        read_new_rows("datasets/trec6.yaml", data, backend="tfidf", feature_columns=[], label_column="label")


def test_tfidf_pipeline_is_persisted_and_reapplied_without_refitting(tmp_path):
    from imbalance_lab.config import EmbedParams
    from imbalance_lab.features.embedding import embed_table, load_fitted, reembed_table, save_fitted
    from tests.helpers import make_texts

    train = make_texts({"weather": 60, "sports": 30}, seed=0)
    settings = EmbedParams(backend="tfidf", dim=16)
    embedded = embed_table(train, settings)
    save_fitted(tmp_path / "tfidf.npz", embedded.fitted)
    fitted = load_fitted(tmp_path / "tfidf.npz")
    again = reembed_table(train, settings, fitted, [])
    np.testing.assert_allclose(again.features, embedded.features, atol=1e-6)  # same function on training rows
    new = make_texts({"weather": 5, "finance": 5}, seed=9)  # new rows, some unseen words
    features = reembed_table(new, settings, fitted, []).features
    assert features.shape == (10, embedded.features.shape[1])
    refit = embed_table(new, EmbedParams(backend="tfidf", dim=embedded.features.shape[1])).features
    assert not np.allclose(features[:, : refit.shape[1]], refit, atol=1e-3)  # refitting would give other axes
    with pytest.raises(DataError, match="run dvc repro embed"):
        reembed_table(new, settings, None, [])


def test_features_backend_reads_the_training_columns_in_training_order(tmp_path):
    from imbalance_lab.config import EmbedParams
    from imbalance_lab.features.embedding import reembed_table

    path = tmp_path / "new.parquet"
    pd.DataFrame({"b": [1.0, 2.0], "extra": [9, 9], "a": [3.0, None], "label": ["x", "y"]}).to_parquet(path)
    rows = read_new_rows(str(path), DataParams(), backend="features", feature_columns=["a", "b"], label_column="label")
    assert rows.frame.index.tolist() == [0]  # the row with a missing feature value is dropped (and noted)
    features = reembed_table(rows.frame, EmbedParams(backend="features"), None, ["a", "b"]).features
    np.testing.assert_array_equal(features, [[3.0, 1.0]])
    with pytest.raises(DataError, match="no column 'c'"):
        read_new_rows(str(path), DataParams(), backend="features", feature_columns=["a", "c"], label_column="label")


def test_scoring_rows_of_the_training_split_is_counted(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    texts = ["a cat", "a dog", "a cow", "a hen"]
    paths.EMBEDDINGS.mkdir(parents=True)
    paths.SPLIT.mkdir(parents=True)
    np.save(paths.TEXT_HASHES, text_hashes(texts))
    np.savez(paths.SPLIT_INDICES, train=np.array([0, 1]), val=np.array([2]), test=np.array([3]))
    new = pd.DataFrame({"text": [" a cat ", "a cow", "a fox", "a dog"]})  # 2 training texts (one with spaces)
    assert rows_seen_in_training(new, np.zeros((4, 2), np.float32), "sentence-transformers") == 2
    X = np.array([[1, 2], [3, 4]], np.float32)
    np.save(paths.TEXT_HASHES, text_hashes([row.tobytes() for row in X]))
    np.savez(paths.SPLIT_INDICES, train=np.array([1]), val=np.array([], int), test=np.array([0]))
    assert rows_seen_in_training(None, np.array([[3, 4], [3, 4], [1, 2]], np.float64), "features") == 2
