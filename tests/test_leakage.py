"""Leakage guards: the test split never reaches balance, train, threshold fitting or CV fitting; duplicates are
reported and split.dedupe removes them."""

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from imbalance_lab.config import PARAMS_FILE, load_params
from imbalance_lab.data.splitting import stratified_split
from imbalance_lab.models import crossval
from imbalance_lab.task import Multiclass
from tests.dvc_helpers import copy_ran_project, run_stage_here
from tests.helpers import ROOT, make_texts, set_params


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("counts", [[500, 100, 20], [60, 60], [300, 40, 12, 10]])
def test_test_split_is_disjoint_and_has_the_natural_class_distribution(counts, seed):
    y = np.repeat(np.arange(len(counts)), counts)
    split = stratified_split(y, [f"c{i}" for i in range(len(counts))], test_size=0.2, val_size=0.1, seed=seed)
    assert np.intersect1d(split.test, np.concatenate([split.train, split.val])).size == 0
    assert np.intersect1d(split.train, split.val).size == 0
    # stratified: each class's share of the test split is its share of the data, up to rounding one row
    expected = np.asarray(counts) * len(split.test) / len(y)
    assert np.all(np.abs(np.bincount(y[split.test], minlength=len(counts)) - expected) <= 1)


def test_cross_validation_resamples_and_early_stops_inside_the_training_fold_only(monkeypatch):
    """Spies on resample() and train_mlp(): no row of a fold's held-out part ever reaches either."""
    base = load_params(ROOT / PARAMS_FILE)
    params = replace(
        base,
        balance=replace(base.balance, method="random_over"),
        train=replace(base.train, hidden_dims=(8,), max_epochs=2, patience=1),
        cv=replace(base.cv, folds=4),
    )
    y = np.repeat([0, 1, 2], [60, 20, 12])
    row_id = np.arange(len(y), dtype=np.float32)
    X = np.column_stack([row_id, np.random.default_rng(0).normal(size=(len(y), 3))]).astype(np.float32)
    resampled, early_stop = [], []

    def spy_resample(X_fit, y_fit, balance, **kwargs):
        resampled.append(X_fit[:, 0].astype(int))
        return real_resample(X_fit, y_fit, balance, **kwargs)

    def spy_train(X_train, y_train, X_val, y_val, **kwargs):
        early_stop.append(X_val[:, 0].astype(int))
        assert set(X_train[:, 0].astype(int)) <= set(resampled[-1].tolist()), "trains on resampled fold rows only"
        return real_train(X_train, y_train, X_val, y_val, **kwargs)

    real_resample, real_train = crossval.resample, crossval.train_mlp
    monkeypatch.setattr(crossval, "resample", spy_resample)
    monkeypatch.setattr(crossval, "train_mlp", spy_train)
    result = crossval.cross_validate(X, y, ["a", "b", "c"], params, task=Multiclass())

    assert len(resampled) == len(early_stop) == 4
    for fold in range(4):
        held_out = np.flatnonzero(result.fold_of_row == fold)
        assert np.intersect1d(resampled[fold], held_out).size == 0
        assert np.intersect1d(early_stop[fold], held_out).size == 0
        assert np.intersect1d(resampled[fold], early_stop[fold]).size == 0
    assert (result.fold_of_row >= 0).all(), "every row is scored out of fold exactly once"


@pytest.mark.slow
def test_pipeline_artifacts_keep_the_test_split_out(ran_project):
    """What the stages wrote in a real `dvc repro`: test rows are disjoint from train/val by row id, balance
    and train saw only training rows, the OOF logits (threshold fit_on: oof) hold no test row."""
    indices = np.load(ran_project / "data/split/indices.npz")
    row_ids = np.load(ran_project / "data/embeddings/row_ids.npy")
    labels = np.load(ran_project / "data/embeddings/labels.npy")
    test_ids = set(row_ids[indices["test"]].tolist())
    assert not test_ids & set(row_ids[np.concatenate([indices["train"], indices["val"]])].tolist())
    expected = np.bincount(labels) * len(indices["test"]) / len(labels)
    assert np.all(np.abs(np.bincount(labels[indices["test"]]) - expected) <= 1)

    features = np.load(ran_project / "data/embeddings/features.npy")
    balanced = np.load(ran_project / "data/balanced/train.npz")
    as_rows = {row.tobytes() for row in features[indices["train"]]}
    assert all(row.tobytes() in as_rows for row in balanced["X"][~balanced["synthetic"]])
    assert np.intersect1d(np.load(ran_project / "data/cv/oof.npz")["rows"], indices["test"]).size == 0


@pytest.mark.slow
def test_duplicates_across_splits_are_counted_and_dedupe_removes_them(ran_project, tmp_path, monkeypatch, capsys):
    project = copy_ran_project(ran_project, tmp_path / "project")
    texts = make_texts({"weather": 120, "sports": 60, "finance": 30})
    repeats = texts.sample(40, random_state=0)  # 40 texts appear twice, same label
    pd.concat([texts, repeats]).to_csv(project / "texts.csv", index=False)
    assert run_stage_here(project, "embed", monkeypatch, capsys)[0] == 0

    code, stderr = run_stage_here(project, "split", monkeypatch, capsys)
    assert code == 0, stderr
    leaked = json.loads((project / "data/split/summary.json").read_text())["cross_split_duplicates"]
    assert leaked > 0
    assert f"[split] warning: {leaked} val/test rows repeat a text from an earlier split" in stderr

    set_params(project, split={"dedupe": True})
    code, stderr = run_stage_here(project, "split", monkeypatch, capsys)
    assert code == 0, stderr
    assert "[split] split.dedupe: dropped 40 rows repeating an earlier text" in stderr
    assert "warning" not in stderr
    indices = np.load(project / "data/split/indices.npz")
    hashes = np.load(project / "data/embeddings/text_hashes.npy")
    used = hashes[np.concatenate([indices["train"], indices["val"], indices["test"]])]
    assert len(used) == len(texts) == len(np.unique(used))
    assert json.loads((project / "data/split/summary.json").read_text())["cross_split_duplicates"] == 0
