"""Library-level checks behind the bad-input messages, atomic writes and the stage runner (fast, in-process)."""

import os
import signal
import stat
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import yaml

from imbalance_lab.config import PARAMS_FILE, load_params, parse_params
from imbalance_lab.data.datasets import check_distinct_rows, read_user_table
from imbalance_lab.data.splitting import check_folds, rows_needed
from imbalance_lab.errors import ConfigError, DataError
from imbalance_lab.models.modelfile import check_compatible, load_model, save_model
from imbalance_lab.pipeline import artifacts
from imbalance_lab.pipeline.guards import check_balanced_rows
from imbalance_lab.pipeline.stage import EXIT_INTERRUPTED, EXIT_USER_ERROR, declared_outputs, pipeline_order, run_stage
from imbalance_lab.task import Multiclass
from tests.helpers import ROOT


def raw_params(**sections) -> dict:
    raw = yaml.safe_load((ROOT / PARAMS_FILE).read_text())
    for name, values in sections.items():
        raw[name].update(values)
    return raw


@pytest.mark.parametrize(
    ("sections", "message"),
    [
        ({"split": {"test_size": 0.6, "val_size": 0.4}}, "split.test_size + split.val_size must be below 1"),
        ({"split": {"test_size": 0.7, "val_size": 0.5}}, "(got 0.7 + 0.5); the rest is the training split"),
        (
            {"train": {"hidden_dims": "64,32"}},
            "train.hidden_dims: expected a list of positive integers, e.g. [256, 128], or [] for a linear head; "
            "got '64,32'",
        ),
        ({"train": {"hidden_dims": [64, 1.5]}}, "expected a list of positive integers, e.g. [256, 128]"),
        ({"train": {"hidden_dims": [True]}}, "expected a list of positive integers"),
        ({"train": {"lr": -0.1}}, "train.lr: -0.1 is out of range; allowed (0.0, inf)"),
        ({"split": {"test_size": 0}}, "split.test_size: 0.0 is out of range; allowed (0.0, 1.0)"),
    ],
)
def test_params_errors_are_one_line(sections, message):
    with pytest.raises(ConfigError) as error:
        parse_params(raw_params(**sections))
    assert message in str(error.value) and "\n" not in str(error.value)


def test_non_utf8_error_gives_line_and_offset(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(b"text,label\n" + b"x,a\n" * 5000 + "na\xefve,b\n".encode("latin-1"))
    with pytest.raises(DataError) as error:
        read_user_table(path)
    assert f"byte 0xef on line 5002, offset {11 + 4 * 5000 + 2}" in str(error.value)


def test_fewer_distinct_texts_than_classes_is_refused():
    with pytest.raises(DataError, match="the 60 rows hold only 1 distinct text for 2 classes"):
        check_distinct_rows(1, 60, 2, "t.csv", "text", "check data.text_column")
    check_distinct_rows(2, 60, 2, "t.csv", "text", "")  # two texts can still separate two classes


def test_fold_check_names_the_class_its_count_and_a_fold_count_that_works():
    y = np.repeat([0, 1], [50, 7])
    with pytest.raises(
        DataError,
        match=r"1 class\(es\) have fewer than 10 rows in train\+val, which cv.folds=10 needs .*'rare' \(7\); "
        r"lower cv.folds to at most 7",
    ):
        check_folds(y, ["common", "rare"], 10)
    check_folds(y, ["common", "rare"], 7)
    # 3 rows and 2 folds: a held-out fold takes 2, leaving 1 to train on; 3 folds leave 2
    with pytest.raises(DataError, match="use cv.folds=3"):
        check_folds(np.repeat([0, 1], [50, 3]), ["common", "rare"], 2)
    assert [rows_needed(k) for k in (2, 3, 5)] == [4, 3, 5]


def test_fold_check_lists_every_short_class_in_one_line():
    y = np.concatenate([np.zeros(100, dtype=int), np.repeat(np.arange(1, 31), 3)])  # 30 classes of 3 rows
    names = ["big", *(f"c{i}" for i in range(1, 31))]
    with pytest.raises(
        DataError,
        match=r"30 class\(es\) have fewer than 5 rows .*'c1' \(3\), 'c2' \(3\).*'c30' \(3\); "
        r"lower cv.folds to at most 3, or add rows",
    ) as err:
        check_folds(y, names, 5)
    assert "\n" not in str(err.value)


def test_resampler_failure_inside_a_fold_names_the_fold(monkeypatch):
    from imbalance_lab.models import crossval

    base = load_params(ROOT / PARAMS_FILE)
    params = replace(base, balance=replace(base.balance, method="smote"), cv=replace(base.cv, folds=2))
    y = np.repeat([0, 1], [40, 4])
    X = np.random.default_rng(0).normal(size=(len(y), 4)).astype(np.float32)

    def one_row_left(X, y, method, **_):
        raise DataError("smote: class 'rare' has 1 training row, nothing to interpolate with")

    monkeypatch.setattr(crossval, "resample", one_row_left)
    with pytest.raises(DataError, match=r"^cv fold 1/2: smote: class 'rare' has 1 training row"):
        crossval.cross_validate(X, y, ["common", "rare"], params, task=Multiclass())


def test_atomic_write_keeps_the_old_file_and_no_temp_file_on_failure(tmp_path, monkeypatch):
    target = tmp_path / "metrics.json"
    artifacts.write_json(target, {"macro_f1": 0.5})

    def crash(*_):
        raise KeyboardInterrupt

    monkeypatch.setattr(artifacts.os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        artifacts.write_json(target, {"macro_f1": 0.9})
    assert target.read_text() == '{\n  "macro_f1": 0.5\n}\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["metrics.json"]


def test_written_files_get_the_usual_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        artifacts.write_json(tmp_path / "m.json", {})
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "m.json").stat().st_mode) == 0o644  # mkstemp alone gives 0600


