"""Sharing results across machines with DVC's own machinery, on one machine: a bare Git repo as origin and a
local directory as the DVC remote. Clone A runs experiments and pushes them; clone B pulls them and sees them,
reuses A's outputs and run-cache instead of recomputing, and diffs metrics.

A's experiments are seed 1 and another threshold objective, so this is also where different seeds are shown to
give different splits and results, with the seed recorded in every metrics file."""

import json
import shutil

import numpy as np
import pytest

from tests.dvc_helpers import METRIC_FILES, REPORT_FILES, copy_ran_project, dvc, git_show, ran_stages, read_bytes
from tests.helpers import run

pytestmark = pytest.mark.slow


def exp_show(project) -> dict:
    """{experiment name: {"params": params.yaml values, "metrics": {file: values}}} from `dvc exp show --json`."""
    shown = {}
    for commit in json.loads(dvc(project, "exp", "show", "--json").stdout):
        for exp in commit.get("experiments") or []:
            for rev in exp["revs"]:
                data = rev.get("data") or {}
                shown[rev["name"]] = {
                    "params": data["params"]["params.yaml"]["data"],
                    "metrics": {path: entry["data"] for path, entry in data["metrics"].items()},
                }
    return shown


def test_experiments_pushed_by_one_clone_are_pulled_reused_and_diffed_by_another(ran_project, tmp_path):
    origin, store = tmp_path / "origin.git", tmp_path / "dvc-store"
    run(["git", "init", "-q", "--bare", "-b", "main", str(origin)], tmp_path)
    store.mkdir()

    # machine A: the project, its remotes, two experiments, everything pushed
    a = copy_ran_project(ran_project, tmp_path / "a")
    run(["git", "remote", "add", "origin", str(origin)], a)
    dvc(a, "remote", "add", "-d", "store", str(store))
    run(["git", "commit", "-qam", "DVC remote"], a)
    run(["git", "push", "-q", "origin", "main"], a)
    dvc(a, "push")  # the committed baseline's outputs: what `git push` alone does not carry
    dvc(a, "exp", "run", "--temp", "-n", "thr-mcc", "-S", "++threshold.metric=mcc")  # --temp: workspace untouched
    seed_run = dvc(a, "exp", "run", "-n", "seed-1", "-S", "seed=1")  # its results land in the workspace
    assert "embed" not in ran_stages(seed_run.stdout), "embed does not depend on the seed"
    a_seed_1 = read_bytes(a, METRIC_FILES)
    dvc(a, "push")
    dvc(a, "push", "--run-cache")
    dvc(a, "exp", "push", "origin", "seed-1", "thr-mcc")

    # different seeds, different splits and results; the seed is in every stage's report
    for name in REPORT_FILES:
        assert json.loads(git_show(a, "main", name))["seed"] == 0, name
        assert json.loads(a_seed_1[name])["seed"] == 1, name
    split_0 = np.load(ran_project / "data/split/indices.npz")["test"]
    assert not np.array_equal(np.load(a / "data/split/indices.npz")["test"], split_0)
    test_0 = json.loads(git_show(a, "main", "metrics/full/test.json"))
    test_1 = json.loads(a_seed_1["metrics/full/test.json"])
    assert test_0["log_loss"] != test_1["log_loss"] and test_0["brier"] != test_1["brier"]

    # machine B: a plain clone, then DVC pulls experiments, outputs and run-cache
    b = tmp_path / "b"
    run(["git", "clone", "-q", str(origin), str(b)], tmp_path)
    dvc(b, "exp", "pull", "origin", "seed-1", "thr-mcc")
    dvc(b, "pull", "--run-cache")

    # (1) A's experiments with their metrics
    shown_a, shown_b = exp_show(a), exp_show(b)
    assert {"seed-1", "thr-mcc"} <= set(shown_b)
    for name in ("seed-1", "thr-mcc"):
        assert shown_b[name] == shown_a[name], name
    assert shown_b["seed-1"]["params"]["seed"] == 1

    # (2) `dvc repro` in B recomputes nothing: the outputs came from A through the remote, and without them
    # the run-cache A pushed restores them instead of running embed, split and balance again
    assert ran_stages(dvc(b, "repro").stdout) == []
    for name in ("data/embeddings", "data/split", "data/balanced"):
        shutil.rmtree(b / name)
    restored = dvc(b, "repro")
    assert ran_stages(restored.stdout) == []
    for stage in ("embed", "split", "balance"):
        assert f"Stage '{stage}' is cached - skipping run, checking out outputs" in restored.stdout
    for name in ("data/embeddings/features.npy", "data/split/indices.npz", "data/balanced/train.npz"):
        assert (b / name).read_bytes() == (ran_project / name).read_bytes(), name

    # (3) metrics diff in B: A's experiment against the committed baseline
    changed = json.loads(dvc(b, "metrics", "diff", "main", "seed-1", "--json").stdout)["metrics/test.json"]
    assert changed and all(changed[key]["new"] == test_1[key] for key in changed)  # the headline, from A's run
    assert {key: change["old"] for key, change in changed.items()} == {key: test_0[key] for key in changed}
