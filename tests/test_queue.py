"""A queue of 12 experiments run two at a time (`dvc queue start -j 2`) plus one with a bad param: the bad one is
reported as failed with its one-line error, the 12 others finish with correct metrics.

The 12 vary the threshold-tune params (3 methods x 2 objectives x 2 fitting sets), so each reruns only that stage
and the queue stays fast; every experiment still runs the whole DVC machinery (temp workspace, checkout, repro,
commit) concurrently with another."""

import itertools
import json

import pytest
import yaml

from tests.dvc_helpers import (
    METRIC_FILES,
    copy_ran_project,
    dvc,
    experiment_refs,
    git_show,
    run_stage_here,
    start_queue,
    stop_queue,
    wait_for_queue,
)
from tests.helpers import set_params

pytestmark = pytest.mark.slow

METHODS = ("none", "posthoc_logit_adjustment", "per_class_bias")
OBJECTIVES = ("balanced_accuracy", "mcc")  # the baseline fits macro_f1: every queued experiment is new
FIT_ON = ("val", "oof")
UNCHANGED = (
    "dvclive/metrics.json",
    "metrics/cv.json",
    "metrics/test.json",
    "metrics/full/test.json",
)


def test_twelve_queued_experiments_and_a_failing_one(ran_project, tmp_path, monkeypatch, capsys):
    project = copy_ran_project(ran_project, tmp_path / "project")
    sweep = {"threshold.method": METHODS, "threshold.metric": OBJECTIVES, "threshold.fit_on": FIT_ON}
    grid = [arg for key, values in sweep.items() for arg in ("-S", f"++{key}={','.join(values)}")]
    dvc(project, "exp", "run", "--queue", *grid)  # one command queues the 3 x 2 x 2 grid
    dvc(project, "exp", "run", "--queue", "-n", "bad-lr", "-S", "++train.lr=abc")

    try:
        start_queue(project, jobs=2)
        status = wait_for_queue(project, expected=12, failed=1)
    finally:
        stop_queue(project)

    finished = experiment_refs(project)
    assert len(finished) == 12 and "bad-lr" not in finished, status
    assert status.count("Success") == 12, status
    failed = [line for line in status.splitlines() if "Failed" in line]
    assert len(failed) == 1 and "bad-lr" in failed[0], status
    logs = dvc(project, "queue", "logs", "bad-lr", check=False)
    assert "error: train: train.lr: expected a number, got 'abc'" in logs.stdout + logs.stderr

    by_combo = {}
    for name, commit in finished.items():
        params = yaml.safe_load(git_show(project, commit, "params.yaml"))["threshold"]
        combo = (params["method"], params["metric"], params["fit_on"])
        by_combo[combo] = commit
        for path in UNCHANGED:  # the stages these params do not feed were not disturbed by the others
            assert git_show(project, commit, path) == (ran_project / path).read_bytes(), (name, path)
        tuned = json.loads(git_show(project, commit, "metrics/full/threshold.json"))
        assert (tuned["method"], tuned["metric"], tuned["fit_on"], tuned["seed"]) == (*combo, 0), name
        test = json.loads(git_show(project, commit, "metrics/full/test.json"))
        assert tuned["before"] == {k: test[k] for k in tuned["before"]}, name
        if params["method"] == "none":
            assert tuned["after"] == tuned["before"], name
    assert set(by_combo) == set(itertools.product(METHODS, OBJECTIVES, FIT_ON))

    # one of them recomputed alone, outside the queue: the same bytes
    alone = copy_ran_project(ran_project, tmp_path / "alone")
    set_params(alone, threshold={"method": "per_class_bias", "metric": "mcc", "fit_on": "oof"})
    assert run_stage_here(alone, "threshold-tune", monkeypatch, capsys)[0] == 0
    queued = by_combo[("per_class_bias", "mcc", "oof")]
    for path in METRIC_FILES:
        assert git_show(project, queued, path) == (alone / path).read_bytes(), path