def dvc_yaml(tmp_path):
    spec = {
        "stages": {
            "train": {"cmd": "x", "outs": ["models/model.safetensors"], "plots": [{"plots/train": {"cache": False}}]}
        }
    }
    (tmp_path / "dvc.yaml").write_text(yaml.safe_dump(spec))
    (tmp_path / "models").mkdir()
    (tmp_path / "models/model.safetensors").write_text("old")
    (tmp_path / "plots/train").mkdir(parents=True)
    (tmp_path / "plots/train/curves.csv").write_text("old")


@pytest.mark.parametrize(
    ("raised", "code", "message"),
    [
        (
            DataError("class 'x' has 2 rows"),
            EXIT_USER_ERROR,
            "error: train: class 'x' has 2 rows (its outputs were removed; back to the last commit: "
            "`git checkout HEAD -- params.yaml plots && dvc checkout`)\n",  # plots/train is kept in git
        ),
        (KeyboardInterrupt(), EXIT_INTERRUPTED, "error: train: interrupted; outputs removed, run `dvc repro` again\n"),
    ],
)
def test_run_stage_removes_every_declared_output(tmp_path, monkeypatch, capsys, raised, code, message):
    monkeypatch.chdir(tmp_path)
    dvc_yaml(tmp_path)
    assert declared_outputs("train") == [Path("models/model.safetensors"), Path("plots/train")]

    def main():
        raise raised

    with pytest.raises(SystemExit) as exit_:
        run_stage("train", main, outputs=["models/model.safetensors"])
    assert exit_.value.code == code
    assert capsys.readouterr().err == message
    assert not (tmp_path / "models/model.safetensors").exists() and not (tmp_path / "plots/train").exists()


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # the swallowed one
def test_a_ctrl_c_python_swallows_in_a_destructor_still_stops_the_stage(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    dvc_yaml(tmp_path)
    # Ctrl-C as in a terminal: a background job (CI's runner) inherits SIGINT ignored, and stages keep it so
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)

    class ProgressBar:  # tqdm's __del__, where the CI run's Ctrl-C once landed
        def __del__(self):
            os.kill(os.getpid(), signal.SIGINT)

    def main():
        ProgressBar()  # the KeyboardInterrupt is printed as "Exception ignored" and lost
        (tmp_path / "models/model.safetensors").write_text("new")

    try:
        with pytest.raises(SystemExit) as exit_:
            run_stage("train", main, outputs=["models/model.safetensors"])
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # the stage's handler is gone
    finally:
        signal.signal(signal.SIGINT, previous)
    assert exit_.value.code == EXIT_INTERRUPTED
    assert capsys.readouterr().err.endswith("error: train: interrupted; outputs removed, run `dvc repro` again\n")
    assert not (tmp_path / "models/model.safetensors").exists()


def test_model_file_checks(tmp_path):
    meta = {"classes": ["a", "b"], "input_dim": 4}
    check_compatible(meta, ["a", "b"], 4, "m.pt")
    with pytest.raises(DataError, match=r"m.pt was trained on classes \['a', 'b'\] but the data has \['b', 'a'\]"):
        check_compatible(meta, ["b", "a"], 4, "m.pt")
    with pytest.raises(DataError, match="m.pt expects 4 features but the data has 8"):
        check_compatible(meta, ["a", "b"], 8, "m.pt")
    buffer = tmp_path / "model.safetensors"
    save_model(buffer, [[(np.ones((2, 4), np.float32), np.zeros(2, np.float32))]], meta)
    buffer.write_bytes(buffer.read_bytes()[:40])  # truncated, as a copy cut short would be
    with pytest.raises(DataError, match="model.safetensors: not a model file written by train"):
        load_model(buffer)


