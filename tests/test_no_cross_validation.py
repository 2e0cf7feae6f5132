"""cv.folds 0: no cross-validation work, thresholds fitted on the validation split, oof refused with the fix."""

import json

import pytest

from imbalance_lab.config import parse_params
from imbalance_lab.errors import ConfigError
from tests.helpers import make_text_project, run, set_params


def test_no_folds_fits_thresholds_on_val_unless_oof_is_asked_for():
    assert parse_params({"cv": {"folds": 0}}).threshold.fit_on == "val"
    assert parse_params({"cv": {"folds": 0}, "threshold": {"fit_on": "val"}}).threshold.fit_on == "val"
    assert parse_params({}).threshold.fit_on == "oof"  # with folds, the default is unchanged
    with pytest.raises(ConfigError, match="threshold.fit_on: oof needs out-of-fold logits, and cv.folds 0 .*val"):
        parse_params({"cv": {"folds": 0}, "threshold": {"fit_on": "oof"}})


def test_a_pipeline_without_folds_skips_them_and_tunes_on_val(tmp_path):
    project = make_text_project(tmp_path / "p")
    set_params(project, cv={"folds": 0})
    out = run(["dvc", "repro", "-q"], project)
    assert "cv.folds is 0: skipped" in out.stdout + out.stderr
    assert not (project / "data/cv/oof.npz").exists()
    assert json.loads((project / "data/cv/skipped.json").read_text())["folds"] == 0
    assert json.loads((project / "metrics/cv.json").read_text()) == {"folds": 0}
    thresholds = json.loads((project / "models/thresholds.json").read_text())
    assert thresholds["fit_on"] == "val" and "biases_val" in thresholds and "biases_oof" not in thresholds
    report = json.loads((project / "metrics/full/threshold.json").read_text())
    assert report["fit_on"] == "val" and "fit_val" in report and "fit_oof" not in report
    assert "after_val" in report and "after_oof" not in report
    again = run(["dvc", "repro"], project)
    assert "didn't change" in again.stdout or "up to date" in again.stdout
