"""The whole pipeline through DVC on a small CSV the test writes (tfidf backend: no model needed)."""

import json

import numpy as np
import pandas as pd
import pytest

from tests.dvc_helpers import METRIC_FILES
from tests.helpers import run

pytestmark = pytest.mark.slow


def ran_stages(output: str) -> set[str]:
    return {line.split("'")[1] for line in output.splitlines() if line.startswith("Running stage '")}


def test_repro_then_smote_experiment(text_project):
    first = run(["dvc", "repro"], text_project)
    assert ran_stages(first.stdout) == {
        "embed",
        "split",
        "balance",
        "train",
        "cross-validate",
        "evaluate",
        "threshold-tune",
    }
    for name in METRIC_FILES:
        assert (text_project / name).exists(), name
    test = json.loads((text_project / "metrics/full/test.json").read_text())
    for key in ("accuracy", "balanced_accuracy", "macro_f1", "mcc", "roc_auc_macro", "pr_auc_macro", "ece"):
        assert 0.0 <= test[key] <= 1.0 or key == "mcc", (key, test[key])
    assert test["macro_f1"] > 0.5, "the fixture's classes are separable; a broken pipeline scores near chance"
    assert test["minority_class"] == "finance"
    assert set(test["per_class"]) == {"finance", "sports", "weather"}
    cv = json.loads((text_project / "metrics/cv.json").read_text())
    assert len(cv["per_fold"]["macro_f1"]) == 3 and 0 < cv["pooled_macro_f1"] <= 1

    second = run(["dvc", "repro"], text_project)
    assert ran_stages(second.stdout) == set()
    assert "Data and pipelines are up to date" in second.stdout

    run(["git", "add", "-A"], text_project)
    run(["git", "commit", "-qm", "baseline run"], text_project)
    experiment = run(["dvc", "exp", "run", "-S", "balance.method=smote"], text_project)
    rerun = ran_stages(experiment.stdout)
    assert "embed" not in rerun and "split" not in rerun
    assert {"balance", "train", "cross-validate", "evaluate", "threshold-tune"} <= rerun
    balanced = np.load(text_project / "data/balanced/train.npz")
    counts = np.bincount(balanced["y"])
    assert len(set(counts.tolist())) == 1, f"SMOTE 'auto' should equalise the training classes, got {counts}"
    assert balanced["synthetic"].sum() > 0

    shown = json.loads(run(["dvc", "exp", "show", "--json"], text_project).stdout)
    assert "smote" in json.dumps(shown)
    diff = run(["dvc", "metrics", "diff", "main", "--md"], text_project)
    assert "macro_f1" in diff.stdout

    # back to the baseline's params: train and cross-validate (the costly stages) are restored from DVC's
    # run-cache, not run; evaluate and threshold-tune have cache: false plot folders, so DVC runs them again
    back = run(["dvc", "exp", "run", "-S", "balance.method=none"], text_project)
    assert set(ran_stages(back.stdout)) == {"evaluate", "threshold-tune"}
    for stage in ("balance", "train", "cross-validate"):
        assert f"Stage '{stage}' is cached - skipping run, checking out outputs" in back.stdout, stage
    assert run(["dvc", "metrics", "diff", "main"], text_project).stdout.strip() == ""  # the baseline's numbers


def test_label_counts_are_checked_before_embedding(tmp_path):
    """A file whose small classes cannot be split fails in seconds at embed, naming every such class."""
    from tests.helpers import copy_project, run, set_params

    project = copy_project(tmp_path / "project")
    rows = [("big", f"plenty of text number {i}") for i in range(120)]
    rows += [(f"tiny{k}", f"rare text {k} {i}") for k in range(3) for i in range(2 + k)]
    pd.DataFrame(rows, columns=["label", "text"]).to_csv(project / "small.csv", index=False)
    set_params(project, data={"source": "small.csv"}, embed={"backend": "tfidf", "dim": 8})
    result = run(["python", "-m", "stages.embed"], project, check=False)
    assert result.returncode == 2
    assert "error: embed: 3 classes are too small to appear in train, val and test" in result.stderr
    assert "'tiny0' (2), 'tiny1' (3), 'tiny2' (4)" in result.stderr
    assert "embedding with" not in result.stderr  # refused before any embedding work