def test_a_model_file_is_loaded_by_its_kind(tmp_path):
    from imbalance_lab.models.model_kinds import load_for_new_rows

    layer = [(np.eye(2, 3, dtype=np.float32), np.array([0.5, -0.5], np.float32))]
    embedding = {"embed_params": {"backend": "features"}, "feature_columns": ["f0", "f1", "f2"]}
    meta = {"classes": ["a", "b"], "input_dim": 3, "embedding": embedding}
    for kind in ({}, {"kind": "mlp"}):  # a file written before kinds existed holds an MLP
        save_model(tmp_path / "m.safetensors", [layer], {**meta, **kind})
        model = load_for_new_rows(tmp_path / "m.safetensors")
        assert model.kind == "mlp" and model.classes == ["a", "b"]
        np.testing.assert_allclose(model.logits(np.array([[1.0, 2.0, 3.0]], np.float32)), [[1.5, 1.5]])
        with pytest.raises(DataError, match="expects 3 features but the data has 2"):
            model.logits(np.ones((1, 2), np.float32))
    save_model(tmp_path / "m.safetensors", [layer], {**meta, "kind": "gradient_boosting"})
    with pytest.raises(DataError, match="a model of kind 'gradient_boosting', which this version cannot load"):
        load_for_new_rows(tmp_path / "m.safetensors")


def test_train_encoder_names_a_model_kind_and_each_kind_has_every_part():
    from imbalance_lab.config import parse_params
    from imbalance_lab.models.model_kinds import LOADERS, MODEL_KINDS

    assert set(MODEL_KINDS) == {"frozen", "finetune"} and len(LOADERS) == len(MODEL_KINDS)
    for name, kind in MODEL_KINDS.items():
        assert kind.encoder == name and kind.summary
        assert all(callable(f) for f in (kind.train, kind.fold_model, kind.split_logits, kind.load))
    with pytest.raises(ConfigError, match="train.encoder.*finetune, frozen"):
        parse_params({"train": {"encoder": "lora"}})
    with pytest.raises(ConfigError, match="train.encoder: finetune trains the sentence model"):
        parse_params({"train": {"encoder": "finetune"}, "embed": {"backend": "tfidf"}})


def test_balanced_rows_must_come_from_the_training_split():
    rng = np.random.default_rng(0)
    X_train, X_val = rng.normal(size=(20, 3)).astype(np.float32), rng.normal(size=(5, 3)).astype(np.float32)
    mixed = (X_train[:2] + X_train[2:4]) / 2
    X_balanced = np.concatenate([X_train, X_train[:3], mixed])  # copies and synthetic rows are fine
    synthetic = np.r_[np.zeros(23, bool), np.ones(2, bool)]
    check_balanced_rows(X_balanced, synthetic, X_train, "train.npz")
    with pytest.raises(DataError, match="train.npz: 2 rows are neither synthetic nor rows of the current training"):
        check_balanced_rows(
            np.concatenate([X_balanced, X_val[:2]]), np.r_[synthetic, False, False], X_train, "train.npz"
        )


def test_many_classes_are_told_to_raise_the_early_stopping_share_not_to_lower_folds():
    from dataclasses import replace

    from imbalance_lab.config import PARAMS_FILE, load_params
    from imbalance_lab.models import crossval
    from tests.helpers import ROOT

    base = load_params(ROOT / PARAMS_FILE)
    params = replace(base, cv=replace(base.cv, folds=2))
    y = np.repeat(np.arange(30), 6)  # 30 classes: a fold's early-stopping share (12.5%) holds 11 rows
    X = np.random.default_rng(0).normal(size=(len(y), 4)).astype(np.float32)
    with pytest.raises(DataError, match=r"cannot hold all 30 classes; raise split.val_size .* or merge rare classes"):
        crossval.cross_validate(X, y, [f"c{i}" for i in range(30)], params, task=Multiclass())


def test_the_pipeline_order_is_read_from_dvc_yaml(tmp_path):
    """dvc.yaml is the one list of stages: a stage comes after every stage whose output it reads."""
    order = [name for name, _ in pipeline_order(ROOT / "dvc.yaml")]
    assert order[0] == "embed" and set(order) == set(yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"])
    assert order.index("train") < order.index("evaluate") and order.index("cross-validate") < order.index(
        "threshold-tune"
    )
    assert dict(pipeline_order(ROOT / "dvc.yaml"))["threshold-tune"] == "threshold_tune"  # its module
    looped = {"stages": {"a": {"cmd": "python -m stages.a", "deps": ["y"], "outs": ["x"]},
                         "b": {"cmd": "python -m stages.b", "deps": ["x"], "outs": ["y"]}}}  # fmt: skip
    (tmp_path / "dvc.yaml").write_text(yaml.safe_dump(looped))
    with pytest.raises(ValueError, match="cycle"):
        pipeline_order(tmp_path / "dvc.yaml")
